// test_losses_metric.cpp — triplet margin loss, batch-hard mining and distance-weighted sampling
// (rkd.md §2.5), and the RKD distance / angle losses (rkd.md §2.1–2.3): gradchecks, the hand-derived
// gradient of §2.3, the invariances of §6, and edge cases (identical embeddings, a batch of one).
#include <cmath>
#include <map>

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
Tensor mat(std::vector<double> v, int64_t rows) {
  return from_vector(v, {rows, (int64_t)v.size() / rows});
}
std::vector<int64_t> iv(const Tensor& t) { return t.to_vector<int64_t>(); }
}  // namespace

// ---------------------------------------------------------------- triplets

GRADCHECK_TEST("loss metric: triplet_margin_loss (p = 2, p = 1, swap)", OK::Relu, OK::Sqrt, OK::Minimum) {
  check_grad([](auto& v) { return triplet_margin_loss(v[0], v[1], v[2]); },
             {rnd({4, 3}, 1), rnd({4, 3}, 2), rnd({4, 3}, 3)});
  check_grad([](auto& v) { return triplet_margin_loss(v[0], v[1], v[2], {.margin = 0.3, .p = 1.0}); },
             {rnd({4, 3}, 4), rnd({4, 3}, 5), rnd({4, 3}, 6)});
  check_grad([](auto& v) {
    return triplet_margin_loss(v[0], v[1], v[2], {.margin = 0.5, .swap = true, .reduction = Reduction::None});
  }, {rnd({4, 3}, 7), rnd({4, 3}, 8), rnd({4, 3}, 9)});
}

TEST_CASE("loss metric: triplet_margin_loss value, identical embeddings, a batch of one") {
  Tensor a = mat({0, 0}, 1), p = mat({3, 4}, 1), n = mat({0, 1}, 1);
  double dap = std::hypot(3 - 1e-6, 4 - 1e-6), dan = std::hypot(-1e-6, 1 - 1e-6);
  CHECK(triplet_margin_loss(a, p, n).item() == doctest::Approx(dap - dan + 1).epsilon(1e-12));
  // All three rows identical: distances are ||eps||, finite, and so is the gradient.
  Tensor x = rnd({1, 5}, 3);
  Tensor l = triplet_margin_loss(x, x, x, {.margin = 0.2});
  CHECK(l.item() == doctest::Approx(0.2).epsilon(1e-9));
  check_finite_backward(l, {x}, "identical triplet");
  CHECK_THROWS_WITH_AS(triplet_margin_loss(a, p, mat({1, 2, 3, 4}, 2)),
                       doctest::Contains("triplet_margin_loss: negative"), eg::Error);
}

TEST_CASE("loss metric: batch-hard mining picks the farthest positive and the nearest negative") {
  Tensor x = mat({0, 1, 3, 10, 11}, 5);
  Triplets t = batch_hard_triplets(x, labels({0, 0, 1, 1, 0}));
  CHECK(iv(t.anchor) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(iv(t.positive) == std::vector<int64_t>{4, 4, 3, 2, 0});
  CHECK(iv(t.negative) == std::vector<int64_t>{2, 2, 1, 4, 3});
  // An anchor alone in its class has no positive and is skipped; ties go to the lower index.
  Triplets u = batch_hard_triplets(mat({0, 1, -1, 2}, 4), labels({0, 1, 1, 2}));
  CHECK(iv(u.anchor) == std::vector<int64_t>{1, 2});
  CHECK(iv(u.negative) == std::vector<int64_t>{0, 0});
  // One class only: no triplet; the loss is a finite zero attached to the graph.
  Tensor e = rnd({3, 2}, 1);
  Triplets none = batch_hard_triplets(e, labels({4, 4, 4}));
  CHECK(none.size() == 0);
  Tensor l = triplet_loss(e, none);
  CHECK(l.item() == 0.0);
  check_finite_backward(l, {e}, "no triplets");
  CHECK(e.grad().to_vector<double>() == std::vector<double>(6, 0.0));
}

GRADCHECK_TEST("loss metric: triplet_loss through index_select on one embedding batch", OK::IndexSelect, OK::Relu) {
  Tensor y = labels({0, 1, 0, 1, 2, 2});
  Tensor x0 = rnd({6, 3}, 11);
  Triplets t = batch_hard_triplets(x0, y);
  check_grad([&](auto& v) { return triplet_loss(v[0], t, {.margin = 0.7}); }, {x0});
}

TEST_CASE("loss metric: distance-weighted probabilities — rows sum to 1, positives 0, uniform fallback") {
  Tensor x = rnd({8, 4}, 3).detach();
  Tensor y = labels({0, 0, 1, 1, 2, 2, 3, 3});
  auto w = distance_weighted_probs(x, y).to_vector<double>();
  for (int64_t i = 0; i < 8; ++i) {
    double s = 0;
    for (int64_t j = 0; j < 8; ++j) {
      double v = w[(size_t)(i * 8 + j)];
      CHECK(std::isfinite(v));
      CHECK(v >= 0);
      if (j / 2 == i / 2) CHECK(v == 0.0);
      s += v;
    }
    CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
  }
  // 2-D unit vectors: class 1 sits opposite class 0 (distances ≥ 1.4 — one pair exactly antipodal, where
  // the official log(1 − dist²/4) is −inf): no negative is close enough, so each row is uniform over
  // the negatives, and nothing is NaN.
  double c = std::cos(0.1), s = std::sin(0.1);
  Tensor u = mat({1, 0, c, s, -1, 0, -c, -s}, 4);
  auto wu = distance_weighted_probs(u, labels({0, 0, 1, 1})).to_vector<double>();
  std::vector<double> want = {0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0};
  for (size_t k = 0; k < 16; ++k) CHECK(wu[k] == doctest::Approx(want[k]).epsilon(1e-12));
  // d = 4 with an antipodal negative: the official −((d−3)/2)·log(1 − dist²/4) is +inf there, the row max
  // becomes inf and the close negative's weight 0 (then a wrong uniform fallback). Clamped: weight 1.
  Tensor q = mat({1, 0, 0, 0, -1, 0, 0, 0, 0.8, 0.6, 0, 0}, 3);
  auto wq = distance_weighted_probs(q, labels({0, 1, 2})).to_vector<double>();
  CHECK(wq[1] == 0.0);
  CHECK(wq[2] == doctest::Approx(1.0).epsilon(1e-12));
  // A row with no negative at all (one class) stays 0 instead of dividing by zero.
  auto w1 = distance_weighted_probs(rnd({3, 2}, 4).detach(), labels({1, 1, 1})).to_vector<double>();
  for (double v : w1) CHECK(v == 0.0);
}

TEST_CASE("loss metric: distance-weighted probabilities follow the formula of rkd.md §2.5") {
  // d = 3: the second term vanishes, w ∝ dist^(−1) on negatives below 1.4 (after the 0.5 clamp).
  Tensor x = mat({1, 0, 0, 0, 1, 0, 0, 0, 1, 0.6, 0.8, 0}, 4);
  auto w = distance_weighted_probs(x, labels({0, 1, 2, 3})).to_vector<double>();
  auto dist = [&](int i, int j) {
    auto v = x.to_vector<double>();
    double s = 0;
    for (int k = 0; k < 3; ++k) s += std::pow(v[(size_t)(i * 3 + k)] - v[(size_t)(j * 3 + k)], 2);
    return std::max(std::sqrt(s), 0.5);
  };
  // Row 0: negatives 1 (√2 ≥ 1.4: weight 0), 2 (√2: 0), 3 (dist 0.894).
  CHECK(w[1] == 0.0);
  CHECK(w[2] == 0.0);
  CHECK(w[3] == doctest::Approx(1.0));
  // Row 3: negatives 0 (0.894), 1 (0.632), 2 (√2 ≥ 1.4: 0).
  double a = 1 / dist(3, 0), b = 1 / dist(3, 1);
  CHECK(w[12] == doctest::Approx(a / (a + b)).epsilon(1e-12));
  CHECK(w[13] == doctest::Approx(b / (a + b)).epsilon(1e-12));
  CHECK(w[14] == 0.0);
}

TEST_CASE("loss metric: distance-weighted sampling draws valid triplets, seeded, with the right frequencies") {
  Tensor x = rnd({6, 3}, 5).detach();
  Tensor y = labels({0, 0, 0, 1, 1, 2});
  Generator g1(7), g2(7);
  Triplets t1 = distance_weighted_triplets(x, y, g1), t2 = distance_weighted_triplets(x, y, g2);
  CHECK(t1.size() == 3 * 2 + 2 * 1);  // ordered positive pairs
  CHECK(iv(t1.negative) == iv(t2.negative));
  auto a = iv(t1.anchor), p = iv(t1.positive), n = iv(t1.negative), yy = iv(y);
  for (size_t k = 0; k < a.size(); ++k) {
    CHECK(a[k] != p[k]);
    CHECK(yy[(size_t)a[k]] == yy[(size_t)p[k]]);
    CHECK(yy[(size_t)n[k]] != yy[(size_t)a[k]]);
  }
  auto w = distance_weighted_probs(x, y).to_vector<double>();
  std::map<int64_t, int> hits;
  Generator g(11);
  const int reps = 3000;
  for (int r = 0; r < reps; ++r) {
    Triplets t = distance_weighted_triplets(x, y, g);
    hits[iv(t.negative)[0]]++;  // anchor 0's first draw
  }
  for (int64_t j = 0; j < 6; ++j) CHECK(hits[j] / (double)reps == doctest::Approx(w[(size_t)j]).epsilon(0.05).scale(1));
  Tensor loss = triplet_loss(x.clone().requires_grad_(true), t1, {.margin = 0.2});
  CHECK(all_finite(loss));
}

// ---------------------------------------------------------------- RKD

namespace {
// The hand-derived gradients of rkd.md §2.3 on host doubles (student S [N, D], teacher T [N, Dt]).
std::vector<double> rkd_d_grad(const std::vector<double>& s, const std::vector<double>& t, int n, int d, int dt) {
  auto dist = [&](const std::vector<double>& x, int dim, int i, int j) {
    double q = 0;
    for (int k = 0; k < dim; ++k) q += std::pow(x[(size_t)(i * dim + k)] - x[(size_t)(j * dim + k)], 2);
    return std::sqrt(std::max(q, 1e-12));
  };
  double mu_s = 0, mu_t = 0, pairs = n * (n - 1);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) mu_s += dist(s, d, i, j) / pairs, mu_t += dist(t, dt, i, j) / pairs;
  std::vector<double> q((size_t)(n * n), 0.0), dd((size_t)(n * n), 0.0);
  double P = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) {
        double diff = dist(s, d, i, j) / mu_s - dist(t, dt, i, j) / mu_t;
        q[(size_t)(i * n + j)] = std::clamp(diff, -1.0, 1.0) / (n * n);
        P += q[(size_t)(i * n + j)] * dist(s, d, i, j);
      }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) dd[(size_t)(i * n + j)] = q[(size_t)(i * n + j)] / mu_s - P / (mu_s * mu_s * pairs);
  std::vector<double> g((size_t)(n * d), 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j)
        for (int k = 0; k < d; ++k)
          g[(size_t)(i * d + k)] += (dd[(size_t)(i * n + j)] + dd[(size_t)(j * n + i)]) *
                                    (s[(size_t)(i * d + k)] - s[(size_t)(j * d + k)]) / dist(s, d, i, j);
  return g;
}

std::vector<double> rkd_a_grad(const std::vector<double>& s, const std::vector<double>& t, int n, int d, int dt) {
  auto unit = [&](const std::vector<double>& x, int dim, int a, int b) {
    std::vector<double> e((size_t)dim);
    double r = 0;
    for (int k = 0; k < dim; ++k) r += std::pow(x[(size_t)(b * dim + k)] - x[(size_t)(a * dim + k)], 2);
    r = std::sqrt(r);
    for (int k = 0; k < dim; ++k)
      e[(size_t)k] = r < 1e-12 ? 0 : (x[(size_t)(b * dim + k)] - x[(size_t)(a * dim + k)]) / r;
    return std::pair{e, r};
  };
  auto dot = [](const std::vector<double>& u, const std::vector<double>& v) {
    double r = 0;
    for (size_t k = 0; k < u.size(); ++k) r += u[k] * v[k];
    return r;
  };
  std::vector<double> g((size_t)(n * d), 0.0);
  double n3 = (double)n * n * n;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      auto [eab, r] = unit(s, d, a, b);
      if (r < 1e-12) continue;
      std::vector<double> G((size_t)d, 0.0);
      for (int c = 0; c < n; ++c) {
        auto es_c = unit(s, d, a, c).first;
        double as = dot(eab, es_c), at = dot(unit(t, dt, a, b).first, unit(t, dt, a, c).first);
        double gabc = std::clamp(as - at, -1.0, 1.0) / n3;
        for (int k = 0; k < d; ++k) G[(size_t)k] += 2 * gabc * es_c[(size_t)k];
      }
      double ge = dot(G, eab);
      for (int k = 0; k < d; ++k) {
        double du = (G[(size_t)k] - ge * eab[(size_t)k]) / r;
        g[(size_t)(b * d + k)] += du;
        g[(size_t)(a * d + k)] -= du;
      }
    }
  return g;
}

Tensor grad_of(Tensor (*loss)(const Tensor&, const Tensor&), const Tensor& s, const Tensor& t) {
  Tensor leaf = s.detach().clone().requires_grad_(true);
  loss(leaf, t).backward();
  return leaf.grad();
}
}  // namespace

GRADCHECK_TEST("loss rkd: distance and angle losses (student side)", OK::Sqrt, OK::Clamp, OK::Div, OK::Matmul,
               OK::Where) {
  Tensor t = rnd({5, 4}, 2).detach();
  check_grad([&](auto& v) { return rkd_distance_loss(v[0], t); }, {rnd({5, 3}, 1)});
  check_grad([&](auto& v) { return rkd_angle_loss(v[0], t); }, {rnd({5, 3}, 3)});
  check_grad([&](auto& v) { return rkd_pairwise_distances(v[0]); }, {rnd({4, 2}, 4)});
}

TEST_CASE("loss rkd: autograd gradients equal the hand-derived formulas of rkd.md §2.3") {
  for (uint64_t seed : {1, 2, 3}) {
    const int n = 6, d = 3, dt = 5;
    Tensor s = rnd({n, d}, seed, -2, 2).detach(), t = rnd({n, dt}, seed + 10).detach();
    auto sv = s.to_vector<double>(), tv = t.to_vector<double>();
    if (seed == 3) {  // an outlier row gives some Huber arguments beyond ±1 (the clamped branch)
      for (int k = 0; k < d; ++k) sv[(size_t)k] += 6.0;
      s = from_vector(sv, {n, d});
    }
    CHECK_CLOSE(grad_of(rkd_distance_loss, s, t), from_vector(rkd_d_grad(sv, tv, n, d, dt), {n, d}), 1e-12, 1e-9);
    CHECK_CLOSE(grad_of(rkd_angle_loss, s, t), from_vector(rkd_a_grad(sv, tv, n, d, dt), {n, d}), 1e-12, 1e-9);
  }
}

TEST_CASE("loss rkd: invariant to scaling, translation and rotation, zero when S = c·T") {
  Tensor t = rnd({6, 2}, 1).detach(), s = rnd({6, 2}, 2).detach();
  double th = 0.7;
  Tensor rot = from_vector(std::vector<double>{std::cos(th), -std::sin(th), std::sin(th), std::cos(th)}, {2, 2});
  Tensor shift = from_vector(std::vector<double>{3.0, -1.5}, {1, 2});
  for (auto loss : {rkd_distance_loss, rkd_angle_loss}) {
    double base = loss(s, t).item();
    CHECK(base > 1e-3);
    CHECK(loss(mul(s, 3.7), t).item() == doctest::Approx(base).epsilon(1e-10));
    CHECK(loss(add(s, shift), t).item() == doctest::Approx(base).epsilon(1e-10));
    CHECK(loss(matmul(s, rot), t).item() == doctest::Approx(base).epsilon(1e-10));
    CHECK(loss(s, add(matmul(mul(t, 0.2), rot), shift)).item() == doctest::Approx(base).epsilon(1e-10));
    CHECK(std::abs(loss(mul(t, 2.5), t).item()) < 1e-14);
  }
}

TEST_CASE("loss rkd: identical embeddings, a collapsed student, a batch of one — finite, teacher untouched") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor t = rnd({5, 3}, 1, -1, 1, dt).detach().requires_grad_(true);
    Tensor s = rnd({5, 2}, 2, -1, 1, dt).detach();
    auto v = s.to_vector<double>();
    v[2] = v[0], v[3] = v[1];  // rows 0 and 1 coincide
    Tensor dup = from_vector(v, {5, 2}).to(dt).requires_grad_(true);
    if (dt == DType::F64) {  // coincident pairs get zero gradient, exactly as the formulas of §2.3
      auto dv = dup.to_vector<double>(), tv = t.to_vector<double>();
      CHECK_CLOSE(grad_of(rkd_distance_loss, dup, t), from_vector(rkd_d_grad(dv, tv, 5, 2, 3), {5, 2}), 1e-12, 1e-9);
      CHECK_CLOSE(grad_of(rkd_angle_loss, dup, t), from_vector(rkd_a_grad(dv, tv, 5, 2, 3), {5, 2}), 1e-12, 1e-9);
    }
    for (auto loss : {rkd_distance_loss, rkd_angle_loss}) {
      dup.zero_grad();
      check_finite_backward(loss(dup, t), {dup}, "two identical student rows");
      CHECK_FALSE(t.grad().defined());
      Tensor same = zeros({5, 2}, {dt}).requires_grad_(true);  // collapsed student: every distance 0
      check_finite_backward(loss(same, t), {same}, "collapsed student");
      Tensor tdup = from_vector(std::vector<double>(15, 0.5), {5, 3}).to(dt);  // collapsed teacher
      Tensor s2 = s.clone().requires_grad_(true);
      check_finite_backward(loss(s2, tdup), {s2}, "collapsed teacher");
      Tensor one = rnd({1, 2}, 3, -1, 1, dt);
      Tensor l1 = loss(one, rnd({1, 4}, 4, -1, 1, dt).detach());
      CHECK(l1.item() == 0.0);
      check_finite_backward(l1, {one}, "batch of one");
    }
  }
  Tensor d = rkd_pairwise_distances(mat({0, 0, 3, 4, 0, 0}, 3));
  CHECK_CLOSE(d, from_vector(std::vector<double>{0, 5, 1e-6, 5, 0, 5, 1e-6, 5, 0}, {3, 3}), 1e-15, 1e-12);
  CHECK_THROWS_WITH_AS(rkd_angle_loss(rnd({3, 2}, 1), rnd({4, 2}, 2)), doctest::Contains("rkd_angle_loss: teacher"),
                       eg::Error);
}
