// inference.cpp — SLA's inference rules and head accuracies (see inference.h).
#include "methods/sla/inference.h"

#include "losses/sla.h"
#include "methods/eval/classification.h"

namespace eg::sla {

HeadLogits infer(SlaNet& net, const Tensor& x, const TransformationSet& t) {
  HeadLogits h;
  if (!has_joint_head(net.method)) {
    h.single = net.forward(x);
    return h;
  }
  const int64_t B = x.size(0), M = t.size();
  ENGINE_CHECK(M == net.M, "infer: the network was built for M = ", net.M, " transformations, the set '", t.name,
               "' has ", M);
  Tensor z = net.features(expand_batch(x, t));
  Tensor joint = net.backbone->fc->forward(z);  // [(B·M), N·M]
  h.single = losses::sla_single_logits(slice(joint, 0, 0, B * M, M), M);  // rows b·M + 0 are the x_b themselves
  h.agg = losses::sla_aggregated_logits(joint, M);
  if (net.method == Method::SLA_SD) h.sd = net.aux->forward(slice(z, 0, 0, B * M, M));
  return h;
}

namespace {
std::vector<std::string> head_suffixes(Method m) {
  if (m == Method::SLA) return {"single", "agg"};
  if (m == Method::SLA_SD) return {"single", "agg", "sd"};
  return {};
}
}  // namespace

std::vector<std::string> head_metric_names(Method m, const std::string& split) {
  std::vector<std::string> n = {split + "_acc"};
  for (auto& s : head_suffixes(m)) n.push_back(split + "_acc_" + s);
  return n;
}

train::Metrics evaluate_heads(SlaNet& net, const data::ImageDataset& ds, std::shared_ptr<data::Transform> transform,
                              const TransformationSet& t, const std::string& split, int64_t batch_size, Device device) {
  net.eval();
  // One row of every head side by side: [single | agg | sd], N columns each.
  train::Predictions p = train::predict(
      ds,
      [&](const Tensor& x) {
        HeadLogits h = infer(net, x, t);
        std::vector<Tensor> parts = {h.single};
        for (const Tensor& o : {h.agg, h.sd})
          if (o.defined()) parts.push_back(o);
        return parts.size() == 1 ? parts[0] : cat(parts, 1);
      },
      transform, batch_size, device);
  net.train();
  const int64_t N = net.N;
  auto block_acc = [&](int64_t block) {
    std::vector<float> logits((size_t)(p.n * N));
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t k = 0; k < N; ++k) logits[(size_t)(i * N + k)] = p.logits[(size_t)(i * p.k + block * N + k)];
    return eval::top1_accuracy(logits, p.n, N, p.labels);
  };
  train::Metrics m;
  auto suffixes = head_suffixes(net.method);
  for (size_t b = 0; b < suffixes.size(); ++b) m[split + "_acc_" + suffixes[b]] = block_acc((int64_t)b);
  if (net.method == Method::SLA) m[split + "_acc"] = m[split + "_acc_agg"];
  else if (net.method == Method::SLA_SD) m[split + "_acc"] = m[split + "_acc_sd"];
  else m[split + "_acc"] = block_acc(0);
  return m;
}

}  // namespace eg::sla
