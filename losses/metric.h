// metric.h — metric-learning losses and triplet mining (rkd.md §2.5): PyTorch's triplet margin loss,
// batch-hard mining and distance-weighted sampling (Wu et al. 2017, as the RKD teacher code does it).
// Shapes: embeddings x [N, D]; labels y i64 [N]; anchor / positive / negative rows [T, D].
#pragma once
#include <cstdint>

#include "core/generator.h"
#include "core/tensor.h"
#include "losses/common.h"

namespace eg::losses {

// PyTorch's F.pairwise_distance: ||a_i − b_i + eps||_p per row, [T, D] x [T, D] -> [T]. p >= 1.
Tensor pairwise_distance(const Tensor& a, const Tensor& b, double p = 2.0, double eps = 1e-6);

struct TripletOptions {
  double margin = 1.0;
  double p = 2.0;
  double eps = 1e-6;      // added to the difference before the norm, as PyTorch
  bool swap = false;      // use min(d(a,n), d(p,n)) as the negative distance (Balntas et al. 2016)
  Reduction reduction = Reduction::Mean;
};

// ℓ_i = max(0, d(a_i, p_i) − d(a_i, n_i) + margin), d = pairwise_distance (PyTorch's
// F.triplet_margin_loss, Schroff et al. 2015 eq. 1 with non-squared distances). Composed.
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletOptions& opt = {});

// Index triplets into one embedding batch: three i64 [T] tensors.
struct Triplets {
  Tensor anchor, positive, negative;
  int64_t size() const { return anchor.defined() ? anchor.numel() : 0; }
};

// Batch-hard mining (Hermans et al. 2017): for every anchor i that has a positive (j ≠ i, y_j = y_i)
// and a negative, the farthest positive and the nearest negative under the Euclidean distance of x.
// Ties go to the lower index. No gradient (indices only).
Triplets batch_hard_triplets(const Tensor& embeddings, const Tensor& labels);

struct DwsOptions {
  double cutoff = 0.5;               // distances are clamped below at this value
  double nonzero_loss_cutoff = 1.4;  // negatives at least this far get weight 0
};

// Distance-weighted sampling weights (rkd.md §2.5), [N, N] f64, row a = the distribution of the
// negative for anchor a. On xh = x/||x|| (always re-normalised), with d = D the embedding dim:
//   dist = ||xh_i − xh_j|| (diagonal 1), clamped to [cutoff, 2 − 1e-6]
//   log w_ij = (2 − d)·log dist − ((d − 3)/2)·log(1 − dist²/4), minus the row max
//   w_ij = exp(log w_ij)·[y_i ≠ y_j]·[dist < nonzero_loss_cutoff]; all-zero rows fall back to [y_i ≠ y_j];
//   rows normalised to sum 1 (rows without any negative stay all 0).
// The upper clamp keeps log(1 − dist²/4) finite (the official code gets −inf/NaN at dist = 2).
Tensor distance_weighted_probs(const Tensor& embeddings, const Tensor& labels, const DwsOptions& opt = {});

// For every ordered positive pair (a, p), a ≠ p, y_a = y_p, one negative n ~ Categorical(w_a·)
// drawn from gen (anchors without negatives are skipped). Order: a ascending, then p ascending.
Triplets distance_weighted_triplets(const Tensor& embeddings, const Tensor& labels, Generator& gen,
                                    const DwsOptions& opt = {});

// triplet_margin_loss on the rows of x picked by t (gradients flow into x). No triplets: a zero still
// attached to x's graph (zero_loss_like), so a batch without pairs is a finite no-op step.
Tensor triplet_loss(const Tensor& embeddings, const Triplets& t, const TripletOptions& opt = {});

}  // namespace eg::losses
