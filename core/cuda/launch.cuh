// launch.cuh — the launch helpers the .cu files share: a grid-stride loop running a __device__ lambda
// over [0, n) (every per-element kernel is one of these around a body of core/cuda/bodies_*.h), a
// block-per-item loop for reductions, a float dtype switch onto a template, and per-kernel scratch from
// the caching allocator.
#pragma once
#include "core/cuda/cuda_check.h"
#include "core/tensor.h"

namespace eg::cuda {

template <class F> __global__ void for_each_kernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) f(i);
}

// Runs f(i) for every i in [0, n) on the device, then checks the launch (naming the kernel).
template <class F> void launch_each(const char* name, int64_t n, F f) {
  if (n <= 0) return;
  for_each_kernel<<<blocks_for(n), kThreads>>>(n, f);
  CUDA_CHECK_LAUNCH(name);
}

// Block b of `items` blocks, kThreads threads: f(item, tid, nthreads, smem) with kThreads doubles
// of shared scratch per block for the reduction that combines the threads' partials.
template <class F> __global__ void per_block_kernel(int64_t items, F f) {
  __shared__ double smem[2 * kThreads];
  for (int64_t b = blockIdx.x; b < items; b += gridDim.x) {
    f(b, (int64_t)threadIdx.x, (int64_t)blockDim.x, smem);
    __syncthreads();
  }
}
template <class F> void launch_per_block(const char* name, int64_t items, F f) {
  if (items <= 0) return;
  per_block_kernel<<<(int)(items < 65535 * 16 ? items : 65535 * 16), kThreads>>>(items, f);
  CUDA_CHECK_LAUNCH(name);
}

// Tree-sums v over the block's threads (all of them must call it); every thread gets the total.
__device__ inline double block_sum(double v, double* smem, int slot) {
  double* s = smem + slot * kThreads;
  s[threadIdx.x] = v;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if ((int)threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
    __syncthreads();
  }
  const double total = s[0];
  __syncthreads();
  return total;
}

}  // namespace eg::cuda

// Calls FN<float>(ARGS...) or FN<double>(ARGS...) by a floating dtype; others throw naming OP.
#define EG_CUDA_FLOAT(DT, OP, FN, ...)                                                               \
  do {                                                                                               \
    switch (DT) {                                                                                    \
      case ::eg::DType::F32: FN<float>(__VA_ARGS__); break;                                          \
      case ::eg::DType::F64: FN<double>(__VA_ARGS__); break;                                         \
      default: ENGINE_FAIL(OP, ": expected a floating dtype (f32/f64), got ", ::eg::dtype_name(DT)); \
    }                                                                                                \
  } while (0)
#define EG_CUDA_ALL(DT, OP, FN, ...)                            \
  do {                                                          \
    if ((DT) == ::eg::DType::I64) FN<int64_t>(__VA_ARGS__);     \
    else EG_CUDA_FLOAT(DT, OP, FN, __VA_ARGS__);                \
  } while (0)
