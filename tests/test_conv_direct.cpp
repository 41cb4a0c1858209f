// test_conv_direct.cpp — the fast float convolutions that conv2d takes for f32 stride-1 layers: the
// direct kernels (core/cpu/conv_direct.cpp: rows wider than 4) and Winograd F(2×2, 3×3)
// (core/cpu/conv_winograd.cpp: 3×3, padding 1, ≥ 64 channels, planes up to 32×32, ≥ 8 images), against
// the f64 im2col path (itself checked against the naive loops in test_ops_conv.cpp): forward, dx (the
// flipped-weight adjoint) and dW, over the shapes that stress them — rows that are not a multiple of the
// 8-wide vector, output channel counts that are not a multiple of the 4-channel block, one input channel,
// paddings 0 to kernel − 1, non-square kernels, odd planes (partial Winograd tiles), a batch that leaves
// Winograd lanes empty, and batches large enough to be spread over threads.
// Shape letters: N, C, H, W input; O output channels; KH, KW kernel.
#include "tests/test_util.h"

using namespace eg;
using eg::test::rnd;

namespace {

struct DirectCase {
  Shape x, w;
  int64_t pad_h, pad_w;
  bool bias;
};

// |a − b| <= tol·max|b| + tol·|b|: float accumulation over C·KH·KW terms against double.
void check_scaled(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  Tensor b64 = b.to(DType::F64);
  const double scale = amax(abs(b64)).item();
  std::string rep = eg::test::compare(a.to(DType::F64), b64, tol * scale, tol);
  CHECK_MESSAGE(rep.empty(), what, ": ", rep);
}

}  // namespace

TEST_CASE("conv direct: f32 direct and Winograd kernels equal the f64 im2col path (forward, dx, dW)") {
  const DirectCase cases[] = {
      {{2, 3, 6, 5}, {4, 3, 3, 3}, 1, 1, true},       // row of 5: one partial vector
      {{2, 1, 9, 8}, {5, 1, 3, 3}, 1, 1, false},      // one input channel, O = 5 (partial channel block)
      {{1, 4, 7, 9}, {3, 4, 3, 3}, 0, 0, true},       // no padding: OW = 7, dx uses padding 2
      {{2, 2, 6, 17}, {6, 2, 3, 3}, 2, 2, false},     // padding = kernel − 1: OW = 19, dx unpadded
      {{1, 3, 8, 12}, {4, 3, 5, 5}, 2, 2, true},      // 5×5 kernel
      {{2, 2, 5, 10}, {4, 2, 3, 5}, 1, 2, true},      // non-square kernel and padding
      {{4, 16, 28, 28}, {16, 16, 3, 3}, 1, 1, false}, // Fashion-MNIST rows of 28, threaded
      {{4, 8, 16, 16}, {12, 8, 3, 3}, 1, 1, true},    // whole vectors, threaded
      {{9, 64, 5, 7}, {68, 64, 3, 3}, 1, 1, true},    // Winograd y, dx, dW: partial tiles, 8 + 1 images
      {{8, 64, 4, 4}, {64, 64, 3, 3}, 1, 1, false},   // Winograd on rows of 4 (too narrow for direct)
      {{8, 66, 6, 6}, {64, 66, 3, 3}, 1, 1, false},   // Winograd y and dx; C % 4 ≠ 0: direct dW
  };
  for (const auto& c : cases) {
    INFO("x ", shape_str(c.x), " w ", shape_str(c.w), " pad ", c.pad_h, "x", c.pad_w);
    Conv2dOptions o{1, 1, c.pad_h, c.pad_w, 1, 1, 1};
    Tensor x = rnd(c.x, 1), w = rnd(c.w, 2), b = c.bias ? rnd({c.w[0]}, 3) : Tensor();
    Tensor y = conv2d(x, w, b, o);
    Tensor gy = rnd(y.shape(), 4).detach();
    y.backward(gy);

    Tensor xf = x.detach().to(DType::F32).requires_grad_(), wf = w.detach().to(DType::F32).requires_grad_();
    Tensor bf = c.bias ? b.detach().to(DType::F32).requires_grad_() : Tensor();
    Tensor yf = conv2d(xf, wf, bf, o);
    check_scaled(yf, y, 1e-5, "y");
    yf.backward(gy.to(DType::F32));
    check_scaled(xf.grad(), x.grad(), 1e-5, "dx");
    check_scaled(wf.grad(), w.grad(), 1e-5, "dw");
    if (c.bias) check_scaled(bf.grad(), b.grad(), 1e-5, "db");
  }
}
