// cpu_kernels.h — CPU implementations of the raw op set (same signatures as core/cuda/cuda_kernels.h).
// core/kernels.cpp is the only caller; it has already checked the arguments.
#pragma once
#include "core/kernels.h"

namespace eg::cpu {

using kernels::BinaryOp;
using kernels::ReduceOp;
using kernels::UnaryOp;

// Parallelize loops only above this many elements: below it, thread start-up costs more than it saves.
constexpr int64_t kParallelGrain = 32768;

Tensor unary(UnaryOp op, const Tensor& x, double a, double b);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& out_shape);
void axpy_(Tensor& dst, const Tensor& src, double alpha);
void fill_(Tensor& dst, double value);

Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);
Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);
Tensor expand(const Tensor& x, const Shape& shape);

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, const Shape& out_shape);

Tensor permute(const Tensor& x, const std::vector<int64_t>& perm);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step);
void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step);
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype);

void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const kernels::SgdStep& s);
void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const kernels::AdamStep& s);

Tensor softmax(const Tensor& x, int64_t dim, bool log);
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log);

// Runs f(i) for i in [0, n), on all OpenMP threads when n * cost_per_item is large enough.
template <class F> inline void parallel_for(int64_t n, F f, int64_t cost_per_item = 1) {
  if (n > 1 && n * cost_per_item >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) f(i);
  } else {
    for (int64_t i = 0; i < n; ++i) f(i);
  }
}

// [outer, n, inner] view of a shape around `dim` (the layout every single-dim kernel works in).
struct DimSplit { int64_t outer, n, inner; };
inline DimSplit split_at(const Shape& s, int64_t dim) {
  DimSplit d{1, s.empty() ? 1 : s[(size_t)dim], 1};
  for (int64_t i = 0; i < dim; ++i) d.outer *= s[(size_t)i];
  for (size_t i = (size_t)dim + 1; i < s.size(); ++i) d.inner *= s[i];
  return d;
}

}  // namespace eg::cpu
