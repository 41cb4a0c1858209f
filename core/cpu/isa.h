// isa.h — which instruction set the CPU kernels were compiled for and which of them run, so that every
// number (a benchmark line, a run's config.json) can be traced to the kernels that made it.
//
// The ISA is fixed at compile time (-march: native by default, a named target with -DENGINE_MARCH=...,
// the x86-64 baseline with -DENGINE_NATIVE=OFF); the code paths that depend on it are
//   - Eigen's packet math (GEMM, reductions): SSE2 / AVX / AVX2+FMA / AVX-512, whatever the target has;
//   - the fast float convolutions (direct and Winograd kernels, core/cpu/conv_simd.h): AVX2+FMA, with
//     im2col + GEMM as the fallback that every build has.
// The fast convolutions can also be switched off at run time (set_fast_conv, or EG_FAST_CONV=0 in the
// environment when the process starts) — like torch.backends.cudnn.enabled — to test or time the fallback
// on the same machine and build.
#pragma once
#include <string>

namespace eg::cpu {

struct IsaInfo {
  std::string cpu;         // this machine's CPU model ("model name" of /proc/cpuinfo), or "unknown"
  std::string march;       // the build's target: "native", "x86-64-v4", ..., or "x86-64" (no -march)
  std::string extensions;  // SIMD extensions the compiler was allowed to use, e.g. "sse4.2 avx avx2 fma avx512f"
  std::string eigen;       // Eigen's packet math in use, e.g. "AVX512, FMA, AVX2, AVX, SSE, SSE2, ..."
  std::string conv;        // the float convolution kernels in use: "avx2-fma (direct, winograd)" or
                           // "im2col+gemm" (not compiled in, or switched off)
};

IsaInfo isa_info();
// One line for logs: "cpu <model>; build -march=<m> [<ext>]; eigen <..>; conv <..>".
std::string isa_summary();

// Throws eg::Error naming the missing extensions when this build needs some that the running CPU lacks
// (a binary built with -march=native on an AVX-512 machine, then copied to an AVX2 one). Called by every
// binary before its first kernel, instead of dying of SIGILL somewhere inside.
void check_cpu_supports_build();

// True when this build has the AVX2/FMA direct and Winograd convolutions.
bool fast_conv_compiled();
// True when they are compiled in and switched on (the default; EG_FAST_CONV=0 starts with them off).
bool fast_conv_enabled();
void set_fast_conv(bool on);

}  // namespace eg::cpu
