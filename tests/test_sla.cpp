// test_sla.cpp — the SLA method (sla.md §2, §6 unit tests) on top of the losses that test_losses_sla_rpl
// checks: transformation sets and their order, the expanded batch (row b·M + j = t_j(x_b)) against the
// joint labels, colour sets refusing grey images, each method's training loss recomputed by hand,
// aggregated inference against M separate passes, the independent batch sampler, and a smoke run of
// train_sla on tiny data (the loss falls, metrics.json has the keys).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "losses/cross_entropy.h"
#include "losses/sla.h"
#include "methods/sla/batch_sampler.h"
#include "methods/sla/inference.h"
#include "methods/sla/objective.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {
// [B, C, H, W] f32 with pixel value 1000·b + 100·c + 10·h + w: every pixel names its origin.
Tensor coded_images(int64_t B, int64_t C, int64_t H, int64_t W) {
  std::vector<float> v;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) v.push_back((float)(1000 * b + 100 * c + 10 * h + w));
  return from_vector(v, {B, C, H, W});
}
float px(const std::vector<float>& v, int64_t C, int64_t H, int64_t W, int64_t n, int64_t c, int64_t h, int64_t w) {
  return v[(size_t)(((n * C + c) * H + h) * W + w)];
}
nn::ModelSpec tiny_convnet(int64_t in_channels) { return {"convnet", in_channels, 0, "cifar", {4, 8, 8}, 0, true, false}; }
Tensor labels(std::vector<int64_t> v) { return from_vector(v, {(int64_t)v.size()}); }
}  // namespace

TEST_CASE("sla: transformation sets have the spec's sizes, order (rotation outer, colour inner) and permutations") {
  std::map<std::string, int64_t> sizes = {{"rotation", 4},        {"rotation2", 2},        {"color_perm", 6},
                                          {"color_perm3", 3},     {"rot_color_perm6", 6},  {"rot_color_perm12", 12},
                                          {"rot_color_perm24", 24}};
  for (auto& [name, m] : sizes) CHECK(sla::make_transformations(name).size() == m);
  CHECK(sla::make_transformations("rotation").turns == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(sla::make_transformations("rotation2").turns == std::vector<int64_t>{0, 2});
  CHECK(sla::colour_permutations() ==
        std::vector<std::vector<int64_t>>{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}});
  CHECK(sla::cyclic_colour_permutations() == std::vector<std::vector<int64_t>>{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}});
  auto t = sla::make_transformations("rot_color_perm6");  // {0°, 180°} × cyclic 3, j = r·3 + p
  CHECK(t.turns == std::vector<int64_t>{0, 0, 0, 2, 2, 2});
  CHECK(t.perms[4] == std::vector<int64_t>{1, 2, 0});
  auto t24 = sla::make_transformations("rot_color_perm24");
  CHECK(t24.turns[13] == 2);
  CHECK(t24.perms[13] == std::vector<int64_t>{0, 2, 1});
  CHECK(t24.perms[0] == std::vector<int64_t>{0, 1, 2});  // t_0 is the identity
  CHECK(t24.turns[0] == 0);
  CHECK_ERROR(sla::make_transformations("rotation4"), "unknown SLA transformation set 'rotation4'");
}

TEST_CASE("sla: rotation expansion puts rot90^j(x_b) at row b·M + j, four turns are the identity, non-square is refused") {
  const int64_t B = 2, C = 1, H = 3, W = 3;
  Tensor x = coded_images(B, C, H, W);
  auto t = sla::make_transformations("rotation");
  Tensor e = sla::expand_batch(x, t);
  REQUIRE(e.shape() == (Shape{B * 4, C, H, W}));
  auto in = x.to_vector<float>(), out = e.to_vector<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t k = 0; k < W; ++k) {
        CHECK(px(out, C, H, W, b * 4 + 0, 0, i, k) == px(in, C, H, W, b, 0, i, k));
        CHECK(px(out, C, H, W, b * 4 + 1, 0, i, k) == px(in, C, H, W, b, 0, k, W - 1 - i));  // sla.md §2.1, j = 1
        CHECK(px(out, C, H, W, b * 4 + 2, 0, i, k) == px(in, C, H, W, b, 0, H - 1 - i, W - 1 - k));
      }
  // A quarter turn applied four times (row 1 of each expansion, four times) returns x.
  Tensor r = x;
  for (int q = 0; q < 4; ++q) r = slice(sla::expand_batch(r, t), 0, 1, B * 4, 4);
  CHECK(r.to_vector<float>() == in);
  CHECK_ERROR(sla::expand_batch(coded_images(1, 1, 2, 3), t), "needs square images, got H = 2, W = 3");
  // 180° keeps the shape: rotation2 accepts a non-square image.
  CHECK(sla::expand_batch(coded_images(1, 1, 2, 3), sla::make_transformations("rotation2")).shape() == (Shape{2, 1, 2, 3}));
}

TEST_CASE("sla: colour permutations on 3×H×W images: distinct, in order, invertible, grey input is refused") {
  const int64_t H = 2, W = 2;
  // Channels constant 1, 2, 3 (CIFAR layout).
  std::vector<float> v;
  for (int64_t c = 0; c < 3; ++c) v.insert(v.end(), (size_t)(H * W), (float)(c + 1));
  Tensor x = from_vector(v, {1, 3, H, W});
  auto t = sla::make_transformations("color_perm");
  auto out = sla::expand_batch(x, t).to_vector<float>();
  std::set<std::vector<float>> distinct;
  for (int64_t j = 0; j < 6; ++j) {
    std::vector<float> chans;
    for (int64_t c = 0; c < 3; ++c) chans.push_back(px(out, 3, H, W, j, c, 1, 0));
    distinct.insert(chans);
    for (int64_t c = 0; c < 3; ++c) CHECK(chans[(size_t)c] == (float)(sla::colour_permutations()[(size_t)j][(size_t)c] + 1));
  }
  CHECK(distinct.size() == 6);
  // Permutation then its inverse: (1,2,0) and (2,0,1) are each other's inverse.
  auto cyc = sla::make_transformations("color_perm3");
  Tensor once = slice(sla::expand_batch(x, cyc), 0, 1, 2, 1);       // perm (1,2,0)
  Tensor back = slice(sla::expand_batch(once, cyc), 0, 2, 3, 1);    // then (2,0,1)
  CHECK(back.to_vector<float>() == v);
  CHECK(once.to_vector<float>() != v);
  for (auto name : {"color_perm", "color_perm3", "rot_color_perm6", "rot_color_perm12", "rot_color_perm24"})
    CHECK_ERROR(sla::expand_batch(coded_images(2, 1, 4, 4), sla::make_transformations(name)), "needs 3-channel images, got 1");
}

TEST_CASE("sla: a combined set applies rotation r and permutation p at j = r·P + p") {
  Tensor x = coded_images(2, 3, 3, 3);
  auto t = sla::make_transformations("rot_color_perm12");
  auto in = x.to_vector<float>(), out = sla::expand_batch(x, t).to_vector<float>();
  const int64_t b = 1, r = 1, p = 2, j = r * 3 + p;  // one quarter turn, permutation (2,0,1)
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t k = 0; k < 3; ++k)
        CHECK(px(out, 3, 3, 3, b * 12 + j, c, i, k) == px(in, 3, 3, 3, b, (c + 2) % 3, k, 2 - i));
}

TEST_CASE("sla: the expanded rows and the joint labels agree (row b·M + j holds t_j(x_b), label y_b·M + j)") {
  const int64_t B = 3, M = 4;
  Tensor x = coded_images(B, 1, 3, 3), y = labels({2, 0, 1});
  auto e = sla::expand_batch(x, sla::make_transformations("rotation")).to_vector<float>();
  auto joint = losses::sla_joint_labels(y, M).to_vector<int64_t>();
  auto rep = sla::repeat_labels(y, M).to_vector<int64_t>(), tl = sla::transformation_labels(B, M).to_vector<int64_t>();
  auto yv = y.to_vector<int64_t>();
  for (int64_t row = 0; row < B * M; ++row) {
    // Decode the copy from its pixels: image b has values in [1000·b, 1000·b + 22]; the top-left pixel of
    // rot90^j is (0,0), (0,2), (2,2), (2,0) of the original for j = 0..3.
    float tl_px = e[(size_t)(row * 9)];
    int64_t b = (int64_t)tl_px / 1000, code = (int64_t)tl_px % 1000;
    int64_t j = code == 0 ? 0 : code == 2 ? 1 : code == 22 ? 2 : 3;
    CHECK(row == b * M + j);
    CHECK(joint[(size_t)row] == yv[(size_t)b] * M + j);
    CHECK(rep[(size_t)row] == yv[(size_t)b]);
    CHECK(tl[(size_t)row] == j);
  }
}

TEST_CASE("sla: method names, heads per method") {
  CHECK(sla::method_names() == std::vector<std::string>{"baseline", "da", "mt", "sla", "sla_sd"});
  CHECK_ERROR(sla::parse_method("a"), "unknown SLA method 'a'");  // exact names, not the official substring test
  Generator g(0);
  sla::SlaNet sd(tiny_convnet(1), sla::Method::SLA_SD, 10, 4, g), mt(tiny_convnet(1), sla::Method::MT, 10, 4, g),
      da(tiny_convnet(1), sla::Method::DA, 10, 4, g);
  CHECK(sd.backbone->fc->weight.shape() == (Shape{40, 8}));
  CHECK(sd.aux->weight.shape() == (Shape{10, 8}));
  CHECK(mt.backbone->fc->weight.shape() == (Shape{10, 8}));
  CHECK(mt.aux->weight.shape() == (Shape{4, 8}));
  CHECK(!da.aux);
  CHECK(sla::head_metric_names(sla::Method::SLA_SD, "test") ==
        std::vector<std::string>{"test_acc", "test_acc_single", "test_acc_agg", "test_acc_sd"});
}

TEST_CASE("sla: each method's training loss equals the spec's formula recomputed by hand") {
  const int64_t B = 3, M = 4, N = 5;
  Tensor x = eg::test::rnd({B, 1, 8, 8}, 1, -1, 1, DType::F32), y = labels({4, 0, 2});
  auto t = sla::make_transformations("rotation");
  Tensor xe = sla::expand_batch(x, t);
  auto net_for = [&](sla::Method m) { Generator g(3); return std::make_shared<sla::SlaNet>(tiny_convnet(1), m, N, M, g); };
  {  // baseline: CE on x, no expansion
    auto net = net_for(sla::Method::Baseline);
    CHECK(sla::training_step(*net, x, y, t).loss.item() ==
          doctest::Approx(losses::cross_entropy(net->forward(x), y).item()).epsilon(1e-6));
  }
  {  // da: the original label on every copy
    auto net = net_for(sla::Method::DA);
    Tensor yy = from_vector(std::vector<int64_t>{4, 4, 4, 4, 0, 0, 0, 0, 2, 2, 2, 2}, {12});
    auto s = sla::training_step(*net, x, y, t);
    CHECK(s.loss.item() == doctest::Approx(losses::cross_entropy(net->forward(xe), yy).item()).epsilon(1e-6));
    CHECK(s.logits.size(0) == B);  // train accuracy on the untransformed copies
  }
  {  // mt: class CE + transformation CE over the B·M copies
    auto net = net_for(sla::Method::MT);
    Tensor z = net->features(xe);
    double want = losses::cross_entropy(net->backbone->fc->forward(z), sla::repeat_labels(y, M)).item() +
                  losses::cross_entropy(net->aux->forward(z), sla::transformation_labels(B, M)).item();
    auto s = sla::training_step(*net, x, y, t);
    CHECK(s.loss.item() == doctest::Approx(want).epsilon(1e-6));
    s.loss.backward();
    CHECK(amax(abs(net->aux->weight.grad())).item() > 0);  // the rotation head is trained
  }
  {  // sla: joint CE; train accuracy on rows b·M + 0 against y·M
    auto net = net_for(sla::Method::SLA);
    auto s = sla::training_step(*net, x, y, t);
    CHECK(s.loss.item() ==
          doctest::Approx(losses::cross_entropy(net->forward(xe), losses::sla_joint_labels(y, M)).item()).epsilon(1e-6));
    CHECK(s.labels.to_vector<int64_t>() == std::vector<int64_t>{16, 0, 8});
  }
  {  // sla_sd: the loss library's SD loss on the joint logits and u on the identity rows
    auto net = net_for(sla::Method::SLA_SD);
    Tensor z = net->features(xe);
    Tensor head = net->aux->forward(slice(z, 0, 0, B * M, M));
    double want = losses::sla_sd_loss(net->backbone->fc->forward(z), head, y, M, 2.0, 0.5).total.item();
    auto s = sla::training_step(*net, x, y, t, {2.0, 0.5, false});
    CHECK(s.loss.item() == doctest::Approx(want).epsilon(1e-6));
    s.loss.backward();
    CHECK(amax(abs(net->aux->weight.grad())).item() > 0);
    CHECK(amax(abs(net->backbone->fc->weight.grad())).item() > 0);
  }
  // A network built for another M is refused.
  auto net = net_for(sla::Method::SLA);
  CHECK_ERROR(sla::training_step(*net, x, y, sla::make_transformations("rotation2")), "built for M = 4");
}

TEST_CASE("sla: one expanded pass gives SI = the t_0 columns on x, and AG = the mean over M separate passes") {
  const int64_t B = 2, M = 4, N = 3;
  Generator g(5);
  sla::SlaNet net(tiny_convnet(1), sla::Method::SLA_SD, N, M, g);
  net.eval();  // running statistics: each copy's logits do not depend on the rest of the batch
  NoGradGuard ng;
  Tensor x = eg::test::rnd({B, 1, 6, 6}, 2, -1, 1, DType::F32);
  auto t = sla::make_transformations("rotation");
  sla::HeadLogits h = sla::infer(net, x, t);
  Tensor L0 = net.forward(x);  // [B, N·M]
  std::vector<double> single, agg((size_t)(B * N), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < N; ++k) single.push_back(L0.to_vector<double>()[(size_t)(b * N * M + k * M)]);
  for (int64_t j = 0; j < M; ++j) {
    // copy t_j of every image, in its own pass
    Tensor xj = slice(sla::expand_batch(x, t), 0, j, B * M, M);
    auto Lj = net.forward(xj).to_vector<double>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < N; ++k) agg[(size_t)(b * N + k)] += Lj[(size_t)(b * N * M + k * M + j)] / M;
  }
  CHECK_CLOSE(h.single, from_vector(single, {B, N}).to(DType::F32), 1e-5, 1e-5);
  CHECK_CLOSE(h.agg, from_vector(agg, {B, N}).to(DType::F32), 1e-5, 1e-5);
  CHECK_CLOSE(h.sd, net.aux->forward(net.features(x)), 1e-5, 1e-5);
  sla::SlaNet base(tiny_convnet(1), sla::Method::DA, N, M, g);
  base.eval();
  sla::HeadLogits hb = sla::infer(base, x, t);
  CHECK(!hb.agg.defined());
  CHECK(hb.single.shape() == (Shape{B, N}));
}

TEST_CASE("sla: the independent batch sampler draws distinct indices per batch, reproducibly, fresh each iteration") {
  sla::IndependentBatchSampler s(50, 20, 7, 6);
  auto e0 = s.batches(0), again = s.batches(0), e1 = s.batches(1);
  CHECK(e0 == again);
  REQUIRE(e0.size() == 6);
  CHECK(s.num_batches(3) == 6);
  for (auto& b : e0) {
    CHECK(b.size() == 20);
    CHECK(std::set<int64_t>(b.begin(), b.end()).size() == 20);
    for (auto i : b) CHECK((i >= 0 && i < 50));
  }
  CHECK(e0[0] != e0[1]);  // independent per iteration, not slices of one permutation...
  std::set<int64_t> first3;
  for (int i = 0; i < 3; ++i) first3.insert(e0[(size_t)i].begin(), e0[(size_t)i].end());
  CHECK(first3.size() < 50);  // ...so 60 draws of 50 indices repeat some (a permutation's slices would not)
  CHECK(e0 != e1);
  CHECK_ERROR(sla::IndependentBatchSampler(10, 11, 0, 1), "batch size 11 must be in [1, 10]");
}

TEST_CASE("sla: train_sla smoke run on tiny data: the loss falls and metrics.json has the issue's keys") {
  if (!fs::exists(test::bin("train_sla"))) {
    MESSAGE("train_sla not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_sla");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 600, 100, 10, 3);
  std::string cmd = test::bin("train_sla") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model convnet --widths 8 16 16 --methods baseline sla_sd --iterations 120 --iters-per-epoch 40" +
                    " --batch-size 32 --milestones 100 110 --val-per-class 5 --seeds 0 --threads 1 --plain --out " +
                    (root / "out").string();
  REQUIRE(test::run_cmd(cmd) == 0);
  auto j = test::read_json((root / "out" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 2);
  for (auto& r : j["runs"]) {
    auto& m = r["metrics"];
    CHECK(m["test_acc"].get<double>() > 0.3);  // chance 0.1
    if (r["run"] == "sla_sd") {
      CHECK(m["test_acc"] == m["test_acc_sd"]);
      for (auto k : {"test_acc_single", "test_acc_agg", "val_acc_agg"}) CHECK((m[k].get<double>() >= 0 && m[k].get<double>() <= 1));
    }
  }
  // log.csv: the first epoch's mean loss is above the last one's.
  std::ifstream log(root / "out" / "sla_sd_seed0" / "log.csv");
  std::string header, line;
  std::getline(log, header);
  std::vector<double> loss;
  while (std::getline(log, line)) loss.push_back(std::stod(line.substr(line.find(',', line.find(',') + 1) + 1)));
  REQUIRE(loss.size() == 3);
  CHECK(loss.back() < loss.front() - 0.3);
  CHECK(fs::exists(root / "out" / "results.md"));
  // A colour set on grey Fashion-MNIST is refused with the reason.
  auto [rc, text] = test::run_capture(test::bin("train_sla") + " --dataset fashion-mnist --data-dir " +
                                      (root / "data").string() + " --model convnet --methods sla --transformation " +
                                      "color_perm --iterations 2 --iters-per-epoch 1 --batch-size 4 --val-per-class 5 " +
                                      "--threads 1 --plain --out " + (root / "grey").string());
  CHECK(rc != 0);
  CHECK(text.find("needs 3-channel images") != std::string::npos);
  fs::remove_all(root);
}

TEST_CASE("sla: train_sla interrupted mid-epoch and resumed gives the uninterrupted run's metrics") {
  if (!fs::exists(test::bin("train_sla"))) {
    MESSAGE("train_sla not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_sla_resume");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 300, 50, 10, 4);
  std::string cmd = test::bin("train_sla") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --model convnet --widths 4 8 8 --methods sla --iterations 40 --iters-per-epoch 20 --batch-size 8" +
                    " --val-per-class 5 --seeds 0 --threads 1 --plain --out ";
  REQUIRE(test::run_cmd(cmd + (root / "full").string()) == 0);
  REQUIRE(test::run_cmd(cmd + (root / "cut").string() + " --debug-interrupt-after-steps 25") == 130);
  auto [rc, text] = test::run_capture(cmd + (root / "cut").string() + " --resume");
  REQUIRE(rc == 0);
  CHECK(text.find("continuing epoch 2 at batch 6") != std::string::npos);  // from the checkpoint, not afresh
  auto full = test::read_json((root / "full" / "metrics.json").string()),
       cut = test::read_json((root / "cut" / "metrics.json").string());
  REQUIRE(full["runs"].size() == 1);
  REQUIRE(cut["runs"].size() == 1);
  CHECK(full["runs"][0]["metrics"] == cut["runs"][0]["metrics"]);
  CHECK(full["runs"][0]["metrics"].contains("test_acc_agg"));
  fs::remove_all(root);
}
