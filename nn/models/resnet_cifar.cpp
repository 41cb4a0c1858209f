// resnet_cifar.cpp — CIFAR ResNets (see resnet_cifar.h). Weights: kaiming_normal (fan_in) for conv and
// fc weights as the LDAM/M2m reference code (_weights_init) does; BN weight 1, bias 0.
#include "nn/models/resnet_cifar.h"

#include "nn/init.h"

namespace eg::nn {

static std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, Generator& g) {
  auto c = std::make_shared<Conv2d>(Conv2dSpec{in, out, 3, stride, 1, 1, 1, false}, g);
  init::kaiming_normal_(c->weight, g, /*fan_out_mode=*/false);
  return c;
}

CifarBasicBlock::CifarBasicBlock(int64_t in, int64_t out, int64_t s, Generator& g) : stride(s) {
  conv1 = register_module("conv1", conv3x3(in, out, s, g));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(out));
  conv2 = register_module("conv2", conv3x3(out, out, 1, g));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(out));
  if (s != 1 || in != out) {
    ENGINE_CHECK((out - in) % 2 == 0 && out >= in, "CifarBasicBlock: option-A shortcut needs out - in even, got ", in,
                 " -> ", out);
    pad_channels = (out - in) / 2;
  }
}

Tensor CifarBasicBlock::forward(const Tensor& x) {
  Tensor o = relu(bn1->forward(conv1->forward(x)));
  o = bn2->forward(conv2->forward(o));
  Tensor sc = x;
  if (stride != 1 || pad_channels) {
    if (stride != 1) sc = slice(slice(sc, 2, 0, sc.size(2), stride), 3, 0, sc.size(3), stride);
    if (pad_channels) sc = pad(sc, {0, 0, 0, 0, pad_channels, pad_channels});
  }
  return relu(add(o, sc));
}

CifarResNet::CifarResNet(int64_t depth, int64_t in_channels, int64_t num_classes, Generator& g, bool fc_bias) {
  ENGINE_CHECK(depth >= 8 && (depth - 2) % 6 == 0, "CifarResNet: depth must be 6n+2 (20, 32, 44, 56, 110), got ", depth);
  int64_t n = (depth - 2) / 6;
  conv1 = register_module("conv1", conv3x3(in_channels, 16, 1, g));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(16));
  int64_t c = 16;
  std::shared_ptr<Sequential>* stages[3] = {&layer1, &layer2, &layer3};
  const int64_t widths[3] = {16, 32, 64};
  for (int i = 0; i < 3; ++i) {
    auto seq = std::make_shared<Sequential>();
    for (int64_t j = 0; j < n; ++j) {
      seq->push_back(std::make_shared<CifarBasicBlock>(c, widths[i], (j == 0 && i > 0) ? 2 : 1, g));
      c = widths[i];
    }
    *stages[i] = register_module("layer" + std::to_string(i + 1), seq);
  }
  fc = register_module("fc", std::make_shared<Linear>(64, num_classes, fc_bias, g));
  init::kaiming_normal_(fc->weight, g, /*fan_out_mode=*/false);
}

Tensor CifarResNet::features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == conv1->spec.in, "CifarResNet: expected input [N, ", conv1->spec.in,
               ", H, W], got ", shape_str(x.shape()));
  Tensor h = relu(bn1->forward(conv1->forward(x)));
  h = layer3->forward(layer2->forward(layer1->forward(h)));
  return flatten(adaptive_avg_pool2d(h, 1, 1), 1);
}

}  // namespace eg::nn
