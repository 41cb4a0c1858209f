// cross_entropy.h — softmax cross-entropy (class weights, label smoothing, soft targets) and NLL.
// Shapes: logits z [B, K], labels y i64 [B] in [0, K), class weights w [K], soft targets q [B, K].
//
// The one fused op of the loss family lives here: cross_entropy_rows, log_softmax + weighted NLL in a
// single graph node whose backward is p·Σc − c (OpKind::CrossEntropy). It is on every training step,
// and the fused form saves the [B, K] intermediate graph of the composed version
// (-(c ⊙ log_softmax(z)).sum(1)), against which it is tested.
#pragma once
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// ℓ_b = −Σ_k c_bk · log softmax(z_b)_k, the row-wise cross-entropy against any non-negative
// coefficient matrix c [B, K] (one-hot, smoothed, class-weighted or soft targets), returned as [B].
// VJP: dz_bk = g_b·(p_bk·Σ_j c_bj − c_bk), dc_bk = −g_b·log p_bk. z must be finite (a −inf logit
// with c = 0 would give 0·∞).
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& coeff);

struct CrossEntropyOptions {
  Tensor weight;                         // [K] class weights (constants) or undefined
  double label_smoothing = 0.0;          // ε in [0, 1]
  Reduction reduction = Reduction::Mean;
};

// PyTorch's F.cross_entropy with class-index targets:
//   ℓ_b = (1−ε)·w_{y_b}·(−log p_{b,y_b}) + (ε/K)·Σ_k w_k·(−log p_bk),  p = softmax(z_b)  (w = 1 if none)
// Mean divides by Σ_b w_{y_b} (PyTorch's weighted mean; = B without weights); BatchMean divides by B
// (the CB and M2m convention: the plain batch mean of w_y-weighted losses); Sum; None gives [B].
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const CrossEntropyOptions& opt = {});

// Cross-entropy against soft targets q [B, K] (rows need not sum to 1): ℓ_b = −Σ_k q_bk log p_bk.
// Gradients flow to q too. Mean = BatchMean = divide by B (PyTorch's probability-target mean).
Tensor soft_cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction = Reduction::Mean);

// PyTorch's F.nll_loss on log-probabilities x [B, K]: ℓ_b = −w_{y_b}·x_{b,y_b}; Mean = weighted mean
// Σ ℓ_b / Σ w_{y_b}; BatchMean = Σ ℓ_b / B. Composed (gather, mul, sum).
Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, const Tensor& weight = {},
                Reduction reduction = Reduction::Mean);

}  // namespace eg::losses
