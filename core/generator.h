// generator.h — seeded random number generators, passed explicitly (no hidden global RNG).
// PCG64-style: a 64-bit LCG state with an xorshift/rotate output; the state can be saved and
// restored (checkpoints store it), so a resumed run draws the same numbers.
#pragma once
#include <cstdint>

namespace eg {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t next_u64();
  uint32_t next_u32() { return (uint32_t)(next_u64() >> 32); }
  double uniform();                 // [0, 1), 53 random bits
  double normal();                  // N(0, 1), Box-Muller with a cached second value
  int64_t randint(int64_t n);       // [0, n), unbiased
  bool bernoulli(double p) { return uniform() < p; }
  // Fork: a new independent generator derived from this one (per-worker streams).
  Generator fork();

  struct State { uint64_t state, inc; double cached; bool has_cached; };
  State state() const { return {state_, inc_, cached_, has_cached_}; }
  void set_state(const State& s) { state_ = s.state; inc_ = s.inc; cached_ = s.cached; has_cached_ = s.has_cached; }

 private:
  uint64_t state_ = 0, inc_ = 1;
  double cached_ = 0;
  bool has_cached_ = false;
};

}  // namespace eg
