// distillation.h — KL divergence (PyTorch's F.kl_div) and Hinton knowledge distillation.
// Shapes: input log-probabilities [B, K] (any shape for kl_div), target of the same shape;
// student / teacher logits z_s, z_t [B, K].
#pragma once
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// Pointwise KL(target || q) with input = log q:
//   log_target = false:  ℓ = t·(log t − input), and 0 where t = 0 (t·log t → 0)
//   log_target = true:   ℓ = e^t·(t − input)         (target given as log-probabilities)
// Reductions as PyTorch: Mean = over all elements (not the KL per sample!), BatchMean = Σ / B (the
// true KL averaged over the batch), Sum, None. Gradients flow to input and to target.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
              bool log_target = false);

// Hinton et al. 2015 KD term: KL(softmax(z_t/T) || softmax(z_s/T)), summed over classes and averaged
// over the batch (batchmean). The teacher side is detached (a constant target). NOT multiplied by T²:
// callers scale it — RKD (rkd.md §2.7) uses 16·KL with T = 4 (16 = T², no extra factor); SLA+SD
// (sla.md §2.3) uses T²·KL. Computed with log-softmax on both sides (log_target form), so teacher
// probabilities that underflow to 0 cannot give 0·(−∞).
Tensor hinton_kd_loss(const Tensor& student_logits, const Tensor& teacher_logits, double T);

}  // namespace eg::losses
