// softmax.cpp — CPU softmax / log_softmax along one dim (max-subtracted, so exp never overflows) and
// their fused backward passes. Layout [outer, n, inner] with the softmax over n. log_softmax is
// (x − m) − log Σ exp(x − m), never x − (m + log Σ): m + log Σ would round at the float spacing of |m|
// (1 at 1e7), which is the whole answer for logits that large.
#include <cmath>

#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  Tensor y = Tensor::empty(x.shape(), x.options());
  if (x.numel() == 0) return y;  // also an empty softmax dim: no row has a p[0] to read
  DimSplit d = split_at(x.shape(), dim);
  EG_DISPATCH_FLOAT(x.dtype(), "softmax", [&] {
    const scalar_t* px = x.data<scalar_t>();
    scalar_t* py = y.data<scalar_t>();
    parallel_for(d.outer * d.inner, [&](int64_t k) {
      int64_t o = k / d.inner, i = k % d.inner;
      const scalar_t* p = px + o * d.n * d.inner + i;
      scalar_t* q = py + o * d.n * d.inner + i;
      scalar_t m = p[0];
      for (int64_t r = 1; r < d.n; ++r) m = std::max(m, p[r * d.inner]);
      double s = 0;
      for (int64_t r = 0; r < d.n; ++r) s += std::exp((double)(p[r * d.inner] - m));
      if (log) {
        const double log_s = std::log(s);
        for (int64_t r = 0; r < d.n; ++r) q[r * d.inner] = (scalar_t)((double)(p[r * d.inner] - m) - log_s);
      } else {
        scalar_t inv = (scalar_t)(1.0 / s);
        for (int64_t r = 0; r < d.n; ++r) q[r * d.inner] = std::exp(p[r * d.inner] - m) * inv;
      }
    }, d.n * 8);
  });
  return y;
}

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  Tensor dx = Tensor::empty(y.shape(), y.options());
  if (y.numel() == 0) return dx;
  DimSplit d = split_at(y.shape(), dim);
  EG_DISPATCH_FLOAT(y.dtype(), "softmax_backward", [&] {
    const scalar_t* pg = g.data<scalar_t>();
    const scalar_t* py = y.data<scalar_t>();
    scalar_t* pd = dx.data<scalar_t>();
    parallel_for(d.outer * d.inner, [&](int64_t k) {
      int64_t o = k / d.inner, i = k % d.inner, base = o * d.n * d.inner + i;
      double s = 0;
      if (log) {
        // y = log_softmax: dx = g - exp(y) * sum(g)
        for (int64_t r = 0; r < d.n; ++r) s += pg[base + r * d.inner];
        for (int64_t r = 0; r < d.n; ++r) {
          int64_t at = base + r * d.inner;
          pd[at] = pg[at] - std::exp(py[at]) * (scalar_t)s;
        }
      } else {
        // y = softmax: dx = y * (g - sum(g * y))
        for (int64_t r = 0; r < d.n; ++r) s += (double)pg[base + r * d.inner] * py[base + r * d.inner];
        for (int64_t r = 0; r < d.n; ++r) {
          int64_t at = base + r * d.inner;
          pd[at] = py[at] * (pg[at] - (scalar_t)s);
        }
      }
    }, d.n * 4);
  });
  return dx;
}

}  // namespace eg::cpu
