// gemm.h — dst (+)= lhs · rhs for Eigen matrix expressions with direct access. Float products go to the
// engine's packed GEMM (sgemm.h) whenever a SIMD ISA is in use (simd_isa() is not generic: EG_ISA=generic
// and builds without AVX2/FMA use Eigen), double ones to Eigen's GEMM. Both give numbers that depend on the
// sizes only, never on the thread count: sgemm by construction; for Eigen the split over threads is done
// here, since Eigen's own threading picks another depth blocking for one thread than for several (measured:
// 64x3136x128 differed bitwise between 1 and 2 threads). The engine is built with EIGEN_DONT_PARALLELIZE,
// and the longer side of dst is cut into blocks of kGemmBlock rows or columns, each one single-threaded
// GEMM. Called inside a parallel region (per-image loops), either runs on the calling thread.
#pragma once
#include "core/eigen.h"
#include <algorithm>
#include <type_traits>

#include "core/cpu/cpu_kernels.h"
#include "core/cpu/isa.h"
#include "core/cpu/sgemm.h"

namespace eg::cpu {

constexpr int64_t kGemmBlock = 64;

// True when gemm() runs T products on the packed GEMM: float, with a fast ISA in use (simd_isa() is always
// one this build has and this CPU runs, so no CPUID check is needed per product). Callers that choose a
// layout for the product (conv's dW) ask here rather than repeat the rule.
template <class T> bool gemm_is_packed() { return std::is_same_v<T, float> && simd_isa() != SimdIsa::generic; }

// dst, lhs, rhs: Eigen matrix expressions with direct access (maps, blocks and transposes of maps).
template <class Dst, class Lhs, class Rhs> void gemm(Dst dst, const Lhs& lhs, const Rhs& rhs, bool accumulate = false) {
  if constexpr (std::is_same_v<typename Dst::Scalar, float>) {
    if (gemm_is_packed<float>()) {
      sgemm(simd_isa(), dst.rows(), dst.cols(), lhs.cols(), {lhs.data(), lhs.rowStride(), lhs.colStride()},
            {rhs.data(), rhs.rowStride(), rhs.colStride()}, dst.data(), dst.rowStride(), dst.colStride(), accumulate);
      return;
    }
  }
  auto product = [accumulate](auto d, const auto& l, const auto& r) {
    if (accumulate) d.noalias() += l * r;
    else d.noalias() = l * r;
  };
  const bool by_rows = dst.rows() >= dst.cols();
  const int64_t len = by_rows ? dst.rows() : dst.cols(), blocks = (len + kGemmBlock - 1) / kGemmBlock;
  parallel_for(blocks, [&](int64_t b) {
    const int64_t at = b * kGemmBlock, n = std::min(kGemmBlock, len - at);
    if (by_rows) product(dst.middleRows(at, n), lhs.middleRows(at, n), rhs);
    else product(dst.middleCols(at, n), lhs, rhs.middleCols(at, n));
  }, kGemmBlock * (by_rows ? dst.cols() : dst.rows()) * lhs.cols());
}

}  // namespace eg::cpu
