// test_ops_elementwise.cpp — gradchecks (f64) and forward values for the elementwise ops, including
// broadcasting both ways and a tensor that feeds two branches.
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

namespace {
// Values in ±[0.2, 1]: away from the kinks of abs/relu and from 0 for division.
Tensor away(const Shape& s, uint64_t seed) {
  Tensor x = rnd(s, seed);
  NoGradGuard ng;
  Tensor y = add(mul(x, 0.8), mul(kernels::unary(kernels::UnaryOp::Sign, x), 0.2));
  return y.detach().requires_grad_(true);
}
}  // namespace

GRADCHECK_TEST("add with broadcasting both ways", OK::Add) {
  check_grad([](auto& v) { return add(v[0], v[1]); }, {rnd({3, 4}, 1), rnd({3, 4}, 2)});
  check_grad([](auto& v) { return add(v[0], v[1]); }, {rnd({3, 1}, 3), rnd({1, 4}, 4)});
  check_grad([](auto& v) { return add(v[0], v[1]); }, {rnd({2, 3, 4}, 5), rnd({4}, 6)});
  check_grad([](auto& v) { return add(v[0], v[1]); }, {rnd({}, 7), rnd({2, 3}, 8)});
}

GRADCHECK_TEST("sub", OK::Sub) {
  check_grad([](auto& v) { return sub(v[0], v[1]); }, {rnd({2, 1, 3}, 1), rnd({4, 1}, 2)});
}

GRADCHECK_TEST("mul", OK::Mul) {
  check_grad([](auto& v) { return mul(v[0], v[1]); }, {rnd({2, 3}, 1), rnd({2, 3}, 2)});
  check_grad([](auto& v) { return mul(v[0], v[1]); }, {rnd({2, 1, 3}, 3), rnd({4, 1}, 4)});
}

GRADCHECK_TEST("div", OK::Div) {
  check_grad([](auto& v) { return div(v[0], v[1]); }, {rnd({2, 3}, 1), away({2, 3}, 2)});
  check_grad([](auto& v) { return div(v[0], v[1]); }, {rnd({3, 1}, 3), away({1, 2}, 4)});
}

GRADCHECK_TEST("maximum and minimum", OK::Maximum, OK::Minimum) {
  check_grad([](auto& v) { return maximum(v[0], v[1]); }, {rnd({3, 4}, 1), rnd({3, 4}, 2)});
  check_grad([](auto& v) { return minimum(v[0], v[1]); }, {rnd({3, 4}, 3), rnd({4}, 4)});
}

GRADCHECK_TEST("unary math", OK::Neg, OK::Exp, OK::Log, OK::Sqrt, OK::Sigmoid, OK::Tanh, OK::Log1p, OK::Softplus) {
  check_grad([](auto& v) { return neg(v[0]); }, {rnd({5}, 1)});
  check_grad([](auto& v) { return exp(v[0]); }, {rnd({2, 3}, 2)});
  check_grad([](auto& v) { return log(v[0]); }, {rnd({2, 3}, 3, 0.5, 2)});
  check_grad([](auto& v) { return sqrt(v[0]); }, {rnd({2, 3}, 4, 0.5, 2)});
  check_grad([](auto& v) { return sigmoid(v[0]); }, {rnd({2, 3}, 5, -4, 4)});
  check_grad([](auto& v) { return tanh(v[0]); }, {rnd({2, 3}, 6, -2, 2)});
  check_grad([](auto& v) { return log1p(v[0]); }, {rnd({2, 3}, 7, -0.5, 2)});
  check_grad([](auto& v) { return softplus(v[0]); }, {rnd({2, 3}, 8, -30, 30)});
}

GRADCHECK_TEST("abs, relu and leaky_relu away from 0", OK::Abs, OK::Relu, OK::LeakyRelu) {
  check_grad([](auto& v) { return leaky_relu(v[0], 0.2); }, {away({3, 4}, 3)});
  check_grad([](auto& v) { return abs(v[0]); }, {away({3, 4}, 1)});
  check_grad([](auto& v) { return relu(v[0]); }, {away({3, 4}, 2)});
}

GRADCHECK_TEST("pow with a scalar exponent", OK::PowScalar) {
  check_grad([](auto& v) { return pow(v[0], 2.0); }, {rnd({3, 2}, 1)});
  check_grad([](auto& v) { return pow(v[0], 3.0); }, {rnd({3, 2}, 2)});
  check_grad([](auto& v) { return pow(v[0], -1.5); }, {rnd({3, 2}, 3, 0.5, 2)});
}

GRADCHECK_TEST("clamp off its bounds", OK::Clamp) {
  // Values in ±[0.2, 1], bounds at ±0.5 +- nothing near: keep inputs away from exactly ±0.5.
  Tensor x = tensor({-0.9, -0.3, 0.1, 0.45, 0.7, 0.2}, {2, 3}, {DType::F64}).requires_grad_(true);
  check_grad([](auto& v) { return clamp(v[0], -0.5, 0.5); }, {x});
}

GRADCHECK_TEST("where", OK::Where) {
  Tensor c = tensor({1, 0, 1, 0, 0, 1}, {2, 3}, {DType::F64});
  check_grad([c](auto& v) { return where(c, v[0], v[1]); }, {rnd({2, 3}, 1), rnd({3}, 2)});
}

GRADCHECK_TEST("scalar add and mul", OK::AddScalar, OK::MulScalar) {
  check_grad([](auto& v) { return add(mul(v[0], -2.5), 3.0); }, {rnd({4}, 1)});
  check_grad([](auto& v) { return 1.0 - v[0] / 4.0; }, {rnd({4}, 2)});
}

GRADCHECK_TEST("a tensor feeding two branches", OK::Mul, OK::Exp, OK::Add) {
  check_grad([](auto& v) { return add(mul(v[0], v[0]), exp(v[0])); }, {rnd({3, 3}, 1)});
}

TEST_CASE("elementwise: forward values and broadcasting") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = tensor({10, 20, 30}, {3});
  CHECK(add(a, b).to_vector<float>() == std::vector<float>{11, 22, 33, 14, 25, 36});
  Tensor col = tensor({1, 2}, {2, 1});
  CHECK(mul(a, col).to_vector<float>() == std::vector<float>{1, 2, 3, 8, 10, 12});
  CHECK(sub(b, a).shape() == Shape{2, 3});
  CHECK(gt(a, full({}, 3.0)).to_vector<float>() == std::vector<float>{0, 0, 0, 1, 1, 1});
  CHECK(relu(tensor({-1, 0, 2})).to_vector<float>() == std::vector<float>{0, 0, 2});
  CHECK(clamp(tensor({-2, 0.5, 3}), 0, 1).to_vector<float>() == std::vector<float>{0, 0.5f, 1});
  // Stable sigmoid and softplus at extreme logits.
  auto s = sigmoid(tensor({-1000, 0, 1000})).to_vector<float>();
  CHECK(s[0] == 0.0f);
  CHECK(s[1] == 0.5f);
  CHECK(s[2] == 1.0f);
  auto sp = softplus(tensor({-1000, 1000})).to_vector<float>();
  CHECK(sp[0] == 0.0f);
  CHECK(sp[1] == 1000.0f);
}

TEST_CASE("elementwise: large tensors take the parallel path and agree") {
  Generator g(3);
  Tensor a = randn({300, 257}, g), b = randn({257}, g);
  Tensor c = add(a, b);
  auto va = a.to_vector<float>(), vb = b.to_vector<float>(), vc = c.to_vector<float>();
  bool ok = true;
  for (size_t i = 0; i < vc.size(); ++i) ok = ok && vc[i] == va[i] + vb[i % 257];
  CHECK(ok);
}

TEST_CASE("elementwise: errors name the op and both shapes") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("[2, 3] and [4] cannot be broadcast"), eg::Error);
  CHECK_THROWS_WITH_AS(mul(a, zeros({2, 3}, {DType::F64})), doctest::Contains("dtype mismatch"), eg::Error);
  CHECK_THROWS_WITH_AS(exp(zeros({2}, {DType::I64})), doctest::Contains("exp: expected a floating tensor"), eg::Error);
  CHECK_THROWS_WITH_AS(clamp(a, 1, 0), doctest::Contains("clamp: lo 1 > hi 0"), eg::Error);
}
