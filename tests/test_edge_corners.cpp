// test_edge_corners.cpp — numerical corners where we must agree with PyTorch: log_softmax and
// cross-entropy with logits of magnitude 1e4..1e7 (RPL's unbounded distances), a −inf non-target logit,
// d/dx x⁰ at 0, amax's gradient with ties across several dims, logsumexp of all −inf.
#include <cmath>
#include <limits>

#include "losses/losses.h"
#include "tests/test_util.h"

using namespace eg;

namespace {
const double kInf = std::numeric_limits<double>::infinity();
}

TEST_CASE("precision: log_softmax and cross-entropy with large logits (b, b, b-1) keep float accuracy") {
  const double exact = -std::log(2.0 + std::exp(-1.0));  // log_softmax of the first logit: -0.861995
  const double p0 = std::exp(exact), p2 = std::exp(-1.0) * p0;
  for (double b : {0.0, 1e4, 1e6, 1e7}) {
    CAPTURE(b);
    Tensor z = tensor({b, b, b - 1}, {1, 3}).requires_grad_(true);
    auto lp = log_softmax(z, 1).to_vector<float>();
    CHECK(lp[0] == doctest::Approx(exact).epsilon(1e-6));
    CHECK(lp[2] == doctest::Approx(exact - 1).epsilon(1e-6));
    Tensor loss = losses::cross_entropy(z, from_vector(std::vector<int64_t>{0}, {1}));
    CHECK(loss.item() == doctest::Approx(-exact).epsilon(1e-6));
    loss.backward();  // dz = softmax(z) − onehot(0)
    auto g = z.grad().to_vector<float>();
    CHECK(g[0] == doctest::Approx(p0 - 1).epsilon(1e-6));
    CHECK(g[1] == doctest::Approx(p0).epsilon(1e-6));
    CHECK(g[2] == doctest::Approx(p2).epsilon(1e-6));
    Tensor y = tensor({b, b, b - 1}, {1, 3}).requires_grad_(true);
    sum(mul(log_softmax(y, 1), tensor({1, 0, 0}, {1, 3}))).backward();  // log_softmax's own backward
    CHECK(y.grad().to_vector<float>()[0] == doctest::Approx(1 - p0).epsilon(1e-6));
  }
}

TEST_CASE("corners: cross-entropy with a -inf non-target logit is finite (PyTorch: log(1 + e) = 1.3133)") {
  Tensor z = tensor({0, 1, -kInf}, {1, 3}).requires_grad_(true);
  Tensor loss = losses::cross_entropy(z, from_vector(std::vector<int64_t>{0}, {1}));
  CHECK(loss.item() == doctest::Approx(std::log(1 + std::exp(1.0))));
  loss.backward();
  auto g = z.grad().to_vector<float>();
  const double p0 = 1 / (1 + std::exp(1.0));
  CHECK(g[0] == doctest::Approx(p0 - 1));
  CHECK(g[1] == doctest::Approx(1 - p0));
  CHECK(g[2] == 0);
  // A -inf target logit is an infinite loss, not NaN.
  CHECK(losses::cross_entropy(tensor({0, 1, -kInf}, {1, 3}), from_vector(std::vector<int64_t>{2}, {1})).item() == kInf);
}

TEST_CASE("corners: d/dx pow(x, 0) is 0, also at x = 0 (not 0 * inf = NaN)") {
  Tensor x = tensor({0, 2, -1}, {3}, {DType::F64}).requires_grad_(true);
  sum(pow(x, 0.0)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
  Tensor y = tensor({0, 2}, {2}, {DType::F64}).requires_grad_(true);
  sum(pow(y, 1.0)).backward();  // p = 1: x⁰ · 1 = 1 everywhere, 0⁰ = 1
  CHECK(y.grad().to_vector<double>() == std::vector<double>{1, 1});
}

TEST_CASE("corners: amax over several dims shares the gradient among all tied maxima equally") {
  Tensor x = tensor({2, 2, 2, 1}, {2, 2}, {DType::F64}).requires_grad_(true);
  amax(x).backward();
  auto g = x.grad().to_vector<double>();
  for (int i = 0; i < 3; ++i) CHECK(g[(size_t)i] == doctest::Approx(1.0 / 3));
  CHECK(g[3] == 0);
  Tensor y = tensor({5, 1, 5, 5, 0, 1, 2, 3}, {2, 2, 2}, {DType::F64}).requires_grad_(true);
  amin(y, {0, 2}).backward(ones({2}, {DType::F64}));  // per middle index: min over 4 values
  auto h = y.grad().to_vector<double>();
  CHECK(h == std::vector<double>{0, 0, 0, 0, 1, 0, 1, 0});
  Tensor t = tensor({2, 2, 2, 1}, {2, 2}, {DType::F64}).requires_grad_(true);
  amax(t, {0, 1}, true).backward(ones({1, 1}, {DType::F64}));
  CHECK(t.grad().to_vector<double>()[0] == doctest::Approx(1.0 / 3));
}

TEST_CASE("corners: logsumexp of all -inf is -inf, of +inf is +inf") {
  CHECK(logsumexp(tensor({-kInf, -kInf}), {0}).item() == -kInf);
  auto r = logsumexp(tensor({-kInf, -kInf, 0, 1}, {2, 2}), {1}).to_vector<float>();
  CHECK(r[0] == -kInf);
  CHECK(r[1] == doctest::Approx(std::log(1 + std::exp(1.0))));
  CHECK(logsumexp(tensor({kInf, 0}), {0}).item() == kInf);
}
