// cuda_check.h — CUDA_CHECK wraps every runtime call; CUDA_CHECK_LAUNCH follows every kernel launch.
#pragma once
#include <cuda_runtime.h>

#include "core/check.h"

#define CUDA_CHECK(expr)                                                                       \
  do {                                                                                         \
    cudaError_t err_ = (expr);                                                                 \
    ENGINE_CHECK(err_ == cudaSuccess, "CUDA error in ", #expr, ": ", cudaGetErrorString(err_)); \
  } while (0)

#define CUDA_CHECK_LAUNCH(name) CUDA_CHECK(cudaGetLastError())

namespace eg::cuda {
constexpr int kThreads = 256;
inline int blocks_for(long long n) {
  long long b = (n + kThreads - 1) / kThreads;
  return (int)(b > 65535LL * 16 ? 65535LL * 16 : (b < 1 ? 1 : b));
}
}  // namespace eg::cuda
