// conv_winograd.h — Winograd F(2×2, 3×3) for float 3×3, stride-1, padding-1 convolutions (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 output tile is
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        (d the 4×4 input tile, g the 3×3 filter)
// so the multiplications per tile and channel pair drop from 36 to 16 (2.25x fewer). The elementwise
// products summed over input channels are, for each of the 16 tile positions ξ, a product
// M_ξ [O, tiles] = U_ξ [O, C] · V_ξ [C, tiles], which runs on the register-blocked micro-kernel of
// conv_simd.h. L images (the ISA's lanes: 8 for AVX2, 16 for AVX-512 when the batch has 16) are
// processed together, one per SIMD lane, so every vector is full whatever the plane size (ResNet-18's 4×4
// layer4 included). core/cpu/conv.cpp uses it for y, and with the flipped,
// transposed filters for dx, where the channel counts make the products deep enough (C, O ≥ 64).
// Numerics: the transforms add a few float roundings; results differ from the direct sum by ~1e-6
// relative (tests/test_conv_direct.cpp bounds it against f64).
// Shape letters: C input and O output channels, H/W the plane (the same for input and output), T tiles.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/allocator.h"
#include "core/cpu/isa.h"
#include "core/kernels_nn.h"

namespace eg::cpu {

class WinogradConv {
 public:
  // True when a fast ISA is in use (isa.h), the convolution is a 3×3,
  // stride-1, dilation-1, padding-1, one-group convolution, and Winograd measured faster than the direct kernel: at least 64
  // input and output channels (deep enough products; with 16–32 the direct kernel wins), planes of at
  // most 32×32 with AVX2 and 16×16 with AVX-512 (where the direct kernel is faster on 32×32), and a batch
  // of at least 8 (a lane per image).
  static bool applies(const kernels::Conv2dParams& p, int64_t N, int64_t C, int64_t O, int64_t H, int64_t W,
                      int64_t KH, int64_t KW);

  // w [O, C, 3, 3] as stored, or with `adjoint` a [C, O, 3, 3] tensor read as w[c, o, 2−kh, 2−kw] (the dx
  // convolution, see conv_direct.h). b [O] or null. N: the batch it will run on (it picks the lanes).
  WinogradConv(const float* w, const float* b, int64_t N, int64_t C, int64_t O, int64_t H, int64_t W, bool adjoint);

  // Images per call (the ISA's lanes).
  int64_t lanes() const { return lanes_; }
  SimdIsa isa() const { return isa_; }
  int64_t scratch_size() const;
  // x [nb, C, H, W] -> y [nb, O, H, W] for nb ≤ lanes() images (missing lanes are computed on zeros).
  void run(const float* x, int64_t nb, float* y, float* scratch) const;

 private:
  template <class S> void run_with(const float* x, int64_t nb, float* y, float* scratch) const;
  // Tiles per pass over steps 2–4: whole panels of PB tiles (the ISA's kWinPB), at most 384 / L (V and M
  // then take the same bytes whatever the lanes; 24 and 48 are multiples of both PBs).
  int64_t chunk() const { return std::min<int64_t>(384 / lanes_, (T_ + pb_ - 1) / pb_ * pb_); }
  int64_t C_, O_, H_, W_, TH_, TW_, T_, Hp_, Wp_;
  SimdIsa isa_;
  int64_t lanes_ = 8, ob_ = 4, pb_ = 3;  // the ISA's lanes, kWinOB and kWinPB
  memory::Scratch<float> U_;     // [16][O/OB][C][OB]: G g Gᵀ, packed for the micro-kernel (zero past O)
  memory::Scratch<float> bias_;  // [O rounded up to OB]
};

// dW of the same convolutions by the adjoint of the Winograd form: with the output gradient of a tile
// mapped back, Ŷ = A dy Aᵀ (4×4), and the input tile V = Bᵀ d B as above, the filter gradient is
//   dW[o, c] = Gᵀ ( Σ_{images, tiles} Ŷ[o] ⊙ V[c] ) G,
// i.e. 16 products ĝ_ξ [O, C] = Σ Ŷ_ξ [O, tiles·L] · V_ξ [C, tiles·L]ᵀ accumulated in the transformed
// domain, and one small transform at the end. Used for planes up to 16×16 (on 32×32 the direct dW kernel
// is as fast); needs C % 4 = 0 and O % 2 = 0 besides WinogradConv::applies. Its products have only
// (tiles of one L-image group) terms per horizontal sum, which is what limits it on 4×4 planes.
class WinogradWeightGrad {
 public:
  static bool applies(const kernels::Conv2dParams& p, int64_t N, int64_t C, int64_t O, int64_t H, int64_t W,
                      int64_t KH, int64_t KW);
  WinogradWeightGrad(int64_t N, int64_t C, int64_t O, int64_t H, int64_t W);
  int64_t lanes() const { return lanes_; }
  SimdIsa isa() const { return isa_; }
  int64_t scratch_size() const;
  // Floats of a ĝ accumulator: [16][O][C].
  int64_t ghat_size() const { return 16 * O_ * C_; }
  // ghat += the contribution of nb ≤ lanes() images x [nb, C, H, W], dy [nb, O, H, W].
  void accumulate(const float* x, const float* dy, int64_t nb, float* ghat, float* scratch) const;
  // dw [O, C, 3, 3] = Gᵀ ĝ G.
  void finish(const float* ghat, float* dw) const;

 private:
  template <class S>
  void accumulate_with(const float* x, const float* dy, int64_t nb, float* ghat, float* scratch) const;
  int64_t chunk() const { return std::min<int64_t>(384 / lanes_, T_); }
  int64_t C_, O_, H_, W_, TH_, TW_, T_, Hp_, Wp_;
  SimdIsa isa_;
  int64_t lanes_ = 8;
};

}  // namespace eg::cpu
