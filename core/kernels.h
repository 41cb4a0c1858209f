// kernels.h — the raw (non-differentiable) op set, device-neutral. Each function is the one dispatch
// point of its kernel: it checks arguments, then calls core/cpu/<family>.cpp or core/cuda/<family>.cu,
// which share one signature. Autograd ops (autograd/ops_*.cpp) are built on these.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace eg::kernels {

// y = f(x; a, b). Scalar parameters: PowScalar (a = exponent), Clamp (a = lo, b = hi),
// AddScalar (a), MulScalar (a), RSubScalar (a - x), FillLike (a).
enum class UnaryOp : uint8_t {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Relu, Sigmoid, Tanh, Log1p, Softplus, Square, Reciprocal,
  PowScalar, Clamp, AddScalar, MulScalar, RSubScalar, FillLike, StepPositive, ClampMask,
  LeakyRelu, LeakyReluGrad,  // a = negative slope; LeakyReluGrad(x) = x > 0 ? 1 : a
};
// c = f(a, b) with NumPy broadcasting. Comparisons give 1/0 in the input dtype. The *Backward ops fuse
// an upstream gradient g (first argument) with a saved tensor: ReluBackward(g, x) = g·[x > 0],
// SigmoidBackward(g, y) = g·y·(1−y), TanhBackward(g, y) = g·(1−y²).
enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Maximum, Minimum, Pow, Eq, Ne, Lt, Le, Gt, Ge,
  ReluBackward, SigmoidBackward, TanhBackward,
};
enum class ReduceOp : uint8_t { Sum, Max, Min, Prod };

Tensor unary(UnaryOp op, const Tensor& x, double a = 0, double b = 0);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // cond != 0 ? a : b, broadcasting
// In place: dst += alpha * src (same shape). Used for gradient accumulation and optimizers.
void axpy_(Tensor& dst, const Tensor& src, double alpha = 1.0);
void fill_(Tensor& dst, double value);
void copy_(Tensor& dst, const Tensor& src);  // same shape/dtype, any devices

// Reduction over one dim (the engine composes multi-dim reductions from these).
Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);
Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);  // Max/Min -> i64 index
// Sums x down to `shape` (the inverse of broadcasting), used by every broadcasting backward.
Tensor sum_to(const Tensor& x, const Shape& shape);
// Broadcasts x up to `shape` (a materialized copy).
Tensor expand(const Tensor& x, const Shape& shape);

// C = op(A) · op(B) where op transposes the last two dims when the flag is set.
// A [..., M, K], B [..., K, N]; batch dims broadcast (each either equal or 1, or absent).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// Layout ops (copies).
Tensor permute(const Tensor& x, const std::vector<int64_t>& perm);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step = 1);
// Writes src into dst's [start, start+step*len) slice along dim (dst modified in place); used by narrow's
// backward and by cat.
void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step = 1);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value);  // pads: (before, after) per dim from the last
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[i] accumulated: out.index_select(dim, index) += src, out of shape `shape`.
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::F32);

// Softmax family along one dim (max-subtracted).
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// dx = y ⊙ (g − Σ g⊙y) for softmax; dx = g − softmax(x)·Σ g for log_softmax (y = output).
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim);
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t dim);

}  // namespace eg::kernels

// ---- optimizer updates, in place (core/cpu/optim.cpp, core/cuda/optim.cu) ----
namespace eg::kernels {

// PyTorch's SGD: d = g + wd·p; buf = first ? d : momentum·buf + (1−dampening)·d;
// d = nesterov ? d + momentum·buf : buf (momentum > 0); p −= lr·d.
struct SgdStep {
  double lr = 0.1, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, first = true;
};
void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const SgdStep& s);

// PyTorch's Adam / AdamW (decoupled): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps). Adam adds wd·p to g; AdamW scales p by (1 − lr·wd) first.
struct AdamStep {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;
  int64_t step = 1;
};
void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamStep& s);

}  // namespace eg::kernels
