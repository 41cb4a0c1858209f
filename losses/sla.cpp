// sla.cpp — SLA joint labels, loss, inference rules and SD loss, composed (see sla.h).
#include "losses/sla.h"

#include <vector>

#include "autograd/ops.h"
#include "losses/common.h"
#include "losses/cross_entropy.h"
#include "losses/distillation.h"

namespace eg::losses {

namespace {
// Checks joint logits [(B·M), N·M] against M (and labels [B] when given); returns {B, N}.
std::pair<int64_t, int64_t> joint_dims(const char* loss, const Tensor& joint_logits, int64_t M) {
  ENGINE_CHECK(M >= 1, loss, ": M (number of transformations) must be >= 1, got ", M);
  check_logits(loss, joint_logits);
  const int64_t rows = joint_logits.size(0), cols = joint_logits.size(1);
  ENGINE_CHECK(rows % M == 0 && cols % M == 0, loss, ": joint logits ", shape_str(joint_logits.shape()),
               " must be [(B·M), N·M] with M = ", M);
  return {rows / M, cols / M};
}
}  // namespace

Tensor sla_joint_labels(const Tensor& labels, int64_t M) {
  ENGINE_CHECK(M >= 1, "sla_joint_labels: M must be >= 1, got ", M);
  ENGINE_CHECK(labels.defined() && labels.dtype() == DType::I64 && labels.dim() == 1,
               "sla_joint_labels: labels must be i64 [B]");
  auto y = labels.to_vector<int64_t>();
  std::vector<int64_t> out;
  out.reserve(y.size() * (size_t)M);
  for (int64_t v : y) {
    ENGINE_CHECK(v >= 0, "sla_joint_labels: negative label ", v);
    for (int64_t j = 0; j < M; ++j) out.push_back(v * M + j);
  }
  return from_vector(out, {(int64_t)out.size()}).to(labels.device());
}

Tensor sla_loss(const Tensor& joint_logits, const Tensor& labels, int64_t M, bool large_loss) {
  auto [B, N] = joint_dims("sla_loss", joint_logits, M);
  check_labels("sla_loss", labels, B, N);
  Tensor ce = cross_entropy(joint_logits, sla_joint_labels(labels, M));
  return large_loss ? mul(ce, (double)M) : ce;
}

Tensor sla_single_logits(const Tensor& identity_joint_logits, int64_t M) {
  const char* name = "sla_single_logits";
  ENGINE_CHECK(M >= 1, name, ": M must be >= 1, got ", M);
  check_logits(name, identity_joint_logits);
  ENGINE_CHECK(identity_joint_logits.size(1) % M == 0, name, ": logits ", shape_str(identity_joint_logits.shape()),
               " must be [B, N·M] with M = ", M);
  return slice(identity_joint_logits, 1, 0, identity_joint_logits.size(1), M);  // columns k·M + 0
}

Tensor sla_aggregated_logits(const Tensor& joint_logits, int64_t M) {
  auto [B, N] = joint_dims("sla_aggregated_logits", joint_logits, M);
  Tensor l4 = reshape(joint_logits, {B, M, N, M});
  // index[b, j, k, 0] = j picks L[b, j, k, j]: the diagonal over (copy, transformation column).
  std::vector<int64_t> index((size_t)(B * M * N));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < M; ++j)
      for (int64_t k = 0; k < N; ++k) index[(size_t)((b * M + j) * N + k)] = j;
  Tensor diag = gather(l4, 3, from_vector(index, {B, M, N, 1}).to(joint_logits.device()));  // [B, M, N, 1]
  return mean(diag, {1, 3});
}

SlaSdLoss sla_sd_loss(const Tensor& joint_logits, const Tensor& head_logits, const Tensor& labels, int64_t M,
                      double T, double beta, bool large_loss) {
  const char* name = "sla_sd_loss";
  auto [B, N] = joint_dims(name, joint_logits, M);
  check_logits(name, head_logits);
  ENGINE_CHECK(head_logits.shape() == (Shape{B, N}), name, ": head logits must be [B, N] = [", B, ", ", N, "], got ",
               shape_str(head_logits.shape()));
  check_labels(name, labels, B, N);
  ENGINE_CHECK(T > 0, name, ": temperature must be > 0, got ", T);
  SlaSdLoss out;
  out.sla = sla_loss(joint_logits, labels, M, large_loss);
  out.ce = cross_entropy(head_logits, labels);
  Tensor log_p_agg;
  {
    NoGradGuard ng;  // the SD target is a constant
    log_p_agg = log_softmax(mul(sla_aggregated_logits(joint_logits.detach(), M), 1.0 / T), 1);
  }
  Tensor log_q = log_softmax(mul(head_logits, 1.0 / T), 1);
  out.kd = mul(kl_div(log_q, log_p_agg, Reduction::BatchMean, true), T * T);
  out.total = add(add(out.sla, mul(out.ce, beta)), out.kd);
  return out;
}

}  // namespace eg::losses
