// runtime.h — the thin CUDA runtime layer the core uses (allocation, copies, device query). Without
// ENGINE_CUDA these are defined in core/cuda/no_cuda.cpp and throw a clear error (or report "absent").
#pragma once
#include <cstddef>

namespace eg::cuda {

bool compiled();
bool available();
void* device_alloc(size_t nbytes);
void device_free(void* p);
void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t nbytes);
void memset_zero(void* dst, size_t nbytes);
void synchronize();

}  // namespace eg::cuda
