// pixel_model.h — a classifier as attacks and inversions see it: inputs are pixels in [0, 1] and the
// per-channel normalization (x − mean) / std happens inside, so an epsilon-ball, a step size and the
// [0, 1] clamp are all in pixel units whatever the dataset's statistics. AttackMode switches a model to
// eval mode (attacks run in eval mode, robust-features.md §2) and stops its parameters requiring grad (an
// attack needs the input gradient only: the weight gradients would double the backward's cost) for the
// guard's lifetime, then restores both.
// Shapes: N images, C channels, H, W, K classes, D representation dims.
#pragma once
#include <memory>
#include <vector>

#include "nn/nn.h"

namespace eg::robust {

class PixelModel {
 public:
  PixelModel(std::shared_ptr<nn::Backbone> model, const std::vector<float>& mean, const std::vector<float>& std);
  Tensor normalize(const Tensor& x) const;        // [N, C, H, W] pixels -> the model's input
  Tensor logits(const Tensor& x) const;           // [N, K]
  // The penultimate representation g(x) [N, D]. fake_relu: its last ReLU passes gradient as the identity
  // (forward unchanged), so units that are off still steer an inversion. Needs a LeNet for fake_relu.
  Tensor representation(const Tensor& x, bool fake_relu) const;
  nn::Backbone& module() const { return *model_; }

 private:
  std::shared_ptr<nn::Backbone> model_;
  Tensor mean_, inv_std_;  // [1, C, 1, 1]
};

// relu(x) forward, identity backward: x + (relu(x) − x) with the bracket detached (exact in floats:
// x + (0 − x) = 0 and x + 0 = x).
Tensor fake_relu(const Tensor& x);

class AttackMode {
 public:
  explicit AttackMode(nn::Module& m);
  ~AttackMode();
  AttackMode(const AttackMode&) = delete;
  AttackMode& operator=(const AttackMode&) = delete;

 private:
  nn::Module& m_;
  bool was_training_;
  std::vector<Tensor> frozen_;  // the parameters that required grad
};

}  // namespace eg::robust
