// sgemm.cpp — the packed float GEMM of sgemm.h. Letters: M, N, K the product's sizes; MR × NR the register
// tile (ISA struct: kOB rows × kPB vectors); kc the depth of one packed chunk, mc the rows of one packed
// block of A; "panel" a packed NR-column strip of B, "micro-panel" a packed MR-row strip of A.
#include "core/cpu/sgemm.h"

#include <algorithm>
#include <cstring>

#include "core/allocator.h"
#include "core/check.h"
#include "core/cpu/conv_simd.h"
#include "core/cpu/cpu_nn_kernels.h"

namespace eg::cpu {

#ifdef EG_DIRECT_CONV
namespace {

// Depth of a packed chunk: a B panel (kc × NR floats: 72 KiB on AVX-512 at 384) is read by every A
// micro-panel of a block, so it should stay in L1/L2; an A block (mc × kc, mc ≤ 128) stays in L2. Measured
// on Zen 5 (AVX-512): kc 384 beat 256 by 3-8% on 1024³ and on a 512 × 256 × 4608 convolution product.
constexpr int64_t kMaxKc = 384;
constexpr int64_t kMaxMc = 128;
// Below this many multiply-adds one thread does it all (waking the others costs more).
constexpr int64_t kParallelFma = int64_t{1} << 20;

// The 4 × 8 block at src (rows rs apart) transposed: its column k goes to dst + k·ds (4 floats).
inline void transpose_4x8(const float* src, int64_t rs, float* dst, int64_t ds) {
  for (int h = 0; h < 2; ++h) {
    __m128 r0 = _mm_loadu_ps(src + 4 * h), r1 = _mm_loadu_ps(src + rs + 4 * h);
    __m128 r2 = _mm_loadu_ps(src + 2 * rs + 4 * h), r3 = _mm_loadu_ps(src + 3 * rs + 4 * h);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst + (4 * h + 0) * ds, r0);
    _mm_storeu_ps(dst + (4 * h + 1) * ds, r1);
    _mm_storeu_ps(dst + (4 * h + 2) * ds, r2);
    _mm_storeu_ps(dst + (4 * h + 3) * ds, r3);
  }
}

// dst [kc][NR] = B[p0 .. p0+kc, j0 .. j0+nr), zero-padded to NR columns (NR: the panel's width, a whole
// number of vectors: the ISA's full panel, or fewer vectors for the last one).
inline void pack_b(SgemmOperand b, int64_t p0, int64_t kc, int64_t j0, int64_t nr, int64_t NR, float* dst) {
  const float* src = b.p + p0 * b.rs + j0 * b.cs;
  if (b.cs == 1) {
    for (int64_t k = 0; k < kc; ++k, dst += NR) {
      std::memcpy(dst, src + k * b.rs, (size_t)nr * sizeof(float));
      std::fill(dst + nr, dst + NR, 0.0f);
    }
    return;
  }
  int64_t j = 0;
  if (b.rs == 1)  // Bᵀ stored row-major (im2col columns in dW = dY · colᵀ): 4 columns × 8 rows at a time
    for (; j + 4 <= nr; j += 4) {
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) transpose_4x8(src + j * b.cs + k, b.cs, dst + k * NR + j, NR);
      for (; k < kc; ++k)
        for (int64_t jj = j; jj < j + 4; ++jj) dst[k * NR + jj] = src[jj * b.cs + k];
    }
  for (; j < NR; ++j) {  // column by column: B's columns are the contiguous ones here
    if (j >= nr) {
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = 0.0f;
      continue;
    }
    const float* col = src + j * b.cs;
    for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = col[k * b.rs];
  }
}

// dst [kc][MR] = A[i0 .. i0+mr, p0 .. p0+kc), zero-padded to MR rows.
template <int64_t MR> void pack_a(SgemmOperand a, int64_t i0, int64_t mr, int64_t p0, int64_t kc, float* dst) {
  const float* src = a.p + i0 * a.rs + p0 * a.cs;
  if (a.rs == 1 && mr == MR) {
    for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * MR, src + k * a.cs, MR * sizeof(float));
    return;
  }
  if (a.cs == 1 && mr == MR && MR % 4 == 0) {
    // Row-major A (weights [O, C·KH·KW]): 4-row × 8-column blocks transposed in registers; a strided
    // scalar copy here cost a quarter of the time of products with few column panels.
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8)
      for (int64_t i = 0; i < MR; i += 4) transpose_4x8(src + i * a.rs + k, a.rs, dst + k * MR + i, MR);
    for (; k < kc; ++k)
      for (int64_t i = 0; i < MR; ++i) dst[k * MR + i] = src[i * a.rs + k];
    return;
  }
  for (int64_t i = 0; i < MR; ++i) {
    if (i >= mr) {
      for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = 0.0f;
      continue;
    }
    const float* row = src + i * a.rs;
    for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = row[k * a.cs];
  }
}

// C tile [mr, nr] (+)= packed A micro-panel · packed B panel of PB vectors over kc.
template <class S, int PB>
void tile(const float* ap, const float* bp, int64_t kc, float* c, int64_t rsc, int64_t csc, int64_t mr, int64_t nr,
          bool add) {
  constexpr int MR = S::kOB;
  constexpr int64_t NR = PB * S::L;
  typename S::V acc[MR][PB];
  simd::compute_panel<S, MR, PB>(ap, bp, kc, acc);
  if (csc == 1 && nr == NR) {
    for (int64_t i = 0; i < mr; ++i)
      for (int q = 0; q < PB; ++q) {
        float* p = c + i * rsc + q * S::L;
        S::store(p, add ? S::add(S::load(p), acc[i][q]) : acc[i][q]);
      }
    return;
  }
  alignas(64) float buf[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < PB; ++q) S::store(buf[i] + q * S::L, acc[i][q]);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float& dst = c[i * rsc + j * csc];
      dst = add ? dst + buf[i][j] : buf[i][j];
    }
}

// tile for a panel of pb vectors (the last panel of a row may be narrower than the ISA's kPB: it is
// computed with as many vectors as it needs, not padded to the full width).
template <class S>
void tile_of(int pb, const float* ap, const float* bp, int64_t kc, float* c, int64_t rsc, int64_t csc, int64_t mr,
             int64_t nr, bool add) {
  static_assert(S::kPB == 3, "sgemm: tile_of dispatches panels of 1 to 3 vectors");
  if (pb == 1) tile<S, 1>(ap, bp, kc, c, rsc, csc, mr, nr, add);
  else if (pb == 2) tile<S, 2>(ap, bp, kc, c, rsc, csc, mr, nr, add);
  else tile<S, 3>(ap, bp, kc, c, rsc, csc, mr, nr, add);
}

template <class S>
void run(int64_t M, int64_t N, int64_t K, SgemmOperand a, SgemmOperand b, float* c, int64_t rsc, int64_t csc,
         bool accumulate) {
  constexpr int64_t MR = S::kOB, NR = S::kPB * S::L;
  // kc from K alone (chunks of equal depth), so that the order of the sums never depends on anything else.
  const int64_t chunks = (K + kMaxKc - 1) / kMaxKc, kc_max = (K + chunks - 1) / chunks;
  const bool parallel = max_threads() > 1 && M * N * K >= kParallelFma
#ifdef _OPENMP
                        && !omp_in_parallel()
#endif
      ;
  const int64_t threads = parallel ? max_threads() : 1;
  // Row blocks of at most kMaxMc rows, as many as a multiple of the threads so that each thread gets the
  // same share (1024 rows in blocks of 96 left one thread 3 of 11 blocks idle-waiting); the row split does
  // not change any sum, so it may depend on the threads.
  const int64_t want = threads * ((M + threads * kMaxMc - 1) / (threads * kMaxMc));
  const int64_t mc_rows = ((M + want - 1) / want + MR - 1) / MR * MR;
  const int64_t panels = (N + NR - 1) / NR, row_blocks = (M + mc_rows - 1) / mc_rows;
  // Column groups only when there are fewer row blocks than threads (a few output rows, many columns).
  const int64_t groups = row_blocks >= threads ? 1 : std::min(panels, (threads + row_blocks - 1) / row_blocks);
  const int64_t tasks = row_blocks * groups;
  // A panel of nr columns is packed (and computed) as whole vectors: ceil(nr / L) of them.
  auto panel_width = [](int64_t nr) { return (nr + S::L - 1) / S::L * S::L; };
  auto bpack = memory::scratch<float>((size_t)(panels * NR * kc_max));

#pragma omp parallel num_threads((int)std::min(threads, tasks)) if (parallel && tasks > 1)
  {
    auto apack = memory::scratch<float>((size_t)(mc_rows * kc_max));
    for (int64_t p0 = 0; p0 < K; p0 += kc_max) {
      const int64_t kc = std::min(kc_max, K - p0);
      const bool add = accumulate || p0 > 0;
#pragma omp for schedule(static)
      for (int64_t jp = 0; jp < panels; ++jp) {
        const int64_t nr = std::min(NR, N - jp * NR);
        pack_b(b, p0, kc, jp * NR, nr, panel_width(nr), bpack.get() + jp * NR * kc);
      }
#pragma omp for schedule(static)
      for (int64_t t = 0; t < tasks; ++t) {
        const int64_t i0 = t / groups * mc_rows, mc = std::min(mc_rows, M - i0), g = t % groups;
        const int64_t micro = (mc + MR - 1) / MR;
        for (int64_t r = 0; r < micro; ++r)
          pack_a<MR>(a, i0 + r * MR, std::min(MR, mc - r * MR), p0, kc, apack.get() + r * MR * kc);
        for (int64_t jp = g * panels / groups; jp < (g + 1) * panels / groups; ++jp) {
          const int64_t j0 = jp * NR, nr = std::min(NR, N - j0);
          const int pb = (int)(panel_width(nr) / S::L);
          for (int64_t r = 0; r < micro; ++r)
            tile_of<S>(pb, apack.get() + r * MR * kc, bpack.get() + jp * NR * kc, kc,
                       c + (i0 + r * MR) * rsc + j0 * csc, rsc, csc, std::min(MR, mc - r * MR), nr, add);
        }
      }
    }
  }
}

}  // namespace
#endif  // EG_DIRECT_CONV

bool sgemm_available(SimdIsa isa) {
#ifdef EG_DIRECT_CONV
  return isa != SimdIsa::generic && isa_available(isa);
#else
  (void)isa;
  return false;
#endif
}

void sgemm(SimdIsa isa, int64_t M, int64_t N, int64_t K, SgemmOperand a, SgemmOperand b, float* c, int64_t rsc,
           int64_t csc, bool accumulate) {
  ENGINE_CHECK(sgemm_available(isa), "sgemm: no packed kernel for ISA ", isa_name(isa), " in this build or CPU");
  ENGINE_CHECK(M >= 0 && N >= 0 && K >= 0, "sgemm: negative size ", M, " x ", N, " x ", K);
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) c[i * rsc + j * csc] = 0.0f;
    return;
  }
#ifdef EG_DIRECT_CONV
  // The kernel writes rows of C: a column-major C is computed as Cᵀ = Bᵀ · Aᵀ.
  if (csc != 1 && rsc == 1) {
    std::swap(M, N);
    std::swap(a, b);
    std::swap(a.rs, a.cs);
    std::swap(b.rs, b.cs);
    std::swap(rsc, csc);
  }
  simd::with_isa(isa, [&](auto s) { run<decltype(s)>(M, N, K, a, b, c, rsc, csc, accumulate); });
#else
  (void)a, (void)b;  // unreachable: sgemm_available is false without the AVX2/FMA kernels
#endif
}

}  // namespace eg::cpu
