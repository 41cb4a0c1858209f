// sla.h — Self-supervised Label Augmentation (Lee et al., ICML 2020; spec sla.md §2.2–2.4): joint
// (class, transformation) labels, the SLA loss, single / aggregated inference and the SLA+SD loss.
// Shapes: B originals, M transformations, N classes. Expanded batch row b·M + j = t_j(x_b)
// (sample-major); joint label y·M + j (class-major); joint logits L [(B·M), N·M], viewed as
// [B, M, N, M] with L[b, j, k, j'] the logit of (class k, transformation j') on copy t_j(x_b).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace eg::losses {

// Joint labels of the expanded batch: out[b·M + j] = y_b·M + j, [B] -> [B·M] i64.
Tensor sla_joint_labels(const Tensor& labels, int64_t M);

// L_SLA = (1/(B·M)) Σ_{b,j} −log softmax(L[b·M + j])[y_b·M + j] (the paper's joint-label objective;
// sla.md §2.3): plain CE over the B·M rows with joint targets. large_loss (the official
// --with-large-loss) multiplies it by M.
Tensor sla_loss(const Tensor& joint_logits, const Tensor& labels, int64_t M, bool large_loss = false);

// SLA+SI: from the joint logits of untransformed inputs [B, N·M], the N columns k·M + 0 (the class
// logits conditioned on t_0), [B, N]. Softmax over them gives P(class | x, t_0) (not a marginal).
Tensor sla_single_logits(const Tensor& identity_joint_logits, int64_t M);

// SLA+AG: s[b, k] = (1/M) Σ_j L[b, j, k, j] — each copy contributes only its own transformation's
// column; the mean (not the sum), as paper and code. [(B·M), N·M] -> [B, N]. Differentiable.
Tensor sla_aggregated_logits(const Tensor& joint_logits, int64_t M);

struct SlaSdLoss {
  Tensor total;  // sla + beta·ce + kd
  Tensor sla;    // L_SLA
  Tensor ce;     // CE(u·z(x), y) of the N-way head
  Tensor kd;     // T²·KL(P_agg || softmax(head/T)), batchmean
};

// L_SLA+SD = L_SLA + β·CE(head, y) + T²·KL(P_agg || σ(head/T)) (sla.md §2.3), with
// P_agg = softmax(s/T) of the aggregated logits, DETACHED (a constant target), KL summed over
// classes and averaged over the B originals. head_logits = u·z(x) on the identity copies, [B, N].
// Official values: T = 1, β = 1.
SlaSdLoss sla_sd_loss(const Tensor& joint_logits, const Tensor& head_logits, const Tensor& labels, int64_t M,
                      double T = 1.0, double beta = 1.0, bool large_loss = false);

}  // namespace eg::losses
