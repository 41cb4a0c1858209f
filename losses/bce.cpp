// bce.cpp — binary cross-entropy on logits, composed (see bce.h).
#include "losses/bce.h"

#include "autograd/ops.h"

namespace eg::losses {

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets, const BceOptions& opt) {
  const char* name = "binary_cross_entropy_with_logits";
  ENGINE_CHECK(logits.defined() && is_floating(logits.dtype()), name, ": logits must be a defined f32/f64 tensor");
  ENGINE_CHECK(logits.numel() > 0, name, ": logits are empty, shape ", shape_str(logits.shape()));
  check_float_shape(name, targets, "targets", logits, logits.shape());
  auto check_bcast = [&](const Tensor& t, const char* arg) {
    if (!t.defined()) return;
    ENGINE_CHECK(t.dtype() == logits.dtype(), name, ": ", arg, " must be ", dtype_name(logits.dtype()), ", got ",
                 dtype_name(t.dtype()));
    ENGINE_CHECK(broadcast_shapes(name, t.shape(), logits.shape()) == logits.shape(), name, ": ", arg, " of shape ",
                 shape_str(t.shape()), " does not broadcast to the logits' ", shape_str(logits.shape()));
  };
  check_bcast(opt.weight, "weight");
  check_bcast(opt.pos_weight, "pos_weight");
  Tensor sp = softplus(neg(logits));  // −log σ(z)
  Tensor neg_part = mul(1.0 - targets, logits);
  Tensor pos_coef = opt.pos_weight.defined() ? add(mul(opt.pos_weight - 1.0, targets), 1.0) : Tensor();
  Tensor per = add(neg_part, pos_coef.defined() ? mul(pos_coef, sp) : sp);
  if (opt.weight.defined()) per = mul(per, opt.weight);
  return reduce(per, opt.reduction);
}

}  // namespace eg::losses
