// ops_reduce.cpp — differentiable reductions (sum, mean, max/min along a dim) and the softmax family;
// amax/amin, logsumexp, var and normalize are composed from these primitives. Multi-dim reductions run one dim
// at a time through the raw [outer, n, inner] kernels.
#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;
using kernels::ReduceOp;

namespace {
// The shape with every reduced dim kept as size 1.
Shape keep_shape(const Shape& s, const std::vector<int64_t>& dims) {
  Shape k = s;
  for (auto d : dims) k[(size_t)d] = 1;
  return k;
}
Shape drop_shape(const Shape& s, const std::vector<int64_t>& dims) {
  Shape k;
  for (size_t i = 0; i < s.size(); ++i)
    if (std::find(dims.begin(), dims.end(), (int64_t)i) == dims.end()) k.push_back(s[i]);
  return k;
}
Tensor raw_sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor y = x;
  for (auto d : dims) y = kernels::reduce_dim(ReduceOp::Sum, y, d, true);
  if (dims.empty() && x.dim() == 0) y = x.clone();
  return keepdim ? y : y.view_as_shape(drop_shape(x.shape(), dims));
}
int64_t count_of(const Shape& s, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (auto d : dims) n *= s[(size_t)d];
  return n;
}
}  // namespace

// Row "sum": dx = expand(g, shape(x)).
Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  check_defined("sum", x, "x");
  dims = wrap_dims("sum", dims, x.dim());
  Tensor out = raw_sum(x, dims, keepdim);
  return record(OpKind::Sum, out, {x}, [s = x.shape(), ks = keep_shape(x.shape(), dims)](const Tensor& g, const Need&) -> Grads {
    return {kernels::expand(g.view_as_shape(ks), s)};
  });
}

// Row "mean": dx = expand(g, shape(x)) / count.
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  check_defined("mean", x, "x");
  dims = wrap_dims("mean", dims, x.dim());
  int64_t n = count_of(x.shape(), dims);
  ENGINE_CHECK(n > 0, "mean: reducing ", shape_str(x.shape()), " over an empty dim");
  Tensor out = kernels::unary(kernels::UnaryOp::MulScalar, raw_sum(x, dims, keepdim), 1.0 / (double)n);
  return record(OpKind::Mean, out, {x}, [s = x.shape(), ks = keep_shape(x.shape(), dims), n](const Tensor& g, const Need&) -> Grads {
    return {kernels::unary(kernels::UnaryOp::MulScalar, kernels::expand(g.view_as_shape(ks), s), 1.0 / (double)n)};
  });
}

// Rows "max_dim"/"min_dim": dx = g·[x = y]/#ties, the ties counted over all reduced dims together
// (amax of [[2, 2], [2, 1]] gives 1/3 to each 2, as PyTorch; not 1/4, 1/4, 1/2 dim by dim).
static Tensor extreme(OpKind kind, ReduceOp op, const char* name, const Tensor& x, std::vector<int64_t> dims,
                      bool keepdim) {
  check_defined(name, x, "x");
  dims = wrap_dims(name, dims, x.dim());
  Tensor kept = x;
  for (auto d : dims) kept = kernels::reduce_dim(op, kept, d, true);
  if (kept.same(x)) kept = x.detach().clone();  // a 0-d input: still give the op its own output
  Tensor out = keepdim ? kept : kept.view_as_shape(drop_shape(x.shape(), dims));
  return record(kind, out, {x}, [x = x.detach(), kept = kept.detach(), dims](const Tensor& g, const Need&) -> Grads {
    Tensor mask = kernels::binary(kernels::BinaryOp::Eq, x, kept);
    Tensor ties = mask;
    for (auto d : dims) ties = kernels::reduce_dim(ReduceOp::Sum, ties, d, true);
    return {mul(mask, div(g.view_as_shape(kept.shape()), ties))};
  });
}
Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme(OpKind::MaxDim, ReduceOp::Max, "max", x, {wrap_dim("max", dim, x.dim(), true)}, keepdim);
}
Tensor min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme(OpKind::MinDim, ReduceOp::Min, "min", x, {wrap_dim("min", dim, x.dim(), true)}, keepdim);
}
Tensor amax(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return extreme(OpKind::MaxDim, ReduceOp::Max, "amax", x, dims, keepdim);
}
Tensor amin(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return extreme(OpKind::MinDim, ReduceOp::Min, "amin", x, dims, keepdim);
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("argmax", x, "x");
  return kernels::arg_reduce_dim(ReduceOp::Max, x, dim, keepdim);
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("argmin", x, "x");
  return kernels::arg_reduce_dim(ReduceOp::Min, x, dim, keepdim);
}

// logsumexp = m + log Σ exp(x − m) with m = amax(x) detached (the result does not depend on m, so
// the composed gradient is exactly softmax(x)·g). An infinite m is replaced by 0, as PyTorch: all −inf
// then gives log 0 = −inf, not −inf − (−inf) = NaN.
Tensor logsumexp(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  check_defined("logsumexp", x, "x");
  dims = wrap_dims("logsumexp", dims, x.dim());
  Tensor m;
  {
    NoGradGuard ng;
    m = amax(x, dims, true);
    Tensor inf = full({}, INFINITY, m.options());
    m = kernels::where(kernels::binary(kernels::BinaryOp::Eq, kernels::unary(kernels::UnaryOp::Abs, m), inf),
                       zeros({}, m.options()), m);
  }
  Tensor lse = add(log(sum(exp(sub(x, m)), dims, true)), m);
  return keepdim ? lse : reshape(lse, drop_shape(x.shape(), dims));
}

// var = Σ (x − mean)² / (n − 1 if unbiased else n), composed.
Tensor var(const Tensor& x, std::vector<int64_t> dims, bool unbiased, bool keepdim) {
  check_defined("var", x, "x");
  dims = wrap_dims("var", dims, x.dim());
  int64_t n = count_of(x.shape(), dims);
  ENGINE_CHECK(n > (unbiased ? 1 : 0), "var: need more than ", unbiased ? 1 : 0, " elements, got ", n, " in ",
               shape_str(x.shape()));
  Tensor d = sub(x, mean(x, dims, true));
  return mul(sum(mul(d, d), dims, keepdim), 1.0 / (double)(n - (unbiased ? 1 : 0)));
}

// normalize = x / clamp(‖x‖₂, eps, ∞), composed: where the norm is clamped at eps its gradient stops, as
// in PyTorch (x / ‖x‖ would be 0/0 for an all-zero row).
Tensor normalize(const Tensor& x, int64_t dim, double eps) {
  check_defined("normalize", x, "x");
  ENGINE_CHECK(eps > 0, "normalize: eps must be > 0, got ", eps);
  dim = wrap_dim("normalize", dim, x.dim(), /*scalar_ok=*/false);
  Tensor norm = sqrt(sum(mul(x, x), {dim}, true));
  return div(x, clamp(norm, eps, std::numeric_limits<double>::infinity()));
}

// Row "softmax": dx = y ⊙ (g − Σ g⊙y).
Tensor softmax(const Tensor& x, int64_t dim) {
  check_defined("softmax", x, "x");
  dim = wrap_dim("softmax", dim, x.dim(), /*scalar_ok=*/true);
  Tensor out = kernels::softmax(x, dim);
  return record(OpKind::Softmax, out, {x}, [y = out.detach(), dim](const Tensor& g, const Need&) -> Grads {
    return {kernels::softmax_backward(g, y, dim)};
  });
}

// Row "log_softmax": dx = g − exp(y) Σ g.
Tensor log_softmax(const Tensor& x, int64_t dim) {
  check_defined("log_softmax", x, "x");
  dim = wrap_dim("log_softmax", dim, x.dim(), /*scalar_ok=*/true);
  Tensor out = kernels::log_softmax(x, dim);
  return record(OpKind::LogSoftmax, out, {x}, [y = out.detach(), dim](const Tensor& g, const Need&) -> Grads {
    return {kernels::log_softmax_backward(g, y, dim)};
  });
}

}  // namespace eg
