// convnet.cpp — the small ConvNet (see convnet.h). PyTorch default init.
#include "nn/models/convnet.h"

namespace eg::nn {

ConvNet::ConvNet(std::vector<int64_t> widths, int64_t in_channels, int64_t num_classes, Generator& g, double slope,
                 bool fc_bias, bool conv_bias, int64_t pool)
    : widths_(std::move(widths)), in_channels_(in_channels), pool_(pool) {
  ENGINE_CHECK(!widths_.empty(), "ConvNet: needs at least one width");
  ENGINE_CHECK(pool >= 1, "ConvNet: pool size must be >= 1, got ", pool);
  body = register_module("features", std::make_shared<Sequential>());
  int64_t c = in_channels;
  for (size_t i = 0; i < widths_.size(); ++i) {
    body->push_back(std::make_shared<Conv2d>(Conv2dSpec{c, widths_[i], 3, 1, 1, 1, 1, conv_bias}, g));
    body->push_back(std::make_shared<BatchNorm2d>(widths_[i]));
    if (slope > 0) body->push_back(std::make_shared<LeakyReLU>(slope));
    else body->push_back(std::make_shared<ReLU>());
    if (i + 1 < widths_.size()) body->push_back(std::make_shared<MaxPool2d>(2, 2));
    c = widths_[i];
  }
  fc = register_module("fc", std::make_shared<Linear>(c * pool * pool, num_classes, fc_bias, g));
}

Tensor ConvNet::features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == in_channels_, "ConvNet: expected input [N, ", in_channels_,
               ", H, W], got ", shape_str(x.shape()));
  return flatten(adaptive_avg_pool2d(body->forward(x), pool_, pool_), 1);
}

}  // namespace eg::nn
