// small_cnn.cpp — the Fashion-MNIST CNN of m2m.md §6 (see small_cnn.h). PyTorch default init.
#include "nn/models/small_cnn.h"

namespace eg::nn {

SmallCnn::SmallCnn(int64_t w1, int64_t w2, int64_t hidden, int64_t in_channels, int64_t num_classes,
                   int64_t image_size, Generator& g, bool fc_bias, bool conv_bias)
    : in_channels_(in_channels), hidden_(hidden), image_size_(image_size) {
  ENGINE_CHECK(w1 > 0 && w2 > 0 && hidden > 0, "SmallCnn: widths and hidden size must be positive, got ", w1, " ", w2,
               " ", hidden);
  ENGINE_CHECK(image_size % 4 == 0, "SmallCnn: image size must be divisible by 4 (two 2x2 pools), got ", image_size);
  body = register_module("features", std::make_shared<Sequential>());
  int64_t c = in_channels;
  for (int64_t w : {w1, w2}) {
    body->push_back(std::make_shared<Conv2d>(Conv2dSpec{c, w, 5, 1, 2, 1, 1, conv_bias}, g));
    body->push_back(std::make_shared<BatchNorm2d>(w));
    body->push_back(std::make_shared<ReLU>());
    body->push_back(std::make_shared<MaxPool2d>(2, 2));
    c = w;
  }
  int64_t side = image_size / 4;
  hidden_fc = register_module("hidden", std::make_shared<Linear>(w2 * side * side, hidden, true, g));
  fc = register_module("fc", std::make_shared<Linear>(hidden, num_classes, fc_bias, g));
}

Tensor SmallCnn::features(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == in_channels_ && x.size(2) == image_size_ && x.size(3) == image_size_,
               "SmallCnn: expected input [N, ", in_channels_, ", ", image_size_, ", ", image_size_, "], got ",
               shape_str(x.shape()));
  return relu(hidden_fc->forward(flatten(body->forward(x), 1)));
}

}  // namespace eg::nn
