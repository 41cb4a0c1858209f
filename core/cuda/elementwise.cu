// elementwise.cu — CUDA unary/binary kernels with broadcasting (up to 8 dims), axpy and fill; f32 and
// f64. The per-element math is core/cuda/bodies_elementwise.h (mirroring core/cpu/elementwise.cpp, its
// oracle); broadcast inputs are read through core/cuda/geometry.h's strides (0 on broadcast dims).
#include "core/cuda/bodies_elementwise.h"
#include "core/cuda/cuda_kernels.h"
#include "core/cuda/geometry.h"
#include "core/cuda/launch.cuh"

namespace eg::cuda {

namespace detail {
using namespace body;

template <class T> void unary_impl(UnaryOp op, const Tensor& x, Tensor& y, double a, double b) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const T ta = (T)a, tb = (T)b;
  launch_each("unary", y.numel(), [=] __device__(int64_t i) { py[i] = apply_unary(op, px[i], ta, tb); });
}

template <class T> void binary_impl(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& c) {
  const T *pa = a.data<T>(), *pb = b.data<T>();
  T* pc = c.data<T>();
  if (a.shape() == b.shape()) {
    launch_each("binary", c.numel(), [=] __device__(int64_t i) { pc[i] = apply_binary(op, pa[i], pb[i]); });
    return;
  }
  const Strided ga = broadcast_strided(c.shape(), a.shape()), gb = broadcast_strided(c.shape(), b.shape());
  launch_each("binary (broadcast)", c.numel(), [=] __device__(int64_t i) {
    pc[i] = apply_binary(op, pa[strided_offset(ga, i)], pb[strided_offset(gb, i)]);
  });
}

template <class T> void axpy_impl(Tensor& dst, const Tensor& src, double alpha) {
  T* d = dst.data<T>();
  const T* s = src.data<T>();
  const T al = (T)alpha;
  launch_each("axpy_", dst.numel(), [=] __device__(int64_t i) { d[i] += al * s[i]; });
}

template <class T> void fill_impl(Tensor& dst, double value) {
  T* d = static_cast<T*>(dst.raw_data());
  const T v = (T)value;
  launch_each("fill_", dst.numel(), [=] __device__(int64_t i) { d[i] = v; });
}
}  // namespace detail

using namespace detail;

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  Tensor y = Tensor::empty(x.shape(), x.options());
  EG_CUDA_FLOAT(x.dtype(), "cuda unary", unary_impl, op, x, y, a, b);
  return y;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  if (c.numel() == 0) return c;
  EG_CUDA_FLOAT(a.dtype(), "cuda binary", binary_impl, op, a, b, c);
  return c;
}

void axpy_(Tensor& dst, const Tensor& src, double alpha) {
  EG_CUDA_FLOAT(dst.dtype(), "cuda axpy_", axpy_impl, dst, src, alpha);
}

void fill_(Tensor& dst, double value) { EG_CUDA_ALL(dst.dtype(), "cuda fill_", fill_impl, dst, value); }

}  // namespace eg::cuda
