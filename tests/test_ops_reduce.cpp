// test_ops_reduce.cpp — gradchecks and values for reductions (several dims, keepdim), max/min with
// ties, logsumexp, var, normalize, softmax/log_softmax (including large logits).
#include <cmath>

#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

GRADCHECK_TEST("sum over several dims, keepdim or not", OK::Sum) {
  check_grad([](auto& v) { return sum(v[0]); }, {rnd({2, 3, 4}, 1)});
  check_grad([](auto& v) { return sum(v[0], {0, 2}); }, {rnd({2, 3, 4}, 2)});
  check_grad([](auto& v) { return sum(v[0], {-1}, true); }, {rnd({2, 3, 4}, 3)});
  check_grad([](auto& v) { return sum(v[0], {1}); }, {rnd({3, 5}, 4)});
}

GRADCHECK_TEST("mean", OK::Mean) {
  check_grad([](auto& v) { return mean(v[0]); }, {rnd({2, 3, 4}, 1)});
  check_grad([](auto& v) { return mean(v[0], {0, 2}, true); }, {rnd({2, 3, 4}, 2)});
}

GRADCHECK_TEST("max and min along a dim, amax over several", OK::MaxDim, OK::MinDim) {
  check_grad([](auto& v) { return max(v[0], 1); }, {rnd({3, 5}, 1)});
  check_grad([](auto& v) { return min(v[0], 0, true); }, {rnd({3, 5}, 2)});
  check_grad([](auto& v) { return amax(v[0], {0, 2}); }, {rnd({2, 3, 4}, 3)});
}

GRADCHECK_TEST("logsumexp and var (composed)", OK::Sum, OK::Mean, OK::Exp, OK::Log) {
  check_grad([](auto& v) { return logsumexp(v[0], {1}); }, {rnd({3, 4}, 1, -3, 3)});
  check_grad([](auto& v) { return logsumexp(v[0], {0, 1}, true); }, {rnd({3, 4}, 2)});
  check_grad([](auto& v) { return var(v[0], {0}); }, {rnd({5, 3}, 3)});
  check_grad([](auto& v) { return var(v[0], {0, 2}, false, true); }, {rnd({3, 2, 4}, 4)});
}

GRADCHECK_TEST("normalize (composed) along rows and columns", OK::Sum, OK::Sqrt, OK::Div) {
  check_grad([](auto& v) { return normalize(v[0], 1); }, {rnd({3, 4}, 1, -2, 2)});
  check_grad([](auto& v) { return normalize(v[0], 0); }, {rnd({3, 4, 2}, 2, -2, 2)});
}

TEST_CASE("normalize: unit rows as F.normalize, an all-zero row stays zero (no NaN)") {
  Tensor x = tensor({3, 4, 0, 0}, {2, 2});
  CHECK(normalize(x, 1).to_vector<float>() == std::vector<float>{0.6f, 0.8f, 0, 0});
  CHECK(normalize(x, 0).to_vector<float>() == std::vector<float>{1, 1, 0, 0});
  CHECK_THROWS_WITH(normalize(x, 2), doctest::Contains("normalize"));
}

GRADCHECK_TEST("softmax and log_softmax along any dim", OK::Softmax, OK::LogSoftmax) {
  check_grad([](auto& v) { return softmax(v[0], 1); }, {rnd({3, 4}, 1, -3, 3)});
  check_grad([](auto& v) { return softmax(v[0], 0); }, {rnd({3, 4, 2}, 2)});
  check_grad([](auto& v) { return log_softmax(v[0], -1); }, {rnd({3, 4}, 3, -3, 3)});
  check_grad([](auto& v) { return log_softmax(v[0], 1); }, {rnd({2, 3, 2}, 4)});
}

TEST_CASE("reduce: values") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(sum(a).item() == 21);
  CHECK(sum(a, {0}).to_vector<float>() == std::vector<float>{5, 7, 9});
  CHECK(sum(a, {1}, true).shape() == Shape{2, 1});
  CHECK(mean(a, {1}).to_vector<float>() == std::vector<float>{2, 5});
  CHECK(max(a, 1).to_vector<float>() == std::vector<float>{3, 6});
  CHECK(amin(a).item() == 1);
  CHECK(argmax(a, 1).to_vector<int64_t>() == std::vector<int64_t>{2, 2});
  CHECK(argmax(tensor({3, 1, 3}), 0).item() == 0);  // first index on ties
  CHECK(var(tensor({1, 2, 3, 4})).item() == doctest::Approx(1.6666667));
  CHECK(var(tensor({1, 2, 3, 4}), {}, false).item() == doctest::Approx(1.25));
  CHECK(logsumexp(tensor({1000, 1000}), {0}).item() == doctest::Approx(1000 + std::log(2.0)));
}

TEST_CASE("reduce: float sums over 1e6 elements keep precision (double accumulation)") {
  Tensor x = full({1000000}, 0.1);
  CHECK(sum(x).item() == doctest::Approx(100000.0).epsilon(1e-6));
}

TEST_CASE("reduce: tied maxima share the gradient") {
  Tensor x = tensor({2, 2, 1}, {3}, {DType::F64}).requires_grad_(true);
  max(x, 0).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.5, 0.5, 0});
}

TEST_CASE("softmax: stable for huge logits, rows sum to 1") {
  Tensor x = tensor({1e4, -1e4, 0, 1e4}, {2, 2});
  auto s = softmax(x, 1).to_vector<float>();
  CHECK(s[0] == 1.0f);
  CHECK(s[1] == 0.0f);
  CHECK(s[2] == 0.0f);
  CHECK(s[3] == 1.0f);
  auto l = log_softmax(x, 1).to_vector<float>();
  CHECK(l[0] == 0.0f);
  CHECK(l[1] == -2e4f);
}

TEST_CASE("reduce: errors") {
  CHECK_THROWS_WITH_AS(sum(zeros({2, 3}), {2}), doctest::Contains("dim 2 out of range"), eg::Error);
  CHECK_THROWS_WITH_AS(sum(zeros({2, 3}), {0, 0}), doctest::Contains("repeated"), eg::Error);
  CHECK_THROWS_WITH_AS(max(zeros({0, 3}), 0), doctest::Contains("empty"), eg::Error);
  CHECK_THROWS_WITH_AS(var(zeros({1})), doctest::Contains("var: need more than 1"), eg::Error);
}
