// conv_simd.h — the vector building blocks of the direct (conv_direct.cpp) and Winograd
// (conv_winograd.cpp) convolutions, written once for any vector width and register budget: an ISA is a
// struct (Avx2: 8 float lanes in 16 registers; Avx512: 16 lanes in 32 registers) with the handful of
// operations the kernels use and the register blocking that fits it, and every kernel is a template over
// it. A build gets the instantiations its target allows (-march: native by default); which one runs is
// decided at run time (isa.h: the widest the CPU has, or EG_ISA=avx2|avx512|generic). Internal to core/cpu.
// EG_DIRECT_CONV is defined when at least the AVX2/FMA one is built (and EG_AVX512_CONV when AVX-512 is
// too); otherwise the callers fall back to im2col + GEMM.
#pragma once
#include <cstdint>

#include "core/cpu/isa.h"
#include "core/intrinsics.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__)
#define EG_DIRECT_CONV 1
#if defined(__AVX512F__)
#define EG_AVX512_CONV 1
#endif
#endif

namespace eg::cpu::simd {

#ifdef EG_DIRECT_CONV

// 8 lanes, 16 registers. Direct/Winograd blocks: 4 channels × 3 vectors = 12 accumulators + 3 inputs + 1
// broadcast fill the 16 registers (output channel counts are multiples of 4 in every model here, so no
// block computes padding channels). Weight gradient: 3 channels × 3 taps (direct), 2 output × 4 input
// channels (Winograd).
struct Avx2 {
  using V = __m256;
  static constexpr int L = 8;
  static constexpr int kOB = 4, kPB = 3, kGradOB = 3;
  static constexpr int kWinOB = 4, kWinPB = 3, kWinGradO = 2;
  static constexpr SimdIsa isa = SimdIsa::avx2;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float f) { return _mm256_set1_ps(f); }
  static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  // Stores lanes [0, n) only (the partial last vector of a row).
  static void store_first(float* p, V v, int n) {
    static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    _mm256_maskstore_ps(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n)), v);
  }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  // Pins a loaded vector to a register: otherwise GCC folds the load into each FMA that uses it (OB loads
  // instead of one) and the kernels become load-bound (~2x slower). By value, not through a reference: an
  // asm operand bound to an array element keeps the whole array in memory, and GCC then stores every
  // loaded vector to the stack as well (4 dead 64-byte stores per step of Winograd's panel loop).
  static V pinned(V v) {
    __asm__("" : "+x"(v));
    return v;
  }
  // The 8-lane vector whose lane i is the sum of lanes i and i + 8, i + 16, ... (the identity here).
  static __m256 fold8(V v) { return v; }
};

#ifdef EG_AVX512_CONV
// 16 lanes, 32 registers: 8 channels × 3 vectors = 24 accumulators + 3 inputs + 1 broadcast (28); the
// weight gradient 6 channels × 3 taps (18 + 6 + 1). Winograd: 6 channels × 4 tiles (24 + 4 + 1), since the
// tile counts of the small planes (4 on 4×4, 16 on 8×8 and 7×7) are multiples of 4, not of 3; its weight
// gradient 4 output × 4 input channels (16 + 8 loads).
struct Avx512 {
  using V = __m512;
  static constexpr int L = 16;
  static constexpr int kOB = 8, kPB = 3, kGradOB = 6;
  static constexpr int kWinOB = 6, kWinPB = 4, kWinGradO = 4;
  static constexpr SimdIsa isa = SimdIsa::avx512;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float f) { return _mm512_set1_ps(f); }
  static V bcast(const float* p) { return _mm512_set1_ps(*p); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_first(float* p, V v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V pinned(V v) {  // "v": any of the 32 registers
    __asm__("" : "+v"(v));
    return v;
  }
  static __m256 fold8(V v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  }
};
#endif

// The sum of all lanes.
template <class S> inline float hsum(typename S::V v) {
  const __m256 h = S::fold8(v);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The 8 lane sums of a[0..7], in order, as one 8-lane vector.
template <class S> inline __m256 hsum8(const typename S::V (&a)[8]) {
  __m256 f[8];
  for (int i = 0; i < 8; ++i) f[i] = S::fold8(a[i]);
  const __m256 t0 = _mm256_hadd_ps(f[0], f[1]), t1 = _mm256_hadd_ps(f[2], f[3]);
  const __m256 t2 = _mm256_hadd_ps(f[4], f[5]), t3 = _mm256_hadd_ps(f[6], f[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// out[j][q] = bias[j] + Σ_{c, kh, kw} w[j, c, kh, kw] · x(vector q shifted by (kh, kw)) over the image.
// xs[q]: vector q's first input in plane 0; wb: this channel block's packed weights [C][KH][KW][OB]. The
// accumulators are locals (not the caller's array) so that the compiler keeps all OB·PB in registers.
template <class S, int OB, int PB>
inline void compute_block(const float* wb, const float* bias, const float* const* xs, int64_t C, int64_t KH,
                          int64_t KW, int64_t plane, int64_t Wp, typename S::V (&out)[OB][PB]) {
  using V = typename S::V;
  V acc[OB][PB];
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) acc[j][q] = S::set1(bias[j]);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t row = c * plane + kh * Wp;
      for (int64_t kw = 0; kw < KW; ++kw, wb += OB) {
        V a[PB];
        for (int q = 0; q < PB; ++q) {
          a[q] = S::pinned(S::load(xs[q] + row + kw));
        }
        for (int j = 0; j < OB; ++j) {
          const V wj = S::bcast(wb + j);
          for (int q = 0; q < PB; ++q) acc[j][q] = S::fma(wj, a[q], acc[j][q]);
        }
      }
    }
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) out[j][q] = acc[j][q];
}

// out[j][q] = Σ_c w[c][j] · v[c][q] over a packed panel v [C][PB][L] and weights w [C][OB]: the
// micro-kernel of compute_block without taps, on data laid out to be read strictly in order.
template <class S, int OB, int PB>
inline void compute_panel(const float* w, const float* v, int64_t C, typename S::V (&out)[OB][PB]) {
  using V = typename S::V;
  V acc[OB][PB];
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) acc[j][q] = S::zero();
  for (int64_t c = 0; c < C; ++c, w += OB, v += PB * S::L) {
    V a[PB];
    for (int q = 0; q < PB; ++q) {
      a[q] = S::pinned(S::load(v + q * S::L));
    }
    for (int j = 0; j < OB; ++j) {
      const V wj = S::bcast(w + j);
      for (int q = 0; q < PB; ++q) acc[j][q] = S::fma(wj, a[q], acc[j][q]);
    }
  }
  for (int j = 0; j < OB; ++j)
    for (int q = 0; q < PB; ++q) out[j][q] = acc[j][q];
}

// Calls f(S{}) with the ISA struct of `isa` (one of those this build has).
template <class F> inline decltype(auto) with_isa(SimdIsa isa, F&& f) {
#ifdef EG_AVX512_CONV
  if (isa == SimdIsa::avx512) return f(Avx512{});
#endif
  (void)isa;
  return f(Avx2{});
}

#endif  // EG_DIRECT_CONV

// The float lanes of an ISA's vectors (its struct's L; 8 where none is built, as no kernel then runs).
inline int64_t lanes(SimdIsa isa) {
#ifdef EG_DIRECT_CONV
  return with_isa(isa, [](auto s) { return int64_t{decltype(s)::L}; });
#else
  (void)isa;
  return 8;
#endif
}

}  // namespace eg::cpu::simd
