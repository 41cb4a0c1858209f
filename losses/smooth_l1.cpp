// smooth_l1.cpp — smooth-L1 / Huber, composed (see smooth_l1.h).
#include "losses/smooth_l1.h"

#include "autograd/ops.h"

namespace eg::losses {

namespace {
Tensor smooth_l1_elementwise(const Tensor& d, double beta) {
  Tensor ad = abs(d);
  if (beta == 0) return ad;
  Tensor quad = mul(square(d), 0.5 / beta);
  Tensor lin = add(ad, -0.5 * beta);
  return where(lt(ad, full({}, beta, ad.options())), quad, lin);
}
}  // namespace

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta, Reduction reduction) {
  const char* name = "smooth_l1_loss";
  ENGINE_CHECK(input.defined() && is_floating(input.dtype()), name, ": input must be a defined f32/f64 tensor");
  check_float_shape(name, target, "target", input, input.shape());
  ENGINE_CHECK(beta >= 0, name, ": beta must be >= 0, got ", beta);
  ENGINE_CHECK(input.numel() > 0 || reduction == Reduction::None || reduction == Reduction::Sum, name,
               ": mean of an empty input");
  return reduce(smooth_l1_elementwise(sub(input, target), beta), reduction);
}

Tensor huber(const Tensor& d) { return smooth_l1_elementwise(d, 1.0); }

}  // namespace eg::losses
