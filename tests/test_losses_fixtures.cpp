// test_losses_fixtures.cpp — every loss against PyTorch (values and input gradients, f64, ≤ 1e-5
// relative): PyTorch's own losses called directly, the others as the PyTorch compositions written in
// tools/make_loss_fixtures.py from shared/methods/*.md §2.
#include <algorithm>

#include "losses/losses.h"
#include "tests/test_losses_util.h"

using namespace eg;
using namespace eg::losses;
using eg::test::FixtureCase;
using eg::test::load_loss_fixture;
using eg::test::run_fixture;

namespace {
Reduction red(const std::string& s) { return parse_reduction(s); }
std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }
}  // namespace

TEST_CASE("loss fixtures: cross_entropy and nll_loss against PyTorch") {
  auto f = load_loss_fixture("cross_entropy");
  for (std::string r : {"mean", "sum", "none"}) {
    run_fixture(f, "cross_entropy", "ce_" + r, [&](FixtureCase& c) {
      CrossEntropyOptions o;
      o.reduction = red(r);
      return cross_entropy(c.in("z"), c.in("y"), o);
    });
    run_fixture(f, "cross_entropy", "ce_w_" + r, [&](FixtureCase& c) {
      return cross_entropy(c.in("z"), c.in("y"), {.weight = c.in("w"), .reduction = red(r)});
    });
    run_fixture(f, "cross_entropy", "ce_w_ls_" + r, [&](FixtureCase& c) {
      return cross_entropy(c.in("z"), c.in("y"), {c.in("w"), c.param("eps"), red(r)});
    });
  }
  run_fixture(f, "cross_entropy", "ce_w_batchmean", [](FixtureCase& c) {
    return cross_entropy(c.in("z"), c.in("y"), {.weight = c.in("w"), .reduction = Reduction::BatchMean});
  });
  run_fixture(f, "cross_entropy", "ce_ls_mean", [](FixtureCase& c) {
    return cross_entropy(c.in("z"), c.in("y"), {Tensor(), c.param("eps"), Reduction::Mean});
  });
  run_fixture(f, "cross_entropy", "ce_big", [](FixtureCase& c) { return cross_entropy(c.in("z"), c.in("y")); });
  run_fixture(f, "cross_entropy", "ce_soft", [](FixtureCase& c) { return soft_cross_entropy(c.in("z"), c.in("q")); });
  run_fixture(f, "cross_entropy", "nll_w_mean",
              [](FixtureCase& c) { return nll_loss(c.in("x"), c.in("y"), c.in("w")); });
  run_fixture(f, "cross_entropy", "nll_none",
              [](FixtureCase& c) { return nll_loss(c.in("x"), c.in("y"), {}, Reduction::None); });
}

TEST_CASE("loss fixtures: binary_cross_entropy_with_logits against PyTorch") {
  auto f = load_loss_fixture("bce");
  for (std::string r : {"mean", "sum", "none"})
    run_fixture(f, "bce", "bce_" + r, [&](FixtureCase& c) {
      return binary_cross_entropy_with_logits(c.in("z"), c.in("t"), {Tensor(), Tensor(), red(r)});
    });
  run_fixture(f, "bce", "bce_w_pw_mean", [](FixtureCase& c) {
    return binary_cross_entropy_with_logits(c.in("z"), c.in("t"), {c.in("w"), c.in("pw"), Reduction::Mean});
  });
  run_fixture(f, "bce", "bce_big", [](FixtureCase& c) {
    return binary_cross_entropy_with_logits(c.in("z"), c.in("t"), {Tensor(), Tensor(), Reduction::Sum});
  });
}

TEST_CASE("loss fixtures: kl_div and Hinton KD against PyTorch") {
  auto f = load_loss_fixture("kl_div");
  for (std::string r : {"batchmean", "mean", "sum", "none"})
    run_fixture(f, "kl_div", "kl_" + r, [&](FixtureCase& c) { return kl_div(c.in("x"), c.in("t"), red(r)); });
  run_fixture(f, "kl_div", "kl_log_target",
              [](FixtureCase& c) { return kl_div(c.in("x"), c.in("t"), Reduction::BatchMean, true); });
  run_fixture(f, "kl_div", "kl_zero_target",
              [](FixtureCase& c) { return kl_div(c.in("x"), c.in("t"), Reduction::Sum); });
  run_fixture(f, "kl_div", "hinton_kd",
              [](FixtureCase& c) { return hinton_kd_loss(c.in("s"), c.in("t"), c.param("T")); });
}

TEST_CASE("loss fixtures: triplet_margin_loss and batch-hard mining against PyTorch") {
  auto f = load_loss_fixture("triplet");
  run_fixture(f, "triplet", "trip_default",
              [](FixtureCase& c) { return triplet_margin_loss(c.in("a"), c.in("p"), c.in("n")); });
  run_fixture(f, "triplet", "trip_m02_swap", [](FixtureCase& c) {
    return triplet_margin_loss(c.in("a"), c.in("p"), c.in("n"), {.margin = c.param("margin"), .swap = true});
  });
  run_fixture(f, "triplet", "trip_p1_none", [](FixtureCase& c) {
    TripletOptions o;
    o.margin = c.param("margin");
    o.p = c.param("pnorm");
    o.reduction = Reduction::None;
    return triplet_margin_loss(c.in("a"), c.in("p"), c.in("n"), o);
  });
  run_fixture(f, "triplet", "batch_hard", [](FixtureCase& c) {
    Tensor x = c.in("x");
    TripletOptions o;
    o.margin = c.param("margin");
    return triplet_loss(x, batch_hard_triplets(x, c.in("y")), o);
  });
}

TEST_CASE("loss fixtures: smooth_l1_loss against PyTorch") {
  auto f = load_loss_fixture("smooth_l1");
  run_fixture(f, "smooth_l1", "sl1_mean", [](FixtureCase& c) { return smooth_l1_loss(c.in("x"), c.in("t")); });
  run_fixture(f, "smooth_l1", "sl1_beta05_sum", [](FixtureCase& c) {
    return smooth_l1_loss(c.in("x"), c.in("t"), c.param("beta"), Reduction::Sum);
  });
  run_fixture(f, "smooth_l1", "sl1_beta0_none", [](FixtureCase& c) {
    return smooth_l1_loss(c.in("x"), c.in("t"), c.param("beta"), Reduction::None);
  });
}

TEST_CASE("loss fixtures: class-balanced weights, CB losses and focal losses against PyTorch compositions") {
  auto f = load_loss_fixture("class_balanced");
  auto counts = ints(*f.find("cb_weights/counts"));
  for (auto [beta, tag] : {std::pair{0.9999, "0.9999"}, {0.999, "0.999"}, {0.99, "0.99"}, {0.9, "0.9"}, {1.0, "1.0"}}) {
    std::string key = std::string("cb_weights/beta_") + tag;
    const Tensor* ref = f.find(key);
    REQUIRE_MESSAGE(ref, "missing ", key, "; ", eg::test::kFixtureHint);
    auto r = eg::test::rel_compare(class_balanced_weights_tensor(counts, beta, DType::F64), *ref, 1e-9, key);
    CHECK_MESSAGE(r.ok, r.report);
  }
  run_fixture(f, "class_balanced", "cb_softmax",
              [](FixtureCase& c) { return cb_softmax_loss(c.in("z"), c.in("y"), c.in("a")); });
  run_fixture(f, "class_balanced", "cb_sigmoid",
              [](FixtureCase& c) { return cb_sigmoid_loss(c.in("z"), c.in("y"), c.in("a")); });
  for (std::string g : {"0.5", "1.0", "2.0"})
    run_fixture(f, "class_balanced", "cb_focal_g" + g, [](FixtureCase& c) {
      return cb_focal_loss(c.in("z"), c.in("y"), c.in("a"), c.param("gamma"));
    });
  run_fixture(f, "class_balanced", "sigmoid_focal_none", [](FixtureCase& c) {
    return sigmoid_focal_loss(c.in("z"), c.in("t"), c.param("gamma"), Reduction::None);
  });
  for (std::string g : {"0.5", "1.0"})
    run_fixture(f, "class_balanced", "softmax_focal_g" + g, [](FixtureCase& c) {
      return softmax_focal_loss(c.in("z"), c.in("y"), c.param("gamma"), c.in("w"));
    });
}

TEST_CASE("loss fixtures: LDAM margins and LDAM-DRW against PyTorch compositions") {
  auto f = load_loss_fixture("ldam");
  auto counts = ints(*f.find("ldam_margins/counts"));
  auto r = eg::test::rel_compare(ldam_margins(counts, 0.5, DType::F64), *f.find("ldam_margins/max_m_0.5"), 1e-12,
                                 "ldam_margins");
  CHECK_MESSAGE(r.ok, r.report);
  for (std::string name : {"ldam_drw", "ldam_drw_wmean", "ldam_plain"})
    run_fixture(f, "ldam", name, [](FixtureCase& c) {
      Reduction rd = c.param("wmean") != 0 ? Reduction::Mean : Reduction::BatchMean;
      return ldam_loss(c.in("z"), c.in("y"), c.in("m"), c.param("s"), c.in("w"), rd);
    });
}

TEST_CASE("loss fixtures: RKD distance and angle against the official PyTorch form") {
  auto f = load_loss_fixture("rkd");
  for (std::string sfx : {"", "_scaled"}) {
    run_fixture(f, "rkd", "rkd_distance" + sfx, [](FixtureCase& c) { return rkd_distance_loss(c.in("s"), c.in("t")); });
    run_fixture(f, "rkd", "rkd_angle" + sfx, [](FixtureCase& c) { return rkd_angle_loss(c.in("s"), c.in("t")); });
  }
}

TEST_CASE("loss fixtures: SLA loss, inference rules and SD loss against PyTorch compositions") {
  auto f = load_loss_fixture("sla");
  const int64_t M = 4;
  run_fixture(f, "sla", "sla_loss", [&](FixtureCase& c) { return sla_loss(c.in("L"), c.in("y"), M); });
  run_fixture(f, "sla", "sla_loss_large", [&](FixtureCase& c) { return sla_loss(c.in("L"), c.in("y"), M, true); });
  run_fixture(f, "sla", "sla_aggregated", [&](FixtureCase& c) { return sla_aggregated_logits(c.in("L"), M); });
  run_fixture(f, "sla", "sla_single", [&](FixtureCase& c) { return sla_single_logits(c.in("L0"), M); });
  for (std::string name : {"sla_sd", "sla_sd_T2"})
    run_fixture(f, "sla", name, [&](FixtureCase& c) {
      return sla_sd_loss(c.in("L"), c.in("head"), c.in("y"), M, c.param("T"), c.param("beta")).total;
    });
}

TEST_CASE("loss fixtures: GCPL / RPL / ARPL against PyTorch compositions") {
  auto f = load_loss_fixture("rpl");
  run_fixture(f, "rpl", "gcpl", [](FixtureCase& c) {
    return gcpl_loss(c.in("x"), c.in("P"), c.in("y"), c.param("T"), c.param("lam")).loss;
  });
  run_fixture(f, "rpl", "gcpl_logits", [](FixtureCase& c) { return gcpl_logits(c.in("x"), c.in("P")); });
  for (std::string name : {"rpl_shared", "rpl_perclass_M2"})
    run_fixture(f, "rpl", name, [](FixtureCase& c) {
      return rpl_loss(c.in("x"), c.in("P"), c.in("R"), c.in("y"), (int64_t)c.param("M"), c.param("T"),
                      c.param("lam"))
          .loss;
    });
  run_fixture(f, "rpl", "rpl_logits_M2", [](FixtureCase& c) { return rpl_logits(c.in("x"), c.in("P"), 2); });
  run_fixture(f, "rpl", "arpl", [](FixtureCase& c) {
    return arpl_loss(c.in("x"), c.in("P"), c.in("R"), c.in("y"), c.param("T"), c.param("lam")).loss;
  });
  run_fixture(f, "rpl", "arpl_logits", [](FixtureCase& c) { return arpl_logits(c.in("x"), c.in("P")); });
}

TEST_CASE("loss fixtures: a mismatch reports the first differences, the max errors and the script") {
  auto f = load_loss_fixture("smooth_l1");
  auto r = eg::test::compare_fixture(f, "smooth_l1", "sl1_mean", [](FixtureCase& c) {
    return add(smooth_l1_loss(c.in("x"), c.in("t")), 1e-3);  // a wrong value, right gradients
  });
  CHECK_FALSE(r.ok);
  CHECK(r.max_rel > 1e-5);
  CHECK(r.report.find("tests/fixtures/losses/smooth_l1.safetensors case sl1_mean") != std::string::npos);
  CHECK(r.report.find("sl1_mean/out at 0: got") != std::string::npos);
  CHECK(r.report.find("max relative error") != std::string::npos);
  CHECK(r.report.find("max abs diff") != std::string::npos);
  CHECK(r.report.find("tools/make_loss_fixtures.py") != std::string::npos);
  auto ok = eg::test::compare_fixture(f, "smooth_l1", "sl1_mean",
                                      [](FixtureCase& c) { return smooth_l1_loss(c.in("x"), c.in("t")); });
  CHECK(ok.ok);
  CHECK(ok.report.empty());
}
