// focal.h — focal losses. Shapes: logits z [B, K]; targets t [B, K] in [0, 1] (sigmoid form);
// labels y i64 [B] (softmax form); class weights w [K].
//
// Sigmoid focal loss (Lin et al. 2017; in the form of the CB code, cb.md §2): per element
//   FL(z, t) = mod · bce(z, t),  bce = (1−t)·z + softplus(−z),
//   mod = exp(−γ·t·z − γ·softplus(−z))   (= (1−σ(z))^γ if t = 1, σ(z)^γ if t = 0)
// The log-space modulating factor never takes pow(1−p, γ) of 0, so γ < 1 stays finite where p → 1,
// and softplus(−z) replaces the official log1p(exp(−z)), which overflows for z < −88 in f32.
// γ = 0 gives mod = 1 exactly (special-cased like the official code). The gradient flows through mod.
#pragma once
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// The [B, K] (any shape) unreduced sigmoid focal terms above; targets of z's shape.
Tensor sigmoid_focal_terms(const Tensor& logits, const Tensor& targets, double gamma);

// sigmoid_focal_terms reduced. Default BatchMean: Σ over all elements / B (sum over classes, mean over
// the batch, as the CB code; Mean over all B·K elements would be K times smaller).
Tensor sigmoid_focal_loss(const Tensor& logits, const Tensor& targets, double gamma,
                          Reduction reduction = Reduction::BatchMean);

// Softmax focal loss as M2m (utils.FocalLoss, from the LDAM-DRW code) computes it with
// reduction='none' followed by .mean():
//   c_b = w_{y_b}·CE(z_b, y_b),  ℓ_b = (1 − e^{−c_b})^γ · c_b,  loss = mean_b ℓ_b (Mean = BatchMean here)
// Note the class weight sits *inside* the modulating factor, as in that code. (1 − e^{−c})^γ is
// evaluated with 1 − e^{−c} clamped to ≥ 1e-30, so γ < 1 has a finite gradient at c → 0.
Tensor softmax_focal_loss(const Tensor& logits, const Tensor& labels, double gamma, const Tensor& weight = {},
                          Reduction reduction = Reduction::BatchMean);

}  // namespace eg::losses
