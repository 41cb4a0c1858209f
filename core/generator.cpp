// generator.cpp — PCG-XSL-RR 128/64-like generator reduced to 64-bit state (PCG32 twice per u64).
#include "core/generator.h"

#include <cmath>

namespace eg {

static uint32_t pcg32(uint64_t& state, uint64_t inc) {
  uint64_t old = state;
  state = old * 6364136223846793005ULL + inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

void Generator::manual_seed(uint64_t seed) {
  // splitmix64 to spread small seeds over the state and stream.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  state_ = mix(seed);
  inc_ = (mix(seed ^ 0xda3e39cb94b95bdbULL) << 1) | 1;
  has_cached_ = false;
  cached_ = 0;
}

uint64_t Generator::next_u64() {
  uint64_t hi = pcg32(state_, inc_);
  uint64_t lo = pcg32(state_, inc_);
  return (hi << 32) | lo;
}

double Generator::uniform() { return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

double Generator::normal() {
  if (has_cached_) {
    has_cached_ = false;
    return cached_;
  }
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  double r = std::sqrt(-2.0 * std::log(u1)), th = 6.283185307179586 * u2;
  cached_ = r * std::sin(th);
  has_cached_ = true;
  return r * std::cos(th);
}

int64_t Generator::randint(int64_t n) {
  if (n <= 1) return 0;
  uint64_t un = (uint64_t)n, limit = UINT64_MAX - UINT64_MAX % un;
  uint64_t x;
  do x = next_u64(); while (x >= limit);
  return (int64_t)(x % un);
}

Generator Generator::fork() { return Generator(next_u64()); }

}  // namespace eg
