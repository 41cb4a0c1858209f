// evaluate.cpp — batched prediction and metrics (see evaluate.h).
#include "methods/train/evaluate.h"

#include "methods/eval/classification.h"
#include "methods/train/distributed.h"

namespace eg::train {

namespace {

// Images [begin, end) in order, B at a time: one rank's share of a sharded evaluation.
class RangeSampler : public data::Sampler {
 public:
  RangeSampler(int64_t begin, int64_t end, int64_t batch_size) : begin_(begin), end_(end), batch_size_(batch_size) {}
  std::vector<std::vector<int64_t>> batches(int64_t) const override {
    std::vector<std::vector<int64_t>> out;
    for (int64_t i = begin_; i < end_; i += batch_size_) {
      out.emplace_back();
      for (int64_t j = i; j < std::min(end_, i + batch_size_); ++j) out.back().push_back(j);
    }
    return out;
  }
  std::string name() const override { return "range"; }

 private:
  int64_t begin_, end_, batch_size_;
};

}  // namespace

Predictions predict(const data::ImageDataset& ds, const std::function<Tensor(const Tensor&)>& fn,
                    std::shared_ptr<data::Transform> transform, int64_t batch_size, Device device) {
  Predictions p;
  p.n = ds.n;
  // Under mpirun each rank predicts its contiguous share; the shares are gathered in order below.
  auto [begin, end] = dist::shard_range(ds.n);
  auto sampler = std::make_shared<RangeSampler>(begin, end, batch_size);
  data::LoaderOptions lo;
  lo.prefetch = 0;
  data::DataLoader loader(ds, sampler, transform, lo);
  loader.start_epoch(0);
  NoGradGuard ng;
  data::Batch b;
  while (loader.next(b)) {
    Tensor logits = fn(b.x.to(device)).to(Device::CPU).to(DType::F32);
    ENGINE_CHECK(logits.dim() == 2 && logits.size(0) == b.y.numel(), "predict: model returned ", shape_str(logits.shape()),
                 " for a batch of ", b.y.numel());
    p.k = logits.size(1);
    auto v = logits.to_vector<float>();
    p.logits.insert(p.logits.end(), v.begin(), v.end());
    auto y = b.y.to_vector<int64_t>();
    p.labels.insert(p.labels.end(), y.begin(), y.end());
  }
  if (dist::size() > 1) {
    std::vector<double> k = {(double)p.k};
    dist::all_reduce_max(k.data(), 1);  // a rank with no images has not seen K
    p.k = (int64_t)k[0];
    p.logits = dist::all_gather(p.logits);
    p.labels = dist::all_gather(p.labels);
  }
  return p;
}

Metrics classification_metrics(const Predictions& p, const std::vector<int64_t>& train_counts) {
  Metrics m;
  auto pred = eval::argmax(p.logits, p.n, p.k);
  m["test_acc"] = eval::accuracy(pred, p.labels, p.k);
  m["balanced_acc"] = eval::balanced_accuracy(pred, p.labels, p.k);
  if (p.k >= 5) m["top5_acc"] = eval::topk_accuracy(p.logits, p.n, p.k, p.labels, 5);
  if (!train_counts.empty()) {
    auto groups = eval::shot_groups_by_rank(train_counts);
    auto s = eval::shot_accuracy(pred, p.labels, groups);
    m["many_acc"] = s.many;
    m["medium_acc"] = s.medium;
    m["few_acc"] = s.few;
  }
  return m;
}

std::vector<std::string> classification_metric_names(int64_t k, bool shot_metrics) {
  std::vector<std::string> n = {"test_acc", "balanced_acc"};
  if (k >= 5) n.push_back("top5_acc");
  if (shot_metrics) n.insert(n.end(), {"many_acc", "medium_acc", "few_acc"});
  return n;
}

}  // namespace eg::train
