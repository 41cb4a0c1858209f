// isa.h — which instruction set the CPU kernels were compiled for and which of them run, so that every
// number (a benchmark line, a run's config.json) can be traced to the kernels that made it.
//
// The ISA is fixed at compile time (-march: native by default, a named target with -DENGINE_MARCH=...,
// the x86-64 baseline with -DENGINE_NATIVE=OFF); the code paths that depend on it are
//   - Eigen's packet math (GEMM, reductions): SSE2 / AVX / AVX2+FMA / AVX-512, whatever the target has;
//   - the fast float convolutions (direct and Winograd kernels, core/cpu/conv_simd.h) and the packed float
//     GEMM (core/cpu/sgemm.cpp): one template per kernel, instantiated for AVX2+FMA (8 lanes) and, where
//     the target has AVX-512F, for AVX-512 (16 lanes), with im2col + Eigen's GEMM as the fallback that
//     every build has.
// Which of them runs is chosen at run time: the widest instantiation this build has and this CPU runs
// (CPUID), or the one named by EG_ISA=avx2|avx512|generic in the environment when the process starts
// (generic: im2col + Eigen's GEMM), or set_simd_isa — so that every path the machine can run can be tested and
// timed on it, like torch.backends.cudnn.enabled. EG_FAST_CONV=0 is the older spelling of EG_ISA=generic.
#pragma once
#include <string>
#include <vector>

namespace eg::cpu {

struct IsaInfo {
  std::string cpu;         // this machine's CPU model ("model name" of /proc/cpuinfo), or "unknown"
  std::string march;       // the build's target: "native", "x86-64-v4", ..., or "x86-64" (no -march)
  std::string extensions;  // SIMD extensions the compiler was allowed to use, e.g. "sse4.2 avx avx2 fma avx512f"
  std::string eigen;       // Eigen's packet math in use, e.g. "AVX512, FMA, AVX2, AVX, SSE, SSE2, ..."
  std::string conv;        // the float convolution and GEMM kernels in use: "avx512 (direct, winograd, gemm)",
                           // "avx2-fma (direct, winograd, gemm)" or "im2col+gemm" (Eigen's: none compiled in,
                           // or EG_ISA=generic)
};

IsaInfo isa_info();
// One line for logs: "cpu <model>; build -march=<m> [<ext>]; eigen <..>; conv <..>".
std::string isa_summary();

// Throws eg::Error naming the missing extensions when this build needs some that the running CPU lacks
// (a binary built with -march=native on an AVX-512 machine, then copied to an AVX2 one). Called by every
// binary before its first kernel, instead of dying of SIGILL somewhere inside.
void check_cpu_supports_build();

// The instruction sets of the fast convolutions, narrowest first.
enum class SimdIsa { generic = 0, avx2 = 1, avx512 = 2 };
// "generic", "avx2", "avx512" (EG_ISA's spelling).
const char* isa_name(SimdIsa isa);
// Parses EG_ISA's spelling; throws eg::Error naming the accepted values otherwise.
SimdIsa parse_isa(const std::string& name);
// True when this build has that instantiation and this CPU can run it (generic: always).
bool isa_available(SimdIsa isa);
// Those, narrowest first: what the tests loop over.
std::vector<SimdIsa> available_isas();
// The one in use: EG_ISA when set (an unavailable one is an error naming what this build and CPU have),
// else the widest available.
SimdIsa simd_isa();
// Switches to `isa` (eg::Error when not available). Not meant for use while kernels run on other threads.
void set_simd_isa(SimdIsa isa);

// True when this build has the AVX2/FMA direct and Winograd convolutions (and so at least one fast ISA).
bool fast_conv_compiled();
// True when a fast ISA is in use (simd_isa() != generic).
bool fast_conv_enabled();
// on: the widest available ISA; off: generic.
void set_fast_conv(bool on);

}  // namespace eg::cpu
