// runtime.cu — CUDA allocation, copies and device query for a CUDA build.
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

void* device_alloc(size_t nbytes) {
  ENGINE_CHECK(available(), "cuda alloc: no CUDA device is present");
  void* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, nbytes));
  return p;
}

void device_free(void* p) { cudaFree(p); }

void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t nbytes) {
  cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                      : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, kind));
}

void memset_zero(void* dst, size_t nbytes) { CUDA_CHECK(cudaMemset(dst, 0, nbytes)); }
void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace eg::cuda
