// test_ops_conv.cpp — linear and conv2d: gradchecks (bias, stride, padding, dilation, groups, 1×1), the
// forward and backward against naive 7-loop references (f32 and f64, serial and per-image-threaded
// sizes), and the shape errors. Shape letters: N, C, H, W input; O output channels; KH, KW kernel.
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

#define CHECK_ERROR(expr, text) CHECK_THROWS_WITH_AS(expr, doctest::Contains(text), eg::Error)

namespace {

Conv2dOptions conv_opt(int64_t stride, int64_t pad, int64_t dilation = 1, int64_t groups = 1) {
  return {stride, stride, pad, pad, dilation, dilation, groups};
}

struct ConvRef {
  Tensor y, dx, dw, db;  // f64
};

// The definition, loop by loop: y[n,o,oh,ow] = b[o] + Σ_{c,kh,kw} w[o,c,kh,kw]·x[n, g·Cg + c, ih, iw], and
// its adjoint for the upstream gradient gy (which may be undefined: forward only).
ConvRef conv_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o,
                       const Tensor& gy = {}) {
  auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3), Og = O / o.groups;
  const int64_t OH = (H + 2 * o.pad_h - o.dilation_h * (KH - 1) - 1) / o.stride_h + 1;
  const int64_t OW = (W + 2 * o.pad_w - o.dilation_w * (KW - 1) - 1) / o.stride_w + 1;
  std::vector<double> y((size_t)(N * O * OH * OW)), dx(xv.size()), dw(wv.size()), db((size_t)O);
  std::vector<double> g = gy.defined() ? gy.to_vector<double>() : std::vector<double>(y.size(), 0.0);
  std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>((size_t)O, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < O; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const size_t yi = (size_t)(((n * O + oc) * OH + oh) * OW + ow);
          double s = bv[(size_t)oc];
          db[(size_t)oc] += g[yi];
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * o.stride_h - o.pad_h + kh * o.dilation_h;
                const int64_t iw = ow * o.stride_w - o.pad_w + kw * o.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const size_t xi = (size_t)(((n * C + (oc / Og) * Cg + c) * H + ih) * W + iw);
                const size_t wi = (size_t)(((oc * Cg + c) * KH + kh) * KW + kw);
                s += wv[wi] * xv[xi];
                dx[xi] += g[yi] * wv[wi];
                dw[wi] += g[yi] * xv[xi];
              }
          y[yi] = s;
        }
  return {from_vector(y, {N, O, OH, OW}), from_vector(dx, x.shape()), from_vector(dw, w.shape()),
          from_vector(db, {O})};
}

Tensor as64(const Tensor& t) { return t.to(DType::F64); }

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dOptions opt;
  bool bias;
};

// Small cases run serially; the N = 4 ones are big enough to spread images over threads.
const ConvCase kConvCases[] = {
    {"3x3 pad 1", {2, 3, 6, 5}, {4, 3, 3, 3}, conv_opt(1, 1), true},
    {"stride 2, no bias", {2, 2, 7, 7}, {3, 2, 3, 3}, conv_opt(2, 1), false},
    {"dilation 2", {1, 2, 8, 7}, {2, 2, 3, 3}, conv_opt(1, 2, 2), true},
    {"groups 2", {2, 4, 5, 5}, {6, 2, 3, 3}, conv_opt(1, 1, 1, 2), true},
    {"depthwise", {2, 3, 5, 4}, {3, 1, 3, 3}, conv_opt(1, 0, 1, 3), false},
    {"1x1 pointwise", {2, 5, 4, 3}, {3, 5, 1, 1}, conv_opt(1, 0), true},
    {"1x1 stride 2 (downsample)", {2, 4, 5, 5}, {6, 4, 1, 1}, conv_opt(2, 0), false},
    {"rectangular kernel, mixed strides", {2, 2, 6, 9}, {3, 2, 2, 4}, {2, 3, 1, 0, 1, 2, 1}, true},
    {"threaded 3x3", {4, 8, 12, 12}, {8, 8, 3, 3}, conv_opt(1, 1), true},
    {"threaded groups + stride", {4, 8, 11, 11}, {12, 4, 3, 3}, conv_opt(2, 1, 1, 2), true},
    {"threaded 1x1 groups", {4, 16, 16, 16}, {8, 8, 1, 1}, conv_opt(1, 0, 1, 2), true},
};

}  // namespace

GRADCHECK_TEST("linear with and without bias, 2-D and 3-D input", OK::Linear) {
  check_grad([](auto& v) { return linear(v[0], v[1], v[2]); }, {rnd({4, 3}, 1), rnd({5, 3}, 2), rnd({5}, 3)});
  check_grad([](auto& v) { return linear(v[0], v[1]); }, {rnd({2, 3, 4}, 4), rnd({2, 4}, 5)});
  check_grad([](auto& v) { return linear(v[0], v[1], v[2]); }, {rnd({2, 1, 3}, 6), rnd({2, 3}, 7), rnd({2}, 8)});
}

GRADCHECK_TEST("conv2d: bias, stride, padding, dilation, groups, 1x1", OK::Conv2d) {
  for (const auto& c : kConvCases) {
    if (shape_numel(c.x) > 300) continue;  // the threaded sizes are checked against the reference below
    INFO(c.name);
    const Conv2dOptions o = c.opt;
    if (c.bias)
      check_grad([o](auto& v) { return conv2d(v[0], v[1], v[2], o); }, {rnd(c.x, 1), rnd(c.w, 2), rnd({c.w[0]}, 3)});
    else
      check_grad([o](auto& v) { return conv2d(v[0], v[1], {}, o); }, {rnd(c.x, 4), rnd(c.w, 5)});
  }
}

GRADCHECK_TEST("conv2d: only the weight or only the input needs a gradient", OK::Conv2d) {
  const Conv2dOptions o = conv_opt(1, 1);
  Tensor x_const = rnd({2, 2, 4, 4}, 1).detach(), w_const = rnd({3, 2, 3, 3}, 2).detach();
  check_grad([&](auto& v) { return conv2d(x_const, v[0], v[1], o); }, {rnd({3, 2, 3, 3}, 3), rnd({3}, 4)});
  check_grad([&](auto& v) { return conv2d(v[0], w_const, {}, o); }, {rnd({2, 2, 4, 4}, 5)});
}

TEST_CASE("conv2d: forward and backward equal the naive loops (f64 and f32, serial and threaded)") {
  for (const auto& c : kConvCases) {
    INFO(c.name);
    Tensor x = rnd(c.x, 11), w = rnd(c.w, 12), b = c.bias ? rnd({c.w[0]}, 13) : Tensor();
    Tensor gy = rnd(conv_reference(x, w, b, c.opt).y.shape(), 14).detach();
    ConvRef ref = conv_reference(x, w, b, c.opt, gy);
    Tensor y = conv2d(x, w, b, c.opt);
    CHECK_CLOSE(y, ref.y, 1e-12, 1e-12);
    y.backward(gy);
    CHECK_CLOSE(x.grad(), ref.dx, 1e-12, 1e-12);
    CHECK_CLOSE(w.grad(), ref.dw, 1e-12, 1e-12);
    if (c.bias) CHECK_CLOSE(b.grad(), ref.db, 1e-12, 1e-12);

    // The float kernels: same code, single precision.
    Tensor xf = x.detach().to(DType::F32).requires_grad_(), wf = w.detach().to(DType::F32).requires_grad_();
    Tensor bf = c.bias ? b.detach().to(DType::F32).requires_grad_() : Tensor();
    Tensor yf = conv2d(xf, wf, bf, c.opt);
    CHECK_CLOSE(as64(yf), ref.y, 1e-4, 1e-4);
    yf.backward(gy.to(DType::F32));
    CHECK_CLOSE(as64(xf.grad()), ref.dx, 1e-4, 1e-4);
    CHECK_CLOSE(as64(wf.grad()), ref.dw, 1e-4, 1e-4);
  }
}

TEST_CASE("conv2d: values by hand, and no graph under NoGradGuard") {
  Tensor x = ones({1, 1, 3, 3}), w = ones({2, 1, 3, 3}), b = tensor({0.5, -1});
  NoGradGuard ng;
  Tensor y = conv2d(x, w, b, conv_opt(1, 1));
  CHECK(y.shape() == Shape{1, 2, 3, 3});
  CHECK_FALSE(y.requires_grad());
  // Corner sees 4 ones, edge 6, centre 9.
  CHECK(y.to_vector<float>() == std::vector<float>{4.5f, 6.5f, 4.5f, 6.5f, 9.5f, 6.5f, 4.5f, 6.5f, 4.5f,
                                                   3, 5, 3, 5, 8, 5, 3, 5, 3});
}

TEST_CASE("linear: values and bias broadcast over leading dims") {
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {1, 3, 2}), w = tensor({1, 0, 1, 1}, {2, 2}), b = tensor({10, 20});
  Tensor y = linear(x, w, b);
  CHECK(y.shape() == Shape{1, 3, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{11, 23, 13, 27, 15, 31});
}

TEST_CASE("conv2d and linear: errors name the op and the shapes") {
  auto opt = conv_opt(1, 0);
  CHECK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 2, 3, 3}), {}, opt),
              "weight [4, 2, 3, 3] expects 2 input channels (groups 1), input [1, 3, 5, 5] has 3");
  CHECK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 1, 3, 3}), {}, conv_opt(1, 0, 1, 2)),
              "input channels 3 of [1, 3, 5, 5] not divisible by groups 2");
  CHECK_ERROR(conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3}), {}, conv_opt(1, 0, 1, 2)),
              "output channels 3 of weight [3, 2, 3, 3] not divisible by groups 2");
  CHECK_ERROR(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 3, 3}), {}, opt), "larger than the padded input");
  CHECK_ERROR(conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, conv_opt(1, 0, 3)), "kernel 7x7 (dilated)");
  CHECK_ERROR(conv2d(zeros({3, 5, 5}), zeros({1, 3, 3, 3}), {}, opt), "expected input [N, C, H, W]");
  CHECK_ERROR(conv2d(zeros({1, 1, 5, 5}), zeros({2, 1, 3, 3}), zeros({3}), opt),
              "bias must have shape [2], got [3] (weight [2, 1, 3, 3])");
  CHECK_ERROR(conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, conv_opt(0, 0)), "must be >= 1");
  CHECK_ERROR(conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}, {DType::F64}), {}, opt), "dtype mismatch");
  CHECK_ERROR(linear(zeros({2, 3}), zeros({4, 2})), "linear: input [2, 3] and weight [4, 2] do not match");
  CHECK_ERROR(linear(zeros({2, 3}), zeros({4, 3}), zeros({3})), "linear: bias [3] must be [4]");
}
