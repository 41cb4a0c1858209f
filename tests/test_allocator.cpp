// test_allocator.cpp — the caching allocator: size classes, reuse of freed blocks, alignment, the cap,
// empty_cache, tensors' storage going through it, and concurrent use from several threads.
#include <cstdint>
#include <thread>
#include <vector>

#include "core/allocator.h"
#include "tests/test_util.h"

using namespace eg;

namespace {
// Restores the default cap (and an empty cache) whatever a test did.
struct CacheGuard {
  size_t limit = memory::cache_limit();
  CacheGuard() { memory::empty_cache(); }
  ~CacheGuard() { memory::set_cache_limit(limit); }
};
}  // namespace

TEST_CASE("allocator: size classes are 64-byte multiples with at most 12.5% slack") {
  CHECK(memory::block_size(0, Device::CPU) == 64);
  CHECK(memory::block_size(1, Device::CPU) == 64);
  CHECK(memory::block_size(65, Device::CPU) == 128);
  CHECK(memory::block_size(memory::kDirectMax, Device::CPU) == memory::kDirectMax);  // bypasses the cache
  for (size_t n : {size_t{65537}, size_t{100000}, size_t{1} << 20, (size_t{1} << 20) + 1, size_t{16777217},
                   size_t{123456789}}) {
    const size_t b = memory::block_size(n, Device::CPU);
    CHECK(b >= n);
    CHECK(b % 64 == 0);
    CHECK((double)b <= 1.125 * (double)n + 64);
    CHECK(memory::block_size(b, Device::CPU) == b);  // a class size is its own class
  }
  // Sizes in one class share it: 1 MiB + 1 and 1 MiB + 100 KiB both round to 1 MiB + 128 KiB.
  CHECK(memory::block_size((size_t{1} << 20) + 1, Device::CPU) == (size_t{1} << 20) + (size_t{128} << 10));
  CHECK(memory::block_size((size_t{1} << 20) + (size_t{100} << 10), Device::CPU) ==
        (size_t{1} << 20) + (size_t{128} << 10));
}

TEST_CASE("allocator: a freed large block serves the next request of its class, small ones bypass") {
  CacheGuard guard;
  const size_t n = size_t{3} << 20;
  void* a = memory::allocate(n, Device::CPU);
  CHECK(reinterpret_cast<uintptr_t>(a) % memory::kAlignment == 0);
  static_cast<char*>(a)[n - 1] = 1;  // the whole block is usable
  auto before = memory::stats(Device::CPU);
  memory::release(a, n, Device::CPU);
  auto after = memory::stats(Device::CPU);
  CHECK(after.cached_blocks == before.cached_blocks + 1);
  CHECK(after.cached_bytes == before.cached_bytes + memory::block_size(n, Device::CPU));
  void* b = memory::allocate(n - 1000, Device::CPU);  // same class
  CHECK(b == a);
  CHECK(memory::stats(Device::CPU).hits == after.hits + 1);
  memory::release(b, n - 1000, Device::CPU);
  // Below kDirectMax nothing is cached.
  const size_t cached = memory::stats(Device::CPU).cached_blocks;
  void* s = memory::allocate(1000, Device::CPU);
  CHECK(reinterpret_cast<uintptr_t>(s) % memory::kAlignment == 0);
  memory::release(s, 1000, Device::CPU);
  CHECK(memory::stats(Device::CPU).cached_blocks == cached);
  memory::empty_cache();
  CHECK(memory::stats(Device::CPU).cached_blocks == 0);
  CHECK(memory::stats(Device::CPU).cached_bytes == 0);
}

TEST_CASE("allocator: the cap frees what does not fit, a zero cap caches nothing") {
  CacheGuard guard;
  const size_t n = size_t{1} << 20;
  memory::set_cache_limit(3 * n);
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(memory::allocate(n, Device::CPU));
  for (void* p : blocks) memory::release(p, n, Device::CPU);
  CHECK(memory::stats(Device::CPU).cached_blocks == 3);
  CHECK(memory::stats(Device::CPU).cached_bytes <= memory::cache_limit());
  memory::set_cache_limit(0);
  CHECK(memory::stats(Device::CPU).cached_blocks == 0);
  void* p = memory::allocate(n, Device::CPU);
  memory::release(p, n, Device::CPU);
  CHECK(memory::stats(Device::CPU).cached_blocks == 0);
}

TEST_CASE("allocator: tensors reuse their storage across steps, threads share the cache safely") {
  CacheGuard guard;
  // A step-like pattern: the same activation-sized tensor made and dropped again hits the cache.
  const void* first = nullptr;
  for (int step = 0; step < 3; ++step) {
    Tensor t = zeros({256, 1024});  // 1 MiB
    if (step == 0) first = t.data<float>();
    else CHECK(t.data<float>() == first);
    CHECK(t.data<float>()[256 * 1024 - 1] == 0.0f);  // reused memory is still filled as asked
  }
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([k] {
      for (int i = 0; i < 200; ++i) {
        const size_t n = (size_t{100} << 10) * (size_t)(1 + (i + k) % 5);
        auto buf = memory::scratch<float>(n / sizeof(float));
        buf[0] = (float)i;
        buf[n / sizeof(float) - 1] = (float)k;
      }
    });
  for (auto& t : threads) t.join();
  auto st = memory::stats(Device::CPU);
  CHECK(st.cached_blocks <= 4 * 5 + 1);  // at most one block per thread and class (+ the tensor's)
  CHECK(st.hits > 0);
}
