// test_autograd.cpp — the backward engine: += accumulation across branches and across calls, leaf and
// input gradients, NoGradGuard, detach, the graph being freed, autograd::grad, and a deliberately
// wrong backward being caught by gradcheck (so the gradchecks can fail).
#include "tests/test_util.h"

using namespace eg;
using eg::test::rnd;

TEST_CASE("autograd: a tensor used twice gets both contributions") {
  Tensor x = tensor({1, 2, 3}, {3}, {DType::F64}).requires_grad_(true);
  Tensor y = sum(add(mul(x, x), mul(x, 3.0)));  // dy/dx = 2x + 3
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{5, 7, 9});
}

TEST_CASE("autograd: residual connection (skip) accumulates with +=") {
  Tensor x = tensor({0.5, -1.0}, {2}, {DType::F64}).requires_grad_(true);
  Tensor h = relu(mul(x, 2.0));
  Tensor out = sum(add(h, x));  // skip: d/dx = 2·[2x>0] + 1
  out.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3, 1});
}

TEST_CASE("autograd: gradients accumulate across backward calls until zero_grad") {
  Tensor w = tensor({2}, {1}, {DType::F64}).requires_grad_(true);
  sum(mul(w, 3.0)).backward();
  sum(mul(w, 3.0)).backward();
  CHECK(w.grad().item() == 6);
  w.zero_grad();
  CHECK(!w.grad().defined());
}

TEST_CASE("autograd: input gradients for a leaf input (adversarial examples need dL/dx)") {
  Tensor x = tensor({1, -2}, {1, 2}, {DType::F64}).requires_grad_(true);
  Tensor w = tensor({3, 4}, {2, 1}, {DType::F64}).requires_grad_(true);
  sum(matmul(x, w)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3, 4});
  CHECK(w.grad().to_vector<double>() == std::vector<double>{1, -2});
}

TEST_CASE("autograd: autograd::grad leaves .grad untouched") {
  Tensor x = tensor({1, 2}, {2}, {DType::F64}).requires_grad_(true);
  Tensor w = tensor({3, 4}, {2}, {DType::F64}).requires_grad_(true);
  auto g = autograd::grad(sum(mul(x, w)), {x});
  CHECK(g[0].to_vector<double>() == std::vector<double>{3, 4});
  CHECK(!x.grad().defined());
  CHECK(!w.grad().defined());
}

TEST_CASE("autograd: NoGradGuard and detach record nothing") {
  Tensor x = rnd({3}, 1);
  {
    NoGradGuard ng;
    Tensor y = exp(x);
    CHECK(!y.requires_grad());
    CHECK(!y.grad_fn());
  }
  CHECK(GradMode::enabled());
  Tensor d = exp(x).detach();
  CHECK(!d.requires_grad());
  CHECK(exp(x).requires_grad());
}

TEST_CASE("autograd: the graph is freed after backward, a second backward says so") {
  Tensor x = rnd({3}, 1);
  Tensor y = sum(exp(x));
  std::weak_ptr<autograd::Node> node = y.grad_fn();
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already freed"), eg::Error);
  y = Tensor();
  CHECK(node.expired());
}

TEST_CASE("autograd: retain_graph allows a second backward") {
  Tensor x = tensor({1.0}, {1}, {DType::F64}).requires_grad_(true);
  Tensor y = sum(mul(x, x));
  y.backward(ones({}, {DType::F64}), true);
  y.backward(ones({}, {DType::F64}), false);
  CHECK(x.grad().item() == 4);
}

TEST_CASE("autograd: errors") {
  Tensor x = zeros({2});
  CHECK_THROWS_WITH_AS(sum(x).backward(), doctest::Contains("does not require grad"), eg::Error);
  Tensor y = zeros({2}).requires_grad_(true);
  CHECK_THROWS_WITH_AS(exp(y).backward(), doctest::Contains("implicit gradient only for one-element"), eg::Error);
  CHECK_THROWS_WITH_AS(zeros({2}, {DType::I64}).requires_grad_(true), doctest::Contains("only floating"), eg::Error);
}

TEST_CASE("gradcheck: a deliberately wrong backward is caught") {
  // exp with its derivative's sign flipped: gradcheck must fail. This guards the guard.
  auto bad_exp = [](const std::vector<Tensor>& v) {
    Tensor out = kernels::unary(kernels::UnaryOp::Exp, v[0]);
    return autograd::record(autograd::OpKind::Exp, out, {v[0]}, [y = out.detach()](const Tensor& g, const autograd::Need&) {
      return autograd::Grads{neg(mul(g, y))};
    });
  };
  auto res = autograd::gradcheck(bad_exp, {rnd({3}, 1)});
  CHECK(!res.ok);
  CHECK(res.report.find("analytic") != std::string::npos);
  // And a correct one passes with the same settings.
  CHECK(autograd::gradcheck([](const std::vector<Tensor>& v) { return exp(v[0]); }, {rnd({3}, 1)}).ok);
}
