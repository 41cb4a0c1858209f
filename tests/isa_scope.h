// isa_scope.h — selects one SIMD instruction set (core/cpu/isa.h) for a scope of a test, then restores
// the one before: the tests that loop over cpu::available_isas() use it.
#pragma once
#include "core/cpu/isa.h"

namespace eg::test {

struct IsaScope {
  cpu::SimdIsa was = cpu::simd_isa();
  explicit IsaScope(cpu::SimdIsa isa) { cpu::set_simd_isa(isa); }
  ~IsaScope() { cpu::set_simd_isa(was); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;
};

}  // namespace eg::test
