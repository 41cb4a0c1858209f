// allocator.cpp — the caching allocator (see allocator.h).
#include "core/allocator.h"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/check.h"
#include "core/cuda/runtime.h"

namespace eg::memory {

namespace {

// Set when the process-wide caches are destroyed at exit: later releases (a static Tensor outliving
// them) free directly. Constant-initialized and trivially destructible, so it is valid throughout.
std::atomic<bool> g_caches_gone{false};

size_t default_limit() {
  if (const char* env = std::getenv("EG_CACHE_LIMIT_MB")) {
    char* end = nullptr;
    unsigned long long mb = std::strtoull(env, &end, 10);
    ENGINE_CHECK(end && *end == '\0' && end != env, "EG_CACHE_LIMIT_MB must be a whole number of MiB, got '", env,
                 "'");
    return (size_t)mb << 20;
  }
  return size_t{4} << 30;
}
std::atomic<size_t> g_limit{0};  // 0 = not read yet

void* raw_alloc(size_t n, Device d) {
  if (d == Device::CPU) {
    void* p = std::aligned_alloc(kAlignment, n);
    ENGINE_CHECK(p, "out of host memory allocating ", n, " bytes");
    return p;
  }
  return cuda::device_alloc(n);
}
void raw_free(void* p, Device d) {
  if (d == Device::CPU) std::free(p);
  else cuda::device_free(p);
}

struct DeviceCache {
  Device device;
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> cached blocks
  Stats st;

  void clear_locked() {
    // At exit the CUDA runtime may already be gone: leave device blocks to the driver then.
    if (device == Device::CPU || !g_caches_gone.load())
      for (auto& [size, blocks] : free_blocks)
        for (void* p : blocks) raw_free(p, device);
    free_blocks.clear();
    st.cached_bytes = st.cached_blocks = 0;
  }
};

struct Caches {
  DeviceCache cpu{Device::CPU}, cuda{Device::CUDA};
  DeviceCache& of(Device d) { return d == Device::CPU ? cpu : cuda; }
  ~Caches() {
    g_caches_gone.store(true);
    std::lock_guard<std::mutex> l1(cpu.mu);
    cpu.clear_locked();
    std::lock_guard<std::mutex> l2(cuda.mu);
    cuda.clear_locked();
  }
};
Caches& caches() {
  static Caches c;
  return c;
}

bool cached_class(size_t nbytes, Device d) { return d == Device::CUDA || nbytes > kDirectMax; }

}  // namespace

size_t block_size(size_t nbytes, Device device) {
  size_t n = nbytes == 0 ? kAlignment : (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (!cached_class(nbytes, device) || n <= 4096) return n;
  // 8 classes per power of two: round up to a multiple of 2^(floor(log2 n) - 3).
  const size_t step = size_t{1} << (std::bit_width(n) - 1 - 3);
  return (n + step - 1) / step * step;
}

void* allocate(size_t nbytes, Device device) {
  const size_t n = block_size(nbytes, device);
  if (!cached_class(nbytes, device) || g_caches_gone.load()) return raw_alloc(n, device);
  cache_limit();  // reads (and checks) EG_CACHE_LIMIT_MB here, where an error can be thrown
  DeviceCache& c = caches().of(device);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(n);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.st.cached_bytes -= n;
      c.st.cached_blocks -= 1;
      c.st.hits += 1;
      return p;
    }
    c.st.misses += 1;
  }
  try {
    return raw_alloc(n, device);
  } catch (const Error&) {
    // Blocks of other classes may be what stands in the way: give them back and try once more.
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.clear_locked();
    }
    return raw_alloc(n, device);
  }
}

void release(void* p, size_t nbytes, Device device) {
  if (!p) return;
  const size_t n = block_size(nbytes, device);
  if (!cached_class(nbytes, device) || g_caches_gone.load()) {
    raw_free(p, device);
    return;
  }
  DeviceCache& c = caches().of(device);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.st.cached_bytes + n <= cache_limit()) {
      c.free_blocks[n].push_back(p);
      c.st.cached_bytes += n;
      c.st.cached_blocks += 1;
      return;
    }
  }
  raw_free(p, device);
}

Stats stats(Device device) {
  DeviceCache& c = caches().of(device);
  std::lock_guard<std::mutex> lock(c.mu);
  return c.st;
}

void empty_cache() {
  for (Device d : {Device::CPU, Device::CUDA}) {
    DeviceCache& c = caches().of(d);
    std::lock_guard<std::mutex> lock(c.mu);
    c.clear_locked();
  }
}

size_t cache_limit() {
  size_t l = g_limit.load();
  if (l == 0) {
    l = default_limit();
    g_limit.store(l);
  }
  return l;
}

void set_cache_limit(size_t bytes) {
  g_limit.store(bytes == 0 ? 1 : bytes);  // 0 means "not read yet": a limit of one byte caches nothing
  empty_cache();
}

}  // namespace eg::memory
