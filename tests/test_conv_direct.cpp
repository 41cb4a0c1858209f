// test_conv_direct.cpp — the fast float convolutions that conv2d takes for f32 stride-1 layers: the
// direct kernels (core/cpu/conv_direct.cpp: rows wider than 4) and Winograd F(2×2, 3×3)
// (core/cpu/conv_winograd.cpp: 3×3, padding 1, ≥ 64 channels, planes up to 32×32, ≥ 8 images), against
// the f64 im2col path (itself checked against the naive loops in test_ops_conv.cpp): forward, dx (the
// flipped-weight adjoint) and dW, over the shapes that stress them — rows that are not a multiple of the
// 8-wide vector, output channel counts that are not a multiple of the 4-channel block, one input channel,
// paddings 0 to kernel − 1, non-square kernels, odd planes (partial Winograd tiles), a batch that leaves
// Winograd lanes empty, and batches large enough to be spread over threads.
// Each case names the kernel its forward must take, checked before the numbers, so that the test cannot
// pass by comparing im2col with im2col; the same cases then run with the fast kernels switched off
// (cpu::set_fast_conv), which tests the fallback every build has. On a build without AVX2/FMA the
// fast-path case is skipped and says so.
// Shape letters: N, C, H, W input; O output channels; KH, KW kernel.
#include "tests/test_util.h"

#include "core/cpu/conv_direct.h"
#include "core/cpu/conv_winograd.h"
#include "core/cpu/isa.h"

using namespace eg;
using eg::test::rnd;

namespace {

enum class Path { Direct, Winograd };

struct DirectCase {
  Shape x, w;
  int64_t pad_h, pad_w;
  bool bias;
  Path forward;  // the kernel conv2d's forward must choose while the fast kernels are on
};

const DirectCase kCases[] = {
    {{2, 3, 6, 5}, {4, 3, 3, 3}, 1, 1, true, Path::Direct},       // row of 5: one partial vector
    {{2, 1, 9, 8}, {5, 1, 3, 3}, 1, 1, false, Path::Direct},      // one input channel, O = 5 (partial block)
    {{1, 4, 7, 9}, {3, 4, 3, 3}, 0, 0, true, Path::Direct},       // no padding: OW = 7, dx uses padding 2
    {{2, 2, 6, 17}, {6, 2, 3, 3}, 2, 2, false, Path::Direct},     // padding = kernel − 1: OW = 19, dx unpadded
    {{1, 3, 8, 12}, {4, 3, 5, 5}, 2, 2, true, Path::Direct},      // 5×5 kernel
    {{2, 2, 5, 10}, {4, 2, 3, 5}, 1, 2, true, Path::Direct},      // non-square kernel and padding
    {{4, 16, 28, 28}, {16, 16, 3, 3}, 1, 1, false, Path::Direct}, // Fashion-MNIST rows of 28, threaded
    {{4, 8, 16, 16}, {12, 8, 3, 3}, 1, 1, true, Path::Direct},    // whole vectors, threaded
    {{9, 64, 5, 7}, {68, 64, 3, 3}, 1, 1, true, Path::Winograd},  // Winograd y, dx, dW: partial tiles, 8 + 1 images
    {{8, 64, 4, 4}, {64, 64, 3, 3}, 1, 1, false, Path::Winograd}, // Winograd on rows of 4 (too narrow for direct)
    {{8, 66, 6, 6}, {64, 66, 3, 3}, 1, 1, false, Path::Winograd}, // Winograd y and dx; C % 4 ≠ 0: direct dW
};

// |a − b| <= tol·max|b| + tol·|b|: float accumulation over C·KH·KW terms against double.
void check_scaled(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  Tensor b64 = b.to(DType::F64);
  const double scale = amax(abs(b64)).item();
  std::string rep = eg::test::compare(a.to(DType::F64), b64, tol * scale, tol);
  CHECK_MESSAGE(rep.empty(), what, ": ", rep);
}

// The path conv2d's forward takes for this case, as the dispatch in core/cpu/conv.cpp decides it (Winograd
// first, then direct, else im2col).
const char* forward_path(const DirectCase& c) {
  kernels::Conv2dParams p{1, 1, c.pad_h, c.pad_w, 1, 1, 1};
  const int64_t N = c.x[0], C = c.x[1], H = c.x[2], W = c.x[3], O = c.w[0], KH = c.w[2], KW = c.w[3];
  const int64_t OW = W + 2 * c.pad_w - KW + 1;
  if (cpu::WinogradConv::applies(p, N, C, O, H, W, KH, KW)) return "winograd";
  if (cpu::DirectConv::applies(p, KH, KW, OW)) return "direct";
  return "im2col";
}

// f32 forward, dx, dW (and db) through conv2d against the f64 im2col path.
void check_case_against_f64(const DirectCase& c) {
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

// Switches the fast kernels off for one scope and back to what they were.
struct FastConvOff {
  bool was = cpu::fast_conv_enabled();
  FastConvOff() { cpu::set_fast_conv(false); }
  ~FastConvOff() { cpu::set_fast_conv(was); }
};

}  // namespace

TEST_CASE("conv direct: f32 direct and Winograd kernels equal the f64 im2col path (forward, dx, dW)" *
          doctest::skip(!cpu::fast_conv_compiled())) {
  REQUIRE_MESSAGE(cpu::fast_conv_enabled(), "the fast kernels are switched off (EG_FAST_CONV=0?)");
  for (const auto& c : kCases) {
    INFO("x ", shape_str(c.x), " w ", shape_str(c.w), " pad ", c.pad_h, "x", c.pad_w);
    CHECK(std::string(forward_path(c)) == (c.forward == Path::Winograd ? "winograd" : "direct"));
    check_case_against_f64(c);
  }
}

TEST_CASE("conv direct: with the fast kernels switched off the same cases take im2col and still match f64") {
  FastConvOff off;
  CHECK_FALSE(cpu::fast_conv_enabled());
  CHECK(cpu::isa_info().conv == "im2col+gemm");
  for (const auto& c : kCases) {
    INFO("x ", shape_str(c.x), " w ", shape_str(c.w), " pad ", c.pad_h, "x", c.pad_w);
    CHECK(std::string(forward_path(c)) == "im2col");
    check_case_against_f64(c);
  }
}

TEST_CASE("isa: the build describes its target and the CPU can run it") {
  const cpu::IsaInfo i = cpu::isa_info();
  CHECK_FALSE(i.cpu.empty());
  CHECK_FALSE(i.march.empty());
  CHECK(i.march != "unknown");  // CMake passes EG_BUILD_MARCH
  CHECK_FALSE(i.eigen.empty());
  CHECK(i.conv == (cpu::fast_conv_compiled() ? "avx2-fma (direct, winograd)" : "im2col+gemm"));
#if defined(__AVX2__) && defined(__FMA__)
  CHECK(cpu::fast_conv_compiled());
  CHECK(i.extensions.find("avx2") != std::string::npos);
#else
  CHECK_FALSE(cpu::fast_conv_compiled());
#endif
  CHECK_NOTHROW(cpu::check_cpu_supports_build());
  CHECK(cpu::isa_summary().find("-march=" + i.march) != std::string::npos);
}
