// isa.cpp — build and CPU description, the runtime CPU check, the fast-convolution switch (see isa.h).
#include "core/cpu/isa.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "core/check.h"
#include "core/cpu/conv_simd.h"
#include "core/eigen.h"

#ifndef EG_BUILD_MARCH
#define EG_BUILD_MARCH "unknown"
#endif

namespace eg::cpu {

namespace {

// The SIMD extensions the compiler was allowed to use (their predefined macros), spelt as
// __builtin_cpu_supports and /proc/cpuinfo spell them.
std::vector<std::string> extensions() {
  std::vector<std::string> v;
#if defined(__x86_64__) || defined(__i386__)
  [[maybe_unused]] auto add = [&](const char* n) { v.push_back(n); };
#ifdef __SSE4_2__
  add("sse4.2");
#endif
#ifdef __AVX__
  add("avx");
#endif
#ifdef __AVX2__
  add("avx2");
#endif
#ifdef __FMA__
  add("fma");
#endif
#ifdef __AVX512F__
  add("avx512f");
#endif
#ifdef __AVX512BW__
  add("avx512bw");
#endif
#ifdef __AVX512VL__
  add("avx512vl");
#endif
#ifdef __AVX512DQ__
  add("avx512dq");
#endif
#endif
  return v;
}

bool cpu_has(const std::string& ext) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  // __builtin_cpu_supports needs a literal, hence the table.
  if (ext == "sse4.2") return __builtin_cpu_supports("sse4.2");
  if (ext == "avx") return __builtin_cpu_supports("avx");
  if (ext == "avx2") return __builtin_cpu_supports("avx2");
  if (ext == "fma") return __builtin_cpu_supports("fma");
  if (ext == "avx512f") return __builtin_cpu_supports("avx512f");
  if (ext == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (ext == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (ext == "avx512dq") return __builtin_cpu_supports("avx512dq");
#endif
  return true;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto start = line.find_first_not_of(" \t", colon + 1);
        if (start != std::string::npos) return line.substr(start);
      }
    }
  return "unknown";
}

bool compiled(SimdIsa isa) {
  switch (isa) {
    case SimdIsa::generic: return true;
#ifdef EG_DIRECT_CONV
    case SimdIsa::avx2: return true;
#endif
#ifdef EG_AVX512_CONV
    case SimdIsa::avx512: return true;
#endif
    default: return false;
  }
}

bool cpu_runs(SimdIsa isa) {
  switch (isa) {
    case SimdIsa::avx2: return cpu_has("avx2") && cpu_has("fma");
    case SimdIsa::avx512: return cpu_has("avx512f") && cpu_has("avx2") && cpu_has("fma");
    default: return true;
  }
}

SimdIsa widest_available() {
  for (SimdIsa i : {SimdIsa::avx512, SimdIsa::avx2})
    if (isa_available(i)) return i;
  return SimdIsa::generic;
}

// Which ISA a process starts with: EG_ISA, else EG_FAST_CONV=0 (generic), else the widest.
SimdIsa initial_isa() {
  if (const char* e = std::getenv("EG_ISA"); e && *e) {
    const SimdIsa want = parse_isa(e);
    ENGINE_CHECK(isa_available(want), "EG_ISA=", e, ": not available here (this build, -march=", EG_BUILD_MARCH,
                 ", on ", cpu_model(), " has: ", [] {
                   std::string s;
                   for (SimdIsa i : available_isas()) s += (s.empty() ? "" : ", ") + std::string(isa_name(i));
                   return s;
                 }(), ")");
    return want;
  }
  if (const char* e = std::getenv("EG_FAST_CONV"); e && std::string(e) == "0") return SimdIsa::generic;
  return widest_available();
}

std::atomic<SimdIsa>& isa_switch() {
  static std::atomic<SimdIsa> isa{initial_isa()};
  return isa;
}

}  // namespace

const char* isa_name(SimdIsa isa) {
  switch (isa) {
    case SimdIsa::avx2: return "avx2";
    case SimdIsa::avx512: return "avx512";
    default: return "generic";
  }
}

SimdIsa parse_isa(const std::string& name) {
  for (SimdIsa i : {SimdIsa::generic, SimdIsa::avx2, SimdIsa::avx512})
    if (name == isa_name(i)) return i;
  ENGINE_FAIL("unknown instruction set '", name, "' (EG_ISA): expected avx2, avx512 or generic");
}

bool isa_available(SimdIsa isa) { return compiled(isa) && cpu_runs(isa); }

std::vector<SimdIsa> available_isas() {
  std::vector<SimdIsa> v;
  for (SimdIsa i : {SimdIsa::generic, SimdIsa::avx2, SimdIsa::avx512})
    if (isa_available(i)) v.push_back(i);
  return v;
}

SimdIsa simd_isa() { return isa_switch().load(std::memory_order_relaxed); }

void set_simd_isa(SimdIsa isa) {
  ENGINE_CHECK(isa_available(isa), "set_simd_isa: ", isa_name(isa), " is not available in this build (-march=",
               EG_BUILD_MARCH, ") on this CPU (", cpu_model(), ")");
  isa_switch().store(isa, std::memory_order_relaxed);
}

bool fast_conv_compiled() { return compiled(SimdIsa::avx2); }

bool fast_conv_enabled() { return simd_isa() != SimdIsa::generic; }

void set_fast_conv(bool on) { set_simd_isa(on ? widest_available() : SimdIsa::generic); }

IsaInfo isa_info() {
  IsaInfo info;
  info.cpu = cpu_model();
  info.march = EG_BUILD_MARCH;
  for (const auto& e : extensions()) info.extensions += (info.extensions.empty() ? "" : " ") + e;
  if (info.extensions.empty()) info.extensions = "baseline";
  info.eigen = Eigen::SimdInstructionSetsInUse();
  switch (simd_isa()) {
    case SimdIsa::avx512: info.conv = "avx512 (direct, winograd, gemm)"; break;
    case SimdIsa::avx2: info.conv = "avx2-fma (direct, winograd, gemm)"; break;
    default: info.conv = "im2col+gemm";
  }
  return info;
}

std::string isa_summary() {
  IsaInfo i = isa_info();
  return "cpu " + i.cpu + "; build -march=" + i.march + " [" + i.extensions + "]; eigen " + i.eigen + "; conv " +
         i.conv;
}

void check_cpu_supports_build() {
  std::string missing;
  for (const auto& e : extensions())
    if (!cpu_has(e)) missing += (missing.empty() ? "" : " ") + e;
  ENGINE_CHECK(missing.empty(), "this build of eigengrad was compiled for -march=", EG_BUILD_MARCH,
               ", which uses CPU extensions that this CPU (", cpu_model(), ") lacks: ", missing,
               ". Rebuild on this machine (tools/build), or with -DENGINE_NATIVE=OFF for a portable build");
}

}  // namespace eg::cpu
