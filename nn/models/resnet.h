// resnet.h — ResNet-18/34/50 with torchvision's layout and names: conv1, bn1, layer1..4 of BasicBlock
// (18/34) or Bottleneck (50; stride on the 3×3 conv, "v1.5") with downsample.0 (1×1 conv) / downsample.1
// (BN), fc. Stem "imagenet": 7×7 stride 2 + 3×3 max-pool stride 2; "cifar": 3×3 stride 1, no max-pool.
#pragma once
#include "nn/models/backbone.h"

namespace eg::nn {

class ResNetBlock : public Module {
 public:
  // bottleneck=false: BasicBlock(in -> width); true: Bottleneck(in -> width -> 4·width).
  ResNetBlock(int64_t in, int64_t width, int64_t stride, bool bottleneck, Generator& g);
  Tensor forward(const Tensor& x) override;
  int64_t out_channels() const { return out_; }
  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<Sequential> downsample;

 private:
  int64_t out_;
};

class ResNet : public Backbone {
 public:
  ResNet(int64_t depth, int64_t in_channels, int64_t num_classes, const std::string& stem, Generator& g,
         bool fc_bias = true);
  Tensor features(const Tensor& x) override;  // -> [N, 512] (18/34) or [N, 2048] (50)
  int64_t feature_dim() const override { return feature_dim_; }
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Sequential> layer1, layer2, layer3, layer4;
  bool imagenet_stem;

 private:
  int64_t feature_dim_;
};

}  // namespace eg::nn
