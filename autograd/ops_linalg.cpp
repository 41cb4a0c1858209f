// ops_linalg.cpp — matrix product. A [..., M, K] @ B [..., K, N] with broadcast batch dims.
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;

// Row "matmul": dA = g·Bᵀ, dB = Aᵀ·g (each summed over broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined("matmul", a, "a");
  check_defined("matmul", b, "b");
  Tensor out = kernels::matmul(a, b, false, false);
  return autograd::record(OpKind::Matmul, out, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Need& need) -> Grads {
    Tensor ga, gb;
    if (need[0]) ga = kernels::sum_to(kernels::matmul(g, b, false, true), a.shape());
    if (need[1]) gb = kernels::sum_to(kernels::matmul(a, g, true, false), b.shape());
    return {ga, gb};
  });
}

}  // namespace eg
