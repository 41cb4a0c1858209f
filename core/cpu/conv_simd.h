// conv_simd.h — the AVX2/FMA building blocks shared by the direct (conv_direct.cpp) and Winograd
// (conv_winograd.cpp) convolutions: the register-blocked multiply-accumulate micro-kernel, lane masks and
// horizontal sums. Internal to core/cpu. EG_DIRECT_CONV is defined when they are available (AVX2 and FMA
// enabled, GCC-style inline asm); otherwise the callers fall back to im2col + GEMM.
#pragma once
#include <cstdint>

#include "core/intrinsics.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__)
#define EG_DIRECT_CONV 1
#endif

namespace eg::cpu::simd {

// 4 channels × 3 vectors = 12 accumulators + 3 inputs + 1 broadcast: all 16 AVX2 registers. Output
// channel counts are multiples of 4 in every model here, so no block is wasted on padding channels
// (6 × 2 is as fast but computes 18 channels for 16).
constexpr int kOB = 4, kPB = 3;

#ifdef EG_DIRECT_CONV

// out[j][q] = bias[j] + Σ_{c, kh, kw} w[j, c, kh, kw] · x(vector q shifted by (kh, kw)) over the image.
// xs[q]: vector q's first input in plane 0; wb: this channel block's packed weights. The accumulators are
// locals (not the caller's array) so that the compiler keeps all OB·PB of them in registers.
template <int OB, int PB>
inline void compute_block(const float* wb, const float* bias, const float* const* xs, int64_t C, int64_t KH,
                          int64_t KW, int64_t plane, int64_t Wp, __m256 (&out)[OB][PB]) {
  __m256 acc[OB][PB];
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) acc[j][q] = _mm256_set1_ps(bias[j]);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t row = c * plane + kh * Wp;
      for (int64_t kw = 0; kw < KW; ++kw, wb += OB) {
        __m256 a[PB];
        for (int q = 0; q < PB; ++q) {
          a[q] = _mm256_loadu_ps(xs[q] + row + kw);
          // Pins the input vector to a register: otherwise GCC folds the load into each of the OB FMAs
          // that use it (OB loads instead of one), and the kernel becomes load-bound (~2x slower).
          __asm__("" : "+x"(a[q]));
        }
        for (int j = 0; j < OB; ++j) {
          const __m256 wj = _mm256_broadcast_ss(wb + j);
          for (int q = 0; q < PB; ++q) acc[j][q] = _mm256_fmadd_ps(wj, a[q], acc[j][q]);
        }
      }
    }
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) out[j][q] = acc[j][q];
}

// out[j][q] = Σ_c w[c][j] · v[c][q] over a packed panel v [C][PB][8] and weights w [C][OB]: the
// micro-kernel of compute_block without taps, on data laid out to be read strictly in order.
template <int OB, int PB>
inline void compute_panel(const float* w, const float* v, int64_t C, __m256 (&out)[OB][PB]) {
  __m256 acc[OB][PB];
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) acc[j][q] = _mm256_setzero_ps();
  for (int64_t c = 0; c < C; ++c, w += OB, v += PB * 8) {
    __m256 a[PB];
    for (int q = 0; q < PB; ++q) {
      a[q] = _mm256_loadu_ps(v + q * 8);
      __asm__("" : "+x"(a[q]));  // see compute_block
    }
    for (int j = 0; j < OB; ++j) {
      const __m256 wj = _mm256_broadcast_ss(w + j);
      for (int q = 0; q < PB; ++q) acc[j][q] = _mm256_fmadd_ps(wj, a[q], acc[j][q]);
    }
  }
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) out[j][q] = acc[j][q];
}

// Lane mask with the first n lanes set, for the partial last vector of a row.
inline __m256i first_lanes(int n) {
  static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n));
}

// The sum of the 8 lanes.
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#endif  // EG_DIRECT_CONV

}  // namespace eg::cpu::simd
