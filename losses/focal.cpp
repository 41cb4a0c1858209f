// focal.cpp — sigmoid (CB form) and softmax (M2m form) focal losses, composed (see focal.h).
#include "losses/focal.h"

#include "autograd/ops.h"
#include "losses/bce.h"
#include "losses/cross_entropy.h"

namespace eg::losses {

Tensor sigmoid_focal_terms(const Tensor& logits, const Tensor& targets, double gamma) {
  const char* name = "sigmoid_focal_loss";
  ENGINE_CHECK(logits.defined() && is_floating(logits.dtype()), name, ": logits must be a defined f32/f64 tensor");
  check_float_shape(name, targets, "targets", logits, logits.shape());
  ENGINE_CHECK(gamma >= 0, name, ": gamma must be >= 0, got ", gamma);
  Tensor bce = binary_cross_entropy_with_logits(logits, targets, {Tensor(), Tensor(), Reduction::None});
  if (gamma == 0) return bce;
  // log mod = −γ·(t·z + softplus(−z)): the CB code's stable form, with softplus for log(1 + e^−z).
  Tensor log_mod = mul(add(mul(targets, logits), softplus(neg(logits))), -gamma);
  return mul(exp(log_mod), bce);
}

Tensor sigmoid_focal_loss(const Tensor& logits, const Tensor& targets, double gamma, Reduction reduction) {
  return reduce(sigmoid_focal_terms(logits, targets, gamma), reduction);
}

Tensor softmax_focal_loss(const Tensor& logits, const Tensor& labels, double gamma, const Tensor& weight,
                          Reduction reduction) {
  const char* name = "softmax_focal_loss";
  ENGINE_CHECK(gamma >= 0, name, ": gamma must be >= 0, got ", gamma);
  Tensor ce = cross_entropy(logits, labels, {.weight = weight, .reduction = Reduction::None});  // w_y·CE, [B]
  if (gamma == 0) return reduce(ce, reduction == Reduction::Mean ? Reduction::BatchMean : reduction);
  Tensor one_minus_p = clamp(1.0 - exp(neg(ce)), 1e-30, 1.0);
  Tensor per = mul(pow(one_minus_p, gamma), ce);
  return reduce(per, reduction == Reduction::Mean ? Reduction::BatchMean : reduction);
}

}  // namespace eg::losses
