// inversion.h — representation inversion (robust-features.md §2, D_R / D_NR): from a start image z0,
// minimise ‖g(z) − g(x)‖₂ / ‖g(x)‖₂ by normalised gradient descent z ← clamp(z − η·∇/‖∇‖₂, 0, 1) per sample
// (no epsilon-ball), last iterate, with the representation's last ReLU a fake ReLU (identity gradient).
// Shapes: N images [N, C, H, W], D representation dims.
#pragma once
#include <vector>

#include "methods/robust/pixel_model.h"

namespace eg::robust {

struct InversionConfig {
  double step = 0.3;    // η
  int64_t steps = 100;
  bool fake_relu = true;
};

// Per-sample ‖g(z) − r‖₂ / ‖r‖₂ as a [N] tensor (with a graph when z requires grad); r [N, D] constant.
Tensor relative_representation_error(const PixelModel& m, const Tensor& z, const Tensor& r, bool fake_relu);

// z [N, C, H, W] whose representation matches x's, started at `start` (same shape). rel_error (optional)
// receives the final per-sample relative error. The model runs in eval mode.
Tensor invert_representation(const PixelModel& m, const Tensor& x, const Tensor& start, const InversionConfig& c,
                             std::vector<float>* rel_error = nullptr);

}  // namespace eg::robust
