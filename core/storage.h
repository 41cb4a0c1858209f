// storage.h — a reference-counted, 64-byte-aligned block of bytes on one device, from the caching
// allocator (core/allocator.h). The deleter knows the device and size, so a Storage goes back to the
// right cache wherever the last reference drops.
#pragma once
#include <cstddef>
#include <memory>

#include "core/dtype.h"

namespace eg {

class Storage {
 public:
  Storage(size_t nbytes, Device device);  // uninitialized memory
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return ptr_.get(); }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  struct Deleter {
    Device device;
    size_t nbytes;
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Deleter> ptr_;
  size_t nbytes_;
  Device device_;
};

// Copies nbytes between two places on any devices (host<->device as needed).
void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes);
void fill_zero_bytes(void* dst, Device dev, size_t nbytes);
bool cuda_compiled();   // built with ENGINE_CUDA
bool cuda_available();  // built with CUDA and a device is present

}  // namespace eg
