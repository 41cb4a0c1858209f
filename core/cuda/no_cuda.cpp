// no_cuda.cpp — stand-ins for the CUDA runtime layer in a CPU-only build: every use throws.
#include "core/check.h"
#include "core/cuda/runtime.h"

namespace eg::cuda {

static const char* kHint = "this eigengrad was built without CUDA (configure with -DENGINE_CUDA=ON where nvcc exists)";
bool compiled() { return false; }
bool available() { return false; }
void* device_alloc(size_t) { ENGINE_FAIL("cuda alloc: ", kHint); }
void device_free(void*) {}
void copy(void*, bool, const void*, bool, size_t) { ENGINE_FAIL("cuda copy: ", kHint); }
void memset_zero(void*, size_t) { ENGINE_FAIL("cuda memset: ", kHint); }
void synchronize() {}

}  // namespace eg::cuda
