// test_robust.cpp — the robust-features library: PGD step / projection / random-start formulas against
// hand values, attacks that raise (or, targeted, lower) the loss and stay exactly in the ball and in [0, 1],
// the input gradient against finite differences, the fake ReLU, representation inversion, relabelling,
// lossless image-set files and --train-set; and a smoke run of train_robust on tiny data.
#include <cmath>
#include <filesystem>
#include <set>

#include "core/safetensors.h"
#include "losses/cross_entropy.h"
#include "methods/data/image_set_file.h"
#include "methods/robust/batches.h"
#include "methods/robust/constructed.h"
#include "methods/robust/inversion.h"
#include "methods/robust/pgd.h"
#include "methods/robust/pixel_model.h"
#include "methods/robust/robust_eval.h"
#include "nn/models/lenet.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
using namespace eg::robust;
namespace fs = std::filesystem;

namespace {

PixelModel tiny_model(uint64_t seed = 0) {
  Generator g(seed);
  auto m = nn::make_model({"lenet", 1, 10, "cifar", {4, 8, 16}}, g);
  return PixelModel(m, {0.3f}, {0.4f});
}

Tensor random_images(int64_t n, uint64_t seed) {
  Generator g(seed);
  return rand({n, 1, 28, 28}, g);
}

std::vector<float> row_norms(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  int64_t n = a.size(0), d = a.numel() / n;
  std::vector<float> out;
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t k = 0; k < d; ++k) s += std::pow((double)va[(size_t)(i * d + k)] - vb[(size_t)(i * d + k)], 2);
    out.push_back((float)std::sqrt(s));
  }
  return out;
}

std::vector<float> ce(const PixelModel& m, const Tensor& x, const Tensor& y) {
  NoGradGuard ng;
  losses::CrossEntropyOptions o;
  o.reduction = losses::Reduction::None;
  return losses::cross_entropy(m.logits(x), y, o).to_vector<float>();
}

}  // namespace

TEST_CASE("robust: L2 and Linf steps per sample (hand values)") {
  std::vector<float> x = {0, 0, 1, 1}, g = {3, 4, 0, 0};
  l2_step(x, g, 2, 0.5, 1.0);  // alpha·g/‖g‖ = 0.5·(0.6, 0.8); a zero gradient does not move
  CHECK(x[0] == doctest::Approx(0.3));
  CHECK(x[1] == doctest::Approx(0.4));
  CHECK(x[2] == 1);
  CHECK(x[3] == 1);
  l2_step(x, g, 2, 0.5, -1.0);
  CHECK(std::abs(x[0]) < 1e-6);
  std::vector<float> y = {0.5f, 0.5f, 0.5f};
  linf_step(y, {2, -1, 0}, 3, 0.1, 1.0);
  CHECK(y[0] == doctest::Approx(0.6));
  CHECK(y[1] == doctest::Approx(0.4));
  CHECK(y[2] == 0.5f);
  linf_step(y, {2, -1, 0}, 3, 0.1, -1.0);  // targeted: descends
  CHECK(y[0] == doctest::Approx(0.5));
}

TEST_CASE("robust: projection onto the L2 / Linf ball, then the [0, 1] clamp (hand values)") {
  std::vector<float> x0 = {0.5f, 0.5f, 0.5f, 0.5f};
  std::vector<float> x = {0.8f, 0.9f, 0.55f, 0.5f};  // row 0: δ = (0.3, 0.4), ‖δ‖ = 0.5; row 1 inside
  project(x, x0, 2, Norm::L2, 0.25);
  CHECK(x[0] == doctest::Approx(0.65));
  CHECK(x[1] == doctest::Approx(0.70));
  CHECK(x[2] == doctest::Approx(0.55));
  CHECK(x[3] == 0.5f);
  std::vector<float> c0 = {0.9f, 0.1f}, c = {1.2f, -0.3f};
  project(c, c0, 2, Norm::L2, 10.0);  // inside the ball, outside the box
  CHECK(c[0] == 1.0f);
  CHECK(c[1] == 0.0f);
  std::vector<float> l = {0.8f, 0.45f, 0.1f}, l0 = {0.5f, 0.5f, 0.05f};
  project(l, l0, 3, Norm::Linf, 0.1);
  CHECK(l[0] == doctest::Approx(0.6));
  CHECK(l[1] == doctest::Approx(0.45));
  CHECK(l[2] == doctest::Approx(0.1));
}

TEST_CASE("robust: random starts lie on the per-sample L2 sphere / in the Linf cube") {
  std::vector<float> x0(3 * 100, 0.5f), x;
  Generator g(3);
  random_start(x, x0, 100, Norm::L2, 0.2, g);
  Tensor a = from_vector(x, {3, 100}), b = from_vector(x0, {3, 100});
  for (float r : row_norms(a, b)) CHECK(r == doctest::Approx(0.2).epsilon(1e-4));
  random_start(x, x0, 100, Norm::Linf, 0.05, g);
  double mx = 0;
  for (size_t k = 0; k < x.size(); ++k) mx = std::max(mx, (double)std::abs(x[k] - x0[k]));
  CHECK(mx <= 0.05 + 1e-6);
  CHECK(mx > 0.04);
}

TEST_CASE("robust: the input gradient matches finite differences (directional, float)") {
  PixelModel m = tiny_model(1);
  Tensor x = random_images(3, 2), y = from_vector(std::vector<int64_t>{0, 3, 7}, {3});
  LogitsFn f = [&](const Tensor& t) { return m.logits(t); };
  LossAndGrad lg = loss_and_input_grad(f, x, y);
  Generator g(5);
  auto v = randn(x.shape(), g).to_vector<float>();
  auto xv = x.to_vector<float>();
  const double h = 1e-2;
  std::vector<float> xp = xv, xm = xv;
  for (size_t k = 0; k < xv.size(); ++k) xp[k] += (float)(h * v[k]), xm[k] -= (float)(h * v[k]);
  auto lp = ce(m, from_vector(xp, x.shape()), y), lm = ce(m, from_vector(xm, x.shape()), y);
  double numeric = 0, analytic = 0;
  for (size_t i = 0; i < lp.size(); ++i) numeric += ((double)lp[i] - lm[i]) / (2 * h);
  for (size_t k = 0; k < v.size(); ++k) analytic += (double)lg.grad[k] * v[k];
  CHECK(analytic == doctest::Approx(numeric).epsilon(2e-2));
  REQUIRE(lg.loss.size() == 3);
  CHECK(lg.loss[1] == doctest::Approx(ce(m, x, y)[1]));
}

TEST_CASE("robust: untargeted PGD raises the loss and respects eps exactly (L2 and Linf)") {
  PixelModel m = tiny_model(2);
  Tensor x = random_images(8, 4);
  Tensor y;
  {
    NoGradGuard ng;
    y = argmax(m.logits(x), 1);  // attack the model's own predictions
  }
  LogitsFn f = [&](const Tensor& t) { return m.logits(t); };
  for (Norm norm : {Norm::L2, Norm::Linf}) {
    PgdConfig c;
    c.norm = norm;
    c.eps = norm == Norm::L2 ? 1.0 : 0.05;
    c.step = c.eps / 4;
    c.steps = 10;
    c.random_start = true;
    Generator g(7);
    Tensor adv = pgd_attack(f, x, y, c, g);
    auto before = ce(m, x, y), after = ce(m, adv, y);
    for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] > before[i]);
    CHECK(amin(adv).item() >= 0);
    CHECK(amax(adv).item() <= 1);
    if (norm == Norm::L2)
      for (float r : row_norms(adv, x)) CHECK(r <= c.eps * (1 + 1e-5));
    else
      CHECK(amax(abs(adv - x)).item() <= c.eps + 1e-6);
  }
}

TEST_CASE("robust: targeted PGD lowers CE(t), use_best off returns the last iterate (hand-composed step)") {
  PixelModel m = tiny_model(3);
  Tensor x = random_images(4, 6), t = from_vector(std::vector<int64_t>{1, 2, 3, 4}, {4});
  LogitsFn f = [&](const Tensor& z) { return m.logits(z); };
  PgdConfig c;
  c.targeted = true;
  c.eps = 1.5;
  c.step = 0.3;
  c.steps = 8;
  Generator g(0);
  auto before = ce(m, x, t), after = ce(m, pgd_attack(f, x, t, c, g), t);
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] < before[i]);
  // One step without use_best = the step and projection formulas applied to the gradient at x.
  c.steps = 1;
  c.use_best = false;
  c.eps = 0.1;
  Tensor one = pgd_attack(f, x, t, c, g);
  auto x0 = x.to_vector<float>(), want = x0;
  l2_step(want, loss_and_input_grad(f, x, t).grad, 784, 0.3, -1.0);
  project(want, x0, 784, Norm::L2, 0.1);
  auto got = one.to_vector<float>();
  double err = 0;
  for (size_t k = 0; k < got.size(); ++k) err = std::max(err, (double)std::abs(got[k] - want[k]));
  CHECK(err < 1e-6);
}

TEST_CASE("robust: restarts keep a fooling example whenever any restart found one") {
  PixelModel m = tiny_model(4);
  Tensor x = random_images(16, 8), y;
  {
    NoGradGuard ng;
    y = argmax(m.logits(x), 1);
  }
  LogitsFn f = [&](const Tensor& z) { return m.logits(z); };
  PgdConfig c;
  c.eps = 0.3;
  c.step = 0.1;
  c.steps = 3;
  c.random_start = true;
  auto fooled = [&](int64_t restarts) {
    c.restarts = restarts;
    Generator g(11);  // the first restart is the same attack in both calls
    NoGradGuard ng;
    auto p = argmax(m.logits(pgd_attack(f, x, y, c, g)), 1).to_vector<int64_t>();
    auto yv = y.to_vector<int64_t>();
    int n = 0;
    for (size_t i = 0; i < p.size(); ++i) n += p[i] != yv[i];
    return n;
  };
  CHECK(fooled(4) >= fooled(1));
  CHECK_THROWS_WITH_AS(fooled(0), doctest::Contains("restarts must be >= 1"), eg::Error);
}

TEST_CASE("robust: PixelModel normalizes inside, the fake ReLU is ReLU forward, identity backward") {
  Generator g(0);
  auto net = nn::make_model({"lenet", 1, 10, "cifar", {4, 8, 16}}, g);
  PixelModel m(net, {0.25f}, {0.5f});
  Tensor x = random_images(2, 1);
  NoGradGuard ng;
  CHECK(amax(abs(m.logits(x) - net->forward((x - 0.25) * 2.0))).item() < 1e-6);
  CHECK(amax(abs(m.representation(x, true) - m.representation(x, false))).item() == 0);
  EnableGradGuard on;
  Tensor v = tensor({-2, -0.5, 0.5, 3});
  v.requires_grad_(true);
  Tensor out = fake_relu(v);
  CHECK(out.to_vector<float>() == std::vector<float>{0, 0, 0.5f, 3});
  CHECK(autograd::grad(sum(out * tensor({1, 2, 3, 4})), {v})[0].to_vector<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(PixelModel(net, {0.5f}, {0.0f}), doctest::Contains("std must be positive"), eg::Error);
}

TEST_CASE("robust: inversion lowers the relative representation error, 0 steps returns the start") {
  PixelModel m = tiny_model(5);
  Tensor x = random_images(4, 9), start = random_images(4, 10);
  Tensor r;
  {
    NoGradGuard ng;
    r = m.representation(x, false);
  }
  double before;
  {
    NoGradGuard ng;
    before = mean(relative_representation_error(m, start, r, false)).item();
  }
  std::vector<float> err;
  InversionConfig c;
  c.step = 0.3;
  c.steps = 30;
  Tensor z = invert_representation(m, x, start, c, &err);
  double after = 0;
  for (float e : err) after += e / err.size();
  CHECK(after < 0.7 * before);
  CHECK(amin(z).item() >= 0);
  CHECK(amax(z).item() <= 1);
  c.steps = 0;
  CHECK(amax(abs(invert_representation(m, x, start, c) - start)).item() == 0);
}

TEST_CASE("robust: relabelling (D_det = y+1, D_rand never y) and random other start images") {
  Generator g(1);
  std::vector<int64_t> y = {0, 1, 9, 4};
  CHECK(relabel_targets(y, 10, Relabel::Det, g) == std::vector<int64_t>{1, 2, 0, 5});
  std::vector<int64_t> many(2000, 3);
  std::set<int64_t> seen;
  for (int64_t t : relabel_targets(many, 10, Relabel::Rand, g)) {
    CHECK(t != 3);
    seen.insert(t);
  }
  CHECK(seen.size() == 9);
  std::vector<int64_t> self = {0, 1, 2, 2, 1};
  for (int rep = 0; rep < 50; ++rep) {
    auto s = other_random_indices(self, 3, g);
    for (size_t i = 0; i < s.size(); ++i) CHECK((s[i] != self[i] && s[i] >= 0 && s[i] < 3));
  }
}

TEST_CASE("robust: index sets (first per class, every k-th by class)") {
  data::ImageDataset ds;
  ds.n = 12, ds.c = 1, ds.h = 1, ds.w = 1, ds.num_classes = 2;
  ds.pixels.assign(12, 0);
  ds.labels = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  CHECK(first_per_class(ds, 2) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(every_kth_by_class(ds, 3) == std::vector<int64_t>{0, 6, 1, 7});
  CHECK_THROWS_WITH_AS(first_per_class(ds, 7), doctest::Contains("class 0 has 6 images"), eg::Error);
}

TEST_CASE("robust: constructed sets are float and lossless through the image-set file") {
  fs::path dir = test::temp_dir("eg_test_robust_set");
  fs::create_directories(dir);
  data::ImageDataset ds;
  ds.n = 2, ds.c = 1, ds.h = 2, ds.w = 2, ds.num_classes = 3;
  ds.float_pixels = {0.1234567f, 1e-7f, 0.5f, 1.0f, 0, 0.25f, 0.75f, 0.3333333f};
  ds.labels = {2, 0};
  ds.class_names = {"a", "b", "c"};
  std::string path = (dir / "set.safetensors").string();
  data::save_image_set(path, ds, {{"kind", "d_det"}});
  std::map<std::string, std::string> meta;
  auto back = data::load_image_set(path, &meta);
  CHECK(back.float_pixels == ds.float_pixels);  // bit for bit: never re-quantised
  CHECK(back.labels == ds.labels);
  CHECK(back.num_classes == 3);
  CHECK(back.class_names == ds.class_names);
  CHECK(meta["kind"] == "d_det");
  auto sub = back.subset({1});
  CHECK(sub.float_pixels == std::vector<float>{0, 0.25f, 0.75f, 0.3333333f});
  float px[4];
  sub.image_to_float(0, px);
  CHECK(px[3] == 0.3333333f);
  test::write_u8_images((dir / "u8.safetensors").string(), {1, 1, 2, 2}, {0, 255, 51, 7}, {1});
  auto u8 = data::load_image_set((dir / "u8.safetensors").string());
  CHECK(!u8.is_float());
  CHECK(u8.pixels == std::vector<uint8_t>{0, 255, 51, 7});
  save_safetensors(path, {{"x", from_vector(std::vector<float>{0.5f, 1.5f, 0, 0}, {1, 1, 2, 2})},
                          {"y", from_vector(std::vector<int64_t>{0}, {1})}});
  CHECK_THROWS_WITH_AS(data::load_image_set(path), doctest::Contains("float pixel 1.5 is outside [0, 1]"), eg::Error);
  data::ImageDataset bad = ds;
  bad.labels = {2};
  CHECK_THROWS_WITH_AS(data::save_image_set(path, bad), doctest::Contains("labels for 2 images"), eg::Error);
  fs::remove_all(dir);
}

TEST_CASE("robust: train_robust smoke run on tiny data (both parts), its sets read back through --train-set") {
  if (!fs::exists(test::bin("train_robust"))) {
    MESSAGE("train_robust not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_robust");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 1000, 200, 10, 3);
  std::string out = (root / "out").string();
  std::string cmd = test::bin("train_robust") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model lenet --widths 4 8 16 --train-per-class 30 --invert-per-class 4 --epochs 3" +
                    " --adv-epochs 1 --nonrobust-epochs 2 --inverted-epochs 2 --batch-size 20 --lr 0.05 --schedule cosine" +
                    " --augment false --adv-eps 1 --adv-steps 2 --attack-eps 3 --attack-steps 4 --invert-step 0.3" +
                    " --invert-steps 5 --eval-eps 1 --eval-steps 3 --eval-every-kth 4 --threads 1 --plain --out " + out;
  REQUIRE(test::run_cmd(cmd) == 0);
  auto j = test::read_json(out + "/metrics.json");
  std::map<std::string, nlohmann::json> runs;
  for (auto& r : j["runs"]) runs[r["run"].get<std::string>()] = r["metrics"];
  REQUIRE(runs.size() == 6);
  CHECK(runs["standard"]["test_acc"].get<double>() > 0.3);  // chance 0.1
  for (std::string name : {"standard", "robust", "d_r", "d_nr"}) {
    double ra = runs[name]["robust_acc"].get<double>();
    CHECK((ra >= 0 && ra <= 1));
  }
  for (std::string name : {"d_det", "d_rand"}) CHECK(runs[name].contains("attack_success"));
  // The standard model's loss falls over its epochs.
  std::ifstream log(out + "/standard_seed0/log.csv");
  std::string header, first, line, last;
  std::getline(log, header);
  std::getline(log, first);
  while (std::getline(log, line)) last = line;
  auto loss = [](const std::string& row) { return std::stod(row.substr(row.find(',', row.find(',') + 1) + 1)); };
  CHECK(loss(last) < loss(first));
  for (std::string f : {"results.md", "inversions_seed0.png", "d_det_seed0.png", "sets/d_det_seed0.safetensors"})
    CHECK(fs::exists(out + "/" + f));
  auto set = data::load_image_set(out + "/sets/d_r_seed0.safetensors");
  CHECK(set.is_float());
  CHECK(set.n == 40);
  // Another trainer reads a constructed set through the shared --train-set flag.
  if (fs::exists(test::bin("train_erm"))) {
    std::string erm = test::bin("train_erm") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                      " --train-set " + out + "/sets/d_det_seed0.safetensors --model convnet --widths 4 4 4 --epochs 1" +
                      " --batch-size 20 --threads 1 --plain --out " + (root / "erm").string();
    auto [rc, text] = test::run_capture(erm);
    CHECK(rc == 0);
    CHECK(text.find("training on 300 images of --train-set") != std::string::npos);
  }
  // --eval-only on any model file.
  auto [rc, text] = test::run_capture(test::bin("train_robust") + " --eval-only --weights " + out +
                                      "/robust_seed0/model.safetensors --data-dir " + (root / "data").string() +
                                      " --eval-eps 1 --eval-steps 2 --threads 1");
  CHECK(rc == 0);
  CHECK(text.find("robust") != std::string::npos);
  fs::remove_all(root);
}
