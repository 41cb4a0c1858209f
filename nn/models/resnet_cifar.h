// resnet_cifar.h — CIFAR ResNet-20/32/44/56/110 (He et al. 2016, §4.2): a 3×3 stem with 16 channels, three
// stages of n post-activation basic blocks (widths 16/32/64, strides 1/2/2), global average pool, fc.
// Shortcut "A": subsample x[:, :, ::2, ::2] and zero-pad channels equally on both sides (no parameters).
// Names: conv1, bn1, layerK.i.{conv1,bn1,conv2,bn2}, fc — as ../shared/bench/torch_bench.py.
#pragma once
#include "nn/models/backbone.h"

namespace eg::nn {

class CifarBasicBlock : public Module {
 public:
  CifarBasicBlock(int64_t in, int64_t out, int64_t stride, Generator& g);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  int64_t pad_channels = 0, stride = 1;
};

class CifarResNet : public Backbone {
 public:
  // depth = 6n + 2 (20, 32, 44, 56, 110).
  CifarResNet(int64_t depth, int64_t in_channels, int64_t num_classes, Generator& g, bool fc_bias = true);
  Tensor features(const Tensor& x) override;  // [N, C, H, W] -> [N, 64]
  int64_t feature_dim() const override { return 64; }
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Sequential> layer1, layer2, layer3;
};

}  // namespace eg::nn
