// data_parallel.h — what run_training does differently under `mpirun -np N` (distributed.h): every rank
// holds the same model and optimizer, draws its share of each global batch (DataLoader::set_shard), and
// before each optimizer step the gradients are averaged over the ranks (weighted by each rank's share of
// the batch, so a mean loss gives the gradient of the whole batch's mean). The averaging all-reduces the
// gradients in buckets of a fixed size in parameter order after backward, so the sums do not depend on
// timing. Parameters and buffers come from rank 0 at the start and after every epoch (BatchNorm's running
// statistics are then rank 0's, as with PyTorch's DDP). With --sync-bn every BatchNorm2d normalizes with
// the global batch's statistics (nn::BatchNorm2d::cross_replica_sum). In a world of one it does nothing.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/nn.h"

namespace eg::train {

class DataParallel {
 public:
  // Installs the --sync-bn hooks; the caller shards its data (DataLoader::set_shard, or shard_range).
  DataParallel(nn::Module& model, nn::Optimizer& opt);
  ~DataParallel();  // removes the --sync-bn hooks
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  bool active() const { return active_; }
  // Parameters and buffers (and the optimizer's parameters) from rank 0 to every rank.
  void broadcast_state();
  // Sums the step's counters (loss · images, images, correct, ...) over the ranks, in place.
  void sum(std::vector<double>& values);
  // Averages the optimizer's gradients: each rank's scaled by local_images / global_images, then summed.
  // A gradient no rank computed stays undefined; one that only some ranks computed is zero on the others.
  void average_gradients(int64_t local_images, int64_t global_images);
  double reduce_seconds() const { return reduce_s_; }  // wall time in average_gradients so far

 private:
  nn::Module& model_;
  std::vector<Tensor> params_;  // the optimizer's, deduplicated, in group order
  std::vector<nn::BatchNorm2d*> synced_;
  bool active_ = false;
  double reduce_s_ = 0;
  std::vector<float> bucket_f_;
  std::vector<double> bucket_d_;
};

}  // namespace eg::train
