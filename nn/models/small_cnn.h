// small_cnn.h — the Fashion-MNIST CNN of m2m.md §6: conv5×5(C→w1, pad 2) → BN → ReLU → max-pool 2,
// conv5×5(w1→w2, pad 2) → BN → ReLU → max-pool 2, flatten (w2·7·7 for 28×28 inputs) → FC → ReLU
// (the features, D = hidden), then the classifier fc. Default widths 16, 32 and hidden 128.
// Names: features.{0..}.*, hidden, fc. Shapes: x [N, C, H, W] with H, W divisible by 4.
#pragma once
#include "nn/models/backbone.h"

namespace eg::nn {

class SmallCnn : public Backbone {
 public:
  SmallCnn(int64_t w1, int64_t w2, int64_t hidden, int64_t in_channels, int64_t num_classes, int64_t image_size,
           Generator& g, bool fc_bias = true, bool conv_bias = true);
  Tensor features(const Tensor& x) override;
  int64_t feature_dim() const override { return hidden_; }
  std::shared_ptr<Sequential> body;
  std::shared_ptr<Linear> hidden_fc;

 private:
  int64_t in_channels_, hidden_, image_size_;
};

}  // namespace eg::nn
