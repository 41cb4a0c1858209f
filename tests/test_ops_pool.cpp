// test_ops_pool.cpp — max, average and adaptive-average 2-D pooling over x [N, C, H, W]: gradchecks
// (on distinct values, so max-pool windows never tie within the finite-difference step), values and
// argmax indices by hand (ties go to the first maximum, padding never wins), composed references on
// threaded sizes, and the errors.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/kernels_nn.h"
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

#define CHECK_ERROR(expr, text) CHECK_THROWS_WITH_AS(expr, doctest::Contains(text), eg::Error)

namespace {

// A shuffled 0.1·(0..n−1) − n/20: distinct values, 0.1 apart, requires_grad set.
Tensor distinct(const Shape& s, uint64_t seed) {
  const int64_t n = shape_numel(s);
  std::vector<double> v((size_t)n);
  std::iota(v.begin(), v.end(), 0.0);
  Generator g(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[(size_t)i], v[(size_t)g.randint(i + 1)]);
  for (auto& e : v) e = 0.1 * e - 0.05 * (double)n;
  return from_vector(v, s).requires_grad_(true);
}

std::vector<float> vec(const Tensor& t) { return t.to_vector<float>(); }

}  // namespace

GRADCHECK_TEST("max_pool2d: 2x2/2, 3x3/2 padded, 3x3/1 overlapping", OK::MaxPool2d) {
  check_grad([](auto& v) { return max_pool2d(v[0], 2, 2); }, {distinct({2, 2, 6, 6}, 1)});
  check_grad([](auto& v) { return max_pool2d(v[0], 3, 2, 1); }, {distinct({1, 2, 7, 7}, 2)});
  check_grad([](auto& v) { return max_pool2d(v[0], 3, 1); }, {distinct({2, 1, 5, 6}, 3)});
}

GRADCHECK_TEST("avg_pool2d: 2x2/2 and 3x3/2 padded", OK::AvgPool2d) {
  check_grad([](auto& v) { return avg_pool2d(v[0], 2, 2); }, {rnd({2, 2, 6, 6}, 1)});
  check_grad([](auto& v) { return avg_pool2d(v[0], 3, 2, 1); }, {rnd({1, 2, 5, 5}, 2)});
}

GRADCHECK_TEST("adaptive_avg_pool2d: global, uneven bins, more bins than rows", OK::AdaptiveAvgPool2d) {
  check_grad([](auto& v) { return adaptive_avg_pool2d(v[0], 1, 1); }, {rnd({2, 3, 4, 4}, 1)});
  check_grad([](auto& v) { return adaptive_avg_pool2d(v[0], 3, 2); }, {rnd({2, 2, 5, 7}, 2)});
  check_grad([](auto& v) { return adaptive_avg_pool2d(v[0], 4, 4); }, {rnd({1, 1, 3, 3}, 3)});
}

TEST_CASE("max_pool2d: ties pick the first maximum, indices, padding never wins") {
  // Window [[1, 3], [3, 2]]: the first 3 (flat index 1) takes the whole gradient.
  Tensor x = tensor({1, 3, 3, 2}, {1, 1, 2, 2}).requires_grad_();
  Tensor y = max_pool2d(x, 2, 2);
  CHECK(vec(y) == std::vector<float>{3});
  y.backward(ones({1, 1, 1, 1}));
  CHECK(vec(x.grad()) == std::vector<float>{0, 1, 0, 0});
  CHECK(kernels::max_pool2d_forward(x.detach(), {2, 2, 2, 2, 0, 0}).indices.to_vector<int64_t>() ==
        std::vector<int64_t>{1});

  // Overlapping windows that share their maximum accumulate its gradient.
  Tensor c = tensor({0, 1, 0, 2, 9, 3, 0, 4, 0}, {1, 1, 3, 3}).requires_grad_();
  Tensor yc = max_pool2d(c, 2, 1);
  CHECK(vec(yc) == std::vector<float>{9, 9, 9, 9});
  yc.backward(ones({1, 1, 2, 2}));
  CHECK(vec(c.grad()) == std::vector<float>{0, 0, 0, 0, 4, 0, 0, 0, 0});

  // All-negative input with padding: the padding is −inf, so outputs are real values, not 0.
  Tensor n = tensor({-4, -3, -2, -1}, {1, 1, 2, 2});
  auto r = kernels::max_pool2d_forward(n, {3, 3, 1, 1, 1, 1});
  CHECK(vec(r.y) == std::vector<float>{-1, -1, -1, -1});
  CHECK(r.indices.to_vector<int64_t>() == std::vector<int64_t>{3, 3, 3, 3});
  auto s = kernels::max_pool2d_forward(tensor({5, 1, 2, 7, 0, 6}, {1, 1, 2, 3}), {2, 2, 1, 1, 0, 0});
  CHECK(s.indices.to_vector<int64_t>() == std::vector<int64_t>{3, 5});
}

TEST_CASE("avg_pool2d and adaptive_avg_pool2d: values by hand") {
  // count_include_pad: every 3x3 window over a padded 2x2 of ones holds 4 ones out of 9.
  for (float v : vec(avg_pool2d(ones({1, 1, 2, 2}), 3, 1, 1))) CHECK(v == doctest::Approx(4.0 / 9.0));
  CHECK(vec(avg_pool2d(arange(0, 16, 1).view_as_shape({1, 1, 4, 4}), 2, 2)) ==
        std::vector<float>{2.5f, 4.5f, 10.5f, 12.5f});
  // H = 5 into 3 bins: rows [0, 2), [1, 4), [3, 5).
  Tensor col = arange(0, 5, 1).view_as_shape({1, 1, 5, 1});
  CHECK(vec(adaptive_avg_pool2d(col, 3, 1)) == std::vector<float>{0.5f, 2, 3.5f});
  CHECK(vec(adaptive_avg_pool2d(col, 1, 1)) == std::vector<float>{2});
  // 2 rows into 3 bins: [0, 1), [0, 2), [1, 2).
  CHECK(vec(adaptive_avg_pool2d(tensor({2, 4}, {1, 1, 2, 1}), 3, 1)) == std::vector<float>{2, 3, 4});
}

TEST_CASE("pool: threaded sizes equal the composed reference") {
  Tensor x = rnd({8, 16, 16, 16}, 7);
  auto blocks = [](const Tensor& t) { return reshape(t, {8, 16, 8, 2, 8, 2}); };
  CHECK_CLOSE(max_pool2d(x, 2, 2), amax(blocks(x), {3, 5}), 0, 0);
  CHECK_CLOSE(avg_pool2d(x, 2, 2), mean(blocks(x), {3, 5}), 1e-14, 1e-14);
  CHECK_CLOSE(adaptive_avg_pool2d(x, 1, 1), mean(x, {2, 3}, true), 1e-14, 1e-14);
  CHECK_CLOSE(adaptive_avg_pool2d(x, 8, 8), avg_pool2d(x, 2, 2), 1e-14, 1e-14);
  Tensor g = rnd({8, 16, 8, 8}, 8).detach();
  Tensor dx_pool = autograd::grad(avg_pool2d(x, 2, 2), {x}, g)[0];
  Tensor dx_ref = autograd::grad(mean(blocks(x), {3, 5}), {x}, g)[0];
  CHECK_CLOSE(dx_pool, dx_ref, 1e-14, 1e-14);
}

TEST_CASE("pool: errors name the op and the shapes") {
  Tensor x = zeros({1, 1, 4, 4});
  CHECK_ERROR(max_pool2d(x, 2, 2, 2), "max_pool2d: padding 2 must be at most half the kernel size 2");
  CHECK_ERROR(avg_pool2d(zeros({1, 1, 2, 2}), 3, 1),
              "avg_pool2d: kernel 3 (padding 0) does not fit input [1, 1, 2, 2]");
  CHECK_ERROR(max_pool2d(zeros({1, 4, 4}), 2, 2), "expected input [N, C, H, W], got [1, 4, 4]");
  CHECK_ERROR(max_pool2d(x, 2, 0), "must be >= 1");
  CHECK_ERROR(adaptive_avg_pool2d(x, 0, 1), "adaptive_avg_pool2d: output size 0x1");
  CHECK_ERROR(max_pool2d(zeros({1, 1, 4, 4}, {DType::I64}), 2, 2), "must be f32 or f64");
  // Indices that do not come from max_pool2d_forward are refused before any scatter.
  const Tensor dy = zeros({1, 1, 2, 2});
  const Tensor idx = from_vector(std::vector<int64_t>{0, 3, 16, 5}, {1, 1, 2, 2});
  CHECK_ERROR(kernels::max_pool2d_backward(dy, idx, {1, 1, 4, 4}),
              "max_pool2d backward: index 16 at 2 outside the input plane of 16");
  const Tensor neg = from_vector(std::vector<int64_t>{0, -1, 2, 5}, {1, 1, 2, 2});
  CHECK_ERROR(kernels::max_pool2d_backward(dy, neg, {1, 1, 4, 4}),
              "max_pool2d backward: index -1 at 1 outside the input plane of 16");
}

TEST_CASE("max_pool2d: the 2x2 stride-2 fast path equals a plain scan on odd planes, with ties and NaN") {
  // Values from a small set so that ties are common, and a few NaN: every rule of the scan is exercised.
  // On AVX2 builds rows of 4 to 7 outputs take 4-output vectors (9 and 14 wide: the last one overlapping),
  // longer rows 8-output ones (16, 28, 33, 35 wide: none, 6, 0, 1 outputs overlapped; odd widths drop a
  // column); rows under 4 outputs (6 wide) the scalar loop.
  const int64_t planes[][2] = {{7, 9}, {5, 6}, {4, 14}, {4, 16}, {6, 28}, {3, 33}, {5, 35}};
  for (const auto& hw : planes) {
    const int64_t H = hw[0], W = hw[1], OH = H / 2, OW = W / 2;
    std::vector<float> xv((size_t)(2 * 3 * H * W));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = (float)((i * 7 + i / 5) % 4);
    for (size_t i : {size_t{5}, size_t{40}, size_t{41}, size_t{100}, xv.size() / 2 + 3, xv.size() - 20})
      xv[i] = NAN;
    Tensor x = from_vector(xv, {2, 3, H, W});
    auto r = kernels::max_pool2d_forward(x, {2, 2, 2, 2, 0, 0});
    const auto y = r.y.to_vector<float>();
    const auto idx = r.indices.to_vector<int64_t>();
    REQUIRE(y.size() == (size_t)(2 * 3 * OH * OW));
    for (int64_t pl = 0; pl < 6; ++pl)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          float best = -INFINITY;
          int64_t arg = 2 * oh * W + 2 * ow;
          for (int64_t h = 2 * oh; h < 2 * oh + 2; ++h)
            for (int64_t w = 2 * ow; w < 2 * ow + 2; ++w) {
              const float v = xv[(size_t)(pl * H * W + h * W + w)];
              if (v > best || std::isnan(v)) best = v, arg = h * W + w;
            }
          const size_t o = (size_t)((pl * OH + oh) * OW + ow);
          INFO("plane ", H, "x", W, " #", pl, " output ", oh, ",", ow);
          CHECK(idx[o] == arg);
          CHECK((std::isnan(best) ? std::isnan(y[o]) : y[o] == best));
        }
  }
}

TEST_CASE("adaptive_avg_pool2d: as many bins as pixels is the identity, forward and backward") {
  Tensor x = rnd({2, 3, 7, 7}, 4).requires_grad_();
  Tensor y = adaptive_avg_pool2d(x, 7, 7);
  CHECK_CLOSE(y, x.detach(), 0, 0);
  Tensor gy = rnd({2, 3, 7, 7}, 5);
  y.backward(gy);
  CHECK_CLOSE(x.grad(), gy, 0, 0);
}
