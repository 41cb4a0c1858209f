// ops.h — the differentiable op set (what users and layers call). Each op checks its inputs, runs the
// raw kernel from core/kernels.h and, when grad mode is on and an input requires grad, records a Node
// whose backward sits right below the forward in autograd/ops_<family>.cpp. The VJP of each op is one
// row of autograd/DERIVATIVES.md. Broadcasting follows NumPy; backward sums gradients back to shape.
#pragma once
#include <functional>
#include <vector>

#include "autograd/grad_mode.h"
#include "core/tensor.h"

namespace eg {

// ---- elementwise (ops_elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties send the gradient half to each side
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);       // d|x|/dx = sign(x), 0 at 0
Tensor relu(const Tensor& x);      // gradient 0 at 0
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor softplus(const Tensor& x);  // log(1 + e^x), stable for large |x|
Tensor pow(const Tensor& x, double p);
Tensor square(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);  // gradient passes where lo <= x <= hi
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // cond != 0 ? a : b
// Comparisons (not differentiable): 1/0 in the input's dtype.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add(a, -s); }
inline Tensor operator-(double s, const Tensor& a) { return add(neg(a), s); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return mul(a, 1.0 / s); }
inline Tensor operator/(double s, const Tensor& a) { return mul(pow(a, -1.0), s); }

// ---- reductions (ops_reduce.cpp); dims = {} means all dims ----
Tensor sum(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);  // values; tied maxima share the gradient
Tensor min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // i64, first index on ties
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
Tensor var(const Tensor& x, std::vector<int64_t> dims = {}, bool unbiased = true, bool keepdim = false);
// PyTorch's F.normalize(p=2): x / max(‖x‖₂ along dim, eps), same shape as x (cosine classifiers, embeddings).
Tensor normalize(const Tensor& x, int64_t dim, double eps = 1e-12);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- linear algebra (ops_linalg.cpp) ----
Tensor matmul(const Tensor& a, const Tensor& b);  // [..., M, K] @ [..., K, N], batch dims broadcast

// ---- shape and indexing (ops_shape.cpp) ----
Tensor reshape(const Tensor& x, Shape shape);  // one -1 allowed
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor permute(const Tensor& x, std::vector<int64_t> perm);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// Python-style x[..., start:end:step, ...] along dim (end clipped; negative start/end count from the end).
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
// pads = (before, after) pairs starting from the last dim, as torch.nn.functional.pad (constant mode).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::F32);  // not differentiable

}  // namespace eg

// ---- neural-network ops (ops_conv.cpp, ops_pool.cpp, ops_norm.cpp) ----
namespace eg {

class Generator;

struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
};

// y = x Wᵀ + b. x [N, I] (or [..., I]), w [O, I], b [O] or undefined.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = {});
// x [N, C, H, W], w [O, C/groups, KH, KW], b [O] or undefined -> [N, O, OH, OW].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b = {}, const Conv2dOptions& opt = {});
// x [N, C, H, W]; padding with -inf; floor mode (as PyTorch's default).
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);
// count_include_pad = true (PyTorch's default).
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);
// PyTorch's adaptive bins: start = floor(i·H/OH), end = ceil((i+1)·H/OH).
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);
// x [N, C, ...]; weight/bias [C] or undefined. Training: batch statistics (biased variance to
// normalize) and, when running stats are defined, running = (1−momentum)·running + momentum·batch
// (unbiased variance), updated in place. Eval: running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean, Tensor running_var,
                  bool training, double momentum = 0.1, double eps = 1e-5);
// Batch norm in training over a batch split across the replicas of a data-parallel run (--sync-bn): the
// statistics are the whole batch's. `replica_sum` sums a host vector over the replicas in place (every
// replica calls it in the same order: forward [Σx per channel, count], then [Σ(x − mean)² per channel];
// backward [Σg, Σg·x̂] per channel weighted by this replica's share of the batch, which is also how the
// parameter gradients are averaged). With one replica (replica_sum the identity) it equals batch_norm.
// dweight/dbias are this replica's sums (the gradient all-reduce adds the others').
using ReplicaSum = std::function<void(std::vector<double>&)>;
Tensor sync_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                       Tensor running_var, double momentum, double eps, const ReplicaSum& replica_sum);
// Inverted dropout: zero with probability p, scale kept values by 1/(1−p); identity when !training.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);

}  // namespace eg
