// backbone.h — the interface every backbone exposes: features(x) is the pooled penultimate embedding
// [N, D], feature_dim() is D, forward(x) = fc(features(x)) are the logits [N, K]. Methods that need
// other heads (SLA, RPL, RKD) use features() and their own heads.
#pragma once
#include <memory>
#include <string>

#include "nn/layers.h"

namespace eg::nn {

class Backbone : public Module {
 public:
  virtual Tensor features(const Tensor& x) = 0;
  virtual int64_t feature_dim() const = 0;
  Tensor forward(const Tensor& x) override { return fc->forward(features(x)); }
  // Replaces fc by a CosineLinear of the same size (ModelSpec::head = "cosine"): LDAM's normed classifier.
  void use_cosine_head(Generator& g) {
    fc = replace_module("fc", std::make_shared<CosineLinear>(fc->weight.size(1), fc->weight.size(0), g));
  }
  std::shared_ptr<Linear> fc;
};

struct ModelSpec {
  std::string name;             // resnet20|32|44|56|110, resnet18|34|50, convnet, smallcnn, lenet
  int64_t in_channels = 3;
  int64_t num_classes = 10;
  std::string stem = "cifar";   // resnet18/34/50 only: "cifar" (3×3, no max-pool) or "imagenet" (7×7 + max-pool)
  std::vector<int64_t> widths;  // convnet (default 16,32,64); smallcnn: conv1, conv2, hidden (16,32,128); lenet (8,16,64)
  double leaky_slope = 0;       // convnet only: 0 = ReLU, else LeakyReLU(slope)
  bool fc_bias = true;
  bool conv_bias = true;         // convnet only
  int64_t pool = 1;              // convnet only: features = adaptive average pool to pool×pool, flattened
  std::string head = "linear";  // "linear" (fc = Linear) or "cosine" (fc = CosineLinear, no bias: LDAM's resnet32_norm)
};

// Builds a backbone by name; throws listing the known names for an unknown one.
std::shared_ptr<Backbone> make_model(const ModelSpec& spec, Generator& g);
const std::vector<std::string>& model_names();

}  // namespace eg::nn
