// conv_direct.h — a direct (no im2col, no GEMM) float convolution of one image for stride 1, dilation 1,
// one group: y[o, oh, ow] = b[o] + Σ_{c, kh, kw} w[o, c, kh, kw] · x[c, oh − ph + kh, ow − pw + kw].
// core/cpu/conv.cpp uses it for the forward and, with the weights flipped and transposed, for dx (the
// adjoint of a stride-1 convolution is the stride-1 convolution of dy with w[c, o, KH−1−kh, KW−1−kw] and
// padding KH−1−ph). Why: for the small channel counts of CIFAR ResNets (16–64) the im2col copy and
// Eigen's repacking of it cost as much as the arithmetic, and the GEMMs are too thin for Eigen's blocking;
// register-blocked FMAs over a zero-padded copy of the image run ~2x faster (measured on AVX2). The
// kernels are templates over the vector ISA (conv_simd.h); each object picks the ISA it runs with when it
// is made (isa.h's choice, narrowed to 8 lanes where 16 would leave most of a row's vector idle).
// DirectConvWeightGrad computes dW of the same convolutions from dy and a zero-padded copy of x, without
// im2col, over blocks of B images at once (so that even 8×8 planes give each accumulator a long sum).
// Shape letters: C input and O output channels, H/W input, OH/OW output, KH/KW kernel, ph/pw padding,
// B images per block.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/allocator.h"
#include "core/cpu/isa.h"
#include "core/kernels_nn.h"

namespace eg::cpu {

// One vector of output pixels (8 or 16 wide) (along a row): where it starts in the zero-padded input plane and in
// the output plane, and how many of its lanes are real (the last vector of a row may be partial).
struct ConvVec {
  int32_t in, out, lanes;
};

class DirectConv {
 public:
  // True when a fast ISA is in use (isa.h), and the convolution fits the kernel:
  // stride 1, dilation 1, one group, a kernel larger than 1×1 (1×1 is a plain GEMM already),
  // 0 ≤ padding ≤ kernel − 1, and output rows `out_w` wider than 4 (narrower rows would leave most of each
  // 8-wide vector idle).
  static bool applies(const kernels::Conv2dParams& p, int64_t KH, int64_t KW, int64_t out_w);

  // w [O, C, KH, KW] as stored; with `adjoint` the weights are read as w[c, o, KH−1−kh, KW−1−kw] of a
  // tensor [C, O, KH, KW] (then O here is that tensor's second dim): the dx convolution described above.
  // b [O] or null.
  DirectConv(const float* w, const float* b, int64_t C, int64_t O, int64_t H, int64_t W, int64_t KH, int64_t KW,
             int64_t pad_h, int64_t pad_w, bool adjoint);

  // Floats of per-thread scratch that run() needs (the zero-padded input planes plus slack).
  int64_t scratch_size() const { return C_ * Hp_ * Wp_ + kSlack; }
  // x [C, H, W] -> y [O, OH, OW] for one image; scratch as above, owned by the calling thread.
  void run(const float* x, float* y, float* scratch) const;
  // The instruction set this object runs with.
  SimdIsa isa() const { return isa_; }

 private:
  template <class S> void run_with(const float* x, float* y, float* scratch) const;
  static constexpr int64_t kSlack = 32;  // the last pixel vector may read up to 15 floats past the planes
  int64_t C_, O_, H_, W_, KH_, KW_, ph_, pw_, OH_, OW_, Hp_, Wp_;
  SimdIsa isa_;
  int ob_;                         // output channels per register block (the ISA's kOB)
  memory::Scratch<float> packed_;  // [ceil(O/OB)][C][KH][KW][OB], zero past O
  memory::Scratch<float> bias_;    // [ceil(O/OB)·OB], zero when no bias
  std::vector<ConvVec> vecs_;
};

// dW[o, c, kh, kw] += Σ_{n, oh, ow} dy[n, o, oh, ow] · x[n, c, oh − ph + kh, ow − pw + kw] for stride 1,
// dilation 1, one group (DirectConv::applies with the output width).
class DirectConvWeightGrad {
 public:
  DirectConvWeightGrad(int64_t C, int64_t O, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t pad_h,
                       int64_t pad_w);
  // Images per block (chosen so that one block has at least ~96 vectors per accumulator).
  int64_t block() const { return B_; }
  // Floats of per-thread scratch: the block's zero-padded x planes [C][B][H + 2·ph][W + 2·pw] plus slack,
  // then its dy on the padded-width grid [O][B][OH·(W + 2·pw) rounded up to whole vectors].
  int64_t scratch_size() const { return x_floats() + O_ * B_ * Lp_; }
  // Adds the contribution of images x [nb, C, H, W] and dy [nb, O, OH, OW] (nb <= block()) to dw
  // [O, C, KH, KW], which the calling thread owns.
  void accumulate(const float* x, const float* dy, int64_t nb, float* dw, float* scratch) const;
  SimdIsa isa() const { return isa_; }

 private:
  template <class S> void accumulate_with(const float* x, const float* dy, int64_t nb, float* dw, float* scratch) const;
  // The shifted x loads of the last vectors run past the planes by up to KW + 14 floats.
  int64_t x_floats() const { return C_ * B_ * Hp_ * Wp_ + KW_ + 32; }
  int64_t C_, O_, H_, W_, KH_, KW_, ph_, pw_, OH_, OW_, Hp_, Wp_, Lp_, B_;
  SimdIsa isa_;
};

}  // namespace eg::cpu
