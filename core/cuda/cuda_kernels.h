// cuda_kernels.h — CUDA implementations of the raw op set; same signatures as core/cpu/cpu_kernels.h and
// core/cpu/cpu_nn_kernels.h. Only core/kernels.cpp and core/kernels_nn.cpp call these, after their
// argument checks (all tensors on the device, indices in range). Shape letters as in core/kernels_nn.h.
#pragma once
#include "core/kernels.h"
#include "core/kernels_nn.h"

namespace eg::cuda {

using kernels::BinaryOp;
using kernels::ReduceOp;
using kernels::UnaryOp;

// elementwise.cu
Tensor unary(UnaryOp op, const Tensor& x, double a, double b);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape);
void axpy_(Tensor& dst, const Tensor& src, double alpha);
void fill_(Tensor& dst, double value);
// optim.cu
void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const kernels::SgdStep& s);
void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const kernels::AdamStep& s);

// layout.cu
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& out_shape);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const std::vector<int64_t>& perm);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step);
void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step);
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);

// reduce.cu
Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);
Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim);
Tensor softmax(const Tensor& x, int64_t dim, bool log);
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log);
// Per-channel Σ over g [N, C, S...] (conv2d's bias gradient).
Tensor channel_sum(const Tensor& g);
kernels::BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                            Tensor& running_mean, Tensor& running_var, bool use_batch_stats,
                                            double momentum, double eps);
kernels::BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                            const Tensor& mean, const Tensor& invstd, bool use_batch_stats,
                                            bool need_dx, bool need_dweight, bool need_dbias);

// gemm.cu
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, const Shape& out_shape);

// nn.cu
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const kernels::Conv2dParams& p,
                      const Shape& out_shape);
kernels::Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                     const kernels::Conv2dParams& p, bool need_dx, bool need_dw, bool need_db);
kernels::MaxPool2dResult max_pool2d_forward(const Tensor& x, const kernels::Pool2dParams& p, const Shape& out_shape);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape);
Tensor avg_pool2d_forward(const Tensor& x, const kernels::Pool2dParams& p, const Shape& out_shape);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const kernels::Pool2dParams& p);
Tensor adaptive_avg_pool2d_forward(const Tensor& x, const Shape& out_shape);
Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape);

}  // namespace eg::cuda
