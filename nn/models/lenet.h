// lenet.h — the small bias-ful, BatchNorm-free CNN of the robust-features spec (robust-features.md §5):
// conv5×5(C→w0, pad 2) → ReLU → max-pool 2, conv5×5(w0→w1, pad 2) → ReLU → max-pool 2, adaptive average
// pool to 7×7 (the identity on 28×28 inputs), FC (w1·49 → w2) → ReLU = the representation g, FC (w2 → K).
// No BatchNorm, so an attack or an inversion sees the same function in train and eval mode.
// pre_features(x) is the representation before its last ReLU: representation inversion replaces that
// ReLU by a "fake ReLU" (identity gradient). Names: conv1, conv2, hidden, fc.
#pragma once
#include "nn/models/backbone.h"

namespace eg::nn {

class LeNet : public Backbone {
 public:
  LeNet(std::vector<int64_t> widths, int64_t in_channels, int64_t num_classes, Generator& g, bool fc_bias = true);
  Tensor pre_features(const Tensor& x);  // [N, w2], before the ReLU
  Tensor features(const Tensor& x) override { return relu(pre_features(x)); }
  int64_t feature_dim() const override { return widths_[2]; }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<Linear> hidden;

 private:
  std::vector<int64_t> widths_;
  int64_t in_channels_;
};

}  // namespace eg::nn
