// test_cb.cpp — the Class-Balanced method: variants, the official schedule, the bias prior and its
// exclusion from weight decay, Glorot init; and a smoke run of train_cb on tiny long-tailed data.
#include <cmath>
#include <filesystem>

#include "methods/cb/class_balanced.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

TEST_CASE("cb: variants map to the spec's runs, bad names and betas are rejected") {
  auto v = cb::make_variant("softmax", 0.9999, 1.0);
  CHECK(v.beta == 0);  // plain softmax = CB with beta 0
  CHECK(cb::make_variant("cb_focal", 0.999, 2.0).gamma == 2.0);
  CHECK(cb::make_variant("cb_sigmoid", 0.9, 1.0).kind == losses::CbLoss::Sigmoid);
  CHECK_THROWS_WITH_AS(cb::make_variant("cb_hinge", 0.9, 1), doctest::Contains("unknown CB loss 'cb_hinge'"), eg::Error);
  CHECK_THROWS_WITH_AS(cb::make_variant("cb_softmax", 1.0, 1), doctest::Contains("--beta must be in [0, 1)"), eg::Error);
}

TEST_CASE("cb: the official schedule (warm-up 5, x0.01 at 160 and 180)") {
  auto s = cb::official_schedule(5, 160, 180);
  CHECK(s->factor(0) == 0);
  CHECK(s->factor(2.5) == doctest::Approx(0.5));
  CHECK(s->factor(100) == 1);
  CHECK(s->factor(170) == doctest::Approx(0.01));
  CHECK(s->factor(199) == doctest::Approx(1e-4));
}

TEST_CASE("cb: sigmoid/focal start at the prior -log(K-1) and leave that bias undecayed") {
  std::vector<int64_t> counts = {100, 50, 20, 10, 5};
  for (std::string name : {"softmax", "cb_sigmoid"}) {
    train::ClassifyConfig cfg;
    cfg.lr = 0.1;
    cfg.weight_decay = 2e-4;
    cb::configure(cfg, cb::make_variant(name, 0.9999, 1.0), counts);
    Generator g(0);
    auto m = nn::make_model({"convnet", 1, 5, "cifar", {4, 8, 8}}, g);
    cfg.init_model(*m);
    double b = m->fc->bias.to_vector<double>()[0];
    auto groups = cfg.param_groups(*m);
    bool sigmoid = name == "cb_sigmoid";
    CHECK(b == doctest::Approx(sigmoid ? -std::log(4.0) : 0.0));
    REQUIRE(groups.size() == (sigmoid ? 2u : 1u));
    if (sigmoid) {
      CHECK(groups[1].params.size() == 1);
      CHECK(groups[1].params[0].same(m->fc->bias));
      CHECK(groups[1].weight_decay == 0);
    }
    // The loss weights come from the training counts: the rarest class weighs most.
    Tensor logits = zeros({2, 5}), y = from_vector(std::vector<int64_t>{0, 4}, {2});
    CHECK(std::isfinite(cfg.loss(logits, y, 0).item()));
  }
}

TEST_CASE("cb: Glorot-uniform init bounds and zero biases") {
  Generator g(0);
  auto m = nn::make_model({"convnet", 1, 10, "cifar", {8, 16, 32}}, g);
  cb::glorot_init(*m, g);
  double bound = std::sqrt(6.0 / (32 + 10));
  CHECK(amax(abs(m->fc->weight)).item() <= bound + 1e-6);
  CHECK(amax(abs(m->fc->bias)).item() == 0);
}

TEST_CASE("cb: train_cb smoke run on tiny long-tailed data writes the table and beats chance") {
  if (!fs::exists(test::bin("train_cb"))) {
    MESSAGE("train_cb not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_cb");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 1000, 200, 10, 2);
  std::string cmd = test::bin("train_cb") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model convnet --widths 8 16 16 --mu 5 --losses softmax cb_softmax --epochs 6 --batch-size 16" +
                    " --warmup 0.5 --milestones 5 5.5 --seeds 0 --threads 1 --plain --out " + (root / "out").string();
  REQUIRE(test::run_cmd(cmd) == 0);
  auto j = test::read_json((root / "out" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 2);
  for (auto& r : j["runs"]) {
    CHECK(r["metrics"]["balanced_acc"].get<double>() > 0.3);  // chance 0.1
    CHECK(r["params"]["mu"].get<double>() == 5);
  }
  CHECK(fs::exists(root / "out" / "results.md"));
  CHECK(fs::exists(root / "out" / "mu5" / "cb_softmax_seed0" / "log.csv"));
  fs::remove_all(root);
}

TEST_CASE("cb: train_cb --val-per-class draws the long tail from the rest of train and evaluates on the held-out images") {
  if (!fs::exists(test::bin("train_cb"))) {
    MESSAGE("train_cb not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_cb_val");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 1000, 200, 10, 2);
  std::string cmd = test::bin("train_cb") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model convnet --widths 4 8 8 --mu 5 --losses softmax --epochs 1 --batch-size 16" +
                    " --warmup 0 --seeds 0 --threads 1 --plain --val-per-class 10 --out " + (root / "out").string();
  REQUIRE(test::run_cmd(cmd) == 0);
  CHECK(test::read_json((root / "out" / "config.json").string())["resolved"]["eval_split"] == "val");
  CHECK(test::read_json((root / "out" / "metrics.json").string())["runs"].size() == 1);
  fs::remove_all(root);
}
