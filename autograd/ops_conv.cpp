// ops_conv.cpp — differentiable linear and conv2d layers' ops; each forward is followed by its backward
// (VJP rows in DERIVATIVES.md). Shape letters: N batch, I/O in/out features or channels, H/W height/width,
// KH/KW kernel size, M the rows of x flattened to [M, I].
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "core/kernels_nn.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;

// Row "linear": dx = g·W, dW = gᵀ·x, db = Σ_rows g (x and g flattened to [M, I] and [M, O]).
// x [..., I], w [O, I], b [O] or undefined -> [..., O].
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_defined("linear", x, "input");
  check_defined("linear", w, "weight");
  check_same_dtype("linear", x, w);
  check_same_device("linear", x, w);
  ENGINE_CHECK(x.dim() >= 1 && w.dim() == 2 && x.size(-1) == w.size(1), "linear: input ", shape_str(x.shape()),
               " and weight ", shape_str(w.shape()), " do not match (expected input [..., I] and weight [O, I])");
  const int64_t I = w.size(1), O = w.size(0), M = x.numel() / std::max<int64_t>(I, 1);
  if (b.defined()) {
    check_same_dtype("linear", x, b);
    ENGINE_CHECK(b.shape() == Shape{O}, "linear: bias ", shape_str(b.shape()), " must be [", O, "] for weight ",
                 shape_str(w.shape()));
  }
  Shape out_shape = x.shape();
  out_shape.back() = O;
  Tensor y = kernels::matmul(x.view_as_shape({M, I}), w, false, true);
  if (b.defined()) y = kernels::binary(kernels::BinaryOp::Add, y, b);
  y = y.view_as_shape(out_shape);
  return record(OpKind::Linear, y, {x, w, b},
                [x = x.detach(), w = w.detach(), M, I, O](const Tensor& g, const Need& need) -> Grads {
                  Tensor g2 = g.view_as_shape({M, O}), dx, dw, db;
                  if (need[0]) dx = kernels::matmul(g2, w).view_as_shape(x.shape());
                  if (need[1]) dw = kernels::matmul(g2, x.view_as_shape({M, I}), true, false);
                  if (need[2]) db = kernels::reduce_dim(kernels::ReduceOp::Sum, g2, 0, false);
                  return {dx, dw, db};
                });
}

// Row "conv2d": dx = col2im(Wᵀ·g), dW = Σ_n g_n·col(x_n)ᵀ, db = Σ_{n,h,w} g (per group).
// x [N, C, H, W], w [O, C/groups, KH, KW], b [O] or undefined -> [N, O, OH, OW].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& opt) {
  const kernels::Conv2dParams p{opt.stride_h, opt.stride_w,     opt.pad_h, opt.pad_w,
                                opt.dilation_h, opt.dilation_w, opt.groups};
  check_defined("conv2d", x, "input");
  check_defined("conv2d", w, "weight");
  check_same_device("conv2d", x, w);
  Tensor y = kernels::conv2d_forward(x, w, b, p);
  return record(OpKind::Conv2d, y, {x, w, b},
                [x = x.detach(), w = w.detach(), p](const Tensor& g, const Need& need) -> Grads {
                  kernels::Conv2dGrads r = kernels::conv2d_backward(g, x, w, p, need[0], need[1], need[2]);
                  return {r.dx, r.dw, r.db};
                });
}

}  // namespace eg
