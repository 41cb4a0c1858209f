// test_losses_ce.cpp — cross-entropy family: the fused cross_entropy_rows op (gradcheck, against its
// composed version), cross_entropy / nll_loss / soft CE options, BCE with logits, smooth-L1, kl_div
// and Hinton KD: gradchecks, edge cases (logits ±1e4, a batch of one) and loud argument errors.
#include <cmath>

#include "losses/losses.h"
#include "tests/test_losses_util.h"

using namespace eg;
using namespace eg::losses;
using eg::test::all_finite;
using eg::test::check_finite_backward;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

namespace {
Tensor labels(std::vector<int64_t> v) { return from_vector(v, {(int64_t)v.size()}); }
Tensor f64(std::initializer_list<double> v, Shape s) { return tensor(v, s, {DType::F64}); }
// Non-negative coefficients [B, K] (constant).
Tensor coeffs(Shape s, uint64_t seed) { return rnd(s, seed, 0.0, 2.0).detach(); }
// The composed reference of the fused op: −Σ_k c ⊙ log_softmax(z).
Tensor composed_rows(const Tensor& z, const Tensor& c) { return neg(sum(mul(c, log_softmax(z, 1)), {1})); }
}  // namespace

GRADCHECK_TEST("loss: fused cross_entropy_rows (logits and coefficients)", OK::CrossEntropy) {
  check_grad([](auto& v) { return cross_entropy_rows(v[0], v[1]); }, {rnd({4, 5}, 1, -3, 3), rnd({4, 5}, 2, 0, 1)});
  check_grad([](auto& v) { return cross_entropy_rows(v[0], coeffs({3, 2}, 3)); }, {rnd({3, 2}, 4, -20, 20)});
  check_grad([](auto& v) { return cross_entropy_rows(v[0], coeffs({1, 1}, 5)); }, {rnd({1, 1}, 6)});
}

TEST_CASE("loss: fused cross_entropy_rows equals its composed version, values and gradients") {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Tensor z1 = rnd({5, 7}, seed, -5, 5), z2 = z1.detach().clone().requires_grad_(true);
    Tensor c1 = rnd({5, 7}, seed + 10, 0, 1), c2 = c1.detach().clone().requires_grad_(true);
    Tensor g = rnd({5}, seed + 20).detach();
    Tensor a = cross_entropy_rows(z1, c1), b = composed_rows(z2, c2);
    CHECK(autograd::graph_kinds(a) == std::set<OK>{OK::CrossEntropy});
    CHECK_CLOSE(a, b, 1e-12, 1e-12);
    a.backward(g);
    b.backward(g);
    CHECK_CLOSE(z1.grad(), z2.grad(), 1e-12, 1e-12);
    CHECK_CLOSE(c1.grad(), c2.grad(), 1e-12, 1e-12);
  }
}

GRADCHECK_TEST("loss: cross_entropy with weights, label smoothing and every reduction", OK::CrossEntropy) {
  Tensor y = labels({2, 0, 3, 3, 1});
  Tensor w = f64({0.5, 2.0, 1.0, 0.25}, {4});
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum, Reduction::BatchMean}) {
    check_grad([&](auto& v) { return cross_entropy(v[0], y, {Tensor(), 0.0, r}); }, {rnd({5, 4}, 1, -3, 3)});
    check_grad([&](auto& v) { return cross_entropy(v[0], y, {w, 0.0, r}); }, {rnd({5, 4}, 2, -3, 3)});
    check_grad([&](auto& v) { return cross_entropy(v[0], y, {w, 0.3, r}); }, {rnd({5, 4}, 3, -3, 3)});
  }
}

GRADCHECK_TEST("loss: soft_cross_entropy (gradient to the targets too)", OK::CrossEntropy) {
  check_grad([](auto& v) { return soft_cross_entropy(v[0], v[1]); }, {rnd({3, 4}, 1, -2, 2), rnd({3, 4}, 2, 0, 1)});
}

GRADCHECK_TEST("loss: nll_loss (composed)", OK::Gather, OK::Neg) {
  Tensor y = labels({1, 0, 2});
  check_grad([&](auto& v) { return nll_loss(v[0], y); }, {rnd({3, 3}, 1, -3, 0)});
  check_grad([&](auto& v) { return nll_loss(v[0], y, f64({1, 2, 3}, {3}), Reduction::None); }, {rnd({3, 3}, 2, -3, 0)});
}

TEST_CASE("loss: cross_entropy values — smoothing, weighted mean vs batch mean, nll on log_softmax") {
  Tensor z = f64({2, -1, 0.5, 0, 1, 3}, {2, 3});
  Tensor y = labels({0, 2});
  double ce0 = std::log(std::exp(2) + std::exp(-1) + std::exp(0.5)) - 2;  // row 0
  double ce1 = std::log(1 + std::exp(1) + std::exp(3)) - 3;              // row 1
  CHECK(cross_entropy(z, y).item() == doctest::Approx((ce0 + ce1) / 2).epsilon(1e-12));
  Tensor w = f64({3, 1, 0.5}, {3});
  CHECK(cross_entropy(z, y, {w, 0.0, Reduction::Mean}).item() ==
        doctest::Approx((3 * ce0 + 0.5 * ce1) / 3.5).epsilon(1e-12));
  CHECK(cross_entropy(z, y, {w, 0.0, Reduction::BatchMean}).item() ==
        doctest::Approx((3 * ce0 + 0.5 * ce1) / 2).epsilon(1e-12));
  CHECK(nll_loss(log_softmax(z, 1), y, w).item() == doctest::Approx((3 * ce0 + 0.5 * ce1) / 3.5).epsilon(1e-12));
  // ε = 1: the loss is the uniform-target CE, independent of the label.
  Tensor u = cross_entropy(z, y, {Tensor(), 1.0, Reduction::None});
  Tensor u2 = cross_entropy(z, labels({1, 1}), {Tensor(), 1.0, Reduction::None});
  CHECK_CLOSE(u, u2, 1e-12, 0);
}

TEST_CASE("loss: cross_entropy stays finite at logits ±1e4, f32 and f64, and for a batch of one") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor z = tensor({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}, {dt}).requires_grad_(true);
    Tensor loss = cross_entropy(z, labels({1, 0}), {Tensor(), 0.1, Reduction::Mean});
    CHECK(loss.item() > 1e3);  // the wrong class is far ahead
    check_finite_backward(loss, {z}, "cross_entropy ±1e4");
    Tensor zl = tensor({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}, {dt}).requires_grad_(true);
    check_finite_backward(nll_loss(log_softmax(zl, 1), labels({1, 0})), {zl}, "nll_loss on log_softmax(±1e4)");
    Tensor zs = tensor({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}, {dt}).requires_grad_(true);
    Tensor q = tensor({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3}, {dt}).requires_grad_(true);
    check_finite_backward(soft_cross_entropy(zs, q), {zs, q}, "soft_cross_entropy ±1e4");
    Tensor z1 = tensor({1e4, -1e4}, {1, 2}, {dt}).requires_grad_(true);
    Tensor l1 = cross_entropy(z1, labels({0}));
    CHECK(l1.item() == 0);
    check_finite_backward(l1, {z1}, "cross_entropy batch of one");
    CHECK(all_finite(z1.grad()));
  }
}

TEST_CASE("loss: cross_entropy / nll reject bad labels, shapes and weights loudly, naming the loss") {
  Tensor z = rnd({2, 3}, 1);
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const eg::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(msg([&] { cross_entropy(z, labels({0, 3})); }).find("cross_entropy: label 3 at position 1 is out of range") !=
        std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, -1})); }).find("out of range") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, tensor({0, 1}, {2})); }).find("labels must be i64") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, 1, 2})); }).find("labels must be [B] = [2]") != std::string::npos);
  CHECK(msg([&] { cross_entropy(reshape(z, {6}), labels({0})); }).find("logits must be [B, K]") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, 1}), {f64({1, 2}, {2})}); }).find("class weight") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, 1}), {f64({1, -2, 1}, {3})}); }).find(">= 0") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, 1}), {Tensor(), 1.5}); }).find("label_smoothing") != std::string::npos);
  CHECK(msg([&] { cross_entropy(z, labels({0, 0}), {f64({0, 1, 1}, {3})}); }).find("total weight") !=
        std::string::npos);
  CHECK(msg([&] { nll_loss(z, labels({4, 0})); }).find("nll_loss: label 4") != std::string::npos);
}

GRADCHECK_TEST("loss: binary_cross_entropy_with_logits (logits, targets, weight, pos_weight)", OK::Softplus) {
  check_grad([](auto& v) { return binary_cross_entropy_with_logits(v[0], v[1]); },
             {rnd({3, 4}, 1, -3, 3), rnd({3, 4}, 2, 0, 1)});
  check_grad([](auto& v) { return binary_cross_entropy_with_logits(v[0], v[1], {v[2], v[3], Reduction::Sum}); },
             {rnd({3, 4}, 3, -3, 3), rnd({3, 4}, 4, 0, 1), rnd({3, 1}, 5, 0.5, 2), rnd({4}, 6, 0.5, 3)});
  check_grad([](auto& v) {
    return binary_cross_entropy_with_logits(v[0], v[1], {Tensor(), Tensor(), Reduction::None});
  }, {rnd({5}, 7, -3, 3), rnd({5}, 8, 0, 1)});
}

TEST_CASE("loss: BCE with logits is exact and finite at ±1e4 (no log(0), no overflow)") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor z = tensor({1e4, -1e4, 1e4, -1e4}, {4}, {dt}).requires_grad_(true);
    Tensor t = tensor({1, 1, 0, 0}, {4}, {dt});
    Tensor per = binary_cross_entropy_with_logits(z, t, {Tensor(), Tensor(), Reduction::None});
    CHECK(per.to_vector<double>() == std::vector<double>{0, 1e4, 1e4, 0});
    check_finite_backward(sum(per), {z}, "bce ±1e4");
    CHECK(z.grad().to_vector<double>() == std::vector<double>{0, -1, 1, 0});
  }
  Tensor z = f64({0.3}, {1}), t = f64({1}, {1});
  double pw = 2.5;
  CHECK(binary_cross_entropy_with_logits(z, t, {Tensor(), f64({pw}, {1})}).item() ==
        doctest::Approx(-pw * std::log(1 / (1 + std::exp(-0.3)))).epsilon(1e-12));
}

GRADCHECK_TEST("loss: smooth_l1_loss / huber (both arguments, β = 1, 0.5, 0)", OK::Where, OK::Abs) {
  // Inputs drawn off the kinks |d| = β and d = 0.
  Tensor x = f64({0.3, -1.7, 2.2, 0.05, -0.4, 1.3}, {2, 3}).requires_grad_(true);
  Tensor t = f64({-0.1, 0.2, 0.1, 0.9, -1.2, 0.6}, {2, 3}).requires_grad_(true);
  check_grad([](auto& v) { return smooth_l1_loss(v[0], v[1]); }, {x, t});
  check_grad([](auto& v) { return smooth_l1_loss(v[0], v[1], 0.5, Reduction::Sum); }, {x, t});
  check_grad([](auto& v) { return smooth_l1_loss(v[0], v[1], 0.0, Reduction::None); }, {x, t});
}

TEST_CASE("loss: smooth_l1 / huber values and the ±1e4 edge") {
  Tensor d = f64({0.5, -2, 1e4, -1e4, 0}, {5});
  CHECK(huber(d).to_vector<double>() == std::vector<double>{0.125, 1.5, 1e4 - 0.5, 1e4 - 0.5, 0});
  Tensor x = tensor({1e4, -1e4}, {2}).requires_grad_(true);
  check_finite_backward(smooth_l1_loss(x, zeros({2})), {x}, "smooth_l1 ±1e4");
  CHECK_THROWS_WITH_AS(smooth_l1_loss(x, zeros({3})), doctest::Contains("smooth_l1_loss: target"), eg::Error);
}

GRADCHECK_TEST("loss: kl_div (input and target, every reduction, log_target)", OK::Log, OK::Exp) {
  auto probs = [](Shape s, uint64_t seed) {
    return softmax(rnd(s, seed).detach(), 1).detach().requires_grad_(true);
  };
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum, Reduction::BatchMean})
    check_grad([&](auto& v) { return kl_div(v[0], v[1], r); }, {rnd({3, 4}, 1, -3, -0.1), probs({3, 4}, 2)});
  check_grad([](auto& v) { return kl_div(v[0], v[1], Reduction::BatchMean, true); },
             {rnd({3, 4}, 3, -3, -0.1), rnd({3, 4}, 4, -3, -0.1)});
}

GRADCHECK_TEST("loss: hinton_kd_loss (student side, teacher detached)", OK::LogSoftmax) {
  Tensor teacher = rnd({4, 5}, 9, -3, 3).detach();
  for (double T : {1.0, 4.0})
    check_grad([&](auto& v) { return hinton_kd_loss(v[0], teacher, T); }, {rnd({4, 5}, 1, -3, 3)});
}

TEST_CASE("loss: kl_div and Hinton KD edge cases") {
  // A zero target entry contributes 0 (not NaN) to value and gradients.
  Tensor x = log_softmax(rnd({1, 3}, 1).detach(), 1).detach().requires_grad_(true);
  Tensor t = f64({0, 0.25, 0.75}, {1, 3}).requires_grad_(true);
  Tensor kl = kl_div(x, t, Reduction::Sum);
  double ref = 0.25 * (std::log(0.25) - x.at({0, 1})) + 0.75 * (std::log(0.75) - x.at({0, 2}));
  CHECK(kl.item() == doctest::Approx(ref).epsilon(1e-12));
  check_finite_backward(kl, {x, t}, "kl_div zero target");
  // Identical student and teacher: zero loss; teacher never receives a gradient.
  Tensor s = rnd({3, 4}, 2, -3, 3), te = s.detach().clone().requires_grad_(true);
  Tensor same = hinton_kd_loss(s, te, 4.0);
  CHECK(std::abs(same.item()) < 1e-14);
  same.backward();
  CHECK_FALSE(te.grad().defined());
  // Logits ±1e4 on both sides (teacher probabilities underflow to exactly 0): finite.
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor zs = tensor({1e4, -1e4, 0, -1e4, 1e4, 0}, {2, 3}, {dt}).requires_grad_(true);
    Tensor zt = tensor({-1e4, 1e4, 0, 1e4, -1e4, 0}, {2, 3}, {dt});
    Tensor l = hinton_kd_loss(zs, zt, 1.0);
    CHECK(l.item() > 1e3);
    check_finite_backward(l, {zs}, "hinton_kd ±1e4");
  }
  CHECK_THROWS_WITH_AS(hinton_kd_loss(s, te, 0.0), doctest::Contains("temperature"), eg::Error);
}
