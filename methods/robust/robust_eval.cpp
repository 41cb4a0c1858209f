// robust_eval.cpp — robust accuracy (see robust_eval.h).
#include "methods/robust/robust_eval.h"

#include "methods/robust/batches.h"

namespace eg::robust {

RobustAccuracy robust_accuracy(const PixelModel& m, const data::ImageDataset& ds, const std::vector<int64_t>& indices,
                               const PgdConfig& attack, int64_t batch, Generator& g) {
  ENGINE_CHECK(!attack.targeted, "robust_accuracy: the evaluation attack is untargeted");
  AttackMode am(m.module());
  LogitsFn f = [&](const Tensor& x) { return m.logits(x); };
  int64_t clean = 0, robust = 0;
  for_each_chunk((int64_t)indices.size(), batch, [&](int64_t, const std::vector<int64_t>& pos) {
    std::vector<int64_t> idx;
    for (int64_t p : pos) idx.push_back(indices[(size_t)p]);
    Tensor x = pixel_batch(ds, idx), y = label_batch(ds.labels, idx);
    Tensor adv = pgd_attack(f, x, y, attack, g);
    NoGradGuard ng;
    auto yv = y.to_vector<int64_t>();
    auto pc = argmax(f(x), 1).to_vector<int64_t>(), pa = argmax(f(adv), 1).to_vector<int64_t>();
    for (size_t i = 0; i < yv.size(); ++i) clean += pc[i] == yv[i], robust += pa[i] == yv[i];
  });
  RobustAccuracy r;
  r.n = (int64_t)indices.size();
  if (r.n) r.clean_acc = (double)clean / (double)r.n, r.robust_acc = (double)robust / (double)r.n;
  return r;
}

PgdConfig evaluation_attack(double eps, int64_t steps) {
  PgdConfig c;
  c.norm = Norm::L2;
  c.eps = eps;
  c.step = eps / 8;
  c.steps = steps;
  return c;
}

}  // namespace eg::robust
