// ldam.cpp — LDAM margins, the LDAM loss (composed on the fused cross-entropy) and DRW weights.
#include "losses/ldam.h"

#include <algorithm>
#include <cmath>

#include "autograd/ops.h"
#include "core/kernels.h"
#include "losses/class_balanced.h"
#include "losses/cross_entropy.h"

namespace eg::losses {

Tensor ldam_margins(const std::vector<int64_t>& counts, double max_m, DType dtype) {
  ENGINE_CHECK(!counts.empty(), "ldam_margins: no class counts");
  ENGINE_CHECK(max_m > 0, "ldam_margins: max_m must be > 0, got ", max_m);
  std::vector<double> m(counts.size());
  for (size_t j = 0; j < counts.size(); ++j) {
    ENGINE_CHECK(counts[j] >= 1, "ldam_margins: class ", j, " has count ", counts[j],
                 "; LDAM needs every class seen at least once (its margin 1/n^(1/4) would be infinite)");
    m[j] = 1.0 / std::sqrt(std::sqrt((double)counts[j]));
  }
  double mx = *std::max_element(m.begin(), m.end());
  for (double& v : m) v *= max_m / mx;
  return from_vector(m, {(int64_t)m.size()}).to(dtype);
}

Tensor ldam_loss(const Tensor& logits, const Tensor& labels, const Tensor& margins, double s, const Tensor& weight,
                 Reduction reduction) {
  const char* name = "ldam_loss";
  check_logits(name, logits);
  const int64_t B = logits.size(0), K = logits.size(1);
  check_labels(name, labels, B, K);
  check_float_shape(name, margins, "margins", logits, {K});
  ENGINE_CHECK(!margins.requires_grad(), name, ": margins are constants and must not require grad");
  ENGINE_CHECK(s > 0, name, ": scale s must be > 0, got ", s);
  // m_{y_b} at the label's column, 0 elsewhere: a constant [B, K] offset.
  Tensor offset = kernels::binary(kernels::BinaryOp::Mul, kernels::one_hot(labels, K, logits.dtype()),
                                  margins.to(logits.device()));
  return cross_entropy(mul(sub(logits, offset), s), labels, {.weight = weight, .reduction = reduction});
}

Tensor drw_weights(const std::vector<int64_t>& counts, double beta, int64_t epoch, int64_t start_epoch,
                   DType dtype) {
  if (epoch < start_epoch) return ones({(int64_t)counts.size()}, {dtype});
  return class_balanced_weights_tensor(counts, beta, dtype);
}

}  // namespace eg::losses
