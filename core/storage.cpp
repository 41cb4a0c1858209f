// storage.cpp — host allocation (64-byte aligned) and the device-neutral copy/zero helpers.
#include "core/storage.h"

#include <cstdlib>
#include <cstring>

#include "core/check.h"
#include "core/cuda/runtime.h"

namespace eg {

Storage::Storage(size_t nbytes, Device device) : ptr_(nullptr, Deleter{device}), nbytes_(nbytes), device_(device) {
  size_t n = nbytes == 0 ? 64 : (nbytes + 63) / 64 * 64;
  void* p = nullptr;
  if (device == Device::CPU) {
    p = std::aligned_alloc(64, n);
    ENGINE_CHECK(p, "Storage: out of host memory allocating ", nbytes, " bytes");
  } else {
    p = cuda::device_alloc(n);
  }
  ptr_.reset(p);
}

void Storage::Deleter::operator()(void* p) const {
  if (!p) return;
  if (device == Device::CPU) std::free(p);
  else cuda::device_free(p);
}

void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_dev == Device::CPU && src_dev == Device::CPU) std::memcpy(dst, src, nbytes);
  else cuda::copy(dst, dst_dev == Device::CUDA, src, src_dev == Device::CUDA, nbytes);
}

void fill_zero_bytes(void* dst, Device dev, size_t nbytes) {
  if (dev == Device::CPU) std::memset(dst, 0, nbytes);
  else cuda::memset_zero(dst, nbytes);
}

bool cuda_compiled() { return cuda::compiled(); }
bool cuda_available() { return cuda::available(); }

}  // namespace eg
