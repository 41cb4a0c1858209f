// reduce.cpp — CPU single-dim reductions in the [outer, n, inner] layout: sum/prod/max/min and
// argmax/argmin. Sums accumulate in double so a 100k-element BN batch sum keeps float precision. Max and
// min propagate NaN (as PyTorch and max_pool2d): a diverging run must not hide behind a reduction.
// Each output is computed whole by one thread, in a fixed order: results do not depend on the threads.
#include <limits>
#include <algorithm>
#include <vector>

#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

namespace {
template <class T> inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}
// The larger (smaller) of a and b; NaN once either is NaN.
template <class T> inline T max_nan(T a, T b) { return (b > a || is_nan(b)) ? b : a; }
template <class T> inline T min_nan(T a, T b) { return (b < a || is_nan(b)) ? b : a; }

template <class T> void reduce_impl(ReduceOp op, const T* x, T* y, DimSplit d) {
  using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  if (d.n == 0) {  // an empty sum is 0, an empty product 1 (max/min were refused by the caller)
    std::fill(y, y + d.outer * d.inner, T(op == ReduceOp::Prod ? 1 : 0));
    return;
  }
  if (d.inner == 1) {
    parallel_for(d.outer, [&](int64_t o) {
      const T* row = x + o * d.n;
      switch (op) {
        case ReduceOp::Sum: {
          acc_t s = 0;
          for (int64_t i = 0; i < d.n; ++i) s += (acc_t)row[i];
          y[o] = (T)s;
          break;
        }
        case ReduceOp::Prod: {
          acc_t s = 1;
          for (int64_t i = 0; i < d.n; ++i) s *= (acc_t)row[i];
          y[o] = (T)s;
          break;
        }
        case ReduceOp::Max: {
          T m = row[0];
          for (int64_t i = 1; i < d.n; ++i) m = max_nan(m, row[i]);
          y[o] = m;
          break;
        }
        case ReduceOp::Min: {
          T m = row[0];
          for (int64_t i = 1; i < d.n; ++i) m = min_nan(m, row[i]);
          y[o] = m;
          break;
        }
      }
    }, d.n);
    return;
  }
  parallel_for(d.outer, [&](int64_t o) {
    const T* base = x + o * d.n * d.inner;
    T* out = y + o * d.inner;
    std::vector<acc_t> acc(base, base + d.inner);
    for (int64_t r = 1; r < d.n; ++r) {
      const T* row = base + r * d.inner;
      switch (op) {
        case ReduceOp::Sum: for (int64_t i = 0; i < d.inner; ++i) acc[(size_t)i] += (acc_t)row[i]; break;
        case ReduceOp::Prod: for (int64_t i = 0; i < d.inner; ++i) acc[(size_t)i] *= (acc_t)row[i]; break;
        case ReduceOp::Max: for (int64_t i = 0; i < d.inner; ++i) acc[(size_t)i] = max_nan<acc_t>(acc[(size_t)i], row[i]); break;
        case ReduceOp::Min: for (int64_t i = 0; i < d.inner; ++i) acc[(size_t)i] = min_nan<acc_t>(acc[(size_t)i], row[i]); break;
      }
    }
    for (int64_t i = 0; i < d.inner; ++i) out[i] = (T)acc[(size_t)i];
  }, d.n * d.inner);
}
}  // namespace

Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  Tensor y = Tensor::empty(reduced_shape(x.shape(), dim, keepdim), x.options());
  DimSplit d = split_at(x.shape(), dim);
  EG_DISPATCH_ALL(x.dtype(), "reduce", [&] {
    reduce_impl<scalar_t>(op, static_cast<const scalar_t*>(x.raw_data()), static_cast<scalar_t*>(y.raw_data()), d);
  });
  return y;
}

Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  Tensor y = Tensor::empty(reduced_shape(x.shape(), dim, keepdim), {DType::I64});
  DimSplit d = split_at(x.shape(), dim);
  int64_t* py = y.data<int64_t>();
  bool is_max = op == ReduceOp::Max;
  EG_DISPATCH_ALL(x.dtype(), "argmax/argmin", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.raw_data());
    parallel_for(d.outer * d.inner, [&](int64_t k) {
      int64_t o = k / d.inner, i = k % d.inner;
      const scalar_t* p = px + o * d.n * d.inner + i;
      int64_t best = 0;
      scalar_t bv = p[0];
      for (int64_t r = 1; r < d.n; ++r) {
        scalar_t v = p[r * d.inner];
        // Strict comparison: ties go to the first index, as PyTorch; the first NaN wins over numbers.
        if (is_nan(bv)) break;
        if (is_nan(v) || (is_max ? v > bv : v < bv)) { bv = v; best = r; }
      }
      py[k] = best;
    }, d.n);
  });
  return y;
}

}  // namespace eg::cpu
