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

std::atomic<bool>& fast_conv_switch() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("EG_FAST_CONV");
    return !(e && std::string(e) == "0");
  }()};
  return on;
}

}  // namespace

bool fast_conv_compiled() {
#ifdef EG_DIRECT_CONV
  return true;
#else
  return false;
#endif
}

bool fast_conv_enabled() { return fast_conv_compiled() && fast_conv_switch().load(std::memory_order_relaxed); }

void set_fast_conv(bool on) { fast_conv_switch().store(on, std::memory_order_relaxed); }

IsaInfo isa_info() {
  IsaInfo info;
  info.cpu = cpu_model();
  info.march = EG_BUILD_MARCH;
  for (const auto& e : extensions()) info.extensions += (info.extensions.empty() ? "" : " ") + e;
  if (info.extensions.empty()) info.extensions = "baseline";
  info.eigen = Eigen::SimdInstructionSetsInUse();
  info.conv = fast_conv_enabled() ? "avx2-fma (direct, winograd)" : "im2col+gemm";
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
