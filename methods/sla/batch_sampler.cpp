// batch_sampler.cpp — independent uniform batches (see batch_sampler.h).
#include "methods/sla/batch_sampler.h"

#include <numeric>
#include <utility>

#include "core/check.h"
#include "core/generator.h"

namespace eg::sla {

IndependentBatchSampler::IndependentBatchSampler(int64_t n, int64_t batch_size, uint64_t seed, int64_t batches_per_epoch)
    : n_(n), batch_size_(batch_size), batches_per_epoch_(batches_per_epoch), seed_(seed) {
  ENGINE_CHECK(batch_size > 0 && batch_size <= n, "IndependentBatchSampler: batch size ", batch_size,
               " must be in [1, ", n, "] (the dataset size)");
  ENGINE_CHECK(batches_per_epoch > 0, "IndependentBatchSampler: batches per epoch must be > 0, got ", batches_per_epoch);
}

std::vector<std::vector<int64_t>> IndependentBatchSampler::batches(int64_t epoch) const {
  ENGINE_CHECK(epoch >= 0, "IndependentBatchSampler: epoch ", epoch, " is negative");
  std::vector<std::vector<int64_t>> out((size_t)batches_per_epoch_);
  std::vector<int64_t> pool((size_t)n_);
  for (int64_t i = 0; i < batches_per_epoch_; ++i) {
    std::iota(pool.begin(), pool.end(), 0);
    Generator g(data::derive_seed(seed_, (uint64_t)(epoch * batches_per_epoch_ + i)));
    // The first B steps of a Fisher-Yates shuffle: B distinct indices, uniform.
    for (int64_t k = 0; k < batch_size_; ++k) std::swap(pool[(size_t)k], pool[(size_t)(k + g.randint(n_ - k))]);
    out[(size_t)i].assign(pool.begin(), pool.begin() + batch_size_);
  }
  return out;
}

}  // namespace eg::sla
