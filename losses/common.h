// common.h — what every loss shares: the reduction modes and the loud argument checks (shapes, dtypes,
// label ranges) that name the loss. Shape letters: B batch, K classes, D feature dims.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace eg::losses {

// How per-element losses become the returned value.
//   None:      the per-element tensor itself.
//   Mean:      PyTorch's "mean". For class-weighted cross-entropy / NLL it is the *weighted* mean
//              Σ w_y·ℓ / Σ w_y; everywhere else the plain mean over all elements.
//   Sum:       the sum of all elements.
//   BatchMean: the sum of all elements divided by B = size(0). For class-weighted losses this is
//              Σ w_y·ℓ / B, the convention of the CB code (TF's SUM_BY_NONZERO_WEIGHTS) and of M2m
//              (criterion(reduction='none').mean()); for KL it is PyTorch's "batchmean".
enum class Reduction { None, Mean, Sum, BatchMean };

const char* reduction_name(Reduction r);
Reduction parse_reduction(const std::string& name);  // "none" | "mean" | "sum" | "batchmean"

// Reduces `per` (any shape, first dim = B) by r, with Mean = the plain mean over all elements.
Tensor reduce(const Tensor& per, Reduction r);

// Throws naming `loss` unless logits is a floating [B, K] tensor with B >= 1 and K >= 1.
void check_logits(const char* loss, const Tensor& logits);
// Throws naming `loss` unless labels is an i64 [B] tensor with values in [0, K).
void check_labels(const char* loss, const Tensor& labels, int64_t B, int64_t K);
// Throws naming `loss` unless t is defined, floating, of logits' dtype and of exactly `shape`.
void check_float_shape(const char* loss, const Tensor& t, const char* arg, const Tensor& like, const Shape& shape);
// Class weights: defined => floating [K] of like's dtype, non-negative, not requiring grad (constants).
void check_class_weights(const char* loss, const Tensor& weight, const Tensor& like, int64_t K);

// A zero with like's dtype that is still attached to x's graph (gradient 0), for losses that have
// nothing to average (no triplets, no pairs): backward() then works and gives finite zeros.
Tensor zero_loss_like(const Tensor& x);

}  // namespace eg::losses
