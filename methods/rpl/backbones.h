// backbones.h — the embedding networks of rpl.md: the official "classifier32" (§3) and the SmallCNN of
// the Fashion-MNIST reproduction (§6, nn::ConvNet with LeakyReLU(0.2) and bias-free convs), and the
// official weight initialisation (conv N(0, 0.05²), BN weight N(1, 0.02²), BN bias 0).
// Shapes: x [N, C, H, W] -> features [N, D].
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/models/backbone.h"

namespace eg::rpl {

// Dropout2d: zeroes whole channels with probability p (kept ones scaled by 1/(1−p)); identity when !training.
Tensor dropout2d(const Tensor& x, double p, bool training, Generator& g);

// classifier32: Dropout2d(0.2) on the input; 9 bias-free conv3×3 (64, 64, 128 | 128, 128, 128 |
// 128, 128, 128; stride 2 at convs 3, 6, 9), each conv → BN → LeakyReLU(0.2); Dropout2d(0.2) before
// convs 4 and 7; global average pool → f in R^128; fc Linear(128, K, no bias). Names: convN, bnN, fc.
class Classifier32 : public nn::Backbone {
 public:
  Classifier32(int64_t in_channels, int64_t num_classes, Generator& g, uint64_t dropout_seed);
  Tensor features(const Tensor& x) override;
  int64_t feature_dim() const override { return 128; }
  std::vector<std::shared_ptr<nn::Conv2d>> convs;
  std::vector<std::shared_ptr<nn::BatchNorm2d>> bns;
  Generator dropout_gen;  // saved in checkpoints (train_open_set passes it to the loop)

 private:
  int64_t in_channels_;
};

// "smallcnn" (widths, default 16 32 64) or "classifier32"; both with the official initialisation.
const std::vector<std::string>& backbone_names();
std::shared_ptr<nn::Backbone> make_backbone(const std::string& name, int64_t in_channels, int64_t num_classes,
                                            const std::vector<int64_t>& widths, Generator& g, uint64_t seed);

// conv weights N(0, 0.05²), BN weights N(1, 0.02²), BN biases 0 (the official weights_init); other
// layers keep PyTorch's defaults.
void official_init(nn::Module& m, Generator& g);

}  // namespace eg::rpl
