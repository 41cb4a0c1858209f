// layout.cpp — CPU copies that move elements around: permute, strided narrow (and its scatter
// inverse), constant pad, index_select / index_add, gather / scatter_add, one_hot. Indices were
// range-checked by core/kernels.cpp before these run.
#include <cstring>

#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

Tensor permute(const Tensor& x, const std::vector<int64_t>& perm) {
  const Shape& s = x.shape();
  size_t nd = s.size();
  Shape out_shape(nd), in_strides = contiguous_strides(s), st(nd);
  for (size_t i = 0; i < nd; ++i) {
    out_shape[i] = s[(size_t)perm[i]];
    st[i] = in_strides[(size_t)perm[i]];
  }
  if (nd == 0) return x.clone();  // permute({}) of a 0-d tensor
  Tensor y = Tensor::empty(out_shape, x.options());
  if (y.numel() == 0) return y;
  int64_t inner = out_shape[nd - 1], rows = y.numel() / inner;
  int64_t sl = st[nd - 1];
  EG_DISPATCH_ALL(x.dtype(), "permute", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* py = static_cast<scalar_t*>(y.raw_data());
    parallel_for(rows, [&](int64_t r) {
      int64_t off = 0, rem = r;
      for (size_t i = nd - 1; i-- > 0;) {
        off += (rem % out_shape[i]) * st[i];
        rem /= out_shape[i];
      }
      scalar_t* dst = py + r * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = px[off + i * sl];
    }, inner);
  });
  return y;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Shape os = x.shape();
  os[(size_t)dim] = length;
  Tensor y = Tensor::empty(os, x.options());
  DimSplit d = split_at(x.shape(), dim);
  size_t esz = dtype_size(x.dtype());
  const char* px = static_cast<const char*>(x.raw_data());
  char* py = static_cast<char*>(y.raw_data());
  parallel_for(d.outer, [&](int64_t o) {
    for (int64_t r = 0; r < length; ++r)
      std::memcpy(py + ((o * length + r) * d.inner) * esz, px + ((o * d.n + start + r * step) * d.inner) * esz,
                  (size_t)d.inner * esz);
  }, length * d.inner);
  return y;
}

void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step) {
  DimSplit d = split_at(dst.shape(), dim);
  int64_t length = src.shape().empty() ? 1 : src.shape()[(size_t)dim];
  size_t esz = dtype_size(dst.dtype());
  const char* ps = static_cast<const char*>(src.raw_data());
  char* pd = static_cast<char*>(dst.raw_data());
  parallel_for(d.outer, [&](int64_t o) {
    for (int64_t r = 0; r < length; ++r)
      std::memcpy(pd + ((o * d.n + start + r * step) * d.inner) * esz, ps + ((o * length + r) * d.inner) * esz,
                  (size_t)d.inner * esz);
  }, length * d.inner);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  // pads = (before_last, after_last, before_second_last, after_second_last, ...), as torch.nn.functional.pad.
  const Shape& s = x.shape();
  size_t nd = s.size();
  if (nd == 0) return x.clone();  // a 0-d tensor takes no pads (checked by the caller)
  Shape before(nd, 0), os = s;
  for (size_t k = 0; k < pads.size() / 2; ++k) {
    size_t dim = nd - 1 - k;
    before[dim] = pads[2 * k];
    os[dim] = s[dim] + pads[2 * k] + pads[2 * k + 1];
  }
  Tensor y = Tensor::empty(os, x.options());
  fill_(y, value);
  if (x.numel() == 0) return y;
  Shape ys = contiguous_strides(os);
  int64_t inner = s[nd - 1], rows = x.numel() / inner;
  EG_DISPATCH_ALL(x.dtype(), "pad", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* py = static_cast<scalar_t*>(y.raw_data());
    parallel_for(rows, [&](int64_t r) {
      int64_t rem = r, off = before[nd - 1];
      for (size_t i = nd - 1; i-- > 0;) {
        off += (rem % s[i] + before[i]) * ys[i];
        rem /= s[i];
      }
      std::memcpy(py + off, px + r * inner, (size_t)inner * sizeof(scalar_t));
    }, inner);
  });
  return y;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Shape os = x.shape();
  int64_t k = index.numel();
  os[(size_t)dim] = k;
  Tensor y = Tensor::empty(os, x.options());
  DimSplit d = split_at(x.shape(), dim);
  const int64_t* idx = index.data<int64_t>();
  size_t esz = dtype_size(x.dtype());
  const char* px = static_cast<const char*>(x.raw_data());
  char* py = static_cast<char*>(y.raw_data());
  parallel_for(d.outer * k, [&](int64_t t) {
    int64_t o = t / k, r = t % k;
    std::memcpy(py + (t * d.inner) * esz, px + ((o * d.n + idx[r]) * d.inner) * esz, (size_t)d.inner * esz);
  }, d.inner);
  return y;
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = zeros(shape, src.options());
  DimSplit d = split_at(shape, dim);
  int64_t k = index.numel();
  const int64_t* idx = index.data<int64_t>();
  EG_DISPATCH_FLOAT(src.dtype(), "index_add", [&] {
    const scalar_t* ps = src.data<scalar_t>();
    scalar_t* py = y.data<scalar_t>();
    // Parallel over outer only: repeated indices within one outer slice would race otherwise.
    parallel_for(d.outer, [&](int64_t o) {
      for (int64_t r = 0; r < k; ++r) {
        const scalar_t* s = ps + (o * k + r) * d.inner;
        scalar_t* t = py + (o * d.n + idx[r]) * d.inner;
        for (int64_t i = 0; i < d.inner; ++i) t[i] += s[i];
      }
    }, k * d.inner);
  });
  return y;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  // out[o, r, i] = x[o, index[o, r, i], i] with index shaped like x except along dim.
  Tensor y = Tensor::empty(index.shape(), x.options());
  DimSplit dx = split_at(x.shape(), dim), di = split_at(index.shape(), dim);
  const int64_t* idx = index.data<int64_t>();
  EG_DISPATCH_ALL(x.dtype(), "gather", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* py = static_cast<scalar_t*>(y.raw_data());
    parallel_for(di.outer, [&](int64_t o) {
      for (int64_t r = 0; r < di.n; ++r)
        for (int64_t i = 0; i < di.inner; ++i) {
          int64_t at = (o * di.n + r) * di.inner + i;
          py[at] = px[(o * dx.n + idx[at]) * dx.inner + i];
        }
    }, di.n * di.inner);
  });
  return y;
}

Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = base.clone();
  DimSplit dy = split_at(base.shape(), dim), di = split_at(index.shape(), dim);
  const int64_t* idx = index.data<int64_t>();
  EG_DISPATCH_FLOAT(base.dtype(), "scatter_add", [&] {
    const scalar_t* ps = src.data<scalar_t>();
    scalar_t* py = y.data<scalar_t>();
    parallel_for(di.outer, [&](int64_t o) {
      for (int64_t r = 0; r < di.n; ++r)
        for (int64_t i = 0; i < di.inner; ++i) {
          int64_t at = (o * di.n + r) * di.inner + i;
          py[(o * dy.n + idx[at]) * dy.inner + i] += ps[at];
        }
    }, di.n * di.inner);
  });
  return y;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  Shape os = labels.shape();
  os.push_back(num_classes);
  Tensor y = zeros(os, {dtype});
  const int64_t* pl = labels.data<int64_t>();
  int64_t n = labels.numel();
  EG_DISPATCH_ALL(dtype, "one_hot", [&] {
    scalar_t* py = static_cast<scalar_t*>(y.raw_data());
    for (int64_t i = 0; i < n; ++i) py[i * num_classes + pl[i]] = scalar_t(1);
  });
  return y;
}

}  // namespace eg::cpu
