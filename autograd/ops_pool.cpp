// ops_pool.cpp — differentiable 2-D pooling over x [N, C, H, W] (square kernels, as the models use):
// max (the forward's argmax indices route the gradient), average (count_include_pad) and adaptive
// average. Each forward is followed by its backward (VJP rows in DERIVATIVES.md).
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels_nn.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;

static kernels::Pool2dParams square_pool(int64_t kernel, int64_t stride, int64_t padding) {
  return {kernel, kernel, stride, stride, padding, padding};
}

// Row "max_pool2d": dx[argmax of window] += g (ties: the first maximum in row-major order, as PyTorch).
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  check_defined("max_pool2d", x, "input");
  kernels::MaxPool2dResult r = kernels::max_pool2d_forward(x, square_pool(kernel, stride, padding));
  return record(OpKind::MaxPool2d, r.y, {x}, [idx = r.indices, xs = x.shape()](const Tensor& g, const Need&) -> Grads {
    return {kernels::max_pool2d_backward(g, idx, xs)};
  });
}

// Row "avg_pool2d": dx[window] += g / (kernel·kernel).
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  check_defined("avg_pool2d", x, "input");
  const kernels::Pool2dParams p = square_pool(kernel, stride, padding);
  Tensor y = kernels::avg_pool2d_forward(x, p);
  return record(OpKind::AvgPool2d, y, {x}, [p, xs = x.shape()](const Tensor& g, const Need&) -> Grads {
    return {kernels::avg_pool2d_backward(g, xs, p)};
  });
}

// Row "adaptive_avg_pool2d": dx[bin] += g / |bin|.
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_defined("adaptive_avg_pool2d", x, "input");
  Tensor y = kernels::adaptive_avg_pool2d_forward(x, out_h, out_w);
  return record(OpKind::AdaptiveAvgPool2d, y, {x}, [xs = x.shape()](const Tensor& g, const Need&) -> Grads {
    return {kernels::adaptive_avg_pool2d_backward(g, xs)};
  });
}

}  // namespace eg
