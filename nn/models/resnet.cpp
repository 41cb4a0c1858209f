// resnet.cpp — torchvision-style ResNets (see resnet.h). Init as torchvision: conv kaiming_normal
// (fan_out, relu), BN weight 1 bias 0, fc PyTorch's Linear default.
#include "nn/models/resnet.h"

#include "nn/init.h"

namespace eg::nn {

static std::shared_ptr<Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, Generator& g) {
  auto c = std::make_shared<Conv2d>(Conv2dSpec{in, out, k, stride, pad, 1, 1, false}, g);
  init::kaiming_normal_(c->weight, g, /*fan_out_mode=*/true);
  return c;
}

ResNetBlock::ResNetBlock(int64_t in, int64_t width, int64_t stride, bool bottleneck, Generator& g) {
  if (!bottleneck) {
    out_ = width;
    conv1 = register_module("conv1", conv(in, width, 3, stride, 1, g));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
    conv2 = register_module("conv2", conv(width, width, 3, 1, 1, g));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
  } else {
    out_ = width * 4;
    conv1 = register_module("conv1", conv(in, width, 1, 1, 0, g));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
    conv2 = register_module("conv2", conv(width, width, 3, stride, 1, g));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
    conv3 = register_module("conv3", conv(width, out_, 1, 1, 0, g));
    bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(out_));
  }
  if (stride != 1 || in != out_)
    downsample = register_module("downsample", std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
                                                   conv(in, out_, 1, stride, 0, g), std::make_shared<BatchNorm2d>(out_)}));
}

Tensor ResNetBlock::forward(const Tensor& x) {
  Tensor o = relu(bn1->forward(conv1->forward(x)));
  o = bn2->forward(conv2->forward(o));
  if (conv3) o = bn3->forward(conv3->forward(relu(o)));
  return relu(add(o, downsample ? downsample->forward(x) : x));
}

ResNet::ResNet(int64_t depth, int64_t in_channels, int64_t num_classes, const std::string& stem, Generator& g,
               bool fc_bias) {
  std::vector<int64_t> blocks;
  bool bottleneck = false;
  if (depth == 18) blocks = {2, 2, 2, 2};
  else if (depth == 34) blocks = {3, 4, 6, 3};
  else if (depth == 50) blocks = {3, 4, 6, 3}, bottleneck = true;
  else ENGINE_FAIL("ResNet: depth must be 18, 34 or 50, got ", depth);
  ENGINE_CHECK(stem == "cifar" || stem == "imagenet", "ResNet: stem must be 'cifar' or 'imagenet', got '", stem, "'");
  imagenet_stem = stem == "imagenet";
  conv1 = register_module("conv1", imagenet_stem ? conv(in_channels, 64, 7, 2, 3, g) : conv(in_channels, 64, 3, 1, 1, g));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(64));
  int64_t c = 64;
  std::shared_ptr<Sequential>* stages[4] = {&layer1, &layer2, &layer3, &layer4};
  const int64_t widths[4] = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i) {
    auto seq = std::make_shared<Sequential>();
    for (int64_t j = 0; j < blocks[(size_t)i]; ++j) {
      auto b = std::make_shared<ResNetBlock>(c, widths[i], (j == 0 && i > 0) ? 2 : 1, bottleneck, g);
      c = b->out_channels();
      seq->push_back(b);
    }
    *stages[i] = register_module("layer" + std::to_string(i + 1), seq);
  }
  feature_dim_ = c;
  fc = register_module("fc", std::make_shared<Linear>(c, num_classes, fc_bias, g));
}

Tensor ResNet::features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == conv1->spec.in, "ResNet: expected input [N, ", conv1->spec.in,
               ", H, W], got ", shape_str(x.shape()));
  Tensor h = relu(bn1->forward(conv1->forward(x)));
  if (imagenet_stem) h = max_pool2d(h, 3, 2, 1);
  h = layer4->forward(layer3->forward(layer2->forward(layer1->forward(h))));
  return flatten(adaptive_avg_pool2d(h, 1, 1), 1);
}

}  // namespace eg::nn
