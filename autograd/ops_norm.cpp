// ops_norm.cpp — differentiable batch norm and dropout; each forward is followed by its backward (VJP
// rows in DERIVATIVES.md). Shape letters: N batch, C channels, M = values per channel (N·H·W).
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "core/kernels_nn.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;

// Row "batch_norm": with batch stats dx = (w·invstd/M)·(M·g − Σg − x̂·Σ(g·x̂)), else dx = g·w·invstd;
// dw = Σ g·x̂, db = Σ g (sums over all but the channel dim).
// x [N, C, ...]; weight, bias, running_mean, running_var [C] or undefined. Batch statistics are used in
// training, and in eval when no running statistics are kept (as PyTorch's track_running_stats=False).
// The running statistics are buffers: updated in place by the kernel, outside the graph.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean, Tensor running_var,
                  bool training, double momentum, double eps) {
  check_defined("batch_norm", x, "input");
  const bool use_batch_stats = training || !running_mean.defined();
  kernels::BatchNormResult r =
      kernels::batch_norm_forward(x, weight, bias, running_mean, running_var, use_batch_stats, momentum, eps);
  return record(OpKind::BatchNorm, r.y, {x, weight, bias},
                [x = x.detach(), w = weight.defined() ? weight.detach() : Tensor(), mean = r.mean, invstd = r.invstd,
                 use_batch_stats](const Tensor& g, const Need& need) -> Grads {
                  kernels::BatchNormGrads d =
                      kernels::batch_norm_backward(g, x, w, mean, invstd, use_batch_stats, need[0], need[1], need[2]);
                  return {d.dx, d.dweight, d.dbias};
                });
}

// Row "dropout": dx = g·mask, mask ∈ {0, 1/(1−p)} drawn from gen (the same mask for a seed, whatever the
// thread count). Identity (the input itself) when !training or p = 0.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check_defined("dropout", x, "input");
  ENGINE_CHECK(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  Tensor mask = kernels::dropout_mask(x.shape(), p, gen, x.options());
  Tensor y = kernels::binary(kernels::BinaryOp::Mul, x, mask);
  return record(OpKind::Dropout, y, {x}, [mask](const Tensor& g, const Need&) -> Grads {
    return {kernels::binary(kernels::BinaryOp::Mul, g, mask)};
  });
}

}  // namespace eg
