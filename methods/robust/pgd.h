// pgd.h — projected gradient descent attacks in L2 and L∞ (Madry et al.; the robustness library's
// attacker, robust-features.md §2), untargeted (ascend CE(y)) or targeted (descend CE(t)), on a model
// that takes pixels in [0, 1]. All geometry is per sample over all of its pixels:
//   L2 step    x ← x ± α·g/(‖g‖₂ + 1e-10)      projection δ = x − x0, δ ← δ·ε/‖δ‖₂ if ‖δ‖₂ > ε
//   L∞ step    x ← x ± α·sign(g)               projection δ ← clamp(δ, −ε, ε)
//   then x = clamp(x0 + δ, 0, 1) after every projection.
// Random start (off by default): L2 x0 + ε·n/‖n‖₂, n ~ N(0, I) (exactly on the sphere, per sample); L∞
// x0 + U(−ε, ε); then clamped. use_best keeps, per sample, the iterate with the highest loss
// (untargeted) or the lowest (targeted), the final iterate included; otherwise the last iterate.
// Restarts (evaluation): per sample, the latest restart that fooled the model, else the first restart.
// Shapes: N images, D = C·H·W values per image, K classes. Host-side formulas work on N rows of D floats.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "eigengrad.h"

namespace eg::robust {

enum class Norm { L2, Linf };
Norm parse_norm(const std::string& name);  // "l2" | "linf"
const char* norm_name(Norm n);

struct PgdConfig {
  Norm norm = Norm::L2;
  double eps = 0.5;        // radius of the ball, pixel units
  double step = 0.1;       // α
  int64_t steps = 7;       // K iterations
  bool targeted = false;   // labels are targets t: descend CE(t)
  bool random_start = false;
  bool use_best = true;
  int64_t restarts = 1;
};
// Throws naming the field unless eps >= 0, step > 0, steps >= 0, restarts >= 1.
void check_config(const PgdConfig& c);

// The model seen by the attack: pixels [N, C, H, W] in [0, 1] -> logits [N, K].
using LogitsFn = std::function<Tensor(const Tensor&)>;

// x += direction·α·g/(‖g‖₂ + 1e-10) per row of d values (direction +1 ascends, −1 descends).
void l2_step(std::vector<float>& x, const std::vector<float>& g, int64_t d, double alpha, double direction);
// x += direction·α·sign(g) (sign(0) = 0).
void linf_step(std::vector<float>& x, const std::vector<float>& g, int64_t d, double alpha, double direction);
// Projects every row of x onto the ε-ball around the same row of x0, then clamps to [0, 1].
void project(std::vector<float>& x, const std::vector<float>& x0, int64_t d, Norm norm, double eps);
// x = clamp(x0 + random start, 0, 1) (see the header comment).
void random_start(std::vector<float>& x, const std::vector<float>& x0, int64_t d, Norm norm, double eps, Generator& g);

// Per-sample cross-entropy of f(x) against labels [N] i64 and its gradient with respect to x (of the sum,
// the same direction per sample as the batch mean's). x [N, C, H, W] f32.
struct LossAndGrad {
  std::vector<float> loss;  // N
  std::vector<float> grad;  // N·D
};
LossAndGrad loss_and_input_grad(const LogitsFn& f, const Tensor& x, const Tensor& labels);

// The adversarial examples [N, C, H, W] (no graph) for clean images x in [0, 1] and labels (true labels,
// or targets when c.targeted). The caller puts the model in eval mode (robust::AttackMode).
Tensor pgd_attack(const LogitsFn& f, const Tensor& x, const Tensor& labels, const PgdConfig& c, Generator& g);

}  // namespace eg::robust
