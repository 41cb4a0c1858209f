// reduce.cu — CUDA single-dim reductions, argmax/argmin, softmax / log_softmax and their backwards, and
// the per-channel sums of batch norm and conv's bias gradient, around the bodies of
// core/cuda/bodies_reduce.h. A reduction with few outputs and a long dim takes one block per output
// (threads take strided shares, then a tree sum); otherwise one thread per output, as the CPU loop.
#include "core/cuda/cuda_kernels.h"
#include "core/cuda/geometry.h"
#include "core/cuda/launch.cuh"

namespace eg::cuda {

namespace detail {
using namespace body;

// Combines the block's partials of a Max/Min/Prod/Sum (any acc type) through shared memory.
template <class A> __device__ A block_combine(ReduceOp op, A v, double* smem) {
  A* s = reinterpret_cast<A*>(smem);
  s[threadIdx.x] = v;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if ((int)threadIdx.x < w) s[threadIdx.x] = reduce_combine<A>(op, s[threadIdx.x], s[threadIdx.x + w]);
    __syncthreads();
  }
  const A total = s[0];
  __syncthreads();
  return total;
}

template <class T> void reduce_impl(ReduceOp op, const Tensor& x, Tensor& y, Split d) {
  const T* px = static_cast<const T*>(x.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  const int64_t outs = d.outer * d.inner;
  if (outs < 4096 && d.n >= 256) {
    launch_per_block("reduce (block per output)", outs, [=] __device__(int64_t k, int64_t tid, int64_t nt, double* smem) {
      const acc_t<T> total = block_combine<acc_t<T>>(op, reduce_partial(op, px, d, k, tid, nt), smem);
      if (tid == 0) py[k] = (T)total;
    });
  } else {
    launch_each("reduce", outs, [=] __device__(int64_t k) { py[k] = (T)reduce_partial(op, px, d, k, 0, 1); });
  }
}

template <class T> void arg_reduce_impl(bool is_max, const Tensor& x, Tensor& y, Split d) {
  const T* px = static_cast<const T*>(x.raw_data());
  int64_t* py = y.data<int64_t>();
  launch_each("argmax/argmin", d.outer * d.inner, [=] __device__(int64_t k) { py[k] = arg_reduce_one(is_max, px, d, k); });
}

template <class T> void softmax_impl(const Tensor& x, Tensor& y, Split d, bool log_out) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  launch_each("softmax", d.outer * d.inner, [=] __device__(int64_t k) { softmax_row(px, py, d, k, log_out); });
}
template <class T> void softmax_backward_impl(const Tensor& g, const Tensor& y, Tensor& dx, Split d, bool log_out) {
  const T *pg = g.data<T>(), *py = y.data<T>();
  T* pd = dx.data<T>();
  launch_each("softmax backward", d.outer * d.inner,
              [=] __device__(int64_t k) { softmax_backward_row(pg, py, pd, d, k, log_out); });
}

template <class T> void channel_sum_impl(const Tensor& g, Tensor& out) {
  const NCS l = ncs_of(g.shape());
  const T* pg = g.data<T>();
  T* po = out.data<T>();
  launch_per_block("channel sum", l.C, [=] __device__(int64_t c, int64_t tid, int64_t nt, double* smem) {
    double sg, unused;
    grad_sums_partial<T>(pg, nullptr, l, c, T(0), tid, nt, sg, unused);
    const double total = block_sum(sg, smem, 0);
    if (tid == 0) po[c] = (T)total;
  });
}

template <class T> T* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

template <class T>
void bn_forward_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                     Tensor& running_var, bool use_batch_stats, double momentum, double eps, kernels::BatchNormResult& r) {
  const NCS l = ncs_of(x.shape());
  Tensor coef = Tensor::empty({2 * l.C}, x.options());
  BnForward<T> a{x.data<T>(), ptr_or_null<T>(weight), ptr_or_null<T>(bias), ptr_or_null<T>(running_mean),
                 ptr_or_null<T>(running_var), r.mean.data<T>(), r.invstd.data<T>(), coef.data<T>(),
                 use_batch_stats, momentum, eps};
  launch_per_block("batch_norm stats", l.C, [=] __device__(int64_t c, int64_t tid, int64_t nt, double* smem) {
    double s = 0, ss = 0;
    if (a.use_batch_stats) moments_partial(a.x, l, c, a.x[ncs_offset(l, c, 0)], tid, nt, s, ss);
    s = block_sum(s, smem, 0);
    ss = block_sum(ss, smem, 1);
    if (tid == 0) bn_forward_finish(a, l, c, s, ss);
  });
  const T *px = x.data<T>(), *pc = coef.data<T>();
  T* py = r.y.data<T>();
  launch_each("batch_norm apply", x.numel(), [=] __device__(int64_t i) {
    const int64_t c = i / l.S % l.C;
    py[i] = px[i] * pc[c] + pc[l.C + c];
  });
}

template <class T>
void bn_backward_impl(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& mean,
                      const Tensor& invstd, bool use_batch_stats, kernels::BatchNormGrads& r) {
  const NCS l = ncs_of(x.shape());
  Tensor coef = Tensor::empty({3 * l.C}, x.options());
  Tensor dw = r.dweight.defined() ? r.dweight : Tensor::empty({l.C}, x.options());
  Tensor db = r.dbias.defined() ? r.dbias : Tensor::empty({l.C}, x.options());
  BnBackward<T> a{ptr_or_null<T>(weight), mean.data<T>(), invstd.data<T>(), dw.data<T>(), db.data<T>(),
                  coef.data<T>(), use_batch_stats};
  const T *pg = dy.data<T>(), *px = x.data<T>();
  launch_per_block("batch_norm backward sums", l.C, [=] __device__(int64_t c, int64_t tid, int64_t nt, double* smem) {
    double sg, sgx;
    grad_sums_partial(pg, px, l, c, a.mean[c], tid, nt, sg, sgx);
    sg = block_sum(sg, smem, 0);
    sgx = block_sum(sgx, smem, 1);
    if (tid == 0) bn_backward_finish(a, l, c, sg, sgx);
  });
  if (!r.dx.defined()) return;
  const T* pc = coef.data<T>();
  T* pd = r.dx.data<T>();
  const bool batch = use_batch_stats;
  launch_each("batch_norm backward apply", x.numel(), [=] __device__(int64_t i) {
    const int64_t c = i / l.S % l.C;
    pd[i] = batch ? pg[i] * pc[c] + px[i] * pc[l.C + c] + pc[2 * l.C + c] : pg[i] * pc[c];
  });
}
}  // namespace detail

using namespace detail;

Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  Tensor y = Tensor::empty(reduced_shape(x.shape(), dim, keepdim), x.options());
  if (y.numel() == 0) return y;
  EG_CUDA_ALL(x.dtype(), "reduce", reduce_impl, op, x, y, split_around(x.shape(), dim));
  return y;
}

Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  Tensor y = Tensor::empty(reduced_shape(x.shape(), dim, keepdim), {DType::I64, Device::CUDA});
  if (y.numel() == 0) return y;
  EG_CUDA_ALL(x.dtype(), "argmax/argmin", arg_reduce_impl, op == ReduceOp::Max, x, y, split_around(x.shape(), dim));
  return y;
}

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  Tensor y = Tensor::empty(x.shape(), x.options());
  if (x.numel() == 0) return y;
  EG_CUDA_FLOAT(x.dtype(), "softmax", softmax_impl, x, y, split_around(x.shape(), dim), log);
  return y;
}

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  Tensor dx = Tensor::empty(y.shape(), y.options());
  if (y.numel() == 0) return dx;
  EG_CUDA_FLOAT(y.dtype(), "softmax backward", softmax_backward_impl, g, y, dx, split_around(y.shape(), dim), log);
  return dx;
}

Tensor channel_sum(const Tensor& g) {
  Tensor out = Tensor::empty({g.shape()[1]}, g.options());
  EG_CUDA_FLOAT(g.dtype(), "channel sum", channel_sum_impl, g, out);
  return out;
}

kernels::BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                            Tensor& running_mean, Tensor& running_var, bool use_batch_stats,
                                            double momentum, double eps) {
  const int64_t C = x.shape()[1];
  kernels::BatchNormResult r{Tensor::empty(x.shape(), x.options()), Tensor::empty({C}, x.options()),
                             Tensor::empty({C}, x.options())};
  EG_CUDA_FLOAT(x.dtype(), "batch_norm", bn_forward_impl, x, weight, bias, running_mean, running_var, use_batch_stats,
                momentum, eps, r);
  return r;
}

kernels::BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                            const Tensor& mean, const Tensor& invstd, bool use_batch_stats,
                                            bool need_dx, bool need_dweight, bool need_dbias) {
  const int64_t C = x.shape()[1];
  kernels::BatchNormGrads r;
  if (need_dx) r.dx = Tensor::empty(x.shape(), x.options());
  if (need_dweight) r.dweight = Tensor::empty({C}, x.options());
  if (need_dbias) r.dbias = Tensor::empty({C}, x.options());
  EG_CUDA_FLOAT(x.dtype(), "batch_norm backward", bn_backward_impl, dy, x, weight, mean, invstd, use_batch_stats, r);
  return r;
}

}  // namespace eg::cuda
