// test_losses_cb.cpp — class-balanced weights and losses (cb.md §2 test vectors), sigmoid / softmax
// focal losses, LDAM and DRW: gradchecks, spec vectors, and edge cases (logits ±1e4, an empty class,
// β = 0 and β → 1, γ < 1 at p → 1, a batch of one).
#include <cmath>
#include <numeric>

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
Tensor f64(std::vector<double> v) { return from_vector(v, {(int64_t)v.size()}); }
const std::vector<int64_t> kFmnist100 = {6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60};

void check_weights(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - want[i]) <= tol, "class ", i, ": ", got[i], " vs ", want[i]);
}
}  // namespace

TEST_CASE("loss class_balanced: effective number, limits β = 0 and β → 1") {
  CHECK(effective_number(5, 0.0) == 1.0);
  CHECK(effective_number(5, 1.0) == 5.0);
  CHECK(effective_number(0, 0.9) == 0.0);
  CHECK(effective_number(3, 0.5) == doctest::Approx(1 + 0.5 + 0.25).epsilon(1e-14));  // Σ β^(j−1)
  CHECK(effective_number(6000, 1.0 - 1e-12) == doctest::Approx(6000).epsilon(1e-8));   // → n
  CHECK_THROWS_WITH_AS(effective_number(3, 1.5), doctest::Contains("beta must be in [0, 1]"), eg::Error);
}

TEST_CASE("loss class_balanced: weight test vectors of cb.md §2 (FMNIST-LT, mu = 100)") {
  check_weights(class_balanced_weights(kFmnist100, 0.9999),
                {0.0529, 0.0790, 0.1230, 0.1968, 0.3202, 0.5260, 0.8699, 1.4487, 2.3969, 3.9868}, 6e-5);
  check_weights(class_balanced_weights(kFmnist100, 0.999),
                {0.2115, 0.2169, 0.2385, 0.2908, 0.3913, 0.5680, 0.8687, 1.3784, 2.2155, 3.6204}, 6e-5);
  check_weights(class_balanced_weights(kFmnist100, 0.99),
                {0.8269, 0.8269, 0.8269, 0.8269, 0.8273, 0.8348, 0.8808, 1.0191, 1.3044, 1.8261}, 6e-5);
  for (double w : class_balanced_weights(kFmnist100, 0.9)) CHECK((w > 0.9997 && w < 1.0017));
  for (double w : class_balanced_weights(kFmnist100, 0.0)) CHECK(w == 1.0);
  std::vector<double> inv = {0.0402, 0.0671, 0.1120, 0.1869, 0.3119, 0.5204, 0.8685, 1.4545, 2.4144, 4.0241};
  check_weights(class_balanced_weights(kFmnist100, 1.0), inv, 6e-5);
  check_weights(class_balanced_weights(kFmnist100, 1.0 - 1e-12), inv, 6e-5);  // β → 1 tends to 1/n
  auto a = class_balanced_weights(kFmnist100, 0.9999);
  CHECK(std::accumulate(a.begin(), a.end(), 0.0) == doctest::Approx(10.0).epsilon(1e-12));
}

TEST_CASE("loss class_balanced: an empty class gets weight 0, the rest still sum to K, bad input is loud") {
  for (double beta : {0.0, 0.5, 0.999, 1.0}) {
    auto a = class_balanced_weights({100, 0, 10}, beta);
    CHECK(a[1] == 0.0);
    CHECK(std::accumulate(a.begin(), a.end(), 0.0) == doctest::Approx(3.0).epsilon(1e-12));
    for (double w : a) CHECK(std::isfinite(w));
  }
  CHECK_THROWS_WITH_AS(class_balanced_weights({0, 0}, 0.9), doctest::Contains("every class count is 0"), eg::Error);
  CHECK_THROWS_WITH_AS(class_balanced_weights({3, -1}, 0.9), doctest::Contains("class 1 is negative"), eg::Error);
  CHECK_THROWS_WITH_AS(class_balanced_weights({3, 1}, -0.1), doctest::Contains("beta"), eg::Error);
}

TEST_CASE("loss class_balanced: loss test vectors of cb.md §2 (z = [2, -1, 0.5], y = 0, a_y = 1, B = 1)") {
  Tensor z = from_vector(std::vector<double>{2, -1, 0.5}, {1, 3});
  Tensor y = labels({0});
  Tensor a = f64({1, 1, 1});
  CHECK(cb_softmax_loss(z, y, a).item() == doctest::Approx(0.241311).epsilon(1e-6));
  CHECK(cb_sigmoid_loss(z, y, a).item() == doctest::Approx(1.414267).epsilon(1e-6));
  CHECK(cb_focal_loss(z, y, a, 2.0).item() == doctest::Approx(0.401873).epsilon(1e-6));
  CHECK(cb_focal_loss(z, y, a, 1.0).item() == doctest::Approx(0.705703).epsilon(1e-6));
  CHECK(cb_focal_loss(z, y, a, 0.5).item() == doctest::Approx(0.974788).epsilon(1e-6));
  // The modulating factors [0.014209, 0.072329, 0.387456] (γ = 2): focal term / bce term.
  Tensor t = from_vector(std::vector<double>{1, 0, 0}, {1, 3});
  auto fl = sigmoid_focal_terms(z, t, 2.0).to_vector<double>();
  auto bce = sigmoid_focal_terms(z, t, 0.0).to_vector<double>();
  std::vector<double> mod = {0.014209, 0.072329, 0.387456};
  for (size_t k = 0; k < 3; ++k) CHECK(fl[k] / bce[k] == doctest::Approx(mod[k]).epsilon(1e-5));
  // Only a_y matters, and it scales the whole sample (per-sample weight, not per column).
  Tensor a2 = f64({2, 7, 9});
  CHECK(cb_sigmoid_loss(z, y, a2).item() == doctest::Approx(2 * 1.414267).epsilon(1e-6));
  CHECK(class_balanced_loss(CbLoss::Focal, z, y, a2, 2.0).item() == doctest::Approx(2 * 0.401873).epsilon(1e-6));
}

TEST_CASE("loss class_balanced: CB softmax is Σ a_y·CE / B, not PyTorch's weighted mean") {
  Tensor z = rnd({4, 3}, 1, -2, 2).detach();
  Tensor y = labels({0, 2, 2, 1});
  Tensor a = f64({0.5, 1.0, 1.5});
  Tensor ce = cross_entropy(z, y, {Tensor(), 0.0, Reduction::None});
  auto c = ce.to_vector<double>();
  double want = (0.5 * c[0] + 1.5 * c[1] + 1.5 * c[2] + 1.0 * c[3]) / 4;
  CHECK(cb_softmax_loss(z, y, a).item() == doctest::Approx(want).epsilon(1e-12));
  CHECK(cross_entropy(z, y, {a}).item() != doctest::Approx(want).epsilon(1e-6));
}

GRADCHECK_TEST("loss class_balanced: CB softmax, sigmoid and focal (γ = 0, 0.5, 1, 2)", OK::CrossEntropy, OK::Softplus,
               OK::Exp) {
  Tensor y = labels({1, 0, 3, 1, 2});
  Tensor a = f64({0.3, 0.7, 1.2, 1.8});
  check_grad([&](auto& v) { return cb_softmax_loss(v[0], y, a); }, {rnd({5, 4}, 1, -3, 3)});
  check_grad([&](auto& v) { return cb_sigmoid_loss(v[0], y, a); }, {rnd({5, 4}, 2, -3, 3)});
  for (double g : {0.0, 0.5, 1.0, 2.0})
    check_grad([&](auto& v) { return cb_focal_loss(v[0], y, a, g); }, {rnd({5, 4}, 3, -3, 3)});
}

GRADCHECK_TEST("loss focal: sigmoid focal terms with soft targets (gradient to both)", OK::Exp, OK::Softplus) {
  for (double g : {0.5, 2.0})
    check_grad([&](auto& v) { return sigmoid_focal_loss(v[0], v[1], g, Reduction::None); },
               {rnd({3, 4}, 1, -3, 3), rnd({3, 4}, 2, 0, 1)});
}

GRADCHECK_TEST("loss focal: softmax focal (M2m / LDAM-DRW form, weights inside)", OK::CrossEntropy, OK::PowScalar) {
  Tensor y = labels({1, 0, 2});
  for (double g : {0.5, 1.0, 2.0}) {
    check_grad([&](auto& v) { return softmax_focal_loss(v[0], y, g); }, {rnd({3, 3}, 1, -2, 2)});
    check_grad([&](auto& v) { return softmax_focal_loss(v[0], y, g, f64({0.5, 1, 2})); }, {rnd({3, 3}, 2, -2, 2)});
  }
}

TEST_CASE("loss focal: γ = 0 reduces to the plain losses, softmax focal value by hand") {
  Tensor z = rnd({3, 4}, 1, -2, 2).detach();
  Tensor y = labels({0, 3, 1});
  Tensor a = f64({1, 1, 1, 1});
  CHECK(cb_focal_loss(z, y, a, 0.0).item() == cb_sigmoid_loss(z, y, a).item());
  CHECK(softmax_focal_loss(z, y, 0.0).item() == doctest::Approx(cross_entropy(z, y).item()).epsilon(1e-14));
  auto ce = cross_entropy(z, y, {Tensor(), 0.0, Reduction::None}).to_vector<double>();
  double want = 0;
  for (double c : ce) want += std::pow(1 - std::exp(-c), 1.5) * c / 3;
  CHECK(softmax_focal_loss(z, y, 1.5).item() == doctest::Approx(want).epsilon(1e-12));
}

TEST_CASE("loss class_balanced / focal: finite at logits ±1e4 (f32, f64), γ < 1 with p → 1, a batch of one") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor a = tensor({0.5, 1.0, 1.5}, {3}, {dt});
    Tensor y = labels({0, 1});
    for (int kind = 0; kind < 3; ++kind)
      for (double g : {0.5, 2.0}) {
        Tensor z = tensor({1e4, -1e4, 0, 1e4, -1e4, 1e4}, {2, 3}, {dt}).requires_grad_(true);
        Tensor l = class_balanced_loss((CbLoss)kind, z, y, a, g);
        check_finite_backward(l, {z}, "CB loss at ±1e4");
      }
    // Sigmoid focal γ = 0.5 at z = +1e4, t = 1 (p = 1 exactly): the naive pow(1 − p, γ) has an infinite
    // derivative there; the log-space factor gives value 0 and gradient 0.
    Tensor z = tensor({1e4, -1e4}, {1, 2}, {dt}).requires_grad_(true);
    Tensor t = tensor({1, 0}, {1, 2}, {dt});
    Tensor l = sigmoid_focal_loss(z, t, 0.5);
    CHECK(l.item() == 0.0);
    check_finite_backward(l, {z}, "focal γ = 0.5 at p = 1");
    // Softmax focal γ = 0.5 with a confident correct prediction (CE = 0).
    Tensor zs = tensor({1e4, -1e4}, {1, 2}, {dt}).requires_grad_(true);
    Tensor ls = softmax_focal_loss(zs, labels({0}), 0.5);
    CHECK(ls.item() == 0.0);
    check_finite_backward(ls, {zs}, "softmax focal γ = 0.5 at CE = 0");
    // The official log1p(exp(−z)) overflows at z < −88 in f32; softplus does not: mod = 1 at t = 0.
    Tensor zneg = tensor({-100}, {1, 1}, {dt});
    CHECK(sigmoid_focal_terms(zneg, tensor({0}, {1, 1}, {dt}), 2.0).item() == doctest::Approx(0.0).epsilon(1e-6));
    CHECK(sigmoid_focal_terms(zneg, tensor({1}, {1, 1}, {dt}), 2.0).item() == doctest::Approx(100.0).epsilon(1e-5));
  }
  Tensor z1 = rnd({1, 4}, 5);
  check_finite_backward(cb_focal_loss(z1, labels({2}), f64({1, 1, 1, 1}), 1.0), {z1}, "batch of one");
  // Weights from counts with an empty class (weight 0) and β → 1, used in all three losses.
  Tensor a0 = class_balanced_weights_tensor({100, 0, 10, 3}, 1.0 - 1e-12, DType::F64);
  for (int kind = 0; kind < 3; ++kind) {
    Tensor z = rnd({3, 4}, 6);
    check_finite_backward(class_balanced_loss((CbLoss)kind, z, labels({0, 2, 3}), a0, 0.5), {z}, "empty class");
  }
}

TEST_CASE("loss class_balanced: loss arguments are checked loudly") {
  Tensor z = rnd({2, 3}, 1);
  CHECK_THROWS_WITH_AS(cb_sigmoid_loss(z, labels({0, 5}), f64({1, 1, 1})),
                       doctest::Contains("cb_sigmoid_loss: label 5"), eg::Error);
  CHECK_THROWS_WITH_AS(cb_focal_loss(z, labels({0, 1}), f64({1, 1}), 1.0), doctest::Contains("cb_focal_loss"),
                       eg::Error);
  CHECK_THROWS_WITH_AS(cb_softmax_loss(z, labels({0, 1}), Tensor()), doctest::Contains("class weights are undefined"),
                       eg::Error);
  CHECK_THROWS_WITH_AS(sigmoid_focal_loss(z, zeros({2, 3}, {DType::F64}), -1.0), doctest::Contains("gamma"), eg::Error);
}

TEST_CASE("loss ldam: margins ∝ n^(-1/4) with max = max_m, DRW weights switch at the start epoch") {
  auto m = ldam_margins({625, 81, 16, 1}, 0.5, DType::F64).to_vector<double>();
  // n^(-1/4) = 1/5, 1/3, 1/2, 1  ->  scaled so the max (n = 1) is 0.5.
  CHECK(m[0] == doctest::Approx(0.1));
  CHECK(m[1] == doctest::Approx(0.5 / 3));
  CHECK(m[2] == doctest::Approx(0.25));
  CHECK(m[3] == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(ldam_margins({5, 0}), doctest::Contains("class 1 has count 0"), eg::Error);
  auto before = drw_weights(kFmnist100, 0.999, 159, 160).to_vector<double>();
  for (double w : before) CHECK(w == 1.0);
  auto after = drw_weights(kFmnist100, 0.999, 160, 160, DType::F64).to_vector<double>();
  check_weights(after, class_balanced_weights(kFmnist100, 0.999), 1e-12);
}

TEST_CASE("loss ldam: zero margins at s = 1 give plain CE, the margin lowers only the label's logit") {
  Tensor z = rnd({4, 3}, 1, -1, 1).detach();
  Tensor y = labels({0, 2, 1, 1});
  Tensor zero_m = zeros({3}, {DType::F64});
  CHECK(ldam_loss(z, y, zero_m, 1.0).item() == doctest::Approx(cross_entropy(z, y).item()).epsilon(1e-14));
  Tensor m = f64({0.5, 0.2, 0.1});
  Tensor shifted = sub(z, mul(one_hot(y, 3, DType::F64), m));
  CHECK(ldam_loss(z, y, m, 30.0).item() == doctest::Approx(cross_entropy(mul(shifted, 30.0), y).item()).epsilon(1e-12));
  Tensor w = f64({1.0, 2.0, 0.5});
  CHECK(ldam_loss(z, y, m, 30.0, w, Reduction::Mean).item() ==
        doctest::Approx(cross_entropy(mul(shifted, 30.0), y, {w}).item()).epsilon(1e-12));
}

GRADCHECK_TEST("loss ldam: LDAM loss with DRW weights, both reductions", OK::CrossEntropy, OK::Sub) {
  Tensor y = labels({2, 0, 1, 2});
  Tensor m = ldam_margins({100, 20, 5}, 0.5, DType::F64);
  Tensor w = drw_weights({100, 20, 5}, 0.999, 1, 0, DType::F64);
  check_grad([&](auto& v) { return ldam_loss(v[0], y, m, 30.0, w); }, {rnd({4, 3}, 1, -0.2, 0.2)});
  check_grad([&](auto& v) { return ldam_loss(v[0], y, m, 5.0, w, Reduction::Mean); }, {rnd({4, 3}, 2)});
}

TEST_CASE("loss ldam: finite at logits ±1e4 and for a batch of one") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor z = tensor({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}, {dt}).requires_grad_(true);
    Tensor m = ldam_margins({50, 10, 2}, 0.5, dt);
    check_finite_backward(ldam_loss(z, labels({2, 0}), m, 30.0, drw_weights({50, 10, 2}, 0.999, 5, 0, dt)), {z},
                          "ldam ±1e4");
  }
  Tensor z1 = rnd({1, 3}, 3);
  Tensor m1 = ldam_margins({5, 4, 3}, 0.5, DType::F64);
  check_finite_backward(ldam_loss(z1, labels({1}), m1), {z1}, "ldam batch of one");
}
