// optim.cu — CUDA optimizer updates; the same per-element rules as core/cpu/optim.cpp (its oracle).
#include <cmath>

#include "core/cuda/cuda_check.h"
#include "core/cuda/cuda_kernels.h"

namespace eg::cuda {

namespace {
template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, long long n, T lr, T mom, T damp, T wd, bool nesterov, bool first) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    T d = g[i] + wd * p[i];
    if (buf) {
      T b = first ? d : mom * buf[i] + damp * d;
      buf[i] = b;
      d = nesterov ? d + mom * b : b;
    }
    p[i] -= lr * d;
  }
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, long long n, T b1, T b2, T step_size, T rbc2, T eps, T wd,
                            T shrink, bool decoupled) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    T gi = g[i];
    if (decoupled) p[i] *= shrink;
    else gi += wd * p[i];
    m[i] = b1 * m[i] + (T(1) - b1) * gi;
    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
    p[i] -= step_size * m[i] / (sqrt(v[i]) * rbc2 + eps);
  }
}
}  // namespace

void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const kernels::SgdStep& s) {
  long long n = p.numel();
  if (n == 0) return;
  EG_DISPATCH_FLOAT(p.dtype(), "cuda sgd_step_", [&] {
    scalar_t* pb = s.momentum != 0 ? buf.data<scalar_t>() : nullptr;
    sgd_kernel<scalar_t><<<blocks_for(n), kThreads>>>(p.data<scalar_t>(), g.data<scalar_t>(), pb, n, (scalar_t)s.lr,
                                                      (scalar_t)s.momentum, (scalar_t)(1 - s.dampening),
                                                      (scalar_t)s.weight_decay, s.nesterov, s.first);
  });
  CUDA_CHECK_LAUNCH("sgd_step_");
}

void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const kernels::AdamStep& s) {
  long long n = p.numel();
  if (n == 0) return;
  double bc1 = 1 - std::pow(s.beta1, (double)s.step), bc2 = 1 - std::pow(s.beta2, (double)s.step);
  EG_DISPATCH_FLOAT(p.dtype(), "cuda adam_step_", [&] {
    adam_kernel<scalar_t><<<blocks_for(n), kThreads>>>(
        p.data<scalar_t>(), g.data<scalar_t>(), m.data<scalar_t>(), v.data<scalar_t>(), n, (scalar_t)s.beta1,
        (scalar_t)s.beta2, (scalar_t)(s.lr / bc1), (scalar_t)(1.0 / std::sqrt(bc2)), (scalar_t)s.eps,
        (scalar_t)s.weight_decay, (scalar_t)(1 - s.lr * s.weight_decay), s.decoupled);
  });
  CUDA_CHECK_LAUNCH("adam_step_");
}

}  // namespace eg::cuda
