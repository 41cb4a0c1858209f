// rpl.h — distance-based open-set heads (spec rpl.md §2): GCPL (Yang et al. 2018), RPL (Chen et al.,
// ECCV 2020) and ARPL (Chen et al., TPAMI 2021), as the official iCGY96/ARPL code computes them.
// These are functions over tensors: the learnable points and radius are passed in (modules own them).
// Shapes: features f [B, D]; points P [K·M, D], class-major (row r belongs to class r / M);
// radius R: [] or [1] (one shared scalar, official) or [K] (per class); labels y i64 [B]; logits [B, K].
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace eg::losses {

// d_k(f) = (1/M) Σ_m ||f − P[k·M + m]||² / D: squared Euclidean over the dimension, no square root,
// computed from the differences directly (never negative). [B, D] x [K·M, D] -> [B, K].
Tensor class_distances(const Tensor& features, const Tensor& points, int64_t M = 1);

Tensor gcpl_logits(const Tensor& features, const Tensor& points);            // −d   (predict argmin d)
Tensor rpl_logits(const Tensor& features, const Tensor& points, int64_t M = 1);  // +d   (predict argmax d)
// ARPL: d_e(f, P_k) − <f, P_k> (Euclidean term / D, dot product not divided), M = 1.
Tensor arpl_logits(const Tensor& features, const Tensor& points);

struct PointLoss {
  Tensor loss;            // classification + lambda·regularizer
  Tensor classification;  // CE(logits/T, y), batch mean
  Tensor regularizer;     // before multiplying by lambda
  Tensor logits;          // [B, K], before the temperature
};

// GCPL: L = CE(−d/T, y) + λ·L_pl,  L_pl = (1/(2·B·D)) Σ_i ||f_i − P[y_i]||²  (M = 1).
PointLoss gcpl_loss(const Tensor& features, const Tensor& points, const Tensor& labels, double T = 1.0,
                    double lambda = 0.1);

// RPL (paper's L_c + λ·L_o): L = CE(d/T, y) + λ·L_o with the open-space term
//   L_o = (1/B) Σ_b (1/M) Σ_m ( ||f_b − P[y_b·M + m]||²/D − R_{y_b} )²
// R shared ([] / [1], official, init 0) or per class ([K]). With M = 1 and a shared R this is the
// official (1/B) Σ (d_e(f_i, P[y_i]) − R)²; M > 1 uses the class's own M rows (the official code
// indexes row y, a bug for M > 1).
PointLoss rpl_loss(const Tensor& features, const Tensor& points, const Tensor& radius, const Tensor& labels,
                   int64_t M = 1, double T = 1.0, double lambda = 0.1);

// ARPL: L = CE(logits/T, y) + λ·(1/B) Σ_i max(0, d_e(f_i, P[y_i]) − R + 1)  (margin ranking, margin
// 1, shared scalar R), logits as arpl_logits.
PointLoss arpl_loss(const Tensor& features, const Tensor& points, const Tensor& radius, const Tensor& labels,
                    double T = 1.0, double lambda = 0.1);

}  // namespace eg::losses
