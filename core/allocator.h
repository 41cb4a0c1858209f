// allocator.h — the caching allocator behind every Storage and every large kernel scratch buffer.
//
// Why: a training step frees and re-allocates the same activation- and gradient-sized blocks every
// step. Straight from malloc, blocks of megabytes come from mmap (or a heap top that glibc trims), so
// every step the kernel hands out and zero-fills fresh pages again — measured at ~20% of a ResNet step
// on this project's 2-core machine. On CUDA, cudaMalloc/cudaFree synchronize the device. So freed blocks
// are kept, per device, in size classes and handed out again.
//
// Size classes: requests of at most kDirectMax bytes on the CPU go straight to aligned_alloc/free
// (glibc's bins already reuse them). Larger ones (and all CUDA ones) are rounded up to 8 classes per
// power of two (at most 12.5% slack) and a freed block serves the next request of its class. The cache
// holds at most cache_limit() bytes per device: a release that would pass it frees the block instead. An
// allocation that fails empties that device's cache and tries once more.
//
// This cache is process-wide state (like the heap it sits on), guarded by a mutex per device; it is
// the one global besides the grad-mode flag, and empty_cache() gives everything back.
#pragma once
#include <cstddef>
#include <memory>

#include "core/dtype.h"

namespace eg::memory {

constexpr size_t kAlignment = 64;
constexpr size_t kDirectMax = size_t{64} << 10;  // CPU blocks up to 64 KiB bypass the cache

// 64-byte aligned, uninitialized; never null (throws eg::Error naming the size when memory runs out).
void* allocate(size_t nbytes, Device device);
// Gives back a block from allocate(nbytes, device) (the same nbytes).
void release(void* p, size_t nbytes, Device device);

// The bytes a request of nbytes actually takes on `device` (its size class).
size_t block_size(size_t nbytes, Device device);

struct Stats {
  size_t cached_bytes = 0, cached_blocks = 0;  // held for reuse now
  size_t hits = 0, misses = 0;                 // cached-class requests served from the cache / not
};
Stats stats(Device device);
// Frees every cached block of every device.
void empty_cache();
// Per-device cap on cached bytes (default 4 GiB, or EG_CACHE_LIMIT_MB from the environment).
size_t cache_limit();
// Sets the cap (0 = cache nothing) and empties the cache.
void set_cache_limit(size_t bytes);

// A scratch array of n T's from the cache (uninitialized), returned to it when the owner goes away.
struct ScratchDeleter {
  size_t nbytes;
  void operator()(void* p) const { release(p, nbytes, Device::CPU); }
};
template <class T> using Scratch = std::unique_ptr<T[], ScratchDeleter>;
template <class T> Scratch<T> scratch(size_t n) {
  const size_t nbytes = n * sizeof(T);
  return Scratch<T>(static_cast<T*>(allocate(nbytes, Device::CPU)), ScratchDeleter{nbytes});
}

}  // namespace eg::memory
