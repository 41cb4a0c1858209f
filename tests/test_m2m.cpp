// test_m2m.cpp — M2m (m2m.md): replacement probabilities, seed weights and the seed-class distributions of
// both samplings, the official and per-sample random start, the L2-normalised step, the objective (hand
// values and finite differences through the networks), one translation step by hand, a whole M2m batch
// (acceptance, γ failure, fall-back, frozen parameters, eval-mode BN, determinism), the recipe (first-n
// long tail, deferred sampler, lr) and the spec's CNN.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "losses/cross_entropy.h"
#include "losses/ldam.h"
#include "methods/m2m/experiment.h"
#include "methods/m2m/major_to_minor.h"
#include "methods/m2m/recipe.h"
#include "methods/train/model_file.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
using namespace eg::m2m;

TEST_CASE("m2m: replacement probabilities use N_max, seed weights are 1 - beta^gap") {
  auto p = replacement_probs({100, 50, 10});
  CHECK(p[0] == 0);
  CHECK(p[1] == doctest::Approx(0.5));
  CHECK(p[2] == doctest::Approx(0.9));
  auto q = replacement_probs({50, 100});  // class 0 is not the head: still divided by the largest
  CHECK(q[0] == doctest::Approx(0.5));
  CHECK(q[1] == 0);
  CHECK(seed_weight(100, 10, 0.999) == doctest::Approx(1 - std::exp(90 * std::log(0.999))));
  CHECK(seed_weight(100, 10, 0.999) == doctest::Approx(0.0861099).epsilon(1e-5));
  CHECK(seed_weight(10, 100, 0.999) == 0);
  CHECK(seed_weight(10, 10, 0.999) == 0);
  CHECK_THROWS_WITH_AS(seed_weight(10, 1, 1.0), doctest::Contains("beta must be in [0, 1)"), eg::Error);
}

TEST_CASE("m2m: seed classes follow train.py's per-sample weights or the paper's per-class Q") {
  // counts {1000, 100, 10}, beta 0.99; batch labels 0,0,0,1,2. For target class 2 the weights are
  // w0 = 1 - 0.99^990 (~1), w1 = 1 - 0.99^90 = 0.5952. Batch mode: P(k0 = 0) = 3 w0 / (3 w0 + w1);
  // class mode: w0 / (w0 + w1).
  std::vector<int64_t> counts = {1000, 100, 10}, labels = {0, 0, 0, 1, 2};
  double w0 = 1 - std::pow(0.99, 990), w1 = 1 - std::pow(0.99, 90);
  for (auto [mode, expect] : {std::pair{SeedSampling::Batch, 3 * w0 / (3 * w0 + w1)},
                              std::pair{SeedSampling::Class, w0 / (w0 + w1)}}) {
    Generator gen(7);
    int64_t n2 = 0, from0 = 0;
    for (int it = 0; it < 20000; ++it) {
      PairChoice c = choose_pairs(labels, counts, 0.99, mode, gen);
      CHECK(c.skipped.empty());
      for (auto& pr : c.pairs) {
        REQUIRE(pr.k == labels[(size_t)pr.target_pos]);
        REQUIRE(pr.k0 == labels[(size_t)pr.seed_pos]);
        REQUIRE(counts[(size_t)pr.k0] > counts[(size_t)pr.k]);  // seeds only from larger classes
        REQUIRE(pr.p_accept == doctest::Approx(seed_weight(counts[(size_t)pr.k0], counts[(size_t)pr.k], 0.99)));
        if (pr.k == 2) ++n2, from0 += pr.k0 == 0;
      }
    }
    // Class 2 is offered with probability 0.99 per batch.
    CHECK((double)n2 / 20000 == doctest::Approx(0.99).epsilon(0.01));
    CHECK((double)from0 / (double)n2 == doctest::Approx(expect).epsilon(0.02));
  }
  // A target whose class is the largest in the batch has no seed: skipped, not translated.
  Generator gen(3);
  int64_t skipped = 0;
  for (int it = 0; it < 200; ++it) skipped += (int64_t)choose_pairs({1, 1, 2}, counts, 0.99, SeedSampling::Batch, gen).skipped.size();
  CHECK(skipped > 0);
  CHECK_THROWS_WITH_AS(choose_pairs({3}, counts, 0.99, SeedSampling::Batch, gen), doctest::Contains("label 3"), eg::Error);
}

TEST_CASE("m2m: the official random start caps each channel slice across the batch, per-sample caps each sample") {
  Generator gen(1);
  Tensor n = random_start_noise({4, 2, 3, 3}, 0.5, NoiseMode::Official, gen);
  auto v = n.to_vector<double>();
  for (int c = 0; c < 2; ++c) {
    double s = 0;
    for (int b = 0; b < 4; ++b)
      for (int t = 0; t < 9; ++t) s += v[(size_t)((b * 2 + c) * 9 + t)] * v[(size_t)((b * 2 + c) * 9 + t)];
    CHECK(std::sqrt(s) == doctest::Approx(0.5).epsilon(1e-5));  // U(-.5,.5) over 36 values has norm ~1.7 > 0.5
  }
  Tensor m = random_start_noise({4, 2, 3, 3}, 0.5, NoiseMode::PerSample, gen);
  for (double l : per_sample_l2(m, zeros({4, 2, 3, 3}))) CHECK(l == doctest::Approx(0.5).epsilon(1e-5));
  CHECK(amax(abs(random_start_noise({2, 1, 2, 2}, 0.5, NoiseMode::None, gen))).item() == 0);
  // A small slice below the cap is left as drawn (renorm only shrinks).
  Tensor small = random_start_noise({1, 1, 1, 1}, 0.5, NoiseMode::Official, gen);
  CHECK(std::abs(small.item()) <= 0.5);
  CHECK(noise_mode_from_name("per-sample") == NoiseMode::PerSample);
  CHECK_THROWS_WITH_AS(noise_mode_from_name("linf"), doctest::Contains("unknown noise mode 'linf'"), eg::Error);
}

TEST_CASE("m2m: the step is eta times the per-sample unit gradient") {
  Tensor g = from_vector(std::vector<float>{3, 4, 0, -2}, {2, 2, 1, 1});
  auto s = l2_step(g, 0.1).to_vector<double>();
  CHECK(s[0] == doctest::Approx(0.06));
  CHECK(s[1] == doctest::Approx(0.08));
  CHECK(s[2] == doctest::Approx(0.0));
  CHECK(s[3] == doctest::Approx(-0.1));
  CHECK(amax(abs(l2_step(zeros({1, 1, 2, 2}), 0.1))).item() == 0);  // a zero gradient stays finite
}

TEST_CASE("m2m: the objective is CE(g, k) + lambda * mean of f's seed-class logit") {
  // Row 0: g logits (0, ln 3), k = 1: CE = -log(3/4); f logits (2, 5), k0 = 0: 2.
  // Row 1: g logits (0, 0), k = 0: CE = log 2; f logits (1, -1), k0 = 1: -1.
  Tensor lg = from_vector(std::vector<float>{0, (float)std::log(3.0), 0, 0}, {2, 2});
  Tensor lf = from_vector(std::vector<float>{2, 5, 1, -1}, {2, 2});
  Tensor k = from_vector(std::vector<int64_t>{1, 0}, {2}), k0 = from_vector(std::vector<int64_t>{0, 1}, {2});
  double expect = (-std::log(0.75) + std::log(2.0)) / 2 + 0.5 * (2 - 1) / 2.0;
  CHECK(translation_objective(lg, lf, k, k0, 0.5).item() == doctest::Approx(expect).epsilon(1e-6));
}

TEST_CASE("m2m: the input gradient of the objective through two CNNs matches finite differences") {
  Generator gen(5);
  nn::ModelSpec s{"smallcnn", 1, 4};
  s.widths = {3, 4, 8};
  auto g = nn::make_model(s, gen), f = nn::make_model(s, gen);
  for (auto* m : {g.get(), f.get()}) m->eval(), m->to(DType::F64);
  FrozenParameters frozen({g.get(), f.get()});
  Tensor k = from_vector(std::vector<int64_t>{3, 1}, {2}), k0 = from_vector(std::vector<int64_t>{0, 2}, {2});
  Tensor x = test::rnd({2, 1, 28, 28}, 11, 0, 1);
  autograd::GradcheckOptions opt;
  opt.max_elements = 40;
  opt.atol = 1e-5;
  auto r = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) { return translation_objective(g->forward(in[0]), f->forward(in[0]), k, k0, 0.5); },
      {x}, opt);
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("m2m: one translation step by hand, and the seed-logit term pushes f's k0 score down") {
  Tensor x0 = from_vector(std::vector<float>{0.5f, 0.5f}, {1, 1, 1, 2});
  Tensor k = from_vector(std::vector<int64_t>{1}, {1}), k0 = from_vector(std::vector<int64_t>{0}, {1});
  auto ident = [](const Tensor& x) { return reshape(x, {x.size(0), 2}); };
  auto zero = [](const Tensor& x) { return reshape(x, {x.size(0), 2}) * 0.0; };
  TranslateConfig c;
  c.steps = 1, c.eta = 0.1, c.noise = NoiseMode::None, c.lambda = 0;
  Generator gen(0);
  // g = identity logits, k = 1 at x = (.5, .5): dCE/dx = softmax − e_1 = (.5, −.5), the unit step is (1, −1)/√2.
  Translation t = translate(ident, ident, x0, k, k0, c, gen);
  auto v = t.x.to_vector<double>();
  CHECK(v[0] == doctest::Approx(0.5 - 0.1 / std::sqrt(2.0)));
  CHECK(v[1] == doctest::Approx(0.5 + 0.1 / std::sqrt(2.0)));
  CHECK(t.confidence[0] == doctest::Approx(1 / (1 + std::exp(v[0] - v[1]))));
  // g flat, f = identity, lambda 1: the gradient is e_0, so x_0 falls by eta.
  c.lambda = 1;
  auto w = translate(zero, ident, x0, k, k0, c, gen).x.to_vector<double>();
  CHECK(w[0] == doctest::Approx(0.4));
  CHECK(w[1] == doctest::Approx(0.5));
  // T steps move at most T * eta, and the pixels stay in [0, 1].
  c.steps = 10, c.eta = 0.3, c.lambda = 0.5;
  Translation many = translate(ident, ident, x0, k, k0, c, gen);
  CHECK(per_sample_l2(many.x, x0)[0] <= 3.0 + 1e-6);
  CHECK(amin(many.x).item() >= 0);
  CHECK(amax(many.x).item() <= 1);
  CHECK(many.confidence[0] > 0.7);
}

namespace {

struct Fixture {
  std::vector<int64_t> counts = {1000, 500, 100, 10};
  std::shared_ptr<nn::Backbone> g, f;
  data::Batch batch;
  Fixture() {
    Generator gen(9);
    nn::ModelSpec s{"smallcnn", 1, 4};
    s.widths = {4, 4, 8};
    g = nn::make_model(s, gen);
    f = nn::make_model(s, gen);
    batch.x = rand({8, 1, 28, 28}, gen);
    batch.y = from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 2, 3, 3}, {8});
    batch.indices = {0, 1, 2, 3, 1000, 1500, 1600, 1601};
  }
  MajorToMinor m2m(double gamma, int64_t start = 0) {
    M2mConfig c;
    c.gamma = gamma;
    c.beta = 0.5;  // gaps >= 90: p_accept = 1 - 0.5^90 = 1 in double
    c.start_epoch = start;
    c.translate.eta = 0.5;
    return MajorToMinor(g, counts, {0.5f}, {0.25f}, c);
  }
};

std::vector<double> row(const Tensor& x, int64_t i) { return narrow(x, 0, i, 1).to_vector<double>(); }

}  // namespace

TEST_CASE("m2m: a batch with gamma 0 replaces every attempted position, the labels stay, f is untouched") {
  Fixture fx;
  fx.f->train();
  auto bn_before = fx.f->named_buffers();
  std::vector<Tensor> bn_copy;
  for (auto& [_, t] : bn_before) bn_copy.push_back(t.clone());
  MajorToMinor m = fx.m2m(0.0);
  data::Batch b = fx.batch;
  m.apply(b, *fx.f, 0);
  const GenStats& s = m.stats();
  CHECK(s.total(s.attempted) > 0);
  CHECK(s.total(s.accepted) == s.total(s.attempted));
  CHECK(s.attempted[0] == 0);  // the head class is never a target
  CHECK(s.accept_rate() == 1.0);
  CHECK(s.mean_delta_l2() > 0);
  CHECK(s.mean_delta_l2() <= 10 * 0.5 + 0.5 + 1e-4);
  int64_t changed = 0;
  for (int64_t i = 0; i < 8; ++i) changed += row(b.x, i) != row(fx.batch.x, i);
  CHECK(changed == s.total(s.accepted));
  for (int64_t i = 0; i < 4; ++i) CHECK(row(b.x, i) == row(fx.batch.x, i));  // head images are never replaced
  CHECK(b.y.to_vector<int64_t>() == fx.batch.y.to_vector<int64_t>());
  // The translation left f's parameters trainable without gradients, its BN statistics as they were, and
  // f in train mode.
  CHECK(fx.f->is_training());
  CHECK_FALSE(fx.g->is_training());
  for (auto& p : fx.f->parameters()) {
    CHECK(p.requires_grad());
    CHECK_FALSE(p.grad().defined());
  }
  for (auto& p : fx.g->parameters()) CHECK(p.requires_grad());
  size_t j = 0;
  for (auto& [name, t] : fx.f->named_buffers()) CHECK_MESSAGE(t.to_vector<double>() == bn_copy[j++].to_vector<double>(), name);
  REQUIRE_FALSE(m.examples().empty());
  CHECK(m.examples()[0].k0 < m.examples()[0].k);  // the seed class is larger (smaller index here)
  // The same (epoch, indices) give the same batch: a resumed run repeats its draws.
  MajorToMinor again = fx.m2m(0.0);
  data::Batch b2 = fx.batch;
  again.apply(b2, *fx.f, 0);
  CHECK(b2.x.to_vector<double>() == b.x.to_vector<double>());
}

TEST_CASE("m2m: gamma 1 fails every translation and keeps the original minority images, before T0 nothing runs") {
  Fixture fx;
  MajorToMinor m = fx.m2m(1.0);
  data::Batch b = fx.batch;
  m.apply(b, *fx.f, 0);
  CHECK(m.stats().total(m.stats().gamma_failed) == m.stats().total(m.stats().attempted));
  CHECK(m.stats().total(m.stats().accepted) == 0);
  CHECK(m.stats().accept_rate() == 0);
  CHECK(b.x.to_vector<double>() == fx.batch.x.to_vector<double>());
  MajorToMinor late = fx.m2m(0.0, 5);
  late.apply(b, *fx.f, 4);
  CHECK(late.stats().total(late.stats().attempted) == 0);
  CHECK(b.x.to_vector<double>() == fx.batch.x.to_vector<double>());
}

TEST_CASE("m2m: the long tail takes the first images of each class, the sampler switches at T0, the lr") {
  data::ImageDataset ds;
  ds.n = 8, ds.c = 1, ds.h = 1, ds.w = 1, ds.num_classes = 2;
  ds.pixels.resize(8);
  for (int i = 0; i < 8; ++i) ds.pixels[(size_t)i] = (uint8_t)i;
  ds.labels = {1, 0, 1, 0, 0, 1, 0, 1};
  auto lt = long_tail_first(ds, {2, 1});
  CHECK(lt.labels == std::vector<int64_t>{1, 0, 0});
  CHECK(lt.pixels == std::vector<uint8_t>{0, 1, 3});
  CHECK_THROWS_WITH_AS(long_tail_first(ds, {5, 1}), doctest::Contains("class 0 has 4 images, 5 asked"), eg::Error);
  auto before = std::make_shared<data::SequentialSampler>(8, 4);
  auto after = std::make_shared<data::ClassBalancedSampler>(ds.labels, 2, 2, 0);
  DeferredSampler d(before, after, 3);
  CHECK(d.batches(2) == before->batches(2));
  CHECK(d.batches(3) == after->batches(3));
  CHECK(d.num_batches(2) == 2);
  CHECK(d.num_batches(3) == 4);
  auto lr = m2m_schedule(5, {160, 180}, 0.01);  // train.py: 0.1 (e+1)/5 for e < 5, x0.01 at 160 and 180
  CHECK(lr->factor(0) == doctest::Approx(0.2));
  CHECK(lr->factor(4) == doctest::Approx(1.0));
  CHECK(lr->factor(159) == 1.0);
  CHECK(lr->factor(160) == doctest::Approx(0.01));
  CHECK(lr->factor(185) == doctest::Approx(1e-4));
  auto q = m2m_schedule(0, {21, 26}, 0.1);
  CHECK(q->factor(0) == 1.0);
  CHECK(q->factor(21) == doctest::Approx(0.1));
}

TEST_CASE("m2m: the runs and which share ERM's (or LDAM's) first T0 epochs") {
  CHECK(make_run("erm", 21).shares_trunk());
  CHECK(make_run("drs", 21).shares_trunk());
  CHECK(make_run("m2m", 21).shares_trunk());
  CHECK(make_run("drw", 21).shares_trunk());
  CHECK(make_run("drw", 21).trunk_name() == "erm_trunk");
  CHECK_FALSE(make_run("over", 21).shares_trunk());
  for (auto* name : {"ldam_drw", "m2m_ldam_drw"}) {
    CHECK(make_run(name, 21).ldam);
    CHECK(make_run(name, 21).shares_trunk());
    CHECK(make_run(name, 21).trunk_name() == "ldam_trunk");
    CHECK(make_run(name, 21).reweight_from == 21);
  }
  CHECK(make_run("m2m_ldam_drw", 21).generate_from == 21);
  CHECK(make_run("m2m_ldam_drw", 21).resample_from == 21);
  CHECK(make_run("ldam_drw", 21).resample_from == -1);
  CHECK(make_run("m2m", 21).generate_from == 21);
  CHECK(make_run("over", 21).resample_from == 0);
  CHECK_THROWS_WITH_AS(make_run("smote", 21), doctest::Contains("unknown M2m run 'smote'"), eg::Error);
}

TEST_CASE("m2m: each run kind sets its sampler, DRW loss and batch rewrite, runs start from the trunk's checkpoint") {
  data::ImageDataset ds;
  ds.n = 6, ds.c = 1, ds.h = 1, ds.w = 1, ds.num_classes = 2;
  ds.pixels.assign(6, 0);
  ds.labels = {0, 0, 0, 0, 1, 1};
  auto cfg_for = [&](const std::string& name) {
    train::ClassifyConfig cfg;
    cfg.batch_size = 2;
    configure_run(cfg, make_run(name, 3), ds, 0.999, nullptr);
    return cfg;
  };
  CHECK_FALSE(cfg_for("erm").sampler);
  CHECK_FALSE(cfg_for("erm").loss);
  CHECK(cfg_for("over").sampler->name() == "class_balanced");
  CHECK(cfg_for("drs").sampler->name() == "random_then_class_balanced_at_3");
  CHECK_THROWS_WITH_AS(cfg_for("m2m"), doctest::Contains("no M2m generator"), eg::Error);
  auto drw = cfg_for("drw");
  REQUIRE(drw.loss);
  Tensor logits = from_vector(std::vector<float>{1, 0, 0, 2}, {2, 2}), y = from_vector(std::vector<int64_t>{0, 1}, {2});
  CHECK(drw.loss(logits, y, 2).item() == doctest::Approx(losses::cross_entropy(logits, y).item()));  // before T0: plain
  losses::CrossEntropyOptions o;
  o.weight = losses::drw_weights({4, 2}, 0.999, 3, 3);
  o.reduction = losses::Reduction::BatchMean;
  double weighted = losses::cross_entropy(logits, y, o).item();
  CHECK(drw.loss(logits, y, 3).item() == doctest::Approx(weighted));
  CHECK(weighted != doctest::Approx(losses::cross_entropy(logits, y).item()));
  // LDAM-DRW: a cosine classifier, LDAM (max margin 0.5, s 30), plain before T0 and DRW-weighted from it.
  auto ldam = cfg_for("ldam_drw");
  CHECK(ldam.model.head == "cosine");
  CHECK_FALSE(ldam.sampler);
  REQUIRE(ldam.loss);
  Tensor margins = losses::ldam_margins({4, 2}, 0.5), cosines = logits * 0.5;
  CHECK(ldam.loss(cosines, y, 2).item() == doctest::Approx(losses::ldam_loss(cosines, y, margins, 30.0).item()));
  CHECK(ldam.loss(cosines, y, 3).item() ==
        doctest::Approx(losses::ldam_loss(cosines, y, margins, 30.0, losses::drw_weights({4, 2}, 0.999, 3, 3),
                                          losses::Reduction::BatchMean).item()));
  CHECK(ldam.loss(cosines, y, 3).item() != doctest::Approx(ldam.loss(cosines, y, 2).item()));
  CHECK(cfg_for("erm").model.head == "linear");

  namespace fs = std::filesystem;
  fs::path root = test::temp_dir("eg_test_m2m_trunk");
  fs::remove_all(root);
  fs::create_directories(root / "trunk");
  CHECK_THROWS_WITH_AS(start_from_trunk((root / "trunk").string(), (root / "a").string()),
                       doctest::Contains("the ERM trunk has no checkpoint"), eg::Error);
  std::ofstream(root / "trunk" / "checkpoint.safetensors") << "T";
  std::ofstream(root / "trunk" / "log.csv") << "epoch\n";
  CHECK(start_from_trunk((root / "trunk").string(), (root / "a").string()));
  CHECK(fs::exists(root / "a" / "log.csv"));
  std::ofstream(root / "a" / "checkpoint.safetensors") << "own";  // the run's own checkpoint is kept
  CHECK_FALSE(start_from_trunk((root / "trunk").string(), (root / "a").string()));
  std::ifstream in(root / "a" / "checkpoint.safetensors");
  std::string text;
  in >> text;
  CHECK(text == "own");
  fs::remove_all(root);
}

TEST_CASE("m2m: the spec's Fashion-MNIST CNN (two conv5x5 blocks, FC 128)") {
  Generator gen(0);
  auto m = nn::make_model({"smallcnn", 1, 10}, gen);
  CHECK(m->num_parameters() == 416 + 32 + 12832 + 64 + 200832 + 1290);
  CHECK(m->feature_dim() == 128);
  CHECK(m->forward(zeros({2, 1, 28, 28})).shape() == Shape{2, 10});
  CHECK_THROWS_WITH_AS(m->forward(zeros({2, 1, 32, 32})), doctest::Contains("SmallCnn: expected input"), eg::Error);
}

TEST_CASE("m2m: train_m2m smoke run on tiny long-tailed data (erm trunk shared, m2m translating) lowers the loss") {
  namespace fs = std::filesystem;
  if (!fs::exists(test::bin("train_m2m"))) {
    MESSAGE("train_m2m not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_m2m");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 1000, 200, 10, 2);
  std::string cmd = test::bin("train_m2m") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model smallcnn --widths 4 8 16 --mu 10 --n-max 100 --runs erm over drs drw ldam_drw m2m m2m_ldam_drw"
                    " --epochs 4 --t0 2" +
                    " --warmup 0 --milestones 3 --lr-gamma 0.1 --batch-size 32 --no-augment --step-size 0.5" +
                    " --gamma 0.5 --seeds 0 --threads 1 --plain --out " + (root / "out").string();
  REQUIRE(test::run_cmd(cmd) == 0);
  auto j = test::read_json((root / "out" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 7);
  for (auto& r : j["runs"]) {
    CAPTURE(r["run"]);
    CHECK(r["metrics"]["balanced_acc"].get<double>() > 0.3);  // chance 0.1
    CHECK(r["params"]["mu"].get<double>() == 10);
    // Not --quick: test accuracy at the best epoch on the first 10% of each test class (m2m.md §4).
    CHECK(r["metrics"]["best_epoch"].get<double>() >= 1);
    CHECK(r["metrics"]["best_epoch"].get<double>() <= 4);
    CHECK(r["metrics"]["select_acc"].get<double>() > 0.3);
    if (r["run"] == "m2m" || r["run"] == "m2m_ldam_drw") {
      CHECK(r["metrics"]["accept_rate"].get<double>() > 0);
      CHECK(r["metrics"]["mean_delta_l2"].get<double>() > 0);
    }
  }
  fs::path m2m_dir = root / "out" / "mu10" / "m2m_seed0";
  CHECK(fs::exists(m2m_dir / "generation.csv"));
  CHECK(fs::exists(m2m_dir / "generated.png"));
  CHECK(fs::exists(root / "out" / "results.md"));
  CHECK(fs::exists(root / "out" / "mu10" / "ldam_trunk_seed0" / "checkpoint.safetensors"));
  CHECK(train::load_model_file((root / "out" / "mu10" / "ldam_drw_seed0" / "model.safetensors").string())
            .info.spec.head == "cosine");
  // The loss falls, and the runs sharing the trunk start from its first epochs (same log rows before T0).
  std::ifstream log(m2m_dir / "log.csv"), trunk(root / "out" / "mu10" / "erm_trunk_seed0" / "log.csv");
  std::string header, l1, l2, l4, t1;
  std::getline(log, header), std::getline(log, l1), std::getline(log, l2), std::getline(log, l4), std::getline(log, l4);
  std::getline(trunk, t1), std::getline(trunk, t1);
  auto loss = [](const std::string& row) { return std::stod(row.substr(row.find(',', row.find(',') + 1) + 1)); };
  CHECK(loss(l4) < loss(l1));
  CHECK(l1 == t1);
  fs::remove_all(root);
}
