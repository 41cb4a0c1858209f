// class_balanced.cpp — effective-number class weights and the three CB losses (see class_balanced.h).
#include "losses/class_balanced.h"

#include <cmath>

#include "autograd/ops.h"
#include "core/kernels.h"
#include "losses/bce.h"
#include "losses/common.h"
#include "losses/cross_entropy.h"
#include "losses/focal.h"

namespace eg::losses {

double effective_number(int64_t n, double beta) {
  ENGINE_CHECK(beta >= 0 && beta <= 1, "effective_number: beta must be in [0, 1], got ", beta);
  ENGINE_CHECK(n >= 0, "effective_number: count must be >= 0, got ", n);
  if (n == 0) return 0;
  if (beta == 0) return 1;
  if (beta == 1) return (double)n;
  // 1 − β^n = −expm1(n·log β), with log β = log1p(β − 1) exact for β near 1 (β − 1 is exact there).
  return -std::expm1((double)n * std::log1p(beta - 1.0)) / (1.0 - beta);
}

std::vector<double> class_balanced_weights(const std::vector<int64_t>& counts, double beta) {
  const char* name = "class_balanced_weights";
  ENGINE_CHECK(!counts.empty(), name, ": no class counts");
  ENGINE_CHECK(beta >= 0 && beta <= 1, name, ": beta must be in [0, 1], got ", beta);
  std::vector<double> a(counts.size(), 0.0);
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    ENGINE_CHECK(counts[i] >= 0, name, ": count of class ", i, " is negative (", counts[i], ")");
    if (counts[i] == 0) continue;  // an empty class: weight 0 (1/E_0 would divide by zero)
    a[i] = 1.0 / effective_number(counts[i], beta);
    total += a[i];
  }
  ENGINE_CHECK(total > 0, name, ": every class count is 0");
  for (double& v : a) v *= (double)counts.size() / total;
  return a;
}

Tensor class_balanced_weights_tensor(const std::vector<int64_t>& counts, double beta, DType dtype) {
  auto a = class_balanced_weights(counts, beta);
  return from_vector(a, {(int64_t)a.size()}).to(dtype);
}

namespace {
// a_{y_b} as a [B, 1] constant column (checks the weights and labels, naming `loss`).
Tensor per_sample_weight(const char* loss, const Tensor& logits, const Tensor& labels, const Tensor& class_weights) {
  check_logits(loss, logits);
  const int64_t B = logits.size(0), K = logits.size(1);
  check_labels(loss, labels, B, K);
  ENGINE_CHECK(class_weights.defined(), loss, ": class weights are undefined");
  check_class_weights(loss, class_weights, logits, K);
  return kernels::index_select(class_weights.to(logits.device()), 0, labels).view_as_shape({B, 1});
}
}  // namespace

Tensor cb_softmax_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights) {
  ENGINE_CHECK(class_weights.defined(), "cb_softmax_loss: class weights are undefined");
  return cross_entropy(logits, labels, {.weight = class_weights, .reduction = Reduction::BatchMean});
}

Tensor cb_sigmoid_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights) {
  Tensor w = per_sample_weight("cb_sigmoid_loss", logits, labels, class_weights);
  Tensor t = kernels::one_hot(labels, logits.size(1), logits.dtype());
  Tensor bce = binary_cross_entropy_with_logits(logits, t, {Tensor(), Tensor(), Reduction::None});
  return reduce(mul(bce, w), Reduction::BatchMean);
}

Tensor cb_focal_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights, double gamma) {
  Tensor w = per_sample_weight("cb_focal_loss", logits, labels, class_weights);
  Tensor t = kernels::one_hot(labels, logits.size(1), logits.dtype());
  return reduce(mul(sigmoid_focal_terms(logits, t, gamma), w), Reduction::BatchMean);
}

Tensor class_balanced_loss(CbLoss kind, const Tensor& logits, const Tensor& labels, const Tensor& class_weights,
                           double gamma) {
  switch (kind) {
    case CbLoss::Softmax: return cb_softmax_loss(logits, labels, class_weights);
    case CbLoss::Sigmoid: return cb_sigmoid_loss(logits, labels, class_weights);
    case CbLoss::Focal: return cb_focal_loss(logits, labels, class_weights, gamma);
  }
  ENGINE_FAIL("class_balanced_loss: bad kind");
}

}  // namespace eg::losses
