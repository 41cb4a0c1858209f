// conv_winograd.cpp — Winograd F(2×2, 3×3) of conv_winograd.h, L images per call (the ISA's lanes: 8 or
// 16), one per lane; every step is a template over the ISA struct S of conv_simd.h:
//   1. xL [C][Hp][Wp][L]: the images interleaved by lane, zero-padded (1 before, and after up to a whole
//      number of 2×2 tiles plus 1), so a tile's 4×4 input is 16 full-vector loads.
//   then, for chunks of up to 384/L tiles (so that V and M stay in cache from one step to the next):
//   2. V = Bᵀ d B for every channel and tile (adds only), stored as panels [16][tiles/3][C][3][L] so that
//      the product below reads each panel of 3 tiles in order.
//   3. M [16][O][tiles][L] = U_ξ · V_ξ for each ξ: compute_panel of conv_simd.h (depth C).
//   4. y = Aᵀ m A per output channel and tile (adds only), plus bias, written back image by image.
// With Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
// Aᵀ = [1 1 1 0; 0 1 −1 −1] (Lavin & Gray). The filter transform is done in double, once per call.
#include "core/cpu/conv_winograd.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "core/cpu/conv_simd.h"
#include "core/cpu/isa.h"
#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

namespace {

// The ISA a Winograd object runs with for a batch of N: 16 lanes where the batch fills them.
SimdIsa winograd_isa(int64_t N) {
  const SimdIsa isa = simd_isa();
  return isa == SimdIsa::avx512 && N < 16 ? SimdIsa::avx2 : isa;
}

}  // namespace

#ifdef EG_DIRECT_CONV
namespace {

// dst [C][Hp][Wp][kL] = nb ≤ kL images x [nb, C, H, W] interleaved by lane, placed `pad` rows and columns
// in, zero elsewhere (and in the lanes past nb).
template <int64_t kL>
void interleave(const float* x, int64_t nb, int64_t C, int64_t H, int64_t W, int64_t Hp, int64_t Wp, int64_t pad,
                float* dst) {
  std::fill(dst, dst + C * Hp * Wp * kL, 0.0f);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t h = 0; h < H; ++h) {
      float* row = dst + ((c * Hp + h + pad) * Wp + pad) * kL;
      for (int64_t i = 0; i < nb; ++i) {
        const float* src = x + ((i * C + c) * H + h) * W;
        for (int64_t w = 0; w < W; ++w) row[w * kL + i] = src[w];
      }
    }
}

// v[ξ] = (Bᵀ d B)_ξ for the 4×4 tile of vectors whose top-left is d0 (rows Wp vectors apart).
template <class S> inline void input_transform(const float* d0, int64_t Wp, typename S::V (&v)[16]) {
  using V = typename S::V;
  constexpr int64_t kL = S::L;
  V u[4][4];
  for (int k = 0; k < 4; ++k) {  // u = Bᵀ d, column k
    const V r0 = S::load(d0 + (0 * Wp + k) * kL), r1 = S::load(d0 + (1 * Wp + k) * kL);
    const V r2 = S::load(d0 + (2 * Wp + k) * kL), r3 = S::load(d0 + (3 * Wp + k) * kL);
    u[0][k] = S::sub(r0, r2);
    u[1][k] = S::add(r1, r2);
    u[2][k] = S::sub(r2, r1);
    u[3][k] = S::sub(r1, r3);
  }
  for (int r = 0; r < 4; ++r) {  // v = u B, row r
    v[r * 4 + 0] = S::sub(u[r][0], u[r][2]);
    v[r * 4 + 1] = S::add(u[r][1], u[r][2]);
    v[r * 4 + 2] = S::sub(u[r][2], u[r][1]);
    v[r * 4 + 3] = S::sub(u[r][1], u[r][3]);
  }
}

}  // namespace
#endif

bool WinogradConv::applies(const kernels::Conv2dParams& p, int64_t N, int64_t C, int64_t O, int64_t H, int64_t W,
                           int64_t KH, int64_t KW) {
#ifdef EG_DIRECT_CONV
  // 32×32 planes: Winograd beats the direct kernel on AVX2 (ResNet-18's 64-channel layer: 21.6 vs 29.6 ms
  // forward), the 16-lane direct kernel beats it on AVX-512 (13.6 vs 16.3 ms), so there it stops at 16×16.
  const int64_t max_plane = simd_isa() == SimdIsa::avx512 ? 256 : 1024;
  return fast_conv_enabled() && KH == 3 && KW == 3 && p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 &&
         p.pad_h == 1 && p.pad_w == 1 && p.groups == 1 && C >= 64 && O >= 64 && H * W <= max_plane && N >= 8;
#else
  return false;
#endif
}

WinogradConv::WinogradConv(const float* w, const float* b, int64_t N, int64_t C, int64_t O, int64_t H, int64_t W,
                           bool adjoint)
    : C_(C), O_(O), H_(H), W_(W), isa_(winograd_isa(N)) {
  ENGINE_CHECK(H >= 1 && W >= 1, "conv2d (winograd): empty plane ", H, "x", W);
  ENGINE_CHECK(isa_ != SimdIsa::generic, "conv2d (winograd): no fast instruction set in use (applies is false)");
  lanes_ = simd::lanes(isa_);
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) {
    ob_ = decltype(s)::kWinOB;
    pb_ = decltype(s)::kWinPB;
  });
#endif
  const int64_t kOB = ob_;
  TH_ = (H + 1) / 2;
  TW_ = (W + 1) / 2;
  T_ = TH_ * TW_;
  Hp_ = 2 * TH_ + 2;
  Wp_ = 2 * TW_ + 2;
  const int64_t blocks = (O + kOB - 1) / kOB;
  U_ = memory::scratch<float>((size_t)(16 * blocks * C * kOB));
  bias_ = memory::scratch<float>((size_t)(blocks * kOB));
  std::fill_n(U_.get(), 16 * blocks * C * kOB, 0.0f);
  std::fill_n(bias_.get(), blocks * kOB, 0.0f);
  // Up to 512·512·16 floats for ResNet-18's layer4: worth the threads.
  parallel_for(O, [&](int64_t o) {
    if (b) bias_[(size_t)o] = b[o];
    for (int64_t c = 0; c < C; ++c) {
      double g[3][3], t[4][3];
      for (int kh = 0; kh < 3; ++kh)
        for (int kw = 0; kw < 3; ++kw)
          g[kh][kw] = adjoint ? w[((c * O + o) * 3 + (2 - kh)) * 3 + (2 - kw)] : w[((o * C + c) * 3 + kh) * 3 + kw];
      for (int k = 0; k < 3; ++k) {  // t = G g
        t[0][k] = g[0][k];
        t[1][k] = 0.5 * (g[0][k] + g[1][k] + g[2][k]);
        t[2][k] = 0.5 * (g[0][k] - g[1][k] + g[2][k]);
        t[3][k] = g[2][k];
      }
      for (int r = 0; r < 4; ++r) {  // U = t Gᵀ
        const double u[4] = {t[r][0], 0.5 * (t[r][0] + t[r][1] + t[r][2]), 0.5 * (t[r][0] - t[r][1] + t[r][2]),
                             t[r][2]};
        for (int k = 0; k < 4; ++k)
          U_[(size_t)((((r * 4 + k) * blocks + o / kOB) * C + c) * kOB + o % kOB)] = (float)u[k];
      }
    }
  }, C * 50);
}

int64_t WinogradConv::scratch_size() const {
  return lanes_ * (C_ * Hp_ * Wp_ + 16 * C_ * chunk() + 16 * O_ * chunk());
}

void WinogradConv::run(const float* x, int64_t nb, float* y, float* scratch) const {
  ENGINE_CHECK(nb >= 1 && nb <= lanes_, "conv2d (winograd): ", nb, " images, expected 1 to ", lanes_);
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) { run_with<decltype(s)>(x, nb, y, scratch); });
#else
  (void)x, (void)y, (void)scratch;
  ENGINE_FAIL("conv2d (winograd): this build has no AVX2/FMA kernels (WinogradConv::applies is false)");
#endif
}

template <class S> void WinogradConv::run_with(const float* x, int64_t nb, float* y, float* scratch) const {
#ifdef EG_DIRECT_CONV
  using Vec = typename S::V;
  constexpr int64_t kLanes = S::L, kOB = S::kWinOB, kPB = S::kWinPB;
  const int64_t TC = chunk();
  float* x8 = scratch;
  float* V = x8 + kLanes * C_ * Hp_ * Wp_;
  float* M = V + kLanes * 16 * C_ * TC;
  const int64_t HW = H_ * W_, blocks = (O_ + kOB - 1) / kOB;

  // 1. Interleave the images by lane into zero-padded planes.
  interleave<kLanes>(x, nb, C_, H_, W_, Hp_, Wp_, 1, x8);

  // Steps 2–4 run over chunks of TC tiles, so that V and M stay in cache between the steps.
  for (int64_t t0 = 0; t0 < T_; t0 += TC) {
    const int64_t nt = std::min(TC, T_ - t0), panels = (nt + kPB - 1) / kPB;
    const int64_t vxi = panels * C_ * kPB * kLanes;  // stride between the ξ planes of V
    const int64_t mxi = O_ * nt * kLanes;              // and of M

    // 2. V = Bᵀ d B for every channel and tile of the chunk; tiles past the chunk's end are zeros.
    for (int64_t t = nt; t < panels * kPB; ++t)
      for (int64_t xi = 0; xi < 16; ++xi)
        for (int64_t c = 0; c < C_; ++c) {
          float* v = V + xi * vxi + (((t / kPB) * C_ + c) * kPB + t % kPB) * kLanes;
          std::fill(v, v + kLanes, 0.0f);
        }
    for (int64_t c = 0; c < C_; ++c)
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t ti = (t0 + t) / TW_, tj = (t0 + t) % TW_;
        Vec v16[16];
        input_transform<S>(x8 + ((c * Hp_ + 2 * ti) * Wp_ + 2 * tj) * kLanes, Wp_, v16);
        float* v = V + (((t / kPB) * C_ + c) * kPB + t % kPB) * kLanes;
        for (int xi = 0; xi < 16; ++xi) S::store(v + xi * vxi, v16[xi]);
      }

    // 3. M_ξ = U_ξ · V_ξ: blocks of kOB output channels × one panel of kPB tiles, summed over C. The panel
    // (C·3 vectors) stays in L1 while all output channel blocks use it.
    for (int64_t xi = 0; xi < 16; ++xi)
      for (int64_t pn = 0; pn < panels; ++pn) {
        const float* panel = V + xi * vxi + pn * C_ * kPB * kLanes;
        for (int64_t ob = 0; ob < blocks; ++ob) {
          const int nout = (int)std::min<int64_t>(kOB, O_ - ob * kOB);
          Vec acc[kOB][kPB];
          simd::compute_panel<S, kOB, kPB>(U_.get() + (xi * blocks + ob) * C_ * kOB, panel, C_, acc);
          for (int j = 0; j < nout; ++j)
            for (int q = 0; q < kPB && pn * kPB + q < nt; ++q)
              S::store(M + xi * mxi + ((ob * kOB + j) * nt + pn * kPB + q) * kLanes, acc[j][q]);
        }
      }

    // 4. y = Aᵀ m A + b, then each lane back to its image.
    alignas(64) float out[4][kLanes];
    for (int64_t o = 0; o < O_; ++o) {
      const Vec bo = S::set1(bias_[(size_t)o]);
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t ti = (t0 + t) / TW_, tj = (t0 + t) % TW_;
        const float* m = M + (o * nt + t) * kLanes;
        Vec sr[2][4];
        for (int k = 0; k < 4; ++k) {  // sr = Aᵀ m, column k
          const Vec m0 = S::load(m + (0 * 4 + k) * mxi), m1 = S::load(m + (1 * 4 + k) * mxi);
          const Vec m2 = S::load(m + (2 * 4 + k) * mxi), m3 = S::load(m + (3 * 4 + k) * mxi);
          sr[0][k] = S::add(S::add(m0, m1), m2);
          sr[1][k] = S::sub(S::sub(m1, m2), m3);
        }
        for (int r = 0; r < 2; ++r) {  // y = sr A, row r
          S::store(out[2 * r], S::add(S::add(S::add(sr[r][0], sr[r][1]), sr[r][2]), bo));
          S::store(out[2 * r + 1], S::add(S::sub(S::sub(sr[r][1], sr[r][2]), sr[r][3]), bo));
        }
        for (int r = 0; r < 2 && 2 * ti + r < H_; ++r)
          for (int k = 0; k < 2 && 2 * tj + k < W_; ++k)
            for (int64_t i = 0; i < nb; ++i) y[(i * O_ + o) * HW + (2 * ti + r) * W_ + 2 * tj + k] = out[2 * r + k][i];
      }
    }
  }
#else
  (void)x, (void)nb, (void)y, (void)scratch;
#endif
}

// ---- weight gradient ----

bool WinogradWeightGrad::applies(const kernels::Conv2dParams& p, int64_t N, int64_t C, int64_t O, int64_t H,
                                 int64_t W, int64_t KH, int64_t KW) {
  // On 32×32 planes the direct dW kernel measured as fast (its one product per image is deep already).
  return WinogradConv::applies(p, N, C, O, H, W, KH, KW) && C % 4 == 0 && O % 2 == 0 && H * W <= 256;
}

WinogradWeightGrad::WinogradWeightGrad(int64_t N, int64_t C, int64_t O, int64_t H, int64_t W)
    : C_(C), O_(O), H_(H), W_(W), isa_(winograd_isa(N)) {
  ENGINE_CHECK(isa_ != SimdIsa::generic, "conv2d backward (winograd): no fast instruction set in use");
  lanes_ = simd::lanes(isa_);
  ENGINE_CHECK(H >= 1 && W >= 1 && C % 4 == 0 && O % 2 == 0, "conv2d backward (winograd): unsupported ", C, " -> ",
               O, " channels on ", H, "x", W);
  TH_ = (H + 1) / 2;
  TW_ = (W + 1) / 2;
  T_ = TH_ * TW_;
  Hp_ = 2 * TH_ + 2;
  Wp_ = 2 * TW_ + 2;
}

int64_t WinogradWeightGrad::scratch_size() const {
  // xL padded, dyL [O][2·TH][2·TW][L], then V [16][C][chunk][L] and Ŷ [16][O][chunk][L].
  return lanes_ * (C_ * Hp_ * Wp_ + O_ * 4 * T_ + 16 * (C_ + O_) * chunk());
}

#ifdef EG_DIRECT_CONV
namespace {

// g[j][k] += Σ_t Σ_lanes y[j][t] · v[k][t] for JO output and 4 input channels over n tiles: y[j], v[k]
// point at rows of n vectors, g[j] at output channel j's 4 sums. JO·4 accumulators, JO + 4 loads per JO·4
// FMAs; one hsum8 per 2 output channels at the end.
template <class S, int JO>
inline void grad_block(const float* const (&y)[JO], const float* const (&v)[4], int64_t n, float* const (&g)[JO]) {
  using V = typename S::V;
  V acc[JO * 4];
  for (auto& a : acc) a = S::zero();
  for (int64_t t = 0; t < n * S::L; t += S::L) {
    V yv[JO], vv[4];
    for (int j = 0; j < JO; ++j) yv[j] = S::pinned(S::load(y[j] + t));  // loaded once (see simd::pinned)
    for (int k = 0; k < 4; ++k) vv[k] = S::pinned(S::load(v[k] + t));
    for (int j = 0; j < JO; ++j)
      for (int k = 0; k < 4; ++k) acc[j * 4 + k] = S::fma(yv[j], vv[k], acc[j * 4 + k]);
  }
  for (int j = 0; j < JO; j += 2) {
    const V(&pair)[8] = *reinterpret_cast<const V(*)[8]>(acc + j * 4);
    const __m256 s = simd::hsum8<S>(pair);
    _mm_storeu_ps(g[j], _mm_add_ps(_mm_loadu_ps(g[j]), _mm256_castps256_ps128(s)));
    _mm_storeu_ps(g[j + 1], _mm_add_ps(_mm_loadu_ps(g[j + 1]), _mm256_extractf128_ps(s, 1)));
  }
}

// ĝ_ξ [o0, o0 + JO) × [0, C) += Ŷ_ξ · V_ξᵀ over nt tiles (Y, V: rows of nt vectors per channel).
template <class S, int JO>
inline void grad_rows(const float* Y, const float* V, int64_t o0, int64_t C, int64_t nt, float* ghat) {
  const int64_t row = nt * S::L;
  for (int64_t c = 0; c < C; c += 4) {
    const float* yr[JO];
    float* g[JO];
    for (int j = 0; j < JO; ++j) yr[j] = Y + (o0 + j) * row, g[j] = ghat + (o0 + j) * C + c;
    const float* const vr[4] = {V + c * row, V + (c + 1) * row, V + (c + 2) * row, V + (c + 3) * row};
    grad_block<S, JO>(yr, vr, nt, g);
  }
}

}  // namespace
#endif

void WinogradWeightGrad::accumulate(const float* x, const float* dy, int64_t nb, float* ghat, float* scratch) const {
  ENGINE_CHECK(nb >= 1 && nb <= lanes_, "conv2d backward (winograd): ", nb, " images, expected 1 to ", lanes_);
#ifdef EG_DIRECT_CONV
  simd::with_isa(isa_, [&](auto s) { accumulate_with<decltype(s)>(x, dy, nb, ghat, scratch); });
#else
  (void)x, (void)dy, (void)ghat, (void)scratch;
  ENGINE_FAIL("conv2d backward (winograd): this build has no AVX2/FMA kernels");
#endif
}

template <class S>
void WinogradWeightGrad::accumulate_with(const float* x, const float* dy, int64_t nb, float* ghat, float* scratch) const {
#ifdef EG_DIRECT_CONV
  using Vec = typename S::V;
  constexpr int64_t kL = S::L;
  const int64_t TC = chunk(), Hq = 2 * TH_, Wq = 2 * TW_;
  float* x8 = scratch;
  float* dy8 = x8 + kL * C_ * Hp_ * Wp_;
  float* V = dy8 + kL * O_ * Hq * Wq;
  float* Y = V + kL * 16 * C_ * TC;
  interleave<kL>(x, nb, C_, H_, W_, Hp_, Wp_, 1, x8);
  interleave<kL>(dy, nb, O_, H_, W_, Hq, Wq, 0, dy8);  // zero past an odd edge: those outputs do not exist
  for (int64_t t0 = 0; t0 < T_; t0 += TC) {
    const int64_t nt = std::min(TC, T_ - t0);
    const int64_t vxi = C_ * nt * kL, yxi = O_ * nt * kL;  // strides between ξ planes
    for (int64_t t = 0; t < nt; ++t) {
      const int64_t ti = (t0 + t) / TW_, tj = (t0 + t) % TW_;
      for (int64_t c = 0; c < C_; ++c) {  // V = Bᵀ d B
        Vec v16[16];
        input_transform<S>(x8 + ((c * Hp_ + 2 * ti) * Wp_ + 2 * tj) * kL, Wp_, v16);
        for (int xi = 0; xi < 16; ++xi) S::store(V + xi * vxi + (c * nt + t) * kL, v16[xi]);
      }
      for (int64_t o = 0; o < O_; ++o) {  // Ŷ = A dy Aᵀ, A = [1 0; 1 1; 1 −1; 0 −1]
        const float* d = dy8 + ((o * Hq + 2 * ti) * Wq + 2 * tj) * kL;
        const Vec d00 = S::load(d), d01 = S::load(d + kL);
        const Vec d10 = S::load(d + Wq * kL), d11 = S::load(d + (Wq + 1) * kL);
        const Vec z[4][2] = {{d00, d01},
                             {S::add(d00, d10), S::add(d01, d11)},
                             {S::sub(d00, d10), S::sub(d01, d11)},
                             {S::sub(S::zero(), d10), S::sub(S::zero(), d11)}};
        float* yo = Y + (o * nt + t) * kL;
        for (int r = 0; r < 4; ++r) {
          S::store(yo + (r * 4 + 0) * yxi, z[r][0]);
          S::store(yo + (r * 4 + 1) * yxi, S::add(z[r][0], z[r][1]));
          S::store(yo + (r * 4 + 2) * yxi, S::sub(z[r][0], z[r][1]));
          S::store(yo + (r * 4 + 3) * yxi, S::sub(S::zero(), z[r][1]));
        }
      }
    }
    // ĝ_ξ += Ŷ_ξ · V_ξᵀ over the chunk's tiles and lanes: blocks of kWinGradO output channels, then pairs
    // for the rest (O is even).
    constexpr int64_t JO = S::kWinGradO;
    for (int64_t xi = 0; xi < 16; ++xi) {
      const float* Yx = Y + xi * yxi;
      const float* Vx = V + xi * vxi;
      float* gx = ghat + xi * O_ * C_;
      int64_t o = 0;
      for (; o + JO <= O_; o += JO) grad_rows<S, JO>(Yx, Vx, o, C_, nt, gx);
      for (; o < O_; o += 2) grad_rows<S, 2>(Yx, Vx, o, C_, nt, gx);
    }
  }
#else
  (void)x, (void)dy, (void)nb, (void)ghat, (void)scratch;
#endif
}

void WinogradWeightGrad::finish(const float* ghat, float* dw) const {
  // dw = Gᵀ ĝ G with Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
  parallel_for(O_, [&](int64_t o) {
    for (int64_t c = 0; c < C_; ++c) {
      double g[4][4], h[3][4];
      for (int xi = 0; xi < 16; ++xi) g[xi / 4][xi % 4] = ghat[(xi * O_ + o) * C_ + c];
      for (int k = 0; k < 4; ++k) {
        h[0][k] = g[0][k] + 0.5 * (g[1][k] + g[2][k]);
        h[1][k] = 0.5 * (g[1][k] - g[2][k]);
        h[2][k] = 0.5 * (g[1][k] + g[2][k]) + g[3][k];
      }
      float* out = dw + (o * C_ + c) * 9;
      for (int r = 0; r < 3; ++r) {
        out[r * 3 + 0] = (float)(h[r][0] + 0.5 * (h[r][1] + h[r][2]));
        out[r * 3 + 1] = (float)(0.5 * (h[r][1] - h[r][2]));
        out[r * 3 + 2] = (float)(0.5 * (h[r][1] + h[r][2]) + h[r][3]);
      }
    }
  }, C_ * 16);
}

}  // namespace eg::cpu
