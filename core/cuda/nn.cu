// nn.cu — CUDA conv2d (im2col into the hand-written GEMM of core/cuda/gemm.cu, per group, over chunks
// of images so the column buffer stays under kColBudget; a 1×1 stride-1 unpadded conv skips im2col) and
// its two backwards (dx: Wᵀ·dy then col2im, gathering; dw: GEMMs whose K runs over (image, pixel)
// pairs, split over the images, then a sum of the splits; db: a per-channel sum), and 2-D pooling around core/cuda/bodies_nn.h.
#include "core/cuda/cuda_kernels.h"
#include "core/cuda/gemm.cuh"
#include "core/cuda/launch.cuh"

namespace eg::cuda {

namespace detail {
using namespace body;
using kernels::Conv2dParams;
using kernels::Pool2dParams;

// The column matrix of images [n0, n0 + nc): col itself, or x when the conv is direct.
template <class T> const T* columns(const ConvPlan& c, const T* x, T* col, int64_t n0, int64_t nc) {
  const T* xn = x + n0 * c.g.C * c.HW;
  if (c.direct) return xn;
  const ConvGeom g = c.g;
  launch_each("conv2d im2col", nc * c.CKK * c.OHW, [=] __device__(int64_t i) { col[i] = im2col_value(xn, g, i); });
  return col;
}

template <class T> void conv_forward_impl(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p,
                                          Tensor& y) {
  const ConvPlan c = plan_conv(x.shape(), w.shape(), p, y.shape(), sizeof(T));
  Tensor col = c.direct ? Tensor() : Tensor::empty({c.chunk * c.CKK * c.OHW}, x.options());
  T* pcol = c.direct ? nullptr : col.data<T>();
  for (int64_t n0 = 0; n0 < c.N; n0 += c.chunk) {
    const int64_t nc = std::min(c.chunk, c.N - n0);
    const T* cols = columns(c, x.data<T>(), pcol, n0, nc);
    for (int64_t gi = 0; gi < c.G; ++gi) gemm(conv_forward_gemm<T>(c, w.data<T>(), cols, y.data<T>(), n0, gi), nc);
  }
  if (!b.defined()) return;
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  const int64_t OHW = c.OHW, O = c.O;
  launch_each("conv2d bias", y.numel(), [=] __device__(int64_t i) { py[i] += pb[i / OHW % O]; });
}

template <class T> void conv_backward_impl(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dParams& p,
                                           kernels::Conv2dGrads& r) {
  const ConvPlan c = plan_conv(x.shape(), w.shape(), p, dy.shape(), sizeof(T));
  Tensor col = c.direct ? Tensor() : Tensor::empty({c.chunk * c.CKK * c.OHW}, x.options());
  T* pcol = c.direct ? nullptr : col.data<T>();
  const T *pdy = dy.data<T>(), *pw = w.data<T>();
  for (int64_t n0 = 0; n0 < c.N; n0 += c.chunk) {
    const int64_t nc = std::min(c.chunk, c.N - n0);
    if (r.dw.defined()) {
      const T* cols = columns(c, x.data<T>(), pcol, n0, nc);
      const DwSplit split = dw_split(c, nc);
      const int64_t size = r.dw.numel(), splits = split.splits;
      Tensor partial = Tensor::empty({split.splits * size}, x.options());
      conv_dw_gemms<T>(c, split, pdy, cols, partial.data<T>(), n0, nc, [](const GemmArgs<T>& g, int64_t b) { gemm(g, b); });
      const T* pp = partial.data<T>();
      T* pdw = r.dw.data<T>();
      const bool first = n0 == 0;
      launch_each("conv2d weight-gradient splits", size,
                  [=] __device__(int64_t i) { pdw[i] = dw_split_sum(pp, splits, size, i, pdw, first); });
    }
    if (r.dx.defined()) {
      T* dxn = r.dx.data<T>() + n0 * c.g.C * c.HW;
      T* dcol = c.direct ? dxn : pcol;  // the column buffer is free again: dW of this chunk is done
      for (int64_t gi = 0; gi < c.G; ++gi) gemm(conv_dcol_gemm<T>(c, pw, pdy, dcol, n0, gi), nc);
      if (!c.direct) {
        const ConvGeom geo = c.g;
        launch_each("conv2d col2im", nc * c.g.C * c.HW,
                    [=] __device__(int64_t i) { dxn[i] = col2im_value(dcol, geo, i); });
      }
    }
  }
}

PoolGeom pool_geom(const Shape& xs, const Shape& ys, const Pool2dParams& p) {
  return {xs[2], xs[3], ys[2], ys[3], p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w};
}

template <class T> void max_pool_impl(const Tensor& x, const PoolGeom g, kernels::MaxPool2dResult& r) {
  const T* px = x.data<T>();
  T* py = r.y.data<T>();
  int64_t* pi = r.indices.data<int64_t>();
  launch_each("max_pool2d", r.y.numel(), [=] __device__(int64_t o) { max_pool_output(px, py, pi, g, o); });
}
template <class T> void max_pool_backward_impl(const Tensor& dy, const Tensor& idx, Tensor& dx, const PoolGeom g) {
  const T* pg = dy.data<T>();
  const int64_t* pi = idx.data<int64_t>();
  T* pd = dx.data<T>();
  const int64_t per_plane = g.OH * g.OW, plane = g.H * g.W;
  launch_each("max_pool2d backward", dy.numel(),
              [=] __device__(int64_t o) { add_to(pd + o / per_plane * plane + pi[o], pg[o]); });
}
template <class T> void avg_pool_impl(const Tensor& x, Tensor& y, const PoolGeom g, bool adaptive) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  launch_each("avg_pool2d", y.numel(), [=] __device__(int64_t o) {
    py[o] = adaptive ? adaptive_avg_output(px, g, o) : avg_pool_output(px, g, o);
  });
}
template <class T> void avg_pool_backward_impl(const Tensor& dy, Tensor& dx, const PoolGeom g, bool adaptive) {
  const T* pg = dy.data<T>();
  T* pd = dx.data<T>();
  launch_each("avg_pool2d backward", dx.numel(), [=] __device__(int64_t i) {
    pd[i] = adaptive ? adaptive_avg_input_grad(pg, g, i) : avg_pool_input_grad(pg, g, i);
  });
}
}  // namespace detail

using namespace detail;

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const kernels::Conv2dParams& p,
                      const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  if (y.numel() == 0) return y;
  EG_CUDA_FLOAT(x.dtype(), "conv2d", conv_forward_impl, x, w, b, p, y);
  return y;
}

kernels::Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                     const kernels::Conv2dParams& p, bool need_dx, bool need_dw, bool need_db) {
  kernels::Conv2dGrads r;
  if (need_dx) r.dx = zeros(x.shape(), x.options());
  if (need_dw) r.dw = zeros(w.shape(), w.options());
  if (need_db) r.db = channel_sum(dy);
  if (dy.numel() > 0 && (need_dx || need_dw)) EG_CUDA_FLOAT(x.dtype(), "conv2d backward", conv_backward_impl, dy, x, w, p, r);
  return r;
}

kernels::MaxPool2dResult max_pool2d_forward(const Tensor& x, const kernels::Pool2dParams& p, const Shape& out_shape) {
  kernels::MaxPool2dResult r{Tensor::empty(out_shape, x.options()), Tensor::empty(out_shape, {DType::I64, Device::CUDA})};
  EG_CUDA_FLOAT(x.dtype(), "max_pool2d", max_pool_impl, x, pool_geom(x.shape(), out_shape, p), r);
  return r;
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape) {
  Tensor dx = zeros(x_shape, dy.options());
  EG_CUDA_FLOAT(dy.dtype(), "max_pool2d backward", max_pool_backward_impl, dy, indices, dx,
                pool_geom(x_shape, dy.shape(), kernels::Pool2dParams{}));
  return dx;
}

Tensor avg_pool2d_forward(const Tensor& x, const kernels::Pool2dParams& p, const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  EG_CUDA_FLOAT(x.dtype(), "avg_pool2d", avg_pool_impl, x, y, pool_geom(x.shape(), out_shape, p), false);
  return y;
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const kernels::Pool2dParams& p) {
  Tensor dx = Tensor::empty(x_shape, dy.options());
  EG_CUDA_FLOAT(dy.dtype(), "avg_pool2d backward", avg_pool_backward_impl, dy, dx, pool_geom(x_shape, dy.shape(), p),
                false);
  return dx;
}

Tensor adaptive_avg_pool2d_forward(const Tensor& x, const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  EG_CUDA_FLOAT(x.dtype(), "adaptive_avg_pool2d", avg_pool_impl, x, y,
                pool_geom(x.shape(), out_shape, kernels::Pool2dParams{}), true);
  return y;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape) {
  Tensor dx = Tensor::empty(x_shape, dy.options());
  EG_CUDA_FLOAT(dy.dtype(), "adaptive_avg_pool2d backward", avg_pool_backward_impl, dy, dx,
                pool_geom(x_shape, dy.shape(), kernels::Pool2dParams{}), true);
  return dx;
}

}  // namespace eg::cuda
