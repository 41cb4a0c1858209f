// backbones.cpp — classifier32, SmallCNN and the official initialisation (see backbones.h).
#include "methods/rpl/backbones.h"

#include "nn/init.h"
#include "nn/models/convnet.h"

namespace eg::rpl {

Tensor dropout2d(const Tensor& x, double p, bool training, Generator& g) {
  ENGINE_CHECK(x.dim() == 4, "dropout2d: expected [N, C, H, W], got ", shape_str(x.shape()));
  if (!training || p == 0) return x;
  // One inverted-dropout draw per (image, channel), broadcast over H and W.
  Tensor mask = dropout(ones({x.size(0), x.size(1), 1, 1}, {x.dtype(), x.device()}), p, true, g);
  return mul(x, mask);
}

Classifier32::Classifier32(int64_t in_channels, int64_t num_classes, Generator& g, uint64_t dropout_seed)
    : dropout_gen(dropout_seed), in_channels_(in_channels) {
  const std::vector<int64_t> widths = {64, 64, 128, 128, 128, 128, 128, 128, 128};
  int64_t c = in_channels;
  for (size_t i = 0; i < widths.size(); ++i) {
    const int64_t stride = (i % 3 == 2) ? 2 : 1;  // convs 3, 6, 9
    const std::string n = std::to_string(i + 1);
    convs.push_back(register_module("conv" + n, std::make_shared<nn::Conv2d>(
                                                    nn::Conv2dSpec{c, widths[i], 3, stride, 1, 1, 1, false}, g)));
    bns.push_back(register_module("bn" + n, std::make_shared<nn::BatchNorm2d>(widths[i])));
    c = widths[i];
  }
  fc = register_module("fc", std::make_shared<nn::Linear>(128, num_classes, false, g));
}

Tensor Classifier32::features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == in_channels_, "Classifier32: expected input [N, ", in_channels_,
               ", H, W], got ", shape_str(x.shape()));
  Tensor h = dropout2d(x, 0.2, is_training(), dropout_gen);
  for (size_t i = 0; i < convs.size(); ++i) {
    if (i == 3 || i == 6) h = dropout2d(h, 0.2, is_training(), dropout_gen);
    h = leaky_relu(bns[i]->forward(convs[i]->forward(h)), 0.2);
  }
  return flatten(adaptive_avg_pool2d(h, 1, 1), 1);
}

const std::vector<std::string>& backbone_names() {
  static const std::vector<std::string> n = {"smallcnn", "classifier32"};
  return n;
}

std::shared_ptr<nn::Backbone> make_backbone(const std::string& name, int64_t in_channels, int64_t num_classes,
                                            const std::vector<int64_t>& widths, Generator& g, uint64_t seed) {
  std::shared_ptr<nn::Backbone> b;
  if (name == "smallcnn")
    b = std::make_shared<nn::ConvNet>(widths.empty() ? std::vector<int64_t>{16, 32, 64} : widths, in_channels,
                                      num_classes, g, 0.2, /*fc_bias=*/false, /*conv_bias=*/false);
  else if (name == "classifier32")
    b = std::make_shared<Classifier32>(in_channels, num_classes, g, seed ^ 0xd1b54a32d192ed03ULL);
  else
    ENGINE_FAIL("unknown open-set backbone '", name, "' (known: smallcnn, classifier32)");
  official_init(*b, g);
  return b;
}

void official_init(nn::Module& m, Generator& g) {
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) nn::init::normal_(c->weight, 0.0, 0.05, g);
  if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m)) {
    nn::init::normal_(bn->weight, 1.0, 0.02, g);
    nn::init::constant_(bn->bias, 0.0);
  }
  for (auto& [_, child] : m.children()) official_init(*child, g);
}

}  // namespace eg::rpl
