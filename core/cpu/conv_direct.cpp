// conv_direct.cpp — the direct stride-1 convolution of conv_direct.h. The image is first copied into
// zero-padded planes [C, H + 2·ph, W + 2·pw], so every tap of an output vector (8 or 16 pixels of a row)
// is one unaligned load at a fixed offset and the borders need no tests. The micro-kernel keeps a block of OB output channels ×
// PB output vectors in registers (OB·PB accumulators), and for each (c, kh, kw) loads PB input vectors
// and broadcasts OB weights: OB·PB FMAs per OB + PB loads, so the FMA units, not the loads, set the pace.
// Weights are repacked per call as [O/OB][C][KH][KW][OB] so that the OB broadcasts of a tap are adjacent.
// Every kernel is a template over the ISA struct S of conv_simd.h (S::L lanes, S::kOB × S::kPB blocks).
#include "core/cpu/conv_direct.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "core/cpu/conv_simd.h"
#include "core/cpu/isa.h"

namespace eg::cpu {

bool DirectConv::applies(const kernels::Conv2dParams& p, int64_t KH, int64_t KW, int64_t out_w) {
#ifdef EG_DIRECT_CONV
  return fast_conv_enabled() && p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 && p.groups == 1 &&
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
  // Rows of at most 8 pixels would fill half of a 16-lane vector: they take the 8-lane kernel.
  isa_ = simd_isa();
  if (isa_ == SimdIsa::avx512 && OW_ <= 8) isa_ = SimdIsa::avx2;
  ENGINE_CHECK(isa_ != SimdIsa::generic, "conv2d (direct): no fast instruction set in use (DirectConv::applies is false)");
  int lanes = 8;
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) {
    ob_ = decltype(s)::kOB;
    lanes = decltype(s)::L;
  });
#else
  ob_ = 4;
#endif
  const int64_t kOB = ob_, blocks = (O + kOB - 1) / kOB, taps = KH * KW;
  packed_ = memory::scratch<float>((size_t)(blocks * C * taps * kOB));
  bias_ = memory::scratch<float>((size_t)(blocks * kOB));
  std::fill_n(packed_.get(), blocks * C * taps * kOB, 0.0f);
  std::fill_n(bias_.get(), blocks * kOB, 0.0f);
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
    for (int64_t ow = 0; ow < OW_; ow += lanes)
      vecs_.push_back({(int32_t)(oh * Wp_ + ow), (int32_t)(oh * OW_ + ow), (int32_t)std::min<int64_t>(lanes, OW_ - ow)});
}

#ifdef EG_DIRECT_CONV
namespace {

using simd::compute_block;

// Copies planes x [C, H, W] into zero-padded planes [Hp, Wp] (ph rows above, pw columns left) at dst,
// plane c at dst + c·stride.
inline void pad_planes(const float* x, int64_t C, int64_t H, int64_t W, int64_t ph, int64_t pw, int64_t Hp,
                       int64_t Wp, float* dst, int64_t stride) {
  for (int64_t c = 0; c < C; ++c) {
    float* p = dst + c * stride;
    std::fill(p, p + ph * Wp, 0.0f);
    for (int64_t h = 0; h < H; ++h) {
      float* r = p + (ph + h) * Wp;
      std::fill(r, r + pw, 0.0f);
      std::memcpy(r + pw, x + (c * H + h) * W, (size_t)W * sizeof(float));
      std::fill(r + pw + W, r + Wp, 0.0f);
    }
    std::fill(p + (ph + H) * Wp, p + Hp * Wp, 0.0f);
  }
}

// dw[j][t] += Σ_n Σ_i dy_j[n][i] · x[n][i + t] for OB output channels j and TW adjacent taps t of one
// kernel row, over nb images of nv vectors each. dy[j]: channel j's gradient in image 0 on the
// padded-width grid [OH][Wp] (zero in the pad columns and past the end); x: one input channel's padded
// plane [Hp][Wp] in image 0, offset to the tap row and first tap. On that common grid every tap is a
// fixed shift, so the loop is flat: no row ends, no masks (the zeros of dy cancel what the shifted x
// reads across a row end). OB·TW accumulators stay in registers; OB + TW loads feed OB·TW FMAs.
template <class S, int OB, int TW>
void weight_grad_block(const float* const* dy, const float* x, int64_t nb, int64_t nv, int64_t x_image_stride,
                       int64_t dy_image_stride, float* const* dw) {
  using V = typename S::V;
  V acc[OB][TW];
  for (int j = 0; j < OB; ++j)
    for (int t = 0; t < TW; ++t) acc[j][t] = S::zero();
  for (int64_t n = 0; n < nb; ++n) {
    const float* xn = x + n * x_image_stride;
    const float* dn[OB];
    for (int j = 0; j < OB; ++j) dn[j] = dy[j] + n * dy_image_stride;
    for (int64_t i = 0; i < nv * S::L; i += S::L) {
      V d[OB];
      for (int j = 0; j < OB; ++j) d[j] = S::pinned(S::load(dn[j] + i));  // loaded once, not once per tap
      for (int t = 0; t < TW; ++t) {
        const V a = S::pinned(S::load(xn + i + t));
        for (int j = 0; j < OB; ++j) acc[j][t] = S::fma(d[j], a, acc[j][t]);
      }
    }
  }
  for (int j = 0; j < OB; ++j)
    for (int t = 0; t < TW; ++t) dw[j][t] += simd::hsum<S>(acc[j][t]);
}

// weight_grad_block for a runtime (ob, tw) in [1, OB] × [1, 3].
template <class S, int OB>
void weight_grad_dispatch(int ob, int tw, const float* const* dy, const float* x, int64_t nb, int64_t nv, int64_t xs,
                          int64_t ds, float* const* dw) {
  if constexpr (OB > 1)
    if (ob < OB) return weight_grad_dispatch<S, OB - 1>(ob, tw, dy, x, nb, nv, xs, ds, dw);
  if (tw == 3) weight_grad_block<S, OB, 3>(dy, x, nb, nv, xs, ds, dw);
  else if (tw == 2) weight_grad_block<S, OB, 2>(dy, x, nb, nv, xs, ds, dw);
  else weight_grad_block<S, OB, 1>(dy, x, nb, nv, xs, ds, dw);
}

}  // namespace
#endif

void DirectConv::run(const float* x, float* y, float* scratch) const {
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) { run_with<decltype(s)>(x, y, scratch); });
#else
  (void)x, (void)y, (void)scratch;
  ENGINE_FAIL("conv2d (direct): this build has no AVX2/FMA direct kernel (DirectConv::applies is false)");
#endif
}

template <class S> void DirectConv::run_with(const float* x, float* y, float* scratch) const {
#ifdef EG_DIRECT_CONV
  constexpr int kOB = S::kOB, kPB = S::kPB;
  // Zero-padded copy of the image; the slack after it is zeroed too (partial vectors read into it).
  const int64_t plane = Hp_ * Wp_;
  pad_planes(x, C_, H_, W_, ph_, pw_, Hp_, Wp_, scratch, plane);
  std::fill(scratch + C_ * plane, scratch + C_ * plane + kSlack, 0.0f);

  const int64_t nvec = (int64_t)vecs_.size(), P = OH_ * OW_, blocks = (O_ + kOB - 1) / kOB;
  for (int64_t ob = 0; ob < blocks; ++ob) {
    const float* wb = packed_.get() + ob * C_ * KH_ * KW_ * kOB;
    const int nout = (int)std::min<int64_t>(kOB, O_ - ob * kOB);
    for (int64_t v = 0; v < nvec; v += kPB) {
      // The last group may run short: it repeats its last vector (computed, not stored twice).
      const ConvVec* vq[kPB];
      const float* xs[kPB];
      for (int q = 0; q < kPB; ++q) {
        vq[q] = &vecs_[(size_t)std::min(v + q, nvec - 1)];
        xs[q] = scratch + vq[q]->in;
      }
      typename S::V acc[kOB][kPB];
      compute_block<S, kOB, kPB>(wb, bias_.get() + ob * kOB, xs, C_, KH_, KW_, plane, Wp_, acc);
      for (int j = 0; j < nout; ++j) {
        float* yo = y + (ob * kOB + j) * P;
        for (int q = 0; q < kPB && v + q < nvec; ++q) {
          if (vq[q]->lanes == S::L) S::store(yo + vq[q]->out, acc[j][q]);
          else S::store_first(yo + vq[q]->out, acc[j][q], vq[q]->lanes);
        }
      }
    }
  }
#else
  (void)x, (void)y, (void)scratch;
#endif
}

// ---- weight gradient ----

DirectConvWeightGrad::DirectConvWeightGrad(int64_t C, int64_t O, int64_t H, int64_t W, int64_t KH, int64_t KW,
                                           int64_t pad_h, int64_t pad_w)
    : C_(C), O_(O), H_(H), W_(W), KH_(KH), KW_(KW), ph_(pad_h), pw_(pad_w) {
  OH_ = H + 2 * pad_h - KH + 1;
  OW_ = W + 2 * pad_w - KW + 1;
  Hp_ = H + 2 * pad_h;
  Wp_ = W + 2 * pad_w;
  ENGINE_CHECK(OH_ >= 1 && OW_ >= 1 && Hp_ * Wp_ < (int64_t{1} << 30), "conv2d backward (direct): bad geometry ", H,
               "x", W, " kernel ", KH, "x", KW, " padding ", pad_h, "x", pad_w);
  isa_ = simd_isa();
  ENGINE_CHECK(isa_ != SimdIsa::generic, "conv2d backward (direct): no fast instruction set in use");
  const int64_t L = simd::lanes(isa_);
  Lp_ = (OH_ * Wp_ + L - 1) / L * L;
  // Enough images per block that each accumulator sums ~96 vectors before its horizontal sum.
  B_ = std::max<int64_t>(1, (96 * L + Lp_ - 1) / Lp_);
}

void DirectConvWeightGrad::accumulate(const float* x, const float* dy, int64_t nb, float* dw, float* scratch) const {
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) { accumulate_with<decltype(s)>(x, dy, nb, dw, scratch); });
#else
  (void)x, (void)dy, (void)nb, (void)dw, (void)scratch;
  ENGINE_FAIL("conv2d backward (direct): this build has no AVX2/FMA direct kernel");
#endif
}

template <class S>
void DirectConvWeightGrad::accumulate_with(const float* x, const float* dy, int64_t nb, float* dw, float* scratch) const {
#ifdef EG_DIRECT_CONV
  ENGINE_CHECK(nb >= 1 && nb <= B_, "conv2d backward (direct): block of ", nb, " images, at most ", B_);
  // x as padded planes [C][nb][Hp][Wp] (one input channel of the whole block contiguous), then slack,
  // then dy on the padded-width grid [O][nb][Lp] (Lp = OH·Wp rounded up to whole vectors).
  const int64_t plane = Hp_ * Wp_, cstride = B_ * plane, P = OH_ * OW_, taps = KH_ * KW_;
  float* xs = scratch;
  float* dys = scratch + x_floats();
  for (int64_t n = 0; n < nb; ++n)
    pad_planes(x + n * C_ * H_ * W_, C_, H_, W_, ph_, pw_, Hp_, Wp_, xs + n * plane, cstride);
  // The last vectors' shifted loads run up to KW + L − 2 floats into the next plane: in a short block that
  // plane holds no image, and stale floats there (NaN · 0 = NaN) must not reach the sums.
  if (nb < B_)
    for (int64_t c = 0; c < C_; ++c)
      std::fill_n(xs + c * cstride + nb * plane, std::min(KW_ + 32, (B_ - nb) * plane), 0.0f);
  std::fill(xs + C_ * cstride, dys, 0.0f);
  for (int64_t o = 0; o < O_; ++o)
    for (int64_t n = 0; n < nb; ++n) {
      float* d = dys + (o * B_ + n) * Lp_;
      pad_planes(dy + (n * O_ + o) * P, 1, OH_, OW_, 0, 0, OH_, Wp_, d, 0);  // columns OW..Wp-1 zeroed
      std::fill(d + OH_ * Wp_, d + Lp_, 0.0f);
    }
  const int64_t nv = Lp_ / S::L;
  constexpr int kGB = S::kGradOB;
  for (int64_t o0 = 0; o0 < O_; o0 += kGB) {
    const int ob = (int)std::min<int64_t>(kGB, O_ - o0);
    const float* dyj[kGB];
    for (int j = 0; j < ob; ++j) dyj[j] = dys + (o0 + j) * B_ * Lp_;
    for (int64_t c = 0; c < C_; ++c)
      for (int64_t kh = 0; kh < KH_; ++kh)
        for (int64_t kw0 = 0; kw0 < KW_; kw0 += 3) {
          const int tw = (int)std::min<int64_t>(3, KW_ - kw0);
          const float* xr = xs + c * cstride + kh * Wp_ + kw0;
          float* dwj[kGB];
          for (int j = 0; j < ob; ++j) dwj[j] = dw + ((o0 + j) * C_ + c) * taps + kh * KW_ + kw0;
          weight_grad_dispatch<S, kGB>(ob, tw, dyj, xr, nb, nv, plane, Lp_, dwj);
        }
  }
#else
  (void)x, (void)dy, (void)nb, (void)dw, (void)scratch;
#endif
}

}  // namespace eg::cpu
