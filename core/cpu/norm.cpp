// norm.cpp — CPU batch norm forward and backward over x viewed as [N, C, S] (S = product of the dims
// after C; 1 for [N, C]); M = N·S values per channel. Channels are independent, so the loops run in
// parallel over C. Statistics take one pass: per-row sums (Eigen's vectorized reductions) of x − K are
// accumulated in double, with K the channel's first value as a shift that keeps Σ(x−K)² − M·mean² from
// cancelling when |mean| ≫ std. Normalizing and the dx formula are then one fused a·x + b per element.
#include "core/eigen.h"
#include <algorithm>
#include <cmath>

#include "core/cpu/cpu_nn_kernels.h"

namespace eg::cpu {

namespace {

template <class T> using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

struct Layout {
  int64_t N, C, S;
  int64_t row(int64_t n, int64_t c) const { return (n * C + c) * S; }  // offset of x[n, c, :]
};

Layout layout_of(const Shape& s) {
  Layout l{s[0], s[1], 1};
  for (size_t i = 2; i < s.size(); ++i) l.S *= s[i];
  return l;
}

template <class T> struct BnForwardArgs {
  const T *x, *weight, *bias;  // weight/bias may be null
  T *running_mean, *running_var;  // null when not tracked
  T *y, *mean, *invstd;
  bool use_batch_stats;
  double momentum, eps;
};

template <class T> void bn_forward_impl(const BnForwardArgs<T>& a, const Layout& l) {
  const int64_t M = l.N * l.S;
  parallel_for(l.C, [&](int64_t c) {
    double mean, var;
    if (a.use_batch_stats) {
      const T shift = a.x[l.row(0, c)];
      double s = 0, ss = 0;
      for (int64_t n = 0; n < l.N; ++n) {
        auto d = ConstVec<T>(a.x + l.row(n, c), l.S) - shift;
        s += (double)d.sum();
        ss += (double)d.square().sum();
      }
      const double dmean = s / (double)M;
      mean = (double)shift + dmean;
      var = std::max(ss / (double)M - dmean * dmean, 0.0);  // biased: what normalizes
      if (a.running_mean) {
        const double m = a.momentum, unbiased = M > 1 ? var * (double)M / (double)(M - 1) : var;
        a.running_mean[c] = (T)((1 - m) * (double)a.running_mean[c] + m * mean);
        a.running_var[c] = (T)((1 - m) * (double)a.running_var[c] + m * unbiased);
      }
    } else {
      mean = (double)a.running_mean[c];
      var = (double)a.running_var[c];
    }
    const double invstd = 1.0 / std::sqrt(var + a.eps);
    a.mean[c] = (T)mean;
    a.invstd[c] = (T)invstd;
    const double scale = (a.weight ? (double)a.weight[c] : 1.0) * invstd;
    const T k = (T)scale, b = (T)((a.bias ? (double)a.bias[c] : 0.0) - mean * scale);
    for (int64_t n = 0; n < l.N; ++n)
      Vec<T>(a.y + l.row(n, c), l.S) = ConstVec<T>(a.x + l.row(n, c), l.S) * k + b;
  }, l.N * l.S);
}

template <class T> struct BnBackwardArgs {
  const T *dy, *x, *weight, *mean, *invstd;
  T *dx, *dweight, *dbias;  // null where not wanted
  bool use_batch_stats;
};

template <class T> void bn_backward_impl(const BnBackwardArgs<T>& a, const Layout& l) {
  const double M = (double)(l.N * l.S);
  parallel_for(l.C, [&](int64_t c) {
    const T mean = a.mean[c];
    const double invstd = (double)a.invstd[c], w = a.weight ? (double)a.weight[c] : 1.0;
    // Σ dy and Σ dy·(x − mean); then Σ dy·x̂ = invstd · the latter.
    double sum_g = 0, sum_gxc = 0;
    for (int64_t n = 0; n < l.N; ++n) {
      ConstVec<T> g(a.dy + l.row(n, c), l.S), x(a.x + l.row(n, c), l.S);
      sum_g += (double)g.sum();
      sum_gxc += (double)(g * (x - mean)).sum();
    }
    const double sum_gxhat = invstd * sum_gxc;
    if (a.dweight) a.dweight[c] = (T)sum_gxhat;
    if (a.dbias) a.dbias[c] = (T)sum_g;
    if (!a.dx) return;
    // Training: dx = k·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) with k = w·invstd, x̂ = (x − mean)·invstd,
    // i.e. dx = k·dy + cx·x + c0. Eval: dx = k·dy.
    const double k = w * invstd;
    const double cx = a.use_batch_stats ? -k * invstd * sum_gxhat / M : 0.0;
    const double c0 = a.use_batch_stats ? -k * sum_g / M - cx * (double)mean : 0.0;
    const T tk = (T)k, tcx = (T)cx, tc0 = (T)c0;
    for (int64_t n = 0; n < l.N; ++n) {
      ConstVec<T> g(a.dy + l.row(n, c), l.S), x(a.x + l.row(n, c), l.S);
      Vec<T> dx(a.dx + l.row(n, c), l.S);
      if (a.use_batch_stats) dx = g * tk + x * tcx + tc0;
      else dx = g * tk;
    }
  }, l.N * l.S);
}

template <class T> T* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

}  // namespace

BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                                   Tensor& running_var, bool use_batch_stats, double momentum, double eps) {
  const Layout l = layout_of(x.shape());
  BatchNormResult r{Tensor::empty(x.shape(), x.options()), Tensor::empty({l.C}, x.options()),
                    Tensor::empty({l.C}, x.options())};
  EG_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    BnForwardArgs<T> a{x.data<T>(), ptr_or_null<T>(weight), ptr_or_null<T>(bias), ptr_or_null<T>(running_mean),
                       ptr_or_null<T>(running_var), r.y.data<T>(), r.mean.data<T>(), r.invstd.data<T>(),
                       use_batch_stats, momentum, eps};
    bn_forward_impl(a, l);
  });
  return r;
}

BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                   const Tensor& invstd, bool use_batch_stats, bool need_dx, bool need_dweight,
                                   bool need_dbias) {
  const Layout l = layout_of(x.shape());
  BatchNormGrads r;
  if (need_dx) r.dx = Tensor::empty(x.shape(), x.options());
  if (need_dweight) r.dweight = Tensor::empty({l.C}, x.options());
  if (need_dbias) r.dbias = Tensor::empty({l.C}, x.options());
  EG_DISPATCH_FLOAT(x.dtype(), "batch_norm backward", [&] {
    using T = scalar_t;
    BnBackwardArgs<T> a{dy.data<T>(), x.data<T>(), ptr_or_null<T>(weight), mean.data<T>(), invstd.data<T>(),
                        ptr_or_null<T>(r.dx), ptr_or_null<T>(r.dweight), ptr_or_null<T>(r.dbias), use_batch_stats};
    bn_backward_impl(a, l);
  });
  return r;
}

}  // namespace eg::cpu
