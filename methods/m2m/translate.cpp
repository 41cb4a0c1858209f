// translate.cpp — the M2m translation loop (see translate.h).
#include "methods/m2m/translate.h"

#include <cmath>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "losses/cross_entropy.h"

namespace eg::m2m {

NoiseMode noise_mode_from_name(const std::string& name) {
  if (name == "official") return NoiseMode::Official;
  if (name == "per-sample") return NoiseMode::PerSample;
  if (name == "none") return NoiseMode::None;
  ENGINE_FAIL("unknown noise mode '", name, "' (known: official, per-sample, none)");
}

Tensor random_start_noise(const Shape& shape, double max_norm, NoiseMode mode, Generator& gen) {
  ENGINE_CHECK(shape.size() >= 2, "random_start_noise: need a [B, C, ...] shape, got ", shape_str(shape));
  Tensor n = Tensor::empty(shape);
  float* p = n.data<float>();
  const int64_t B = shape[0], C = shape[1], total = n.numel(), inner = total / (B * C);
  for (int64_t i = 0; i < total; ++i) p[i] = mode == NoiseMode::None ? 0.0f : (float)(gen.uniform() - 0.5);
  if (mode == NoiseMode::None) return n;
  // torch.renorm scales a slice by maxnorm / (norm + 1e-7) when its norm exceeds maxnorm.
  auto cap = [&](const std::vector<int64_t>& offsets, int64_t len) {
    double s = 0;
    for (int64_t o : offsets)
      for (int64_t t = 0; t < len; ++t) s += (double)p[o + t] * p[o + t];
    double norm = std::sqrt(s);
    if (norm <= max_norm) return;
    float f = (float)(max_norm / (norm + 1e-7));
    for (int64_t o : offsets)
      for (int64_t t = 0; t < len; ++t) p[o + t] *= f;
  };
  if (mode == NoiseMode::Official) {
    for (int64_t c = 0; c < C; ++c) {  // slice x[:, c]: every sample's channel c together
      std::vector<int64_t> offs;
      for (int64_t b = 0; b < B; ++b) offs.push_back((b * C + c) * inner);
      cap(offs, inner);
    }
  } else {
    for (int64_t b = 0; b < B; ++b) cap({b * C * inner}, C * inner);
  }
  return n;
}

Tensor l2_step(const Tensor& grad, double eta) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < grad.dim(); ++d) dims.push_back(d);
  Tensor norm = sqrt(sum(square(grad), dims, /*keepdim=*/true));
  return grad / (norm + 1e-10) * eta;
}

Tensor translation_objective(const Tensor& logits_g, const Tensor& logits_f, const Tensor& k, const Tensor& k0,
                             double lambda) {
  ENGINE_CHECK(logits_g.dim() == 2 && logits_f.shape() == logits_g.shape() && k.numel() == logits_g.size(0) &&
                   k0.numel() == logits_g.size(0),
               "translation_objective: need logits_g, logits_f [B, K] and k, k0 [B]; got ", shape_str(logits_g.shape()),
               ", ", shape_str(logits_f.shape()), ", ", shape_str(k.shape()), ", ", shape_str(k0.shape()));
  Tensor seed_logit = gather(logits_f, 1, unsqueeze(k0, 1));  // f's raw logit of the seed class (train.py)
  return losses::cross_entropy(logits_g, k) + mean(seed_logit) * lambda;
}

std::vector<double> per_sample_l2(const Tensor& a, const Tensor& b) {
  NoGradGuard ng;
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < a.dim(); ++d) dims.push_back(d);
  return sqrt(sum(square(a - b), dims)).to_vector<double>();
}

Translation translate(const PixelNet& g, const PixelNet& f, const Tensor& x0, const Tensor& k, const Tensor& k0,
                      const TranslateConfig& cfg, Generator& gen) {
  ENGINE_CHECK(x0.dim() == 4, "translate: x0 must be [B, C, H, W], got ", shape_str(x0.shape()));
  ENGINE_CHECK(cfg.steps >= 0 && cfg.eta >= 0, "translate: need steps >= 0 and eta >= 0");
  Tensor x;
  {
    NoGradGuard ng;
    Tensor n = random_start_noise(x0.shape(), cfg.noise_norm, cfg.noise, gen).to(x0.device());
    x = clamp(x0.detach() + n, 0.0, 1.0);
  }
  for (int64_t t = 0; t < cfg.steps; ++t) {
    Tensor xv = x.detach();
    xv.requires_grad_(true);
    Tensor obj = translation_objective(g(xv), f(xv), k, k0, cfg.lambda);
    Tensor grad = autograd::grad(obj, {xv})[0];
    NoGradGuard ng;
    x = clamp(xv.detach() - l2_step(grad, cfg.eta), 0.0, 1.0);
  }
  NoGradGuard ng;
  Translation out;
  out.x = x.detach();
  out.confidence = gather(softmax(g(out.x), 1), 1, unsqueeze(k, 1)).to_vector<double>();
  return out;
}

}  // namespace eg::m2m
