// pixel_model.cpp — pixel-space view of a classifier (see pixel_model.h).
#include "methods/robust/pixel_model.h"

#include "nn/models/lenet.h"

namespace eg::robust {

PixelModel::PixelModel(std::shared_ptr<nn::Backbone> model, const std::vector<float>& mean, const std::vector<float>& std)
    : model_(std::move(model)) {
  ENGINE_CHECK(model_ != nullptr, "PixelModel: no model");
  ENGINE_CHECK(!mean.empty() && mean.size() == std.size(), "PixelModel: mean and std need one entry per channel, got ",
               mean.size(), " and ", std.size());
  std::vector<float> inv;
  for (float s : std) {
    ENGINE_CHECK(s > 0, "PixelModel: std must be positive, got ", s);
    inv.push_back(1.0f / s);
  }
  const int64_t c = (int64_t)mean.size();
  mean_ = from_vector(mean, {1, c, 1, 1});
  inv_std_ = from_vector(inv, {1, c, 1, 1});
}

Tensor PixelModel::normalize(const Tensor& x) const {
  ENGINE_CHECK(x.dim() == 4 && x.size(1) == mean_.size(1), "PixelModel: expected pixels [N, ", mean_.size(1),
               ", H, W], got ", shape_str(x.shape()));
  return (x - mean_) * inv_std_;
}

Tensor PixelModel::logits(const Tensor& x) const { return model_->forward(normalize(x)); }

Tensor PixelModel::representation(const Tensor& x, bool fake) const {
  if (!fake) return model_->features(normalize(x));
  auto* lenet = dynamic_cast<nn::LeNet*>(model_.get());
  ENGINE_CHECK(lenet != nullptr, "representation with a fake ReLU needs the lenet model (its last ReLU is exposed)");
  return fake_relu(lenet->pre_features(normalize(x)));
}

AttackMode::AttackMode(nn::Module& m) : m_(m), was_training_(m.is_training()) {
  m_.eval();
  for (Tensor& p : m_.parameters())
    if (p.requires_grad()) p.requires_grad_(false), frozen_.push_back(p);
}

AttackMode::~AttackMode() {
  for (Tensor& p : frozen_) p.requires_grad_(true);
  m_.train(was_training_);
}

Tensor fake_relu(const Tensor& x) { return x + (relu(x) - x).detach(); }

}  // namespace eg::robust
