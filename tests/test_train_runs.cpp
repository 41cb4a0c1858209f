// test_train_runs.cpp — runs and model files a user can trust (issue #23), end to end on tiny synthetic
// data: train_cb's fixed log schema and Ctrl-C + --resume in the last epoch; --resume refusing changed
// settings; --out refusing to overwrite without --resume/--force; self-describing model files run by
// `infer` on raw pixels, --init-from and --eval-only; flag validation; typed config.json; the README's
// output contract and tools/reproduce --help.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/safetensors.h"
#include "methods/data/idx.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

bool built(const char* name) {
  if (fs::exists(test::bin(name))) return true;
  MESSAGE(name, " not built: skipped");
  return false;
}

// The flags of `defaults` that `extra` does not give, then `extra` (CLI11 refuses a repeated option).
std::string flags(const std::vector<std::pair<std::string, std::string>>& defaults, const std::string& extra) {
  std::string cmd;
  for (auto& [f, v] : defaults)
    if ((" " + extra + " ").find(" " + f + " ") == std::string::npos) cmd += " " + f + (v.empty() ? "" : " " + v);
  return cmd + " " + extra;
}

// A sandbox with tiny data (4 classes for train_erm; train_cb's long tail needs the 10 of Fashion-MNIST);
// erm()/cb() build trainer command lines into it, extra flags replacing the defaults.
struct Sandbox {
  fs::path root;
  std::string data;
  explicit Sandbox(const std::string& name, int64_t classes = 4) {
    root = test::temp_dir("eg_test_runs_" + name);
    fs::remove_all(root);
    fs::create_directories(root);
    data = (root / "data").string();
    if (classes == 4) test::write_tiny_mnist(data, 480, 80, 4, 1);
    else test::write_tiny_mnist(data, 1000, 200, classes, 2);
  }
  ~Sandbox() { fs::remove_all(root); }
  std::string out(const std::string& o) const { return (root / o).string(); }
  std::string erm(const std::string& o, const std::string& extra) const {
    return test::bin("train_erm") + " --data-dir " + data + " --plain --out " + out(o) +
           flags({{"--model", "convnet"}, {"--widths", "8 16 16"}, {"--epochs", "2"}, {"--batch-size", "24"}, {"--threads", "1"}},
                 extra);
  }
  // mu 5 over 10 classes of 100: 496 images, 31 batches of 16 per epoch.
  std::string cb(const std::string& o, const std::string& extra) const {
    return test::bin("train_cb") + " --dataset fashion-mnist --data-dir " + data + " --plain --out " + out(o) +
           flags({{"--model", "convnet"}, {"--widths", "4 8 8"}, {"--mu", "5"}, {"--losses", "softmax"}, {"--epochs", "2"},
                  {"--batch-size", "16"}, {"--seeds", "0"}, {"--threads", "1"}},
                 extra);
  }
  nlohmann::json json(const std::string& rel) const { return test::read_json((root / rel).string()); }
};

bool has(const std::string& text, const std::string& what) {
  if (text.find(what) != std::string::npos) return true;
  MESSAGE("expected '", what, "' in:\n", text);
  return false;
}

std::vector<std::string> csv_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

// The value of column `col` in a log.csv line ("" when empty).
std::string csv_field(const std::string& header, const std::string& line, const std::string& col) {
  std::stringstream hs(header), ls(line);
  std::string h, v;
  while (std::getline(hs, h, ',')) {
    if (!std::getline(ls, v, ',')) v.clear();
    if (h == col) return v;
  }
  return "<no column>";
}

}  // namespace

// ---- 1. log.csv's schema is fixed, and train_cb resumes from a Ctrl-C in its last epoch ----
TEST_CASE("runs: train_cb Ctrl-C in the last epoch, then --resume, finishes as an uninterrupted run") {
  if (!built("train_cb")) return;
  Sandbox s("cb_resume", 10);
  // --eval-every 2: no evaluation after epoch 1, yet its log row already has the metric columns.
  REQUIRE(test::run_cmd(s.cb("full", "--eval-every 2")) == 0);
  auto [rc, text] = test::run_capture(s.cb("int", "--eval-every 2 --debug-interrupt-after-steps 34"));  // epoch 2, batch 3
  CHECK(rc == 130);
  CHECK(has(text, "interrupted at epoch 2 batch 3"));
  auto [rc2, text2] = test::run_capture(s.cb("int", "--eval-every 2 --resume"));
  REQUIRE(rc2 == 0);
  CHECK(has(text2, "1 of 2 epochs done, continuing epoch 2 at batch 4"));  // the same 1-based numbers
  auto metric = [&](const std::string& o, const std::string& k) { return s.json(o + "/metrics.json")["runs"][0]["metrics"][k]; };
  CHECK(metric("int", "balanced_acc") == metric("full", "balanced_acc"));
  auto log = csv_lines(fs::path(s.out("int")) / "mu5" / "softmax_seed0" / "log.csv");
  REQUIRE(log.size() == 3);
  CHECK(has(log[0], "epoch,lr,train_loss,train_acc,time_s,test_acc,balanced_acc,top5_acc,many_acc,medium_acc,few_acc"));
  CHECK(csv_field(log[0], log[1], "balanced_acc").empty());   // not evaluated after epoch 1
  CHECK(!csv_field(log[0], log[2], "balanced_acc").empty());  // evaluated after the last
}

TEST_CASE("runs: train_cb evaluates periodically by default, so log.csv holds test metrics") {
  if (!built("train_cb")) return;
  Sandbox s("cb_eval", 10);
  REQUIRE(test::run_cmd(s.cb("o", "")) == 0);
  auto log = csv_lines(fs::path(s.out("o")) / "mu5" / "softmax_seed0" / "log.csv");
  REQUIRE(log.size() == 3);
  CHECK(!csv_field(log[0], log[1], "test_acc").empty());
  // The official 5 / 160 / 180 scale to --epochs 2 (cb.md: warm-up 2.5%, x0.01 at 80% and 90%).
  auto cfg = s.json("o/config.json");
  CHECK(cfg["milestones"] == nlohmann::json({1.6, 1.8}));
  CHECK(cfg["warmup"].get<double>() == doctest::Approx(0.05));
  CHECK(cfg["eval-every"] == 1);
}

// ---- 2. --resume checks the stored settings ----
TEST_CASE("runs: --resume refuses settings that differ from the stored config and lists them") {
  if (!built("train_erm") || !built("train_cb")) return;
  Sandbox s("resume_cfg", 10);
  REQUIRE(test::run_cmd(s.erm("a", "")) == 0);
  auto [rc, text] = test::run_capture(s.erm("a", "--resume --lr 0.01 --dataset mnist"));
  CHECK(rc == 1);
  CHECK(has(text, "lr: was 0.1, now 0.01"));
  CHECK(has(text, "dataset: was \"fashion-mnist\", now \"mnist\""));
  CHECK(test::run_cmd(s.erm("a", "--resume --threads 2")) == 0);  // threads do not change the numbers
  REQUIRE(test::run_cmd(s.cb("c", "")) == 0);
  auto [rc2, text2] = test::run_capture(s.cb("c", "--resume --epochs 3 --widths 4 8 16"));
  CHECK(rc2 == 1);
  CHECK(has(text2, "epochs: was 2, now 3"));
  CHECK(has(text2, "widths: was [4,8,8], now [4,8,16]"));
  CHECK(text2.find("resolved.epochs") == std::string::npos);  // each difference once, under the flag's name
}

// ---- 3. --out never silently overwrites ----
TEST_CASE("runs: --out with earlier results is refused without --resume or --force, --force starts clean") {
  if (!built("train_erm") || !built("train_cb")) return;
  Sandbox s("overwrite", 10);
  REQUIRE(test::run_cmd(s.erm("a", "")) == 0);
  auto [rc, text] = test::run_capture(s.erm("a", "--lr 0.05"));
  CHECK(rc == 1);
  CHECK(has(text, "--force"));
  CHECK(has(text, "--resume"));
  { std::ofstream(fs::path(s.out("a")) / "stale.png") << "x"; }
  { std::ofstream(fs::path(s.out("a")) / "notes.txt") << "mine"; }
  REQUIRE(test::run_cmd(s.erm("a", "--lr 0.05 --force")) == 0);
  CHECK(!fs::exists(fs::path(s.out("a")) / "stale.png"));
  CHECK(fs::exists(fs::path(s.out("a")) / "notes.txt"));  // not a trainer's file: kept
  CHECK(s.json("a/metrics.json")["runs"].size() == 1);
  CHECK(s.json("a/config.json")["lr"] == 0.05);
  CHECK(test::run_cmd(s.erm("a", "--force --resume")) == 1);
  // train_cb: the table and metrics.json hold the new runs only.
  REQUIRE(test::run_cmd(s.cb("c", "")) == 0);
  REQUIRE(test::run_cmd(s.cb("c", "--force --losses cb_softmax")) == 0);
  auto runs = s.json("c/metrics.json")["runs"];
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["run"] == "cb_softmax");
  CHECK(!fs::exists(fs::path(s.out("c")) / "mu5" / "softmax_seed0"));
}

// ---- 4. self-describing model files, infer on raw pixels, --init-from, --eval-only ----
TEST_CASE("runs: infer runs a trainer's model with nothing else, raw uint8 and [0, 1] pixels give its test accuracy") {
  if (!built("train_erm") || !built("infer")) return;
  Sandbox s("infer");
  REQUIRE(test::run_cmd(s.erm("a", "--pool 2")) == 0);  // a non-default architecture detail
  double trainer_acc = s.json("a/metrics.json")["runs"][0]["metrics"]["test_acc"];
  auto model = load_safetensors(s.out("a/model.safetensors"));
  CHECK(model.metadata["input_shape"] == "[1,28,28]");
  CHECK(has(model.metadata["spec"], "\"pool\":2"));
  CHECK(has(model.metadata["mean"], "0.28"));
  CHECK(model.metadata["dataset"] == "fashion-mnist");
  // The test images as a user exports them: uint8 0-255, and float in [0, 1].
  data::ImageDataset test = data::load_mnist_dir(s.data + "/fashion-mnist", false);
  std::string u8 = s.out("u8.safetensors"), f32 = s.out("f32.safetensors");
  test::write_u8_images(u8, {test.n, 1, 28, 28}, test.pixels, test.labels);
  std::vector<float> px(test.pixels.begin(), test.pixels.end());
  for (auto& p : px) p /= 255.0f;
  save_safetensors(f32, {{"x", from_vector(px, {test.n, 28, 28})}, {"y", from_vector(test.labels, {test.n})}});
  auto accuracy_of = [&](const std::string& weights, const std::string& input) {
    auto [rc, text] = test::run_capture(test::bin("infer") + " --weights " + weights + " --input " + input + " --output " +
                                        s.out("pred.safetensors"));
    REQUIRE_MESSAGE(rc == 0, text);
    CHECK(has(text, "accuracy"));
    auto pred = load_safetensors(s.out("pred.safetensors")).find("pred")->to_vector<int64_t>();
    int64_t correct = 0;
    for (int64_t i = 0; i < test.n; ++i) correct += pred[(size_t)i] == test.labels[(size_t)i];
    return (double)correct / (double)test.n;
  };
  CHECK(accuracy_of(s.out("a/model.safetensors"), u8) == doctest::Approx(trainer_acc).epsilon(1e-9));
  CHECK(accuracy_of(s.out("a/model.safetensors"), f32) == doctest::Approx(trainer_acc).epsilon(1e-9));
  CHECK(accuracy_of(s.out("a/checkpoint.safetensors"), u8) == doctest::Approx(trainer_acc).epsilon(1e-9));
  // Pixels in 0-255 stored as floats are not silently mis-scaled.
  for (auto& p : px) p *= 255.0f;
  save_safetensors(f32, {{"x", from_vector(px, {test.n, 1, 28, 28})}});
  auto [rc, text] = test::run_capture(test::bin("infer") + " --weights " + s.out("a/model.safetensors") + " --input " + f32);
  CHECK(rc == 1);
  CHECK(has(text, "expected raw pixels in [0, 1]"));
}

TEST_CASE("runs: --eval-only with --init-from reproduces the accuracy, --init-from fine-tunes, another architecture is refused") {
  if (!built("train_erm")) return;
  Sandbox s("init");
  REQUIRE(test::run_cmd(s.erm("a", "")) == 0);
  std::string w = " --init-from " + s.out("a/model.safetensors");
  REQUIRE(test::run_cmd(s.erm("e", "--eval-only" + w)) == 0);
  CHECK(s.json("e/metrics.json")["runs"][0]["metrics"]["test_acc"] == s.json("a/metrics.json")["runs"][0]["metrics"]["test_acc"]);
  CHECK(!fs::exists(fs::path(s.out("e")) / "model.safetensors"));
  REQUIRE(test::run_cmd(s.erm("f", "--epochs 1 --lr 0.01" + w)) == 0);  // fine-tuning
  CHECK(s.json("f/metrics.json")["runs"][0]["metrics"]["test_acc"].get<double>() > 0.5);
  auto [rc, text] = test::run_capture(s.erm("g", "--widths 8 16 32" + w));
  CHECK(rc == 1);
  CHECK(has(text, "widths: file [8,16,16], this run [8,16,32]"));
  CHECK(test::run_cmd(s.erm("h", "--eval-only")) == 1);  // nothing to evaluate
  // --force never deletes the weights the command is about to read.
  auto [rc2, text2] = test::run_capture(s.erm("a", "--eval-only --force" + w));
  CHECK(rc2 == 1);
  CHECK(has(text2, "--force would delete"));
  CHECK(fs::exists(fs::path(s.out("a")) / "model.safetensors"));
}

// ---- 5. flags: validated as --help says, nothing silently ignored ----
TEST_CASE("runs: flags that cannot apply are refused with the flag's name") {
  if (!built("train_erm") || !built("train_cb")) return;
  Sandbox s("flags", 10);
  auto refused = [&](const std::string& cmd, const std::string& why) {
    auto [rc, text] = test::run_capture(cmd);
    CHECK_MESSAGE(rc != 0, cmd);
    CHECK(has(text, why));
  };
  refused(s.erm("x", "--epochs 0"), "--epochs");
  refused(s.erm("x", "--quick --dataset mnist"), "--quick fixes");
  refused(s.erm("x", "--model resnet20 --widths 8 16"), "--widths applies to --model convnet only");
  refused(s.erm("x", "--schedule cosine --milestones 1"), "--milestones applies to --schedule multistep only");
  refused(s.erm("x", "--milestones 3 1"), "--milestones must increase");
  refused(s.cb("x", "--batch-size 100000"), "--batch-size 100000 is larger than the long-tailed training set");
  refused(s.cb("x", "--milestones 150 180"), "--epochs");
  refused(s.cb("x", "--model resnet20"), "--widths applies");
  refused(s.cb("x", "--gamma 2"), "--gamma applies to the cb_focal loss only");
  CHECK(!fs::exists(s.out("x")));  // refused before anything was written
}

// ---- 6. config.json typed and resolved; wall_s of a resumed run; the evaluation split recorded ----
TEST_CASE("runs: config.json holds typed, resolved values, a resumed run's wall_s covers all of it") {
  if (!built("train_erm")) return;
  Sandbox s("config");
  REQUIRE(test::run_cmd(s.erm("a", "--debug-interrupt-after-steps 30")) == 130);  // 20 batches an epoch
  REQUIRE(test::run_cmd(s.erm("a", "--resume")) == 0);
  auto cfg = s.json("a/config.json");
  CHECK(cfg["batch-size"] == 24);
  CHECK(cfg["lr"] == 0.1);
  CHECK(cfg["plain"] == true);
  CHECK(cfg["widths"] == nlohmann::json({8, 16, 16}));
  CHECK(cfg["milestones"] == nlohmann::json({1.0, 1.5}));  // the ones used: 50% and 75% of 2 epochs
  auto log = csv_lines(fs::path(s.out("a")) / "log.csv");
  double sum = 0;
  for (size_t i = 1; i < log.size(); ++i) sum += std::stod(csv_field(log[0], log[i], "time_s"));
  CHECK(s.json("a/metrics.json")["runs"][0]["wall_s"].get<double>() >= sum - 0.1);
  CHECK(s.json("a/metrics.json")["runs"][0]["eval_split"] == "test");
  REQUIRE(test::run_cmd(s.erm("v", "--val-per-class 20")) == 0);
  CHECK(s.json("v/metrics.json")["runs"][0]["eval_split"] == "val");
  CHECK(s.json("v/config.json")["val-per-class"] == 20);
  auto vlog = csv_lines(fs::path(s.out("v")) / "log.csv");
  CHECK(has(vlog.at(0), "val_acc"));  // the log names the split it measures
  CHECK(vlog.at(0).find("test_acc") == std::string::npos);
  CHECK(s.json("v/metrics.json")["runs"][0]["metrics"].contains("test_acc"));  // the stable key stays
}

// ---- 7. the README's contract and tools/reproduce --help ----
TEST_CASE("runs: the README names every file a run writes and every log.csv column") {
  if (!built("train_erm")) return;
  Sandbox s("readme");
  REQUIRE(test::run_cmd(s.erm("a", "")) == 0);
  std::ifstream in(std::string(EG_SOURCE_DIR) + "/README.md");
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& e : fs::directory_iterator(s.out("a"))) CHECK(has(readme, "`" + e.path().filename().string() + "`"));
  auto log = csv_lines(fs::path(s.out("a")) / "log.csv");
  std::stringstream hs(log.at(0));
  for (std::string c; std::getline(hs, c, ',');) CHECK(has(readme, "`" + c + "`"));
  for (auto key : {"--init-from", "--eval-only", "--force", "--no-normalize", "train.txt", "uint8"}) CHECK(has(readme, key));
}

TEST_CASE("runs: tools/reproduce --help prints its usage and does nothing else") {
  auto [rc, text] = test::run_capture(std::string(EG_SOURCE_DIR) + "/tools/reproduce --help");
  CHECK(rc == 0);
  CHECK(has(text, "Usage: tools/reproduce"));
  CHECK(text.find("build") != std::string::npos);  // the usage explains what it builds
  CHECK(text.find("Configuring") == std::string::npos);  // and did not start cmake
}
