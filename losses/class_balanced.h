// class_balanced.h — Class-Balanced loss (Cui et al., CVPR 2019; spec: shared/methods/cb.md §2):
// class weights from the effective number of samples, and CB-softmax / CB-sigmoid / CB-focal.
// Shapes: logits z [B, K]; labels y i64 [B]; training-set class counts n [K]; class weights a [K].
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace eg::losses {

// Effective number E_n = (1 − β^n)/(1 − β) (paper §3, Proposition 1), computed as
// −expm1(n·log β)/(1 − β) in double so β → 1 keeps its precision; β = 0 gives 1 and β = 1 gives n
// (the limit); n = 0 gives 0.
double effective_number(int64_t n, double beta);

// Class weights a_i = 1/E_{n_i}, normalised so that Σ_i a_i = K (paper §4; cb.md §2).
// β = 0: all ones (no re-weighting). β = 1: a_i ∝ 1/n_i (inverse frequency, the 0/0 limit).
// A class with n_i = 0 (empty) gets weight 0; the others are still normalised to sum to K.
// Counts are the full training-set counts, fixed for the run (not per batch). Throws on β ∉ [0, 1],
// negative counts, or no non-empty class.
std::vector<double> class_balanced_weights(const std::vector<int64_t>& counts, double beta);
Tensor class_balanced_weights_tensor(const std::vector<int64_t>& counts, double beta, DType dtype = DType::F32);

enum class CbLoss { Softmax, Sigmoid, Focal };

// CB softmax (paper §4.1, TF's SUM_BY_NONZERO_WEIGHTS reduction):
//   L = (1/B) Σ_b a_{y_b} · (−log softmax(z_b)_{y_b})      — not a weighted mean (no / Σ a_y).
Tensor cb_softmax_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights);

// CB sigmoid (paper §4.2): t = onehot(y), L = (1/B) Σ_b a_{y_b} Σ_k bce(z_bk, t_bk)
// (the per-sample weight a_y multiplies all K binary terms; a sum over classes, a mean over B).
Tensor cb_sigmoid_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights);

// CB focal (paper §4.3): L = (1/B) Σ_b a_{y_b} Σ_k FL_γ(z_bk, t_bk) with the stable log-space
// modulating factor of focal.h; γ = 0 reduces to CB sigmoid.
Tensor cb_focal_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights, double gamma);

// One entry point for trainers: dispatches on `kind` (gamma is used by Focal only).
Tensor class_balanced_loss(CbLoss kind, const Tensor& logits, const Tensor& labels, const Tensor& class_weights,
                           double gamma = 0.0);

}  // namespace eg::losses
