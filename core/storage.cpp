// storage.cpp — Storage over the caching allocator, and the device-neutral copy/zero helpers.
#include "core/storage.h"

#include <cstdlib>
#include <cstring>

#include "core/allocator.h"
#include "core/check.h"
#include "core/cuda/runtime.h"

namespace eg {

Storage::Storage(size_t nbytes, Device device)
    : ptr_(memory::allocate(nbytes, device), Deleter{device, nbytes}), nbytes_(nbytes), device_(device) {}

void Storage::Deleter::operator()(void* p) const { memory::release(p, nbytes, device); }

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
