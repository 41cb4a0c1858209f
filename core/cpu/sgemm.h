// sgemm.h — eigengrad's own float GEMM: C [M, N] (+)= A [M, K] · B [K, N] for operands with any element
// strides (row-major, transposed, sub-blocks), packed and blocked the way BLIS and OpenBLAS do it, with
// the micro-kernel of the convolutions (conv_simd.h: compute_panel) instantiated per ISA:
//   - the K axis in chunks of kc; per chunk, B is packed into panels [kc][NR] (NR = 3 vectors: 24 floats on
//     AVX2, 48 on AVX-512) and each block of mc rows of A into micro-panels [kc][MR] (MR = 4 or 8);
//   - each MR × NR tile of C is one register block: kc broadcast-FMA steps, then added into C.
// Every element of C is the same chain of FMAs in the same order whatever the thread count (threads split
// rows and column panels, never K, and kc is derived from K alone): results depend on the sizes only, as the
// engine promises (see gemm.h). Letters: M, N, K the product's sizes; rs/cs an operand's row/column stride
// in elements. Internal to core/cpu; gemm.h routes float products here when simd_isa() is not generic.
#pragma once
#include <cstdint>

#include "core/cpu/isa.h"

namespace eg::cpu {

// One operand: element (i, j) is at p[i * rs + j * cs].
struct SgemmOperand {
  const float* p;
  int64_t rs, cs;
};

// True when this build has the packed kernel for `isa` (AVX2/FMA builds: avx2, and avx512 where built).
bool sgemm_available(SimdIsa isa);

// C (+)= A · B with the kernel of `isa` (sgemm_available(isa) must hold). C: c[i * rsc + j * csc], no
// overlap with A or B. Parallel over OpenMP threads unless called inside a parallel region.
void sgemm(SimdIsa isa, int64_t M, int64_t N, int64_t K, SgemmOperand a, SgemmOperand b, float* c, int64_t rsc,
           int64_t csc, bool accumulate);

}  // namespace eg::cpu
