// conv_direct.cpp — the direct stride-1 convolution of conv_direct.h. The image is first copied into
// zero-padded planes [C, H + 2·ph, W + 2·pw], so every tap of an 8-wide output vector is one unaligned load
// at a fixed offset and the borders need no tests. The micro-kernel keeps a block of OB output channels ×
// PB output vectors in registers (OB·PB accumulators), and for each (c, kh, kw) loads PB input vectors
// and broadcasts OB weights: OB·PB FMAs per OB + PB loads, so the FMA units, not the loads, set the pace.
// Weights are repacked per call as [O/OB][C][KH][KW][OB] so that the OB broadcasts of a tap are adjacent.
#include "core/cpu/conv_direct.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__)
#include <immintrin.h>
#define EG_DIRECT_CONV 1
#endif

namespace eg::cpu {

namespace {
// 4 channels × 3 vectors = 12 accumulators + 3 inputs + 1 broadcast: all 16 AVX2 registers. Output
// channel counts are multiples of 4 in every model here, so no block is wasted on padding channels
// (6 × 2 is as fast but computes 18 channels for 16).
constexpr int kOB = 4, kPB = 3;
}  // namespace

bool DirectConv::applies(const kernels::Conv2dParams& p, int64_t KH, int64_t KW, int64_t out_w) {
#ifdef EG_DIRECT_CONV
  return p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 && p.groups == 1 &&
         KH * KW > 1 && p.pad_h >= 0 && p.pad_w >= 0 && p.pad_h < KH && p.pad_w < KW && out_w > 4;
#else
  return false;
#endif
}

DirectConv::DirectConv(const float* w, const float* b, int64_t C, int64_t O, int64_t H, int64_t W, int64_t KH,
                       int64_t KW, int64_t pad_h, int64_t pad_w, bool adjoint)
    : C_(C), O_(O), H_(H), W_(W), KH_(KH), KW_(KW), ph_(pad_h), pw_(pad_w) {
  OH_ = H + 2 * pad_h - KH + 1;
  OW_ = W + 2 * pad_w - KW + 1;
  Hp_ = H + 2 * pad_h;
  Wp_ = W + 2 * pad_w;
  ENGINE_CHECK(OH_ >= 1 && OW_ >= 1 && Hp_ * Wp_ < (int64_t{1} << 30), "conv2d (direct): bad geometry ", H, "x", W,
               " kernel ", KH, "x", KW, " padding ", pad_h, "x", pad_w);
  const int64_t blocks = (O + kOB - 1) / kOB, taps = KH * KW;
  packed_.assign((size_t)(blocks * C * taps * kOB), 0.0f);
  bias_.assign((size_t)(blocks * kOB), 0.0f);
  for (int64_t o = 0; o < O; ++o) {
    if (b) bias_[(size_t)o] = b[o];
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const float v = adjoint ? w[(c * O + o) * taps + (taps - 1 - t)]  // flipped: (KH−1−kh, KW−1−kw)
                                : w[(o * C + c) * taps + t];
        packed_[(size_t)((((o / kOB) * C + c) * taps + t) * kOB + o % kOB)] = v;
      }
  }
  for (int64_t oh = 0; oh < OH_; ++oh)
    for (int64_t ow = 0; ow < OW_; ow += 8)
      vecs_.push_back({(int32_t)(oh * Wp_ + ow), (int32_t)(oh * OW_ + ow), (int32_t)std::min<int64_t>(8, OW_ - ow)});
}

#ifdef EG_DIRECT_CONV
namespace {

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

// Lane mask with the first n lanes set, for the partial last vector of a row.
inline __m256i first_lanes(int n) {
  static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n));
}

}  // namespace
#endif

void DirectConv::run(const float* x, float* y, float* scratch) const {
#ifdef EG_DIRECT_CONV
  // Zero-padded copy of the image; the slack after it is zeroed too (partial vectors read into it).
  const int64_t plane = Hp_ * Wp_;
  for (int64_t c = 0; c < C_; ++c) {
    float* p = scratch + c * plane;
    std::fill(p, p + ph_ * Wp_, 0.0f);
    for (int64_t h = 0; h < H_; ++h) {
      float* r = p + (ph_ + h) * Wp_;
      std::fill(r, r + pw_, 0.0f);
      std::memcpy(r + pw_, x + (c * H_ + h) * W_, (size_t)W_ * sizeof(float));
      std::fill(r + pw_ + W_, r + Wp_, 0.0f);
    }
    std::fill(p + (ph_ + H_) * Wp_, p + plane, 0.0f);
  }
  std::fill(scratch + C_ * plane, scratch + C_ * plane + kSlack, 0.0f);

  const int64_t nvec = (int64_t)vecs_.size(), P = OH_ * OW_, blocks = (O_ + kOB - 1) / kOB;
  for (int64_t ob = 0; ob < blocks; ++ob) {
    const float* wb = packed_.data() + ob * C_ * KH_ * KW_ * kOB;
    const int nout = (int)std::min<int64_t>(kOB, O_ - ob * kOB);
    for (int64_t v = 0; v < nvec; v += kPB) {
      // The last group may run short: it repeats its last vector (computed, not stored twice).
      const Vec* vq[kPB];
      const float* xs[kPB];
      for (int q = 0; q < kPB; ++q) {
        vq[q] = &vecs_[(size_t)std::min(v + q, nvec - 1)];
        xs[q] = scratch + vq[q]->in;
      }
      __m256 acc[kOB][kPB];
      compute_block<kOB, kPB>(wb, bias_.data() + ob * kOB, xs, C_, KH_, KW_, plane, Wp_, acc);
      for (int j = 0; j < nout; ++j) {
        float* yo = y + (ob * kOB + j) * P;
        for (int q = 0; q < kPB && v + q < nvec; ++q) {
          if (vq[q]->lanes == 8) _mm256_storeu_ps(yo + vq[q]->out, acc[j][q]);
          else _mm256_maskstore_ps(yo + vq[q]->out, first_lanes(vq[q]->lanes), acc[j][q]);
        }
      }
    }
  }
#else
  ENGINE_FAIL("conv2d (direct): this build has no AVX2/FMA direct kernel (DirectConv::applies is false)");
#endif
}

}  // namespace eg::cpu
