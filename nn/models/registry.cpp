// registry.cpp — make_model: backbones by name (see backbone.h).
#include "nn/models/convnet.h"
#include "nn/models/lenet.h"
#include "nn/models/resnet.h"
#include "nn/models/resnet_cifar.h"
#include "nn/models/small_cnn.h"

namespace eg::nn {

static std::shared_ptr<Backbone> make_backbone(const ModelSpec& s, Generator& g);

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
                                                 "resnet18", "resnet34", "resnet50", "convnet", "smallcnn", "lenet"};
  return names;
}

std::shared_ptr<Backbone> make_model(const ModelSpec& s, Generator& g) {
  ENGINE_CHECK(s.head == "linear" || s.head == "cosine", "make_model: head must be linear or cosine, got '", s.head, "'");
  auto m = make_backbone(s, g);
  if (s.head == "cosine") m->use_cosine_head(g);
  return m;
}

static std::shared_ptr<Backbone> make_backbone(const ModelSpec& s, Generator& g) {
  ENGINE_CHECK(s.in_channels > 0 && s.num_classes > 0, "make_model: in_channels and num_classes must be positive");
  for (int64_t d : {20, 32, 44, 56, 110})
    if (s.name == "resnet" + std::to_string(d)) return std::make_shared<CifarResNet>(d, s.in_channels, s.num_classes, g, s.fc_bias);
  for (int64_t d : {18, 34, 50})
    if (s.name == "resnet" + std::to_string(d)) return std::make_shared<ResNet>(d, s.in_channels, s.num_classes, s.stem, g, s.fc_bias);
  if (s.name == "convnet") {
    std::vector<int64_t> w = s.widths.empty() ? std::vector<int64_t>{16, 32, 64} : s.widths;
    return std::make_shared<ConvNet>(w, s.in_channels, s.num_classes, g, s.leaky_slope, s.fc_bias, s.conv_bias, s.pool);
  }
  if (s.name == "smallcnn") {  // m2m.md §6; widths {w1, w2, hidden}, 28x28 inputs
    std::vector<int64_t> w = s.widths.empty() ? std::vector<int64_t>{16, 32, 128} : s.widths;
    ENGINE_CHECK(w.size() == 3, "make_model: smallcnn takes three widths (conv1 conv2 hidden), got ", w.size());
    return std::make_shared<SmallCnn>(w[0], w[1], w[2], s.in_channels, s.num_classes, 28, g, s.fc_bias, s.conv_bias);
  }
  if (s.name == "lenet")
    return std::make_shared<LeNet>(s.widths.empty() ? std::vector<int64_t>{8, 16, 64} : s.widths, s.in_channels,
                                   s.num_classes, g, s.fc_bias);
  std::string known;
  for (auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  ENGINE_FAIL("make_model: unknown model '", s.name, "' (known: ", known, ")");
}

}  // namespace eg::nn
