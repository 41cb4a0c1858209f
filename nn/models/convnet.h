// convnet.h — the small ConvNet C(w1, w2, w3) of the Fashion-MNIST specs (sla.md, rkd.md, rpl.md, cb.md):
// three blocks conv3×3(pad 1) → BN → ReLU (or LeakyReLU), 2×2 max-pool after the first two blocks
// (28 → 14 → 7), adaptive average pool to P×P (P = 1: global average pool) → w_last·P²-d features, fc.
// P > 1 keeps where a feature fired (a sleeve vs a collar on Fashion-MNIST), like VGG's AdaptiveAvgPool2d(7).
// Names: features.{0..}.*, fc.
#pragma once
#include "nn/models/backbone.h"

namespace eg::nn {

class ConvNet : public Backbone {
 public:
  ConvNet(std::vector<int64_t> widths, int64_t in_channels, int64_t num_classes, Generator& g, double leaky_slope = 0,
          bool fc_bias = true, bool conv_bias = true, int64_t pool = 1);
  Tensor features(const Tensor& x) override;
  int64_t feature_dim() const override { return widths_.back() * pool_ * pool_; }
  std::shared_ptr<Sequential> body;

 private:
  std::vector<int64_t> widths_;
  int64_t in_channels_;
  int64_t pool_;
};

}  // namespace eg::nn
