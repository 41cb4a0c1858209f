// ldam.h — LDAM loss and deferred re-weighting (Cao et al., NeurIPS 2019), the LDAM-DRW long-tail
// baseline of M2m (spec m2m.md §2 "Deferred options": `--loss_type LDAM -c --eff_beta 0.999 --warm 160`).
// Shapes: logits z [B, K] (from a cosine classifier in M2m's resnet32_norm); labels y i64 [B];
// training-set class counts n [K]; margins m [K]; class weights w [K].
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// LDAM margins m_j = C / n_j^{1/4} (the paper's Δ_j, §3), with C chosen so that max_j m_j = max_m
// (the code's m_list·(max_m / max(m_list))). Every count must be >= 1.
Tensor ldam_margins(const std::vector<int64_t>& counts, double max_m = 0.5, DType dtype = DType::F32);

// LDAM loss (the paper's L_LDAM, §3, as the code computes it):
//   ℓ_b = w_{y_b}·CE(s·(z_b − m_{y_b}·onehot(y_b)), y_b)
// i.e. the label's logit is lowered by its class margin before scaling by s. Default reduction
// BatchMean = (1/B) Σ_b ℓ_b, as M2m uses it (criterion(reduction='none').mean()); Mean gives the
// weighted mean Σ ℓ_b / Σ w_{y_b} of the original LDAM-DRW code (F.cross_entropy(weight=...)).
// Without weights the two agree.
Tensor ldam_loss(const Tensor& logits, const Tensor& labels, const Tensor& margins, double s = 30.0,
                 const Tensor& weight = {}, Reduction reduction = Reduction::BatchMean);

// Deferred re-weighting (DRW; the paper's Algorithm 1): all-ones class weights before start_epoch,
// then the class-balanced weights (1−β)/(1−β^{n_j}) normalised to sum to K (β = 1: ∝ 1/n_j), as
// M2m's `-c --eff_beta β --warm start_epoch`.
Tensor drw_weights(const std::vector<int64_t>& counts, double beta, int64_t epoch, int64_t start_epoch,
                   DType dtype = DType::F32);

}  // namespace eg::losses
