// loader.h — DataLoader: turns a Sampler's batches of indices into float batch tensors, converting the
// uint8 pixels to float by /255, applying a Transform per image and stacking. A background std::thread
// prepares up to `prefetch` batches ahead in a bounded queue; the batches are identical whatever the
// prefetch depth or thread timing, because each image's transform Generator is derived from
// (seed, epoch, position of the image in the epoch) and from nothing else.
// Shape letters: B batch size, C channels, H height, W width (after the transform).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "methods/data/dataset.h"
#include "methods/data/samplers.h"
#include "methods/data/transforms.h"

namespace eg::data {

struct Batch {
  Tensor x;                      // [B, C, H, W] f32 on the CPU
  Tensor y;                      // [B] i64
  std::vector<int64_t> indices;  // [B] dataset indices, the sampler's order
};

struct LoaderOptions {
  uint64_t seed = 0;     // seeds the transforms (the sampler has its own seed)
  int prefetch = 2;      // batches prepared ahead by a background thread; 0 = synchronous, in next()
  int num_threads = 0;   // OpenMP threads assembling one batch; 0 = auto (OpenMP's default for batches of
                         // >= 2^20 pixel values, else 1: small batches lose more to the fork/join than they gain)
};

// Usage: loader.start_epoch(e); while (loader.next(b)) { ... }. The dataset is held by reference and must
// outlive the loader (binding a temporary is refused at compile time). Not thread-safe: one consumer.
class DataLoader {
 public:
  DataLoader(const ImageDataset& ds, std::shared_ptr<Sampler> s, std::shared_ptr<Transform> t /* may be null */,
             LoaderOptions o = {});
  DataLoader(ImageDataset&&, std::shared_ptr<Sampler>, std::shared_ptr<Transform>, LoaderOptions = {}) = delete;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  ~DataLoader();

  // Begins epoch `epoch` at batch skip_batches (0 <= skip <= num_batches): the same batches come out as
  // if the first skip_batches had been read and dropped, which is how a resumed run rejoins mid-epoch.
  // Stops a running epoch first (its pending batches are discarded). Checks every sampled index.
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  // The next batch of the epoch into b; false once the epoch is exhausted (and on every later call).
  // An error while preparing a batch (bad transform, mixed shapes) is re-thrown here, after which the
  // epoch is over; start_epoch begins a new one.
  bool next(Batch& b);
  int64_t num_batches(int64_t epoch) const;
  // Data-parallel training (methods/train/distributed.h): from the next start_epoch on, every batch is
  // this rank's contiguous share of the sampler's batch (shard_range: the first B % count ranks get one
  // image more), each image augmented as at its place in the whole epoch, so `count` ranks together see
  // exactly the batches (and augmentations) that one process sees. Refuses batches smaller than count.
  void set_shard(int rank, int count);

 private:
  struct Item {
    Batch batch;
    std::exception_ptr error;
    bool end = false;
  };
  Batch assemble(int64_t batch_index) const;
  void worker_loop(int64_t first);
  void stop_worker();

  const ImageDataset& ds_;
  std::shared_ptr<Sampler> sampler_;
  std::shared_ptr<Transform> transform_;
  LoaderOptions opt_;
  int shard_rank_ = 0, shard_count_ = 1;

  // The current epoch; written only by start_epoch while no worker runs, read by the worker.
  int64_t epoch_ = -1;
  uint64_t epoch_seed_ = 0;
  std::vector<std::vector<int64_t>> batches_;
  std::vector<int64_t> offsets_;  // position in the epoch of each batch's first image
  int64_t next_index_ = 0;        // synchronous mode: the next batch to assemble
  bool finished_ = true;

  std::thread worker_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
};

}  // namespace eg::data
