// smooth_l1.h — smooth-L1 / Huber loss (PyTorch's F.smooth_l1_loss), used by RKD (β = 1).
// Shapes: input x and target y of one shape (any).
#pragma once
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// d = x − y;  ℓ = 0.5·d²/β  if |d| < β,  else |d| − 0.5·β   (β = 0: plain |d|).
// Reductions: Mean over all elements (PyTorch), Sum, BatchMean (sum / size(0)), None.
// Gradients flow to both x and y. Composed (abs, lt, where, mul).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta = 1.0,
                      Reduction reduction = Reduction::Mean);

// The elementwise Huber function with δ = 1 applied to d (= smooth_l1 of d against 0, unreduced).
Tensor huber(const Tensor& d);

}  // namespace eg::losses
