// test_conv_direct.cpp — the fast float convolutions that conv2d takes for f32 stride-1 layers: the
// direct kernels (core/cpu/conv_direct.cpp: rows wider than 4) and Winograd F(2×2, 3×3)
// (core/cpu/conv_winograd.cpp: 3×3, padding 1, ≥ 64 channels, planes up to 32×32, ≥ 8 images), against
// the f64 im2col path (itself checked against the naive loops in test_ops_conv.cpp): forward, dx (the
// flipped-weight adjoint) and dW, over the shapes that stress them — rows that are not a multiple of the
// 8- and 16-wide vectors, output channel counts that are not a multiple of the 4- or 8-channel blocks
// (nor of the 3- or 6-channel weight-gradient blocks), one input channel, paddings 0 to kernel − 1,
// non-square kernels, odd planes (partial Winograd tiles), batches that leave Winograd lanes empty (8 + 1
// and 16 + 1 images), and batches large enough to be spread over threads.
// Every case runs once per instruction set this build has and this CPU runs (cpu::available_isas: AVX2,
// AVX-512), each checked to be the one in use; each case names the kernel its forward must take, checked
// before the numbers, so that the test cannot pass by comparing im2col with im2col. The same cases then
// run with the generic ISA (im2col + GEMM), the fallback every build has. On a build without AVX2/FMA the
// fast-path case is skipped and says so.
// Shape letters: N, C, H, W input; O output channels; KH, KW kernel.
#include <cstdlib>

#include "tests/isa_scope.h"
#include "tests/test_util.h"

#include "core/cpu/conv_direct.h"
#include "core/cpu/conv_winograd.h"
#include "core/cpu/isa.h"

using namespace eg;
using eg::test::IsaScope;
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
    {{2, 3, 5, 19}, {7, 3, 3, 3}, 1, 1, true, Path::Direct},      // rows of 19: 16 + a partial vector; O = 7
    {{3, 5, 9, 33}, {13, 5, 3, 3}, 0, 1, true, Path::Direct},     // rows of 33 = 2·16 + 1; O = 13
    {{17, 64, 5, 7}, {66, 64, 3, 3}, 1, 1, true, Path::Winograd}, // 16 + 1 images; O = 66: dW blocks of 4, then 2
    {{16, 64, 8, 8}, {64, 64, 3, 3}, 1, 1, false, Path::Winograd},// one full 16-lane group, Winograd dW
    {{16, 64, 6, 6}, {72, 64, 3, 3}, 1, 1, true, Path::Winograd}, // 9 tiles: a partial panel of 3 and of 4
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

// The ISA the forward kernel of a fast-path case runs with under `isa`: 16 lanes only where a row (direct)
// or the batch (Winograd) fills them.
cpu::SimdIsa kernel_isa(const DirectCase& c, cpu::SimdIsa isa) {
  if (isa != cpu::SimdIsa::avx512) return isa;
  const int64_t OW = c.x[3] + 2 * c.pad_w - c.w[3] + 1;
  const bool narrow = c.forward == Path::Winograd ? c.x[0] < 16 : OW <= 8;
  return narrow ? cpu::SimdIsa::avx2 : isa;
}

}  // namespace

TEST_CASE("conv direct: f32 direct and Winograd kernels of every available ISA equal the f64 im2col path" *
          doctest::skip(!cpu::fast_conv_compiled())) {
  int fast = 0;
  for (cpu::SimdIsa isa : cpu::available_isas()) {
    if (isa == cpu::SimdIsa::generic) continue;
    ++fast;
    IsaScope scope(isa);
    REQUIRE(cpu::simd_isa() == isa);
    REQUIRE(cpu::fast_conv_enabled());
    for (const auto& c : kCases) {
      INFO("isa ", cpu::isa_name(isa), " x ", shape_str(c.x), " w ", shape_str(c.w), " pad ", c.pad_h, "x", c.pad_w);
      CHECK(std::string(forward_path(c)) == (c.forward == Path::Winograd ? "winograd" : "direct"));
      // The object conv2d's forward makes for this case runs with the expected ISA.
      const Tensor w = rnd(c.w, 2).to(DType::F32);
      const int64_t N = c.x[0], C = c.x[1], H = c.x[2], W = c.x[3], O = c.w[0];
      if (c.forward == Path::Winograd)
        CHECK(cpu::WinogradConv(w.data<float>(), nullptr, N, C, O, H, W, false).isa() == kernel_isa(c, isa));
      else
        CHECK(cpu::DirectConv(w.data<float>(), nullptr, C, O, H, W, c.w[2], c.w[3], c.pad_h, c.pad_w, false).isa() ==
              kernel_isa(c, isa));
      check_case_against_f64(c);
    }
  }
  CHECK(fast >= 1);
#ifdef __AVX512F__
  // A build with AVX-512 on a CPU that runs it (check_cpu_supports_build) must test both instantiations.
  CHECK(fast == 2);
#endif
}

TEST_CASE("conv direct: with the generic ISA the same cases take im2col and still match f64") {
  IsaScope scope(cpu::SimdIsa::generic);
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
  const char* conv = cpu::simd_isa() == cpu::SimdIsa::avx512 ? "avx512 (direct, winograd, gemm)"
                     : cpu::simd_isa() == cpu::SimdIsa::avx2 ? "avx2-fma (direct, winograd, gemm)"
                                                             : "im2col+gemm";
  CHECK(i.conv == conv);
#if defined(__AVX2__) && defined(__FMA__)
  CHECK(cpu::fast_conv_compiled());
  CHECK(i.extensions.find("avx2") != std::string::npos);
#else
  CHECK_FALSE(cpu::fast_conv_compiled());
#endif
  CHECK_NOTHROW(cpu::check_cpu_supports_build());
  CHECK(cpu::isa_summary().find("-march=" + i.march) != std::string::npos);
}

TEST_CASE("isa: EG_ISA's names, the choice of the widest, and errors for what this build or CPU lacks") {
  for (cpu::SimdIsa i : {cpu::SimdIsa::generic, cpu::SimdIsa::avx2, cpu::SimdIsa::avx512})
    CHECK(cpu::parse_isa(cpu::isa_name(i)) == i);
  CHECK_THROWS_WITH_AS(cpu::parse_isa("sse9"), doctest::Contains("expected avx2, avx512 or generic"), eg::Error);
  const auto avail = cpu::available_isas();
  REQUIRE_FALSE(avail.empty());
  CHECK(avail.front() == cpu::SimdIsa::generic);
  CHECK(cpu::fast_conv_compiled() == cpu::isa_available(cpu::SimdIsa::avx2));
  // Without EG_ISA in the environment the process starts with the widest available.
  if (!std::getenv("EG_ISA") && !std::getenv("EG_FAST_CONV")) CHECK(cpu::simd_isa() == avail.back());
  for (cpu::SimdIsa i : {cpu::SimdIsa::avx2, cpu::SimdIsa::avx512})
    if (!cpu::isa_available(i))
      CHECK_THROWS_WITH_AS(cpu::set_simd_isa(i), doctest::Contains("not available"), eg::Error);
  {
    IsaScope off(cpu::SimdIsa::generic);
    CHECK_FALSE(cpu::fast_conv_enabled());
    cpu::set_fast_conv(true);
    CHECK(cpu::simd_isa() == avail.back());
  }
}
