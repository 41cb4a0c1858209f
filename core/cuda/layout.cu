// layout.cu — CUDA where, expand, permute, narrow / narrow_scatter_, pad, index_select / index_add,
// gather / scatter_add: one thread per element around the bodies of core/cuda/bodies_layout.h. The
// adding kernels (index_add, scatter_add) use atomicAdd, so repeated indices sum in an unspecified order.
#include "core/cuda/cuda_kernels.h"
#include "core/cuda/geometry.h"
#include "core/cuda/launch.cuh"

namespace eg::cuda {

namespace detail {
using namespace body;

template <class T> void gather_copy(const Tensor& x, Tensor& y, const Strided& g) {
  const T* px = static_cast<const T*>(x.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  launch_each("strided copy", y.numel(), [=] __device__(int64_t i) { py[i] = px[strided_offset(g, i)]; });
}
template <class T> void scatter_copy(const Tensor& src, Tensor& dst, const Strided& g) {
  const T* ps = static_cast<const T*>(src.raw_data());
  T* pd = static_cast<T*>(dst.raw_data());
  launch_each("strided scatter", src.numel(), [=] __device__(int64_t i) { pd[strided_offset(g, i)] = ps[i]; });
}

template <class T, class M> void where_run(const M* pm, const T* pa, const T* pb, T* pc, int64_t n, Strided gc,
                                          Strided ga, Strided gb) {
  launch_each("where", n, [=] __device__(int64_t i) {
    pc[i] = pm[strided_offset(gc, i)] != M(0) ? pa[strided_offset(ga, i)] : pb[strided_offset(gb, i)];
  });
}
template <class T> void where_impl(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& c) {
  const Strided gc = broadcast_strided(c.shape(), cond.shape()), ga = broadcast_strided(c.shape(), a.shape()),
                gb = broadcast_strided(c.shape(), b.shape());
  const T *pa = a.data<T>(), *pb = b.data<T>();
  T* pc = c.data<T>();
  switch (cond.dtype()) {
    case DType::F32: where_run(cond.data<float>(), pa, pb, pc, c.numel(), gc, ga, gb); break;
    case DType::F64: where_run(cond.data<double>(), pa, pb, pc, c.numel(), gc, ga, gb); break;
    case DType::I64: where_run(cond.data<int64_t>(), pa, pb, pc, c.numel(), gc, ga, gb); break;
  }
}

template <class T> void pad_impl(const Tensor& x, Tensor& y, const PadGeom& g, double value) {
  const T* px = static_cast<const T*>(x.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  const T v = (T)value;
  launch_each("pad", y.numel(), [=] __device__(int64_t i) {
    const int64_t s = pad_source(g, i);
    py[i] = s < 0 ? v : px[s];
  });
}

template <class T> void index_select_impl(const Tensor& x, Tensor& y, const Tensor& index, Split d) {
  const T* px = static_cast<const T*>(x.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  const int64_t* idx = index.data<int64_t>();
  const int64_t k = index.numel();
  launch_each("index_select", y.numel(),
              [=] __device__(int64_t i) { py[i] = px[index_offset(i, k, d.n, d.inner, idx)]; });
}
template <class T> void index_add_impl(const Tensor& src, Tensor& y, const Tensor& index, Split d) {
  const T* ps = src.data<T>();
  T* py = y.data<T>();
  const int64_t* idx = index.data<int64_t>();
  const int64_t k = index.numel();
  launch_each("index_add", src.numel(),
              [=] __device__(int64_t i) { add_to(py + index_offset(i, k, d.n, d.inner, idx), ps[i]); });
}
template <class T> void gather_impl(const Tensor& x, Tensor& y, const Tensor& index, Split dx, Split di) {
  const T* px = static_cast<const T*>(x.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  const int64_t* idx = index.data<int64_t>();
  launch_each("gather", y.numel(),
              [=] __device__(int64_t i) { py[i] = px[gather_offset(i, di.n, dx.n, dx.inner, idx)]; });
}
template <class T> void scatter_add_impl(const Tensor& src, Tensor& y, const Tensor& index, Split dy, Split di) {
  const T* ps = src.data<T>();
  T* py = y.data<T>();
  const int64_t* idx = index.data<int64_t>();
  launch_each("scatter_add", src.numel(),
              [=] __device__(int64_t i) { add_to(py + gather_offset(i, di.n, dy.n, dy.inner, idx), ps[i]); });
}
}  // namespace detail

using namespace detail;

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  if (c.numel() == 0) return c;
  EG_CUDA_FLOAT(a.dtype(), "where", where_impl, cond, a, b, c);
  return c;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor y = Tensor::empty(shape, x.options());
  if (y.numel() == 0) return y;
  EG_CUDA_ALL(x.dtype(), "expand", gather_copy, x, y, broadcast_strided(shape, x.shape()));
  return y;
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& perm) {
  if (x.dim() == 0) return x.clone();
  Strided g = permute_strided(x.shape(), perm);
  Tensor y = Tensor::empty(Shape(g.dims, g.dims + g.nd), x.options());
  EG_CUDA_ALL(x.dtype(), "permute", gather_copy, x, y, g);
  return y;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Shape os = x.shape();
  os[(size_t)dim] = length;
  Tensor y = Tensor::empty(os, x.options());
  Split d = split_around(x.shape(), dim);
  EG_CUDA_ALL(x.dtype(), "narrow", gather_copy, x, y, slice_geometry(d.outer, d.n, d.inner, start, length, step));
  return y;
}

void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step) {
  Split d = split_around(dst.shape(), dim);
  const int64_t len = src.shape().empty() ? 1 : src.shape()[(size_t)dim];
  EG_CUDA_ALL(dst.dtype(), "narrow_scatter_", scatter_copy, src, dst,
              slice_geometry(d.outer, d.n, d.inner, start, len, step));
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  if (x.dim() == 0) return x.clone();
  Shape os;
  PadGeom g = pad_geometry(x.shape(), pads, os);
  Tensor y = Tensor::empty(os, x.options());
  EG_CUDA_ALL(x.dtype(), "pad", pad_impl, x, y, g, value);
  return y;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Shape os = x.shape();
  os[(size_t)dim] = index.numel();
  Tensor y = Tensor::empty(os, x.options());
  EG_CUDA_ALL(x.dtype(), "index_select", index_select_impl, x, y, index, split_around(x.shape(), dim));
  return y;
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = zeros(shape, src.options());
  EG_CUDA_FLOAT(src.dtype(), "index_add", index_add_impl, src, y, index, split_around(shape, dim));
  return y;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor y = Tensor::empty(index.shape(), x.options());
  EG_CUDA_ALL(x.dtype(), "gather", gather_impl, x, y, index, split_around(x.shape(), dim),
              split_around(index.shape(), dim));
  return y;
}

Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = base.clone();
  EG_CUDA_FLOAT(base.dtype(), "scatter_add", scatter_add_impl, src, y, index, split_around(base.shape(), dim),
                split_around(index.shape(), dim));
  return y;
}

}  // namespace eg::cuda
