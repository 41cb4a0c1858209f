// test_rpl.cpp — the RPL trainer's library (rpl.md): the official split lists, the open-set heads against
// the spec's test vectors, the per-method scores, the open-set evaluation, classifier32 and Dropout2d,
// the official initialisation, the open-set data from files, and a smoke run of train_rpl on tiny data
// whose training loss falls.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "methods/eval/open_set.h"
#include "methods/rpl/backbones.h"
#include "methods/rpl/data.h"
#include "methods/rpl/evaluate.h"
#include "methods/rpl/heads.h"
#include "methods/rpl/splits.h"
#include "methods/train/plots.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

// The rpl.md §2 vector: D = 2, K = 2, f = [1, 2], points [0, 0] and [1, 1], y = 0, R = 0.
std::shared_ptr<rpl::OpenSetHead> vector_head(rpl::Method m) {
  Generator g(0);
  auto h = std::make_shared<rpl::OpenSetHead>(rpl::HeadConfig{m, 2, 2}, g);
  h->to(DType::F64);
  h->points.set_data_(from_vector(std::vector<double>{0, 0, 1, 1}, {2, 2}));
  return h;
}

Tensor f_vec() { return from_vector(std::vector<double>{1, 2}, {1, 2}); }
Tensor y_vec() { return from_vector(std::vector<int64_t>{0}, {1}); }

train::Predictions preds(std::vector<float> logits, std::vector<int64_t> labels, int64_t k) {
  train::Predictions p;
  p.k = k;
  p.n = (int64_t)logits.size() / k;
  p.logits = std::move(logits);
  p.labels = std::move(labels);
  if (p.labels.empty()) p.labels.assign((size_t)p.n, 0);
  return p;
}

}  // namespace

TEST_CASE("rpl: official split lists (split.py) and their unknown complements") {
  auto s = rpl::official_split("fashion-mnist", 0);
  CHECK(s.known == std::vector<int64_t>{2, 4, 5, 9, 8, 3});
  CHECK(s.unknown == std::vector<int64_t>{0, 1, 6, 7});  // rpl.md §6: T-shirt, Trouser, Shirt, Sneaker
  CHECK(rpl::official_split("mnist", 4).known == std::vector<int64_t>{6, 3, 4, 9, 8, 2});
  CHECK(rpl::official_split("cifar10", 2).unknown == std::vector<int64_t>{0, 2, 6, 8});
  auto p10 = rpl::official_split("cifar+10", 4);
  CHECK(p10.known == std::vector<int64_t>{1, 0, 9, 8});
  CHECK(p10.unknown == std::vector<int64_t>{33, 2, 3, 97, 46, 21, 64, 63, 88, 43});
  auto p50 = rpl::official_split("cifar+50", 1);
  CHECK(p50.unknown.size() == 50);
  CHECK(p50.unknown.front() == 65);
  CHECK(p50.unknown.back() == 71);
  auto tiny = rpl::official_split("tiny-imagenet", 0);
  CHECK(tiny.known.size() == 20);
  CHECK(tiny.unknown.size() == 180);
  CHECK_ERROR(rpl::official_split("mnist", 5), "split index must be in [0, 5)");
  CHECK_ERROR(rpl::official_split("imagenet", 0), "unknown protocol 'imagenet'");
}

TEST_CASE("rpl: heads give the rpl.md §2 logits, losses and scores (f = [1, 2], points [0, 0] and [1, 1])") {
  Tensor f = f_vec(), y = y_vec();
  auto rpl_p = vector_head(rpl::Method::Rpl), gcpl_p = vector_head(rpl::Method::Gcpl),
       arpl_p = vector_head(rpl::Method::Arpl);
  rpl::OpenSetHead &rpl_h = *rpl_p, &gcpl_h = *gcpl_p, &arpl_h = *arpl_p;
  CHECK(rpl_h.forward(f).to_vector<double>() == std::vector<double>{2.5, 0.5});
  CHECK(gcpl_h.forward(f).to_vector<double>() == std::vector<double>{-2.5, -0.5});
  CHECK(arpl_h.forward(f).to_vector<double>() == std::vector<double>{2.5, -2.5});
  CHECK(rpl_h.loss(f, y).loss.item() == doctest::Approx(0.126928 + 0.1 * 6.25).epsilon(1e-6));
  CHECK(gcpl_h.loss(f, y).loss.item() == doctest::Approx(2.126928 + 0.1 * 1.25).epsilon(1e-6));
  CHECK(arpl_h.loss(f, y).loss.item() == doctest::Approx(0.006715 + 0.1 * 3.5).epsilon(1e-4));
  // Scores: MSP for RPL and GCPL (0.880797), the raw max logit for ARPL (2.5).
  auto score = [&](rpl::Method m, rpl::OpenSetHead& h) {
    auto z = h.forward(f).to(DType::F32).to_vector<float>();
    return rpl::open_set_scores(m, z, 1, 2)[0];
  };
  CHECK(score(rpl::Method::Rpl, rpl_h) == doctest::Approx(0.880797).epsilon(1e-6));
  CHECK(score(rpl::Method::Gcpl, gcpl_h) == doctest::Approx(0.880797).epsilon(1e-6));
  CHECK(score(rpl::Method::Arpl, arpl_h) == doctest::Approx(2.5));
  // Predictions: RPL the farthest point (class 0), GCPL the nearest (class 1).
  CHECK(argmax(rpl_h.forward(f), 1).item() == 0);
  CHECK(argmax(gcpl_h.forward(f), 1).item() == 1);
}

TEST_CASE("rpl: head parameters — points 0.1·N(0,1) [K·M, D], R = 0 shared or per class, softmax W without bias") {
  Generator g(3);
  rpl::OpenSetHead shared({rpl::Method::Rpl, 10, 64, 2}, g);
  CHECK(shared.points.shape() == Shape{20, 64});
  CHECK(shared.radius.shape() == Shape{1});
  CHECK(amax(abs(shared.radius)).item() == 0);
  double sd = std::sqrt(mean(square(shared.points)).item());
  CHECK(sd == doctest::Approx(0.1).epsilon(0.1));  // 1280 draws: within 10%
  rpl::OpenSetHead per_class({rpl::Method::Rpl, 10, 64, 1, true}, g);
  CHECK(per_class.radius.shape() == Shape{10});
  rpl::OpenSetHead gcpl({rpl::Method::Gcpl, 10, 64}, g);
  CHECK_FALSE(gcpl.radius.defined());
  rpl::OpenSetHead soft({rpl::Method::Softmax, 6, 64}, g);
  CHECK_FALSE(soft.fc->bias.defined());
  CHECK(soft.named_parameters().size() == 1);
  CHECK_ERROR(rpl::OpenSetHead({rpl::Method::Gcpl, 10, 64, 1, true}, g), "per-class radius (RPL only)");
  CHECK_ERROR(rpl::parse_method("rpl++"), "unknown open-set method 'rpl++'");
}

TEST_CASE("rpl: the per-class radius moves the loss only through the label's own R") {
  Generator g(0);
  rpl::OpenSetHead h({rpl::Method::Rpl, 2, 2, 1, true}, g);
  h.to(DType::F64);
  h.points.set_data_(from_vector(std::vector<double>{0, 0, 1, 1}, {2, 2}));
  h.radius.set_data_(from_vector(std::vector<double>{0.5, 100}, {2}));  // R_1 is irrelevant for y = 0
  // L_o = (2.5 − 0.5)² = 4.
  CHECK(h.loss(f_vec(), y_vec()).regularizer.item() == doctest::Approx(4.0));
}

TEST_CASE("rpl: head loss gradients through features, with per-class R and M = 2 (finite differences)") {
  Generator g(1);
  rpl::OpenSetHead h({rpl::Method::Rpl, 3, 4, 2, true}, g);
  h.to(DType::F64);
  Tensor y = from_vector(std::vector<int64_t>{0, 2, 1, 2}, {4});
  test::check_grad([&](auto& v) { return h.loss(v[0], y).loss; }, {test::rnd({4, 4}, 7)});
  rpl::OpenSetHead s({rpl::Method::Softmax, 3, 4}, g);
  s.to(DType::F64);
  test::check_grad([&](auto& v) { return s.loss(v[0], y).loss; }, {test::rnd({4, 4}, 8)});
}

TEST_CASE("rpl: OpenSetNet trains everything but the backbone's unused fc") {
  Generator g(0);
  auto b = rpl::make_backbone("smallcnn", 1, 6, {4, 8, 8}, g, 0);
  rpl::OpenSetNet net(b, {rpl::Method::Rpl, 6, 8}, g);
  auto trained = net.trained_parameters();
  CHECK(trained.size() + 1 == net.parameters().size());  // backbone.fc.weight (no bias) is left out
  for (auto& t : trained) CHECK_FALSE(t.same(b->fc->weight));
  CHECK(net.forward(zeros({2, 1, 28, 28})).shape() == Shape{2, 6});
  CHECK_ERROR(rpl::OpenSetNet(b, {rpl::Method::Rpl, 6, 16}, g), "the head expects D = 16");
}

TEST_CASE("rpl: MSP is exact in double and at most 1 for huge logits, max logit") {
  std::vector<float> z = {1e30f, 0.0f, 3.0f, 3.0f, -1e30f, 5.0f};
  auto msp = rpl::max_softmax(z, 3, 2);
  CHECK(msp[0] == 1.0);
  CHECK(msp[1] == doctest::Approx(0.5));
  CHECK(msp[2] == 1.0);
  CHECK(rpl::max_logit(z, 3, 2)[2] == 5.0);
  CHECK(rpl::open_set_scores(rpl::Method::Arpl, z, 3, 2)[1] == 3.0);
  CHECK_ERROR(rpl::max_logit(z, 2, 2), "expected 2 x 2 logits");
}

TEST_CASE("rpl: evaluate_open_set — accuracy on knowns, AUROC from the method's score, RPL's max distance") {
  // Known rows (labels 0, 1, 1): RPL logits = distances; unknown rows are flatter (lower MSP, smaller max d).
  auto known = preds({4, 0, 0, 3, 2, 0.5f}, {0, 1, 1}, 2);  // predictions 0, 1, 0
  auto unknown = preds({1, 1.2f, 0.3f, 0}, {}, 2);
  auto ev = rpl::evaluate_open_set(rpl::Method::Rpl, known, unknown);
  CHECK(ev.metrics["test_acc"] == doctest::Approx(2.0 / 3.0));
  CHECK(ev.metrics["auroc"] == doctest::Approx(eval::auroc(ev.known_scores, ev.unknown_scores)));
  CHECK(ev.metrics["auroc"] == doctest::Approx(1.0));
  CHECK(ev.metrics["mean_max_dist_known"] == doctest::Approx(3.0));
  CHECK(ev.metrics["mean_max_dist_unknown"] == doctest::Approx(0.75));
  std::vector<bool> correct = {true, true, false};
  CHECK(ev.metrics["oscr"] == doctest::Approx(eval::oscr(ev.known_scores, correct, ev.unknown_scores)));
  for (auto& k : rpl::open_set_metric_names(rpl::Method::Rpl)) CHECK_MESSAGE(ev.metrics.count(k), k);
  auto soft = rpl::evaluate_open_set(rpl::Method::Softmax, known, unknown);
  CHECK(soft.metrics.count("auroc_mls"));
  CHECK_FALSE(soft.metrics.count("mean_max_dist_known"));
  CHECK_ERROR(rpl::evaluate_open_set(rpl::Method::Rpl, known, preds({1, 2, 3}, {}, 3)), "same K");
}

TEST_CASE("rpl: Dropout2d drops whole channels, scales the rest by 1/(1-p), is the identity in eval") {
  Generator g(4);
  Tensor x = ones({8, 16, 3, 3});
  auto v = rpl::dropout2d(x, 0.5, true, g).to_vector<float>();
  int zero_channels = 0;
  for (size_t c = 0; c < 8 * 16; ++c) {
    float first = v[c * 9];
    CHECK((first == 0.0f || first == 2.0f));
    for (size_t i = 1; i < 9; ++i) CHECK(v[c * 9 + i] == first);  // one draw per channel
    zero_channels += first == 0.0f;
  }
  CHECK(zero_channels > 30);
  CHECK(zero_channels < 98);
  CHECK(rpl::dropout2d(x, 0.5, false, g).same(x));
  // Gradient: the same mask multiplies the upstream gradient (a fresh generator per evaluation).
  test::check_grad([&](auto& t) {
    Generator gg(9);
    return sum(square(rpl::dropout2d(t[0], 0.3, true, gg)));
  }, {test::rnd({2, 3, 2, 2}, 5)});
}

TEST_CASE("rpl: classifier32 — 128-d embedding, three stride-2 convs, no conv biases, the official init") {
  Generator g(0);
  auto b = rpl::make_backbone("classifier32", 3, 6, {}, g, 0);
  auto* c = dynamic_cast<rpl::Classifier32*>(b.get());
  REQUIRE(c != nullptr);
  CHECK(c->convs.size() == 9);
  for (size_t i = 0; i < 9; ++i) {
    CHECK_FALSE(c->convs[i]->bias.defined());
    CHECK(c->convs[i]->spec.stride == (i % 3 == 2 ? 2 : 1));
  }
  b->eval();
  CHECK(b->features(zeros({2, 3, 32, 32})).shape() == Shape{2, 128});
  // Official init: conv N(0, 0.05²), BN weight N(1, 0.02²), BN bias 0.
  Tensor w = c->convs[4]->weight;
  CHECK(std::sqrt(mean(square(w)).item()) == doctest::Approx(0.05).epsilon(0.05));
  CHECK(mean(c->bns[4]->weight).item() == doctest::Approx(1.0).epsilon(0.01));
  CHECK(std::sqrt(mean(square(add(c->bns[4]->weight, -1.0))).item()) == doctest::Approx(0.02).epsilon(0.3));
  CHECK(amax(abs(c->bns[4]->bias)).item() == 0);
  CHECK_ERROR(rpl::make_backbone("vgg", 3, 6, {}, g, 0), "unknown open-set backbone 'vgg'");
}

TEST_CASE("rpl: histogram bins with clamping") {
  auto h = rpl::histogram({0.0, 0.1, 0.5, 0.99, 1.0, 2.0, -1.0}, 0.0, 1.0, 2);
  CHECK(h == std::vector<double>{3, 4});
  CHECK_ERROR(rpl::histogram({1.0}, 1.0, 1.0, 2), "hi > lo");
}

TEST_CASE("rpl: open-set data from files — known labels remapped, unknowns, per-class subsets, validation") {
  fs::path root = test::temp_dir("eg_test_rpl_data");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 400, 200, 10, 1);
  rpl::OpenSetDataOptions o{"fashion-mnist", (root / "data").string(), 0, 0, 0, 0};
  auto d = rpl::load_open_set(o);
  CHECK(d.bundle.train.num_classes == 6);
  CHECK(d.bundle.train.n == 240);
  CHECK(d.bundle.test.n == 120);
  CHECK(d.unknown_test.n == 80);
  CHECK(d.bundle.train.class_names[0] == "Pullover");  // FMNIST class 2 is known class 0
  CHECK(d.bundle.mean == std::vector<float>{0.0f});
  CHECK(d.bundle.std == std::vector<float>{1.0f});
  o.per_class = 10;
  CHECK(rpl::load_open_set(o).bundle.train.n == 60);
  o.per_class = 0;
  o.val_per_class = 5;
  auto v = rpl::load_open_set(o);
  CHECK(v.bundle.eval_split == "val");
  CHECK(v.bundle.test.n == 30);
  CHECK(v.bundle.train.n == 210);
  CHECK(v.unknown_test.n == 20);
  o.protocol = "cifar+10";
  CHECK_ERROR(rpl::load_open_set(o), "cifar-100-binary/test.bin");
  fs::remove_all(root);
}

TEST_CASE("rpl: train_rpl smoke run on tiny data — every method's loss falls, metrics.json has the issue's keys") {
  if (!fs::exists(test::bin("train_rpl"))) {
    MESSAGE("train_rpl not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_rpl");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 600, 200, 10, 2);
  std::string cmd = test::bin("train_rpl") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model smallcnn --widths 4 8 2 --methods softmax gcpl rpl arpl --epochs 4 --batch-size 16" +
                    " --seeds 0 --threads 1 --plain --out " + (root / "out").string();
  auto [rc, text] = test::run_capture(cmd);
  REQUIRE_MESSAGE(rc == 0, text);
  auto j = test::read_json((root / "out" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 4);
  for (auto& r : j["runs"]) {
    const std::string run = r["run"];
    for (auto k : {"test_acc", "auroc", "auroc_official", "aupr_in", "aupr_out", "oscr"}) {
      REQUIRE_MESSAGE(r["metrics"].contains(k), run, " lacks ", k);
      double x = r["metrics"][k];
      CHECK((x >= 0 && x <= 1));
    }
    CHECK(r["metrics"].contains("mean_max_dist_known") == (run == "rpl"));
    // The training loss falls from the first to the last epoch.
    std::ifstream log(root / "out" / "split0" / (run + "_seed0") / "log.csv");
    std::string header, line;
    std::getline(log, header);
    std::vector<double> losses;
    while (std::getline(log, line)) {
      std::stringstream ss(line);
      std::string cell;
      for (int c = 0; c < 3 && std::getline(ss, cell, ','); ++c)
        if (c == 2) losses.push_back(std::stod(cell));
    }
    REQUIRE(losses.size() == 4);
    CHECK_MESSAGE(losses.back() < 0.8 * losses.front(), run, ": loss ", losses.front(), " -> ", losses.back());
  }
  CHECK(text.find("AUROC column: half ties") != std::string::npos);
  CHECK(fs::exists(root / "out" / "results.md"));
  if (train::gnuplot_available()) {
    CHECK(fs::exists(root / "out" / "split0" / "rpl_seed0" / "score_hist.png"));
    CHECK(fs::exists(root / "out" / "split0" / "rpl_seed0" / "embedding.png"));  // D = 2
  }
  // A protocol whose files are missing: one line naming them.
  auto [rc2, text2] = test::run_capture(test::bin("train_rpl") + " --dataset cifar10 --data-dir " +
                                        (root / "data").string() + " --out " + (root / "out2").string());
  CHECK(rc2 == 1);
  CHECK(text2.find("cifar-10-batches-bin/test_batch.bin") != std::string::npos);
  fs::remove_all(root);
}
