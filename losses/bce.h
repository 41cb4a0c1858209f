// bce.h — binary cross-entropy on logits (PyTorch's F.binary_cross_entropy_with_logits).
// Shapes: logits z and targets t of one shape (typically [B, K]); weight broadcastable to it;
// pos_weight broadcastable to it (typically [K], one per class / last dim).
#pragma once
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

struct BceOptions {
  Tensor weight;      // per-element rescaling, broadcast to z's shape, or undefined
  Tensor pos_weight;  // weight of the positive term, broadcast to z's shape, or undefined
  Reduction reduction = Reduction::Mean;  // Mean over all elements (PyTorch); BatchMean = sum / B
};

// ℓ = w · [ (1−t)·z + (1 + (pw−1)·t) · softplus(−z) ]
// which is −w·[pw·t·log σ(z) + (1−t)·log(1−σ(z))] in the stable form (softplus(−z) = max(−z,0) +
// log1p(e^−|z|), never overflows). Gradients flow to z and to t. Composed from primitives.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets, const BceOptions& opt = {});

}  // namespace eg::losses
