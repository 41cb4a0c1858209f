// runtime.cu — CUDA allocation, copies and device query for a CUDA build. Allocation here is the raw
// cudaMalloc under core/allocator.cpp's caching allocator, which calls it only on a cache miss and frees
// only when trimming (empty_cache, the cache limit) — never per op.
#include <cstdio>
#include <cstdlib>

#include "core/cuda/cuda_check.h"
#include "core/cuda/runtime.h"

namespace eg::cuda {

bool compiled() { return true; }

bool available() {
  static const bool present = [] {
    int n = 0;
    return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
  }();
  return present;
}

void after_launch(const char* name) {
  static const bool sync = [] {
    const char* e = std::getenv("EG_CUDA_SYNC");
    return e && *e && *e != '0';
  }();
  cudaError_t err = cudaGetLastError();
  ENGINE_CHECK(err == cudaSuccess, "CUDA kernel ", name, ": launch failed: ", cudaGetErrorString(err));
  if (sync) {
    err = cudaDeviceSynchronize();
    ENGINE_CHECK(err == cudaSuccess, "CUDA kernel ", name, ": failed while running: ", cudaGetErrorString(err));
  }
}

void* device_alloc(size_t nbytes) {
  ENGINE_CHECK(available(), "cuda alloc of ", nbytes, " bytes: no CUDA device is present (this build has CUDA; "
               "check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, nbytes);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so the allocator's retry starts clean
    ENGINE_FAIL("cuda alloc of ", nbytes, " bytes failed: ", cudaGetErrorString(err));
  }
  return p;
}

// Called from Storage's deleter, where throwing would terminate: a failure is reported instead.
void device_free(void* p) {
  cudaError_t err = cudaFree(p);
  if (err != cudaSuccess && err != cudaErrorCudartUnloading)
    std::fprintf(stderr, "eigengrad: cudaFree failed: %s\n", cudaGetErrorString(err));
}

// Copies are synchronous on the default stream, which every kernel also uses: a copy to the host
// waits for the kernels that produced its data, and host memory may be reused as soon as it returns.
void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t nbytes) {
  cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                      : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, kind));
}

void memset_zero(void* dst, size_t nbytes) { CUDA_CHECK(cudaMemset(dst, 0, nbytes)); }
void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace eg::cuda
