// lenet.cpp — the small CNN of the robust-features spec (see lenet.h). PyTorch default init.
#include "nn/models/lenet.h"

namespace eg::nn {

static constexpr int64_t kPool = 7;  // 28 / 4: the spec's FC 784 → 64 has 16·7·7 inputs

LeNet::LeNet(std::vector<int64_t> widths, int64_t in_channels, int64_t num_classes, Generator& g, bool fc_bias)
    : widths_(std::move(widths)), in_channels_(in_channels) {
  ENGINE_CHECK(widths_.size() == 3, "LeNet: needs 3 widths (conv1, conv2, hidden), got ", widths_.size());
  conv1 = register_module("conv1", std::make_shared<Conv2d>(Conv2dSpec{in_channels, widths_[0], 5, 1, 2}, g));
  conv2 = register_module("conv2", std::make_shared<Conv2d>(Conv2dSpec{widths_[0], widths_[1], 5, 1, 2}, g));
  hidden = register_module("hidden", std::make_shared<Linear>(widths_[1] * kPool * kPool, widths_[2], true, g));
  fc = register_module("fc", std::make_shared<Linear>(widths_[2], num_classes, fc_bias, g));
}

Tensor LeNet::pre_features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == in_channels_, "LeNet: expected input [N, ", in_channels_, ", H, W], got ",
               shape_str(x.shape()));
  Tensor h = max_pool2d(relu(conv1->forward(x)), 2, 2);
  h = max_pool2d(relu(conv2->forward(h)), 2, 2);
  if (h.size(2) != kPool || h.size(3) != kPool) h = adaptive_avg_pool2d(h, kPool, kPool);
  return hidden->forward(flatten(h, 1));
}

}  // namespace eg::nn
