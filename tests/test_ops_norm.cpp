// test_ops_norm.cpp — batch_norm and dropout: gradchecks (train and eval, with and without affine,
// [N, C] and [N, C, H, W]), the running-statistics update by hand, the fused kernel against the composed
// formula on a threaded size, float precision when |mean| ≫ std, dropout's statistics and determinism,
// and the errors. Shape letters: N batch, C channels, H/W height/width.
#include <cmath>

#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

#define CHECK_ERROR(expr, text) CHECK_THROWS_WITH_AS(expr, doctest::Contains(text), eg::Error)

namespace {
std::vector<double> vec(const Tensor& t) { return t.to_vector<double>(); }
Tensor positive(const Shape& s, uint64_t seed) { return rnd(s, seed, 0.5, 2.0).detach(); }
}  // namespace

GRADCHECK_TEST("batch_norm: training and eval, affine or not, [N, C] and [N, C, H, W]", OK::BatchNorm) {
  Tensor rm = rnd({2}, 10).detach(), rv = positive({2}, 11);
  check_grad([&](auto& v) { return batch_norm(v[0], v[1], v[2], rm, rv, true); },
             {rnd({3, 2, 3, 2}, 1), rnd({2}, 2), rnd({2}, 3)});
  check_grad([](auto& v) { return batch_norm(v[0], v[1], v[2], {}, {}, true); },
             {rnd({5, 3}, 4), rnd({3}, 5), rnd({3}, 6)});
  check_grad([](auto& v) { return batch_norm(v[0], {}, {}, {}, {}, true); }, {rnd({4, 2, 2, 2}, 7)});
  check_grad([&](auto& v) { return batch_norm(v[0], v[1], v[2], rm, rv, false); },
             {rnd({3, 2, 2, 2}, 8), rnd({2}, 9), rnd({2}, 12)});
  Tensor rm3 = rnd({3}, 13).detach(), rv3 = positive({3}, 14);
  check_grad([&](auto& v) { return batch_norm(v[0], {}, {}, rm3, rv3, false); }, {rnd({4, 3}, 15)});
}

GRADCHECK_TEST("dropout: a fixed seed gives a fixed mask", OK::Dropout) {
  check_grad([](auto& v) {
    Generator g(7);
    return dropout(v[0], 0.3, true, g);
  }, {rnd({4, 5}, 1)});
}

TEST_CASE("batch_norm: running statistics by hand (momentum, unbiased variance), eval uses them") {
  // Channel 0: 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1: ten times that.
  Tensor x = tensor({1, 10, 2, 20, 3, 30, 4, 40}, {4, 2}, {DType::F64});
  Tensor rm = zeros({2}, {DType::F64}), rv = ones({2}, {DType::F64});
  Tensor y = batch_norm(x, {}, {}, rm, rv, true);
  CHECK(vec(rm)[0] == doctest::Approx(0.25));
  CHECK(vec(rm)[1] == doctest::Approx(2.5));
  CHECK(vec(rv)[0] == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0));
  CHECK(vec(rv)[1] == doctest::Approx(0.9 + 0.1 * 500.0 / 3.0));
  CHECK(vec(y)[0] == doctest::Approx((1 - 2.5) / std::sqrt(1.25 + 1e-5)));
  CHECK(vec(y)[7] == doctest::Approx((40 - 25) / std::sqrt(125 + 1e-5)));
  // A second step with another momentum compounds from the updated values.
  batch_norm(x, {}, {}, rm, rv, true, 0.5);
  CHECK(vec(rm)[0] == doctest::Approx(0.5 * 0.25 + 0.5 * 2.5));
  // Eval: normalizes with the running stats and leaves them alone.
  Tensor w = tensor({2, 3}, {2}, {DType::F64}), b = tensor({-1, 1}, {2}, {DType::F64});
  auto before_m = vec(rm), before_v = vec(rv);
  Tensor ye = batch_norm(x, w, b, rm, rv, false);
  CHECK(vec(rm) == before_m);
  CHECK(vec(rv) == before_v);
  CHECK(vec(ye)[3] == doctest::Approx((20 - before_m[1]) / std::sqrt(before_v[1] + 1e-5) * 3 + 1));
  // Eval without running stats normalizes with the batch (track_running_stats=False).
  CHECK(vec(batch_norm(x, {}, {}, {}, {}, false)) == vec(y));
}

TEST_CASE("batch_norm: fused kernel equals the composed formula, forward and backward (threaded size)") {
  Tensor x = rnd({16, 8, 16, 16}, 1), w = rnd({8}, 2), b = rnd({8}, 3);
  Tensor rm = zeros({8}, {DType::F64}), rv = ones({8}, {DType::F64});
  Tensor y = batch_norm(x, w, b, rm, rv, true);
  Tensor mu = mean(x, {0, 2, 3}, true), var_b = var(x, {0, 2, 3}, false, true);
  Tensor y_ref = (x - mu) / sqrt(var_b + 1e-5) * reshape(w, {1, 8, 1, 1}) + reshape(b, {1, 8, 1, 1});
  CHECK_CLOSE(y, y_ref, 1e-12, 1e-12);
  CHECK_CLOSE(rv, ones({8}, {DType::F64}) * 0.9 + var(x, {0, 2, 3}, true) * 0.1, 1e-12, 1e-12);
  Tensor g = rnd({16, 8, 16, 16}, 4).detach();
  auto d = autograd::grad(y, {x, w, b}, g);
  auto d_ref = autograd::grad(y_ref, {x, w, b}, g);
  for (size_t i = 0; i < 3; ++i) CHECK_CLOSE(d[i], d_ref[i], 1e-10, 1e-9);
}

TEST_CASE("batch_norm: float statistics stay exact when |mean| >> std") {
  Generator gen(5);
  Tensor x = randn({64, 4, 8, 8}, gen) + 1000.0;
  Tensor y = batch_norm(x, {}, {}, {}, {}, true);
  Tensor m = mean(y, {0, 2, 3}), v = var(y, {0, 2, 3}, false);
  for (double e : vec(m)) CHECK(std::abs(e) < 1e-3);
  for (double e : vec(v)) CHECK(std::abs(e - 1) < 1e-3);
}

TEST_CASE("batch_norm: errors name the op and the shapes") {
  Tensor x = zeros({4, 2, 3, 3});
  CHECK_ERROR(batch_norm(x, zeros({3}), {}, {}, {}, true),
              "batch_norm: weight must have shape [2], got [3] (input [4, 2, 3, 3])");
  CHECK_ERROR(batch_norm(x, {}, {}, zeros({2}), zeros({2, 1}), true), "running_var must have shape [2], got [2, 1]");
  CHECK_ERROR(batch_norm(x, {}, {}, zeros({2}), {}, true), "both given or both undefined");
  CHECK_ERROR(batch_norm(zeros({1, 2}), {}, {}, {}, {}, true), "expected more than 1 value per channel");
  CHECK_ERROR(batch_norm(zeros({4}), {}, {}, {}, {}, true), "expected input [N, C, ...], got [4]");
  CHECK_ERROR(batch_norm(x, zeros({2}, {DType::F64}), {}, {}, {}, true), "dtype mismatch");
}

TEST_CASE("dropout: deterministic per seed, drops a fraction p, keeps the expectation") {
  Tensor x = ones({100000});
  Generator g1(3), g2(3), g3(4);
  Tensor a = dropout(x, 0.3, true, g1), b = dropout(x, 0.3, true, g2), c = dropout(x, 0.3, true, g3);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  CHECK(a.to_vector<float>() != c.to_vector<float>());
  auto v = vec(a);
  double zeros_frac = 0, total = 0;
  bool zero_or_scaled = true;
  for (double e : v) {
    zeros_frac += e == 0;
    total += e;
    zero_or_scaled = zero_or_scaled && (e == 0 || std::abs(e - 1 / 0.7) < 1e-6);
  }
  CHECK(zero_or_scaled);
  CHECK(zeros_frac / (double)v.size() == doctest::Approx(0.3).epsilon(0.03));
  CHECK(total / (double)v.size() == doctest::Approx(1.0).epsilon(0.02));
}

TEST_CASE("dropout: p = 0 and eval are the identity, p = 1 gives zeros, bad p throws") {
  Generator g(1);
  Tensor x = rnd({3, 4}, 2);
  CHECK(dropout(x, 0.5, false, g).same(x));
  CHECK(dropout(x, 0.0, true, g).same(x));
  Tensor y = dropout(x, 1.0, true, g);
  for (double e : vec(y)) CHECK(e == 0);
  y.backward(ones({3, 4}, {DType::F64}));
  for (double e : vec(x.grad())) CHECK(e == 0);
  CHECK_ERROR(dropout(x, 1.5, true, g), "dropout: probability p must be in [0, 1], got 1.5");
  CHECK_ERROR(dropout(x, -0.1, false, g), "dropout: probability p");
}
