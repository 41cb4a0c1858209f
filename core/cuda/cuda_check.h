// cuda_check.h — CUDA_CHECK wraps every runtime call; CUDA_CHECK_LAUNCH follows every kernel launch.
#pragma once
#include <cuda_runtime.h>

#include "core/check.h"

#define CUDA_CHECK(expr)                                                                       \
  do {                                                                                         \
    cudaError_t err_ = (expr);                                                                 \
    ENGINE_CHECK(err_ == cudaSuccess, "CUDA error in ", #expr, ": ", cudaGetErrorString(err_)); \
  } while (0)

// After a launch: the launch's own error, and with EG_CUDA_SYNC=1 in the environment (tools/gpu-check,
// debugging) a synchronize, so an error inside the kernel is reported under its name.
#define CUDA_CHECK_LAUNCH(name) ::eg::cuda::after_launch(name)

namespace eg::cuda {
void after_launch(const char* name);  // core/cuda/runtime.cu
constexpr int kThreads = 256;
inline int blocks_for(long long n) {
  long long b = (n + kThreads - 1) / kThreads;
  return (int)(b > 65535LL * 16 ? 65535LL * 16 : (b < 1 ? 1 : b));
}
}  // namespace eg::cuda
