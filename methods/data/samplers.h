// samplers.h — which dataset indices make up each batch of an epoch. A sampler's batches(epoch) is a pure
// function of (constructor arguments, epoch): a run resumed at epoch e sees exactly the batches it would
// have seen, and the DataLoader can skip batches without replaying any RNG.
// Shape letters: N dataset size, B batch size, K classes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::data {

// A well-mixed 64-bit seed for stream `stream` of `seed` (splitmix64 of both), so that seed ^ epoch style
// collisions (seed 1 epoch 0 vs seed 0 epoch 1) cannot happen. Used for per-epoch, per-class and per-sample
// Generators across methods/data.
uint64_t derive_seed(uint64_t seed, uint64_t stream);

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The epoch's batches, each a list of indices into the dataset.
  virtual std::vector<std::vector<int64_t>> batches(int64_t epoch) const = 0;
  virtual std::string name() const = 0;
  // How many batches epoch `epoch` has (the default builds them; samplers override when it is cheap).
  virtual int64_t num_batches(int64_t epoch) const { return (int64_t)batches(epoch).size(); }
};

// 0..N-1 in order, B at a time (evaluation). The last batch is short unless drop_last.
class SequentialSampler : public Sampler {
 public:
  SequentialSampler(int64_t n, int64_t batch_size, bool drop_last = false);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override { return "sequential"; }
  int64_t num_batches(int64_t epoch) const override;

 private:
  int64_t n_, batch_size_;
  bool drop_last_;
};

// A fresh uniform permutation of 0..N-1 each epoch (Fisher-Yates with Generator(derive_seed(seed, epoch))),
// cut into batches of B; the last batch is short unless drop_last.
class RandomSampler : public Sampler {
 public:
  RandomSampler(int64_t n, int64_t batch_size, uint64_t seed, bool drop_last = false);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override { return "random"; }
  int64_t num_batches(int64_t epoch) const override;

 private:
  int64_t n_, batch_size_;
  uint64_t seed_;
  bool drop_last_;
};

// Random over-sampling (ROS, M2m's "class-balanced loader"): num_samples draws with replacement, each sample
// drawn with probability proportional to 1/N_y — drawn as a class uniform over the classes present, then a
// sample uniform within it, which is the same distribution. num_samples < 0 means N (one epoch has as many
// draws as the imbalanced set has samples). Batches of B; the last is short unless drop_last.
class ClassBalancedSampler : public Sampler {
 public:
  ClassBalancedSampler(std::vector<int64_t> labels, int64_t num_classes, int64_t batch_size, uint64_t seed,
                       int64_t num_samples = -1, bool drop_last = false);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override { return "class_balanced"; }
  int64_t num_batches(int64_t epoch) const override;

 private:
  std::vector<std::vector<int64_t>> by_class_;  // indices of each class present (empty classes dropped)
  int64_t batch_size_, num_samples_;
  uint64_t seed_;
  bool drop_last_;
};

// RKD's "NPairs" sampler (rkd.md §2.5): for each batch, shuffle the classes present, then take
// min(m, N_c) distinct random images from each class in turn until the batch holds batch_size images, and
// truncate the last class. batch_size 0 means m * classes_per_batch (every batch then holds exactly
// classes_per_batch classes x m images when each class has >= m images). batches_per_epoch batches.
class MPerClassSampler : public Sampler {
 public:
  MPerClassSampler(std::vector<int64_t> labels, int64_t m, int64_t classes_per_batch, uint64_t seed,
                   int64_t batches_per_epoch, int64_t batch_size = 0);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override { return "m_per_class"; }
  int64_t num_batches(int64_t) const override { return batches_per_epoch_; }

 private:
  std::vector<std::vector<int64_t>> by_class_;  // indices of each class present
  int64_t m_, batch_size_, batches_per_epoch_;
  uint64_t seed_;
};

}  // namespace eg::data
