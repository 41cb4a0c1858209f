// batch_sampler.h — the official SLA data order (sla.md §3): every iteration draws its B indices uniformly
// without replacement, independently of the other iterations (not an epoch-wise permutation). An "epoch"
// here is just `batches_per_epoch` iterations between log rows / evaluations (the official --val-freq).
// Batch i of epoch e comes from Generator(derive_seed(seed, e·batches_per_epoch + i)): a pure function of
// the iteration, so a resumed run draws the same batches.
#pragma once
#include "methods/data/samplers.h"

namespace eg::sla {

class IndependentBatchSampler : public data::Sampler {
 public:
  IndependentBatchSampler(int64_t n, int64_t batch_size, uint64_t seed, int64_t batches_per_epoch);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override { return "independent_batches"; }
  int64_t num_batches(int64_t) const override { return batches_per_epoch_; }

 private:
  int64_t n_, batch_size_, batches_per_epoch_;
  uint64_t seed_;
};

}  // namespace eg::sla
