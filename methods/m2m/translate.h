// translate.h — M2m's translation of seeds x0 (class k0) into the target classes k (m2m.md §2 "Objective"
// and "Generation"): a random start x0 + n clamped to [0, 1], then T steps
//   x ← clamp(x − η·∇/(‖∇‖₂ + 1e-10), 0, 1),  ∇ = ∂/∂x [ mean_i CE(g(x_i), k_i) + λ·mean_i f(x_i)[k0_i] ]
// with the gradient with respect to the input only (through both networks), and g's final confidence
// softmax(g(x*))[k] for the γ test. The networks are given as functions of pixels in [0, 1] (the
// normalisation is inside them); the caller puts them in eval mode and freezes their parameters.
// Shapes: x0, x* [B, C, H, W] f32 pixels; k, k0 [B] i64; logits [B, K].
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

namespace eg::m2m {

enum class NoiseMode {
  Official,   // U(−½, ½) then renorm(p=2, dim=1, maxnorm): caps each channel slice across the whole batch
  PerSample,  // U(−½, ½) with each sample's L2 norm capped (the evident intent; m2m.md §2 step 1)
  None,
};
NoiseMode noise_mode_from_name(const std::string& name);  // "official" | "per-sample" | "none"

struct TranslateConfig {
  double lambda = 0.5;   // weight of f's seed-class logit
  double eta = 0.1;      // L2 step size
  int64_t steps = 10;    // T
  double noise_norm = 0.5;
  NoiseMode noise = NoiseMode::Official;
};

// The random start n for inputs of `shape` [B, C, ...] (f32, CPU).
Tensor random_start_noise(const Shape& shape, double max_norm, NoiseMode mode, Generator& gen);

// η·∇/(‖∇_i‖₂ + 1e-10), the norm per sample over all its pixels. grad [B, ...].
Tensor l2_step(const Tensor& grad, double eta);

// CE(logits_g, k) (mean) + λ·mean_i logits_f[i, k0_i]: the scalar whose input gradient drives the translation.
Tensor translation_objective(const Tensor& logits_g, const Tensor& logits_f, const Tensor& k, const Tensor& k0,
                             double lambda);

// ‖a_i − b_i‖₂ per sample [B].
std::vector<double> per_sample_l2(const Tensor& a, const Tensor& b);

using PixelNet = std::function<Tensor(const Tensor& pixels)>;  // [B, C, H, W] in [0, 1] → logits [B, K]

struct Translation {
  Tensor x;                         // x* [B, C, H, W], detached, in [0, 1]
  std::vector<double> confidence;   // softmax(g(x*))[i, k_i]
};

Translation translate(const PixelNet& g, const PixelNet& f, const Tensor& x0, const Tensor& k, const Tensor& k0,
                      const TranslateConfig& cfg, Generator& gen);

}  // namespace eg::m2m
