// bodies_reduce.h — bodies of the reductions (core/cuda/reduce.cu): single-dim sum/prod/max/min in the
// [outer, n, inner] layout (one output per thread, or one output per block whose threads each take a
// strided share of n, then combine), argmax/argmin, softmax / log_softmax and their backwards (one row
// per thread), and the per-channel partial sums of batch norm and of conv's bias gradient over
// x [N, C, S]. Float sums accumulate in double, as core/cpu does. Plain C++ without nvcc (see hd.h).
#pragma once
#include <limits>
#include <type_traits>

#include "core/cuda/hd.h"
#include "core/kernels.h"

namespace eg::cuda::body {

using kernels::ReduceOp;

struct Split {
  int64_t outer, n, inner;
};

template <class T> using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, T>;

// Max starts below every value, −∞ included (a column of −∞ has the maximum −∞).
template <class A> EG_HD A reduce_identity(ReduceOp op) {
  using L = std::numeric_limits<A>;
  switch (op) {
    case ReduceOp::Sum: return A(0);
    case ReduceOp::Prod: return A(1);
    case ReduceOp::Max: return L::has_infinity ? -L::infinity() : L::lowest();
    case ReduceOp::Min: return L::has_infinity ? L::infinity() : L::max();
  }
  return A(0);
}
template <class A> EG_HD A reduce_combine(ReduceOp op, A a, A b) {
  switch (op) {
    case ReduceOp::Sum: return a + b;
    case ReduceOp::Prod: return a * b;
    case ReduceOp::Max: return max_nan(a, b);
    case ReduceOp::Min: return min_nan(a, b);
  }
  return a;
}

// Output k's share of thread tid of nt: rows r = tid, tid + nt, ... of its [n] column.
template <class T>
EG_HD acc_t<T> reduce_partial(ReduceOp op, const T* x, Split d, int64_t k, int64_t tid, int64_t nt) {
  const int64_t o = k / d.inner, i = k % d.inner;
  const T* p = x + o * d.n * d.inner + i;
  acc_t<T> a = reduce_identity<acc_t<T>>(op);
  for (int64_t r = tid; r < d.n; r += nt) a = reduce_combine<acc_t<T>>(op, a, (acc_t<T>)p[r * d.inner]);
  return a;
}

template <class T> EG_HD int64_t arg_reduce_one(bool is_max, const T* x, Split d, int64_t k) {
  const int64_t o = k / d.inner, i = k % d.inner;
  const T* p = x + o * d.n * d.inner + i;
  int64_t best = 0;
  T bv = p[0];
  for (int64_t r = 1; r < d.n; ++r) {
    const T v = p[r * d.inner];
    if (is_nan(bv)) break;  // the first NaN wins, ties go to the first index (as the CPU kernel)
    if (is_nan(v) || (is_max ? v > bv : v < bv)) bv = v, best = r;
  }
  return best;
}

template <class T> EG_HD void softmax_row(const T* x, T* y, Split d, int64_t k, bool log_out) {
  const int64_t o = k / d.inner, i = k % d.inner, base = o * d.n * d.inner + i;
  const T* p = x + base;
  T* q = y + base;
  T m = p[0];
  for (int64_t r = 1; r < d.n; ++r) m = p[r * d.inner] > m ? p[r * d.inner] : m;
  double s = 0;
  for (int64_t r = 0; r < d.n; ++r) s += exp((double)(p[r * d.inner] - m));
  if (log_out) {
    const double log_s = log(s);
    for (int64_t r = 0; r < d.n; ++r) q[r * d.inner] = (T)((double)(p[r * d.inner] - m) - log_s);
  } else {
    const T inv = (T)(1.0 / s);
    for (int64_t r = 0; r < d.n; ++r) q[r * d.inner] = hd_exp(p[r * d.inner] - m) * inv;
  }
}

template <class T> EG_HD void softmax_backward_row(const T* g, const T* y, T* dx, Split d, int64_t k, bool log_out) {
  const int64_t o = k / d.inner, i = k % d.inner, base = o * d.n * d.inner + i;
  double s = 0;
  if (log_out) {
    for (int64_t r = 0; r < d.n; ++r) s += g[base + r * d.inner];
    for (int64_t r = 0; r < d.n; ++r) {
      const int64_t at = base + r * d.inner;
      dx[at] = g[at] - hd_exp(y[at]) * (T)s;
    }
  } else {
    for (int64_t r = 0; r < d.n; ++r) s += (double)g[base + r * d.inner] * y[base + r * d.inner];
    for (int64_t r = 0; r < d.n; ++r) {
      const int64_t at = base + r * d.inner;
      dx[at] = y[at] * (g[at] - (T)s);
    }
  }
}

// ---- per-channel sums over x [N, C, S] (M = N·S values per channel) ----
struct NCS {
  int64_t N, C, S;
};
EG_HD int64_t ncs_offset(NCS l, int64_t c, int64_t j) { return ((j / l.S) * l.C + c) * l.S + j % l.S; }

// Thread tid of nt: Σ (x − shift) and Σ (x − shift)² over its share of channel c.
template <class T> EG_HD void moments_partial(const T* x, NCS l, int64_t c, T shift, int64_t tid, int64_t nt,
                                              double& s, double& ss) {
  s = ss = 0;
  for (int64_t j = tid; j < l.N * l.S; j += nt) {
    const double d = (double)(x[ncs_offset(l, c, j)] - shift);
    s += d, ss += d * d;
  }
}
// Σ g and Σ g·(x − mean) over the share; x may be null (then only Σ g, e.g. conv's bias gradient).
template <class T> EG_HD void grad_sums_partial(const T* g, const T* x, NCS l, int64_t c, T mean, int64_t tid,
                                                int64_t nt, double& sg, double& sgx) {
  sg = sgx = 0;
  for (int64_t j = tid; j < l.N * l.S; j += nt) {
    const int64_t at = ncs_offset(l, c, j);
    sg += (double)g[at];
    if (x) sgx += (double)g[at] * (double)(x[at] - mean);
  }
}

// The per-channel batch-norm coefficients from the channel's totals, as core/cpu/norm.cpp computes them.
// Forward: y = x·coef[c] + coef[C + c]; running stats updated in place where given.
template <class T> struct BnForward {
  const T *x, *weight, *bias;
  T *running_mean, *running_var, *mean, *invstd, *coef;
  bool use_batch_stats;
  double momentum, eps;
};
template <class T> EG_HD void bn_forward_finish(const BnForward<T>& a, NCS l, int64_t c, double s, double ss) {
  const double M = (double)(l.N * l.S);
  double mean, var;
  if (a.use_batch_stats) {
    const double dmean = s / M;
    mean = (double)a.x[ncs_offset(l, c, 0)] + dmean;
    var = ss / M - dmean * dmean;
    var = var > 0 ? var : 0.0;
    if (a.running_mean) {
      const double m = a.momentum, unbiased = M > 1 ? var * M / (M - 1) : var;
      a.running_mean[c] = (T)((1 - m) * (double)a.running_mean[c] + m * mean);
      a.running_var[c] = (T)((1 - m) * (double)a.running_var[c] + m * unbiased);
    }
  } else {
    mean = (double)a.running_mean[c];
    var = (double)a.running_var[c];
  }
  const double invstd = 1.0 / sqrt(var + a.eps);
  a.mean[c] = (T)mean;
  a.invstd[c] = (T)invstd;
  const double scale = (a.weight ? (double)a.weight[c] : 1.0) * invstd;
  a.coef[c] = (T)scale;
  a.coef[l.C + c] = (T)((a.bias ? (double)a.bias[c] : 0.0) - mean * scale);
}

// Backward: dx = dy·coef[c] + x·coef[C + c] + coef[2C + c].
template <class T> struct BnBackward {
  const T *weight, *mean, *invstd;
  T *dweight, *dbias, *coef;
  bool use_batch_stats;
};
template <class T> EG_HD void bn_backward_finish(const BnBackward<T>& a, NCS l, int64_t c, double sum_g, double sum_gxc) {
  const double M = (double)(l.N * l.S);
  const double invstd = (double)a.invstd[c], w = a.weight ? (double)a.weight[c] : 1.0;
  const double sum_gxhat = invstd * sum_gxc;
  if (a.dweight) a.dweight[c] = (T)sum_gxhat;
  if (a.dbias) a.dbias[c] = (T)sum_g;
  const double k = w * invstd;
  const double cx = a.use_batch_stats ? -k * invstd * sum_gxhat / M : 0.0;
  const double c0 = a.use_batch_stats ? -k * sum_g / M - cx * (double)a.mean[c] : 0.0;
  a.coef[c] = (T)k, a.coef[l.C + c] = (T)cx, a.coef[2 * l.C + c] = (T)c0;
}

}  // namespace eg::cuda::body
