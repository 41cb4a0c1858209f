// distillation.cpp — kl_div and the Hinton KD term, composed (see distillation.h).
#include "losses/distillation.h"

#include "autograd/ops.h"

namespace eg::losses {

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  const char* name = "kl_div";
  ENGINE_CHECK(input.defined() && is_floating(input.dtype()), name, ": input must be a defined f32/f64 tensor");
  ENGINE_CHECK(input.numel() > 0, name, ": input is empty, shape ", shape_str(input.shape()));
  check_float_shape(name, target, "target", input, input.shape());
  Tensor per;
  if (log_target) {
    per = mul(exp(target), sub(target, input));
  } else {
    // xlogy(t, t) = t·log t with 0 at t = 0: log is taken of 1 there, so neither value nor gradient is NaN.
    Tensor pos = gt(target, zeros({}, target.options()));
    Tensor safe = where(pos, target, ones({}, target.options()));
    per = sub(mul(target, log(safe)), mul(target, input));
  }
  return reduce(per, reduction);
}

Tensor hinton_kd_loss(const Tensor& student_logits, const Tensor& teacher_logits, double T) {
  const char* name = "hinton_kd_loss";
  check_logits(name, student_logits);
  check_float_shape(name, teacher_logits, "teacher logits", student_logits, student_logits.shape());
  ENGINE_CHECK(T > 0, name, ": temperature must be > 0, got ", T);
  Tensor log_p_teacher;
  {
    NoGradGuard ng;
    log_p_teacher = log_softmax(mul(teacher_logits.detach(), 1.0 / T), 1);
  }
  return kl_div(log_softmax(mul(student_logits, 1.0 / T), 1), log_p_teacher, Reduction::BatchMean, true);
}

}  // namespace eg::losses
