// test_losses_sla_rpl.cpp — SLA (sla.md §2.2–2.4, §6 unit tests: layouts, SI / AG rules, SD target
// detached, T²·KL = 0 at q = P_agg) and GCPL / RPL / ARPL (rpl.md §2 test vectors): gradchecks and
// edge cases (logits / features ±1e4, a batch of one, bad labels).
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
Tensor mat(std::vector<double> v, int64_t rows) { return from_vector(v, {rows, (int64_t)v.size() / rows}); }
std::vector<int64_t> iv(const Tensor& t) { return t.to_vector<int64_t>(); }
}  // namespace

// ---------------------------------------------------------------- SLA

TEST_CASE("loss sla: joint labels y·M + j follow the sample-major row layout b·M + j") {
  CHECK(iv(sla_joint_labels(labels({2, 0, 1}), 4)) == std::vector<int64_t>{8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(iv(sla_joint_labels(labels({3}), 1)) == std::vector<int64_t>{3});
  // Row b·M + j of the joint logits carries copy t_j(x_b): its target column is y_b·M + j.
  const int64_t B = 2, M = 3, N = 2;
  std::vector<double> L((size_t)(B * M * N * M), 0.0);
  Tensor y = labels({1, 0});
  auto jl = iv(sla_joint_labels(y, M));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < M; ++j) L[(size_t)((b * M + j) * N * M + jl[(size_t)(b * M + j)])] = 50.0;
  CHECK(sla_loss(mat(L, B * M), y, M).item() < 1e-20);  // every row puts its mass on its joint label
}

TEST_CASE("loss sla: single inference keeps the t_0 columns, aggregation averages the own-transformation columns") {
  const int64_t B = 1, M = 2, N = 3;
  // L[b, j, k, j'] = 10·j + k + 100·j' (+ a disagreement planted below), rows b·M + j, columns k·M + j'.
  std::vector<double> L((size_t)(B * M * N * M));
  for (int64_t j = 0; j < M; ++j)
    for (int64_t k = 0; k < N; ++k)
      for (int64_t jp = 0; jp < M; ++jp) L[(size_t)(j * N * M + k * M + jp)] = 10.0 * j + k + 100.0 * jp;
  Tensor joint = mat(L, B * M);
  // SI on the identity row: columns 0, 2, 4 = (k, j' = 0) = [0, 1, 2].
  CHECK(sla_single_logits(narrow(joint, 0, 0, 1), M).to_vector<double>() == std::vector<double>{0, 1, 2});
  // AG: s_k = mean_j L[0, j, k, j] = ((0 + k) + (10 + k + 100)) / 2.
  CHECK(sla_aggregated_logits(joint, M).to_vector<double>() == std::vector<double>{55, 56, 57});
  // Hand-built disagreement: SI prefers class 0, the rotated copy votes strongly for class 2.
  std::vector<double> L2 = {5, 0, 0, 0, 0, 0,    // copy j = 0: (k, j') columns; class 0 wins at j' = 0
                            0, 0, 0, 0, 0, 20};  // copy j = 1: class 2 at j' = 1
  Tensor j2 = mat(L2, 2);
  CHECK(argmax(sla_single_logits(narrow(j2, 0, 0, 1), M), 1).item() == 0);
  CHECK(argmax(sla_aggregated_logits(j2, M), 1).item() == 2);
  CHECK(sla_aggregated_logits(j2, M).to_vector<double>() == std::vector<double>{2.5, 0, 10});
}

GRADCHECK_TEST("loss sla: SLA loss, aggregated logits and the SD loss", OK::CrossEntropy, OK::Gather, OK::LogSoftmax) {
  const int64_t M = 3;
  Tensor y = labels({1, 0});
  check_grad([&](auto& v) { return sla_loss(v[0], y, M); }, {rnd({6, 6}, 1, -2, 2)});
  check_grad([&](auto& v) { return sla_loss(v[0], y, M, true); }, {rnd({6, 6}, 2, -2, 2)});
  check_grad([&](auto& v) { return sla_aggregated_logits(v[0], M); }, {rnd({6, 6}, 3)});
  check_grad([&](auto& v) { return sla_single_logits(v[0], M); }, {rnd({2, 6}, 4)});
  // SD w.r.t. the N-way head only: finite differences would also move the detached target P_agg, so
  // the joint logits' gradient (L_SLA's alone) is checked in the next test instead.
  Tensor joint = rnd({6, 6}, 5, -2, 2).detach();
  for (double T : {1.0, 3.0})
    check_grad([&](auto& v) { return sla_sd_loss(joint, v[0], y, M, T, 0.7).total; }, {rnd({2, 2}, 6, -2, 2)});
}

TEST_CASE("loss sla: no gradient reaches the SD target, and T²·KL = 0 when q = P_agg") {
  const int64_t M = 4, B = 3, N = 5;
  Tensor y = labels({4, 0, 2});
  Tensor joint = rnd({B * M, N * M}, 1, -2, 2), head = rnd({B, N}, 2, -2, 2);
  SlaSdLoss sd = sla_sd_loss(joint, head, y, M, 2.0);
  sd.total.backward();
  Tensor joint2 = joint.detach().clone().requires_grad_(true);
  sla_loss(joint2, y, M).backward();
  CHECK_CLOSE(joint.grad(), joint2.grad(), 1e-15, 0);  // only L_SLA reaches the joint head
  Tensor agg = sla_aggregated_logits(joint.detach(), M);
  for (double T : {1.0, 2.0}) {
    SlaSdLoss same = sla_sd_loss(joint.detach(), agg, y, M, T);
    CHECK(std::abs(same.kd.item()) < 1e-14);
  }
  double T = 2.0;
  SlaSdLoss parts = sla_sd_loss(joint.detach(), head.detach(), y, M, T, 0.5);
  Tensor log_q = log_softmax(mul(head.detach(), 1 / T), 1);
  double kl = kl_div(log_q, softmax(mul(agg, 1 / T), 1), Reduction::BatchMean).item();
  CHECK(parts.kd.item() == doctest::Approx(T * T * kl).epsilon(1e-12));
  CHECK(parts.total.item() ==
        doctest::Approx(parts.sla.item() + 0.5 * parts.ce.item() + parts.kd.item()).epsilon(1e-12));
}

TEST_CASE("loss sla: finite at logits ±1e4 and for a batch of one, layout errors are loud") {
  for (DType dt : {DType::F32, DType::F64}) {
    std::vector<double> big(4 * 4);
    for (size_t i = 0; i < big.size(); ++i) big[i] = (i % 3 == 0) ? 1e4 : -1e4;
    Tensor joint = from_vector(big, {4, 4}).to(dt).requires_grad_(true);  // B = 2, M = 2, N = 2
    Tensor head = tensor({1e4, -1e4, -1e4, 1e4}, {2, 2}, {dt}).requires_grad_(true);
    check_finite_backward(sla_sd_loss(joint, head, labels({1, 0}), 2).total, {joint, head}, "sla_sd ±1e4");
    Tensor j1 = rnd({3, 6}, 1, -1, 1, dt), h1 = rnd({1, 2}, 2, -1, 1, dt);
    check_finite_backward(sla_sd_loss(j1, h1, labels({1}), 3).total, {j1, h1}, "sla_sd batch of one");
  }
  CHECK_THROWS_WITH_AS(sla_loss(rnd({5, 6}, 1), labels({0, 1}), 3), doctest::Contains("[(B·M), N·M]"), eg::Error);
  CHECK_THROWS_WITH_AS(sla_loss(rnd({6, 6}, 1), labels({0, 2}), 3), doctest::Contains("sla_loss: label 2"), eg::Error);
  CHECK_THROWS_WITH_AS(sla_sd_loss(rnd({6, 6}, 1), rnd({2, 3}, 2), labels({0, 1}), 3),
                       doctest::Contains("head logits must be [B, N]"), eg::Error);
}

// ---------------------------------------------------------------- GCPL / RPL / ARPL

TEST_CASE("loss rpl: test vectors of rpl.md §2 (f = [1, 2], points [0, 0] and [1, 1], y = 0, R = 0)") {
  Tensor f = mat({1, 2}, 1), P = mat({0, 0, 1, 1}, 2), y = labels({0});
  Tensor R = zeros({1}, {DType::F64});
  CHECK(rpl_logits(f, P).to_vector<double>() == std::vector<double>{2.5, 0.5});
  CHECK(gcpl_logits(f, P).to_vector<double>() == std::vector<double>{-2.5, -0.5});
  CHECK(arpl_logits(f, P).to_vector<double>() == std::vector<double>{2.5, -2.5});  // d − dot = [2.5 − 0, 0.5 − 3]
  PointLoss rpl = rpl_loss(f, P, R, y);
  CHECK(rpl.classification.item() == doctest::Approx(0.126928).epsilon(1e-6));
  CHECK(rpl.regularizer.item() == doctest::Approx(6.25).epsilon(1e-12));
  CHECK(rpl.loss.item() == doctest::Approx(0.126928 + 0.625).epsilon(1e-6));
  PointLoss gcpl = gcpl_loss(f, P, y);
  CHECK(gcpl.classification.item() == doctest::Approx(2.126928).epsilon(1e-6));
  CHECK(gcpl.regularizer.item() == doctest::Approx(1.25).epsilon(1e-12));
  PointLoss arpl = arpl_loss(f, P, R, y);
  CHECK(arpl.classification.item() == doctest::Approx(0.006715).epsilon(1e-4));
  CHECK(arpl.regularizer.item() == doctest::Approx(3.5).epsilon(1e-12));
  // Scores (max softmax probability): RPL 0.880797 for class 0, GCPL 0.880797 for class 1.
  CHECK(max(softmax(rpl.logits, 1), 1).item() == doctest::Approx(0.880797).epsilon(1e-6));
  CHECK(argmax(gcpl.logits, 1).item() == 1);
  CHECK(max(arpl.logits, 1).item() == doctest::Approx(2.5));
}

TEST_CASE("loss rpl: M > 1 uses the class's own M points, per-class radius R_y, the shared R is one scalar") {
  // K = 2 classes, M = 2 points each (class-major rows): class 0 -> rows 0, 1; class 1 -> rows 2, 3.
  Tensor f = mat({0, 0}, 1), P = mat({1, 0, 0, 3, 2, 2, 0, 1}, 4), y = labels({1});
  // Point distances ||f − p||²/D = [0.5, 4.5, 4, 0.5]; class distances = [2.5, 2.25].
  CHECK(class_distances(f, P, 2).to_vector<double>() == std::vector<double>{2.5, 2.25});
  Tensor R = from_vector(std::vector<double>{7.0, 1.0}, {2});
  // Own class 1 rows: (4 − 1)² and (0.5 − 1)², averaged over M.
  CHECK(rpl_loss(f, P, R, y, 2).regularizer.item() == doctest::Approx((9 + 0.25) / 2).epsilon(1e-12));
  Tensor Rs = from_vector(std::vector<double>{1.0}, {1});
  CHECK(rpl_loss(f, P, Rs, y, 2).regularizer.item() == doctest::Approx((9 + 0.25) / 2).epsilon(1e-12));
  CHECK_THROWS_WITH_AS(rpl_loss(f, P, zeros({3}, {DType::F64}), y, 2), doctest::Contains("radius must be"), eg::Error);
  CHECK_THROWS_WITH_AS(rpl_loss(f, P, Rs, labels({2}), 2), doctest::Contains("rpl_loss: label 2"), eg::Error);
  CHECK_THROWS_WITH_AS(class_distances(f, P, 3), doctest::Contains("points must be [K·M, D]"), eg::Error);
}

GRADCHECK_TEST("loss rpl: GCPL, RPL (shared / per-class R, M = 2) and ARPL — features, points and radius",
               OK::CrossEntropy, OK::Gather, OK::IndexSelect, OK::Matmul, OK::Relu) {
  Tensor y = labels({2, 0, 1, 2});
  check_grad([&](auto& v) { return gcpl_loss(v[0], v[1], y, 1.0, 0.3).loss; }, {rnd({4, 3}, 1), rnd({3, 3}, 2)});
  check_grad([&](auto& v) { return rpl_loss(v[0], v[1], v[2], y, 1, 1.0, 0.3).loss; },
             {rnd({4, 3}, 3), rnd({3, 3}, 4), rnd({1}, 5)});
  check_grad([&](auto& v) { return rpl_loss(v[0], v[1], v[2], y, 2, 2.0, 0.5).loss; },
             {rnd({4, 3}, 6), rnd({6, 3}, 7), rnd({3}, 8)});
  // ARPL's hinge: R = −1 keeps every d_e − R + 1 > 0, away from the kink.
  check_grad([&](auto& v) { return arpl_loss(v[0], v[1], v[2], y, 1.0, 0.2).loss; },
             {rnd({4, 3}, 9), rnd({3, 3}, 10), rnd({}, 11, -1.1, -0.9)});
}

TEST_CASE("loss rpl: finite at features ±1e4 (distances ~1e8) and for a batch of one") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor f = tensor({1e4, -1e4, -1e4, 1e4}, {2, 2}, {dt}).requires_grad_(true);
    Tensor P = tensor({0, 0, 1, 1, -1, 2}, {3, 2}, {dt}).requires_grad_(true);
    Tensor R = tensor({0.5}, {1}, {dt}).requires_grad_(true);
    Tensor y = labels({0, 2});
    check_finite_backward(gcpl_loss(f, P, y).loss, {f, P}, "gcpl ±1e4");
    f.zero_grad(), P.zero_grad();
    check_finite_backward(rpl_loss(f, P, R, y).loss, {f, P, R}, "rpl ±1e4");
    f.zero_grad(), P.zero_grad(), R.zero_grad();
    check_finite_backward(arpl_loss(f, P, R, y).loss, {f, P, R}, "arpl ±1e4");
    Tensor f1 = rnd({1, 2}, 1, -1, 1, dt);
    check_finite_backward(rpl_loss(f1, P, R, labels({1})).loss, {f1}, "rpl batch of one");
  }
}
