// test_rkd.cpp — the RKD method (methods/rkd/): objectives (weights, ℓ2 normalization, the classification
// KD mix) against hand-built values and finite differences, embedding model files (ours and torchvision
// names), nearest neighbours and the retrieval grid, the class-disjoint splits, the --quick verdicts, and
// smoke runs of train_rkd on tiny data (the RKD losses fall; a saved teacher is reused).
// The losses themselves (L_D, L_A, DWS, Recall@K) are tested in test_losses_metric.cpp / test_metrics.cpp.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/safetensors.h"
#include "losses/cross_entropy.h"
#include "losses/distillation.h"
#include "losses/rkd.h"
#include "methods/rkd/embedding_model.h"
#include "methods/rkd/objective.h"
#include "methods/rkd/protocol.h"
#include "methods/rkd/report.h"
#include "methods/rkd/retrieval_grid.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {
Tensor rows(std::vector<double> v, int64_t d) { return from_vector(v, {(int64_t)v.size() / d, d}); }

data::ImageDataset tiny_set(std::vector<int64_t> labels, int64_t classes) {
  data::ImageDataset ds;
  ds.n = (int64_t)labels.size(), ds.c = 1, ds.h = 2, ds.w = 2;
  ds.labels = labels;
  ds.num_classes = classes;
  for (int64_t i = 0; i < ds.n; ++i)
    for (int k = 0; k < 4; ++k) ds.pixels.push_back((uint8_t)(10 * i + k));
  return ds;
}
}  // namespace

TEST_CASE("rkd: l2_normalize divides rows by max(norm, 1e-12), keeps a zero row finite, has exact gradients") {
  auto v = rkd::l2_normalize(rows({3, 4, 0, 0, 0, 0}, 2)).to_vector<double>();
  CHECK(v[0] == doctest::Approx(0.6));
  CHECK(v[1] == doctest::Approx(0.8));
  CHECK(v[2] == 0.0);  // 0 / 1e-12, not NaN
  Tensor x = test::rnd({4, 3}, 7);
  test::check_grad([](auto& in) { return sum(mul(rkd::l2_normalize(in[0]), rows({1, 2, 3, -1, 0, 2, 1, 1, 1, 0, -2, 5}, 3))); },
                   {x});
}

TEST_CASE("rkd: the spec's run names map to their weights, unknown names are refused") {
  CHECK(rkd::distill_weights("rkd_da").d == 1);
  CHECK(rkd::distill_weights("rkd_da").a == 2);
  CHECK(rkd::distill_weights("rkd_d").a == 0);
  CHECK(rkd::distill_weights("rkd_a").a == 2);
  CHECK(rkd::distill_weights("rkd_a").d == 0);
  CHECK_ERROR(rkd::distill_weights("rkd_x"), "unknown RKD run 'rkd_x'");
  auto all = rkd::kd_weights("ce_hkd_rkd_da");
  CHECK(all.hkd == 16);
  CHECK(all.d == 25);
  CHECK(all.a == 50);
  CHECK(all.temperature == 4);
  CHECK(rkd::kd_weights("ce_rkd_d").a == 0);
  CHECK(rkd::kd_weights("ce").hkd == 0);
  CHECK_ERROR(rkd::kd_weights("hkd"), "unknown classification KD run 'hkd'");
}

TEST_CASE("rkd: distill_loss is 1·L_D + 2·L_A, logs both terms, and a zero-weight term sends no gradient") {
  Tensor s = test::rnd({6, 3}, 1), t = test::rnd({6, 5}, 2).detach();
  double ld = losses::rkd_distance_loss(s, t).item(), la = losses::rkd_angle_loss(s, t).item();
  auto da = rkd::distill_loss(s, t, rkd::distill_weights("rkd_da"));
  CHECK(da.total.item() == doctest::Approx(ld + 2 * la).epsilon(1e-12));
  CHECK(da.loss_d == doctest::Approx(ld).epsilon(1e-12));
  CHECK(da.loss_a == doctest::Approx(la).epsilon(1e-12));
  auto d = rkd::distill_loss(s, t, rkd::distill_weights("rkd_d"));
  CHECK(d.total.item() == doctest::Approx(ld).epsilon(1e-12));
  CHECK(d.loss_a == doctest::Approx(la).epsilon(1e-12));  // measured although not trained on
  d.total.backward();
  Tensor g_d = s.grad().clone();
  s.zero_grad();
  losses::rkd_distance_loss(s, t).backward();
  CHECK(test::compare(g_d, s.grad(), 1e-14, 0) == "");
  CHECK_ERROR(rkd::distill_loss(s, t, {0, 0}), "both weights are 0");
}

TEST_CASE("rkd: triplet_dws_loss is 0 for separated classes and positive for mixed ones") {
  // Two tight classes at opposite ends: every negative is at distance 2 >= 1.4, so DWS falls back to
  // uniform negatives and every triplet satisfies the 0.2 margin.
  Tensor x = rows({1, 0, 1, 0, 1, 0, -1, 0, -1, 0, -1, 0}, 2);
  Tensor y = from_vector(std::vector<int64_t>{0, 0, 0, 1, 1, 1}, {6});
  Generator g(3);
  CHECK(rkd::triplet_dws_loss(x, y, g).item() == doctest::Approx(0.0).epsilon(1e-9));
  // Classes interleaved on the unit circle: positives are farther than some negatives.
  Tensor z = rkd::l2_normalize(rows({1, 0, 0, 1, -1, 0.1, 0.9, 0.3, 0.2, 1, -1, -0.2}, 2));
  Generator g2(3);
  CHECK(rkd::triplet_dws_loss(z, y, g2).item() > 0.1);
}

TEST_CASE("rkd: classification KD = CE + 16·KL + 25·L_D + 50·L_A on l2-normalized pooled features") {
  Tensor zs = test::rnd({5, 4}, 3), fs = test::rnd({5, 6}, 4);
  Tensor zt = test::rnd({5, 4}, 5).detach(), ft = test::rnd({5, 8}, 6).detach();
  Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 1}, {5});
  Tensor fsn = rkd::l2_normalize(fs), ftn = rkd::l2_normalize(ft);
  double want = losses::cross_entropy(zs, y).item() + 16 * losses::hinton_kd_loss(zs, zt, 4).item() +
                25 * losses::rkd_distance_loss(fsn, ftn).item() + 50 * losses::rkd_angle_loss(fsn, ftn).item();
  CHECK(rkd::classification_kd_loss(zs, fs, y, zt, ft, rkd::kd_weights("ce_hkd_rkd_da")).item() ==
        doctest::Approx(want).epsilon(1e-12));
  CHECK(rkd::classification_kd_loss(zs, fs, y, zt, ft, rkd::kd_weights("ce")).item() ==
        doctest::Approx(losses::cross_entropy(zs, y).item()).epsilon(1e-12));
  // ℓ2 first: scaling a sample's features changes neither relational term.
  Tensor scale = from_vector(std::vector<double>{1, 3, 0.5, 2, 7}, {5, 1});
  auto w = rkd::kd_weights("ce_rkd_da");
  CHECK(rkd::classification_kd_loss(zs, mul(fs, scale), y, zt, ft, w).item() ==
        doctest::Approx(rkd::classification_kd_loss(zs, fs, y, zt, ft, w).item()).epsilon(1e-10));
  test::check_grad([&](auto& v) { return rkd::classification_kd_loss(v[0], v[1], y, zt, ft, rkd::kd_weights("ce_hkd_rkd_da")); },
                   {zs, fs});
}

TEST_CASE("rkd: torchvision names, and a torchvision-named ResNet file loads as a teacher with its outputs") {
  CHECK(rkd::torchvision_key("module.base.layer1.0.conv1.weight") == "layer1.0.conv1.weight");
  CHECK(rkd::torchvision_key("linear.weight") == "fc.weight");
  CHECK(rkd::torchvision_key("base.fc.bias") == "fc.bias");
  CHECK(rkd::torchvision_key("bn1.running_mean") == "bn1.running_mean");
  fs::path dir = test::temp_dir("eg_test_rkd_tv");
  fs::create_directories(dir);
  Generator g(11);
  nn::ModelSpec spec{"resnet18", 3, 7, "imagenet"};
  auto net = nn::make_model(spec, g);
  net->eval();
  std::vector<std::pair<std::string, Tensor>> w;  // the official RKD code's names: base.* and linear.*
  for (auto& [k, t] : net->state_dict())
    w.emplace_back(k.rfind("fc.", 0) == 0 ? "linear." + k.substr(3) : "base." + k, t);
  save_safetensors((dir / "tv.safetensors").string(), w);
  auto m = rkd::load_embedding_model((dir / "tv.safetensors").string(), true);
  CHECK(m.info.spec.name == "resnet18");
  CHECK(m.dim() == 7);
  CHECK(m.l2);
  Tensor x = test::rnd({2, 3, 32, 32}, 12).detach().to(DType::F32);
  NoGradGuard ng;
  CHECK(test::compare(m.embed(x), rkd::l2_normalize(net->forward(x)), 1e-5, 1e-5) == "");
  // Our own file says whether its embedding is normalized.
  rkd::EmbeddingModel own = m;
  own.l2 = false;
  rkd::save_embedding_model((dir / "own.safetensors").string(), own);
  auto back = rkd::load_embedding_model((dir / "own.safetensors").string(), true);
  CHECK_FALSE(back.l2);
  CHECK(test::compare(back.embed(x), net->forward(x), 1e-6, 0) == "");
  // A file that is not a ResNet is refused by name.
  save_safetensors((dir / "bad.safetensors").string(), {{"weight", zeros({2, 2})}});
  CHECK_ERROR(rkd::load_embedding_model((dir / "bad.safetensors").string()), "neither an eigengrad model file nor");
  fs::remove_all(dir);
}

TEST_CASE("rkd: nearest neighbours exclude the query and break ties toward the lower index") {
  // 1-D points: 0, 1, -1, 2, 0 (index 4 duplicates the query 0).
  std::vector<float> x = {0, 1, -1, 2, 0};
  CHECK(rkd::nearest_neighbours(x, 5, 1, 0, 3) == std::vector<int64_t>{4, 1, 2});  // 1 and 2 tie: lower first
  CHECK(rkd::nearest_neighbours(x, 5, 1, 3, 10) == std::vector<int64_t>{1, 0, 4, 2});
  CHECK(rkd::queries_across_classes({2, 0, 0, 1, 2, 1}, 4) == std::vector<int64_t>{1, 3, 0, 2});
}

TEST_CASE("rkd: the retrieval grid counts the wrong neighbours it marks") {
  // Labels 0 0 1 1 on a line at 0, 5, 0.5, 10: image 2 (class 1) is the nearest to both class-0 images.
  auto ds = tiny_set({0, 0, 1, 1}, 2);
  std::vector<float> emb = {0, 5, 0.5, 10};
  fs::path png = test::temp_dir("eg_test_rkd_grid.png");
  CHECK(rkd::save_retrieval_grid(ds, emb, 1, {0, 1}, 1, png.string()) == 2);  // 0 -> 2 and 1 -> 2: both wrong
  CHECK(fs::exists(png));
  CHECK(rkd::save_retrieval_grid(ds, emb, 1, {0, 1, 2, 3}, 3, png.string()) == 8);  // 2 of 3 wrong for each
  fs::remove(png);
}

TEST_CASE("rkd: class-disjoint splits — Fashion-MNIST style, its validation variant, and pooled halves") {
  auto train = tiny_set({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, 4), test = tiny_set({3, 2, 1, 0, 3, 2}, 4);
  auto s = rkd::split_with_test_set(train, test, {0, 1}, {2, 3}, 0, 1);
  CHECK(s.train.n == 6);
  CHECK(s.unseen.n == 4);  // test images of classes 2, 3
  CHECK(s.seen.n == 2);    // test images of classes 0, 1
  CHECK(s.unseen.image(0)[0] == test.image(0)[0]);
  auto v = rkd::split_with_test_set(train, test, {0, 1}, {2, 3}, 1, 1);
  CHECK(v.train.n == 4);   // one image per training class held out
  CHECK(v.seen.n == 2);
  CHECK(v.unseen.n == 2);  // one train-split image per unseen class: the test split is untouched
  for (int64_t i = 0; i < v.unseen.n; ++i) CHECK(v.unseen.image(i)[0] % 40 >= 20);  // train images 2, 3, 6, 7, ...
  CHECK_ERROR(rkd::split_with_test_set(train, test, {0, 1}, {1, 2}, 0, 1), "both a training and an unseen class");
  auto p = rkd::split_pooled(train, test, 2, false);
  CHECK(p.train.n == 8);
  CHECK(p.unseen.n == 10);
  CHECK(p.seen.n == 0);
  auto pv = rkd::split_pooled(tiny_set({0, 1, 2, 3, 4, 5, 6, 7}, 8), tiny_set({7}, 8), 4, true);
  CHECK(pv.train.n == 3);   // classes 0-2 fit, class 3 (the last quarter of 4) validates
  CHECK(pv.unseen.n == 1);
}

TEST_CASE("rkd: --quick verdicts read the means over seeds and fail on missing runs") {
  auto rec = [](std::string run, uint64_t seed, train::Json m) { return train::RunRecord{run, seed, {}, m, 1, "test"}; };
  std::vector<train::RunRecord> runs = {
      rec("teacher", 0, {{"recall_at_1", 0.90}, {"recall_at_1_seen", 0.89}}),
      rec("triplet", 0, {{"recall_at_1", 0.815}}),
      rec("rkd_da", 0, {{"recall_at_1", 0.845}, {"loss_d_first", 0.2}, {"loss_d_last", 0.02}, {"loss_a_first", 0.16},
                        {"loss_a_last", 0.04}})};
  auto v = rkd::quick_pass_conditions(runs);
  CHECK(v.all_pass);
  CHECK(v.text.find("FAIL") == std::string::npos);
  runs[2].metrics["loss_a_last"] = 0.041;  // falls 3.9x: condition 3 fails
  v = rkd::quick_pass_conditions(runs);
  CHECK_FALSE(v.all_pass);
  CHECK(v.text.find("FAIL 3.") != std::string::npos);
  runs.erase(runs.begin());
  CHECK(rkd::quick_pass_conditions(runs).text.find("FAIL 1.") != std::string::npos);
  CHECK(rkd::claims(runs).find("held: RKD-DA student beats") != std::string::npos);
  CHECK(rkd::loss_table(runs).find("| rkd_da | 1 | 0.2000 | 0.0200 | 0.1600 | 0.0410 |") != std::string::npos);
}

TEST_CASE("rkd: train_rkd smoke run — teacher, triplet and RKD students, the RKD terms fall, a saved teacher is reused") {
  if (!fs::exists(test::bin("train_rkd"))) {
    MESSAGE("train_rkd not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_rkd");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 600, 200, 10, 4);
  std::string common = test::bin("train_rkd") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                       " --teacher-model convnet --teacher-widths 4 8 8 --teacher-dim 8 --student-model convnet"
                       " --student-widths 4 8 8 --student-dim 4 --teacher-lr 1e-2 --lr 1e-2 --teacher-epochs 2"
                       " --epochs 2 --iters-per-epoch 15 --teacher-milestones 1.5 --milestones 1.5 --m-per-class 6"
                       " --batch-size 30 --threads 1 --plain";
  auto [rc, text] = test::run_capture(common + " --runs teacher triplet rkd_da rkd_a --seeds 0 --out " + (root / "a").string());
  REQUIRE_MESSAGE(rc == 0, text);
  auto j = test::read_json((root / "a" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 4);
  for (auto& r : j["runs"]) {
    for (auto k : {"recall_at_1", "recall_at_2", "recall_at_4", "recall_at_8", "recall_at_1_seen"}) {
      double v = r["metrics"][k].get<double>();
      CHECK((v >= 0 && v <= 1));
    }
    if (r["run"] == "rkd_da" || r["run"] == "rkd_a") {
      auto& m = r["metrics"];
      CHECK(m["loss_d_last"].get<double>() < 0.7 * m["loss_d_first"].get<double>());
      CHECK(m["loss_a_last"].get<double>() < 0.7 * m["loss_a_first"].get<double>());
      CHECK(r["params"]["l2"] == false);
      CHECK(r["params"]["teacher_l2"] == true);
    }
  }
  CHECK(j["runs"][0]["run"] == "teacher");
  for (auto f : {"results.md", "recall_at_k.png", "retrieval_rkd_da.png", "rkd_da_seed0/losses.csv", "rkd_da_seed0/log.csv"})
    CHECK_MESSAGE(fs::exists(root / "a" / f), f);
  // Reuse: the first command's teacher distils a fresh student; the teacher's own Recall@K is re-measured.
  std::string teacher = (root / "a" / "teacher_seed0" / "model.safetensors").string();
  auto [rc2, text2] = test::run_capture(common + " --runs rkd_d --seeds 0 --teacher " + teacher + " --out " +
                                        (root / "b").string());
  REQUIRE_MESSAGE(rc2 == 0, text2);
  auto j2 = test::read_json((root / "b" / "metrics.json").string());
  REQUIRE(j2["runs"].size() == 2);
  CHECK(j2["runs"][0]["metrics"]["recall_at_1"].get<double>() ==
        doctest::Approx(j["runs"][0]["metrics"]["recall_at_1"].get<double>()).epsilon(1e-6));
  CHECK_FALSE(fs::exists(root / "b" / "teacher_seed0"));
  fs::remove_all(root);
}

TEST_CASE("rkd: train_rkd --task classification trains a CE teacher and KD students above chance") {
  if (!fs::exists(test::bin("train_rkd"))) {
    MESSAGE("train_rkd not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_rkd_cls");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 600, 200, 10, 5);
  auto [rc, text] = test::run_capture(
      test::bin("train_rkd") + " --task classification --dataset fashion-mnist --data-dir " + (root / "data").string() +
      " --teacher-model convnet --teacher-widths 4 8 8 --student-model convnet --student-widths 4 8 8 --teacher-epochs 3"
      " --epochs 3 --teacher-milestones 2.5 --milestones 2.5 --teacher-lr 0.05 --lr 0.05 --crop-padding 0 --batch-size 20"
      " --runs teacher ce ce_hkd_rkd_da --seeds 0"
      " --threads 1 --plain --out " + (root / "out").string());
  REQUIRE_MESSAGE(rc == 0, text);
  auto j = test::read_json((root / "out" / "metrics.json").string());
  REQUIRE(j["runs"].size() == 3);
  INFO(text);
  for (auto& r : j["runs"]) CHECK(r["metrics"]["test_acc"].get<double>() > 0.3);  // chance 0.1
  CHECK(j["runs"][2]["run"] == "ce_hkd_rkd_da");
  CHECK(text.find("HKD + RKD-DA") == std::string::npos);  // no ce_hkd run: no claim line
  fs::remove_all(root);
}

TEST_CASE("rkd: train_rkd interrupted in the teacher and in a student resumes to the same numbers and L_D / L_A trace") {
  if (!fs::exists(test::bin("train_rkd"))) {
    MESSAGE("train_rkd not built: skipped");
    return;
  }
  fs::path root = test::temp_dir("eg_test_rkd_resume");
  fs::remove_all(root);
  test::write_tiny_mnist((root / "data").string(), 400, 100, 10, 6);
  std::string cmd = test::bin("train_rkd") + " --dataset fashion-mnist --data-dir " + (root / "data").string() +
                    " --teacher-model convnet --teacher-widths 4 4 4 --teacher-dim 4 --student-model convnet"
                    " --student-widths 4 4 4 --student-dim 4 --teacher-lr 1e-2 --lr 1e-2 --teacher-epochs 2 --epochs 2"
                    " --iters-per-epoch 5 --teacher-milestones 1.5 --milestones 1.5 --m-per-class 4 --batch-size 20"
                    " --runs teacher rkd_da --seeds 0 --threads 1 --plain --out ";
  std::string a = (root / "a").string(), b = (root / "b").string();
  REQUIRE(test::run_cmd(cmd + a) == 0);
  // Step 7 of 10 stops the teacher; the resumed command finishes it and stops the student at its step 7.
  REQUIRE(test::run_cmd(cmd + b + " --debug-interrupt-after-steps 7") == 130);
  REQUIRE(test::run_cmd(cmd + b + " --resume --debug-interrupt-after-steps 7") == 130);
  REQUIRE(test::run_cmd(cmd + b + " --resume") == 0);
  auto text = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  CHECK(text(root / "a" / "rkd_da_seed0" / "losses.csv") == text(root / "b" / "rkd_da_seed0" / "losses.csv"));
  auto ja = test::read_json(a + "/metrics.json"), jb = test::read_json(b + "/metrics.json");
  REQUIRE(ja["runs"].size() == 2);
  REQUIRE(jb["runs"].size() == 2);
  for (size_t i = 0; i < 2; ++i) CHECK(ja["runs"][i]["metrics"] == jb["runs"][i]["metrics"]);
  fs::remove_all(root);
}
