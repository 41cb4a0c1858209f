// test_train.cpp — the training harness end to end on tiny synthetic data: train_erm learns (loss falls,
// accuracy beats chance) and writes every output file; a SIGKILL mid-epoch followed by --resume, and a
// Ctrl-C (SIGINT) mid-epoch followed by --resume, finish with exactly the train losses (log.csv) and
// metrics of an uninterrupted run.
#include <algorithm>
#include <csignal>
#include <filesystem>

#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {
struct TinyRun {
  fs::path root;
  std::string data;
  TinyRun(const std::string& name) {
    root = test::temp_dir("eg_test_train_" + name);
    fs::remove_all(root);
    fs::create_directories(root);
    data = (root / "data").string();
    test::write_tiny_mnist(data, 480, 80, 4, 1);
  }
  ~TinyRun() { fs::remove_all(root); }
  std::string erm(const std::string& out, const std::string& extra) const {
    return test::bin("train_erm") + " --data-dir " + data + " --model convnet --widths 8 16 16 --epochs 3 --batch-size 24" +
           " --lr 0.1 --schedule cosine --threads 1 --plain --out " + (root / out).string() + " " + extra;
  }
  double final_metric(const std::string& out, const std::string& key) const {
    auto j = test::read_json((root / out / "metrics.json").string());
    return j["runs"][0]["metrics"][key].get<double>();
  }
  // One column of out/log.csv as written (text, so that equal means bit for bit), one entry per epoch.
  std::vector<std::string> log_column(const std::string& out, const std::string& name) const {
    std::ifstream log(root / out / "log.csv");
    std::string header;
    std::getline(log, header);
    std::vector<std::string> cols, values;
    std::stringstream hs(header);
    for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
    size_t at = (size_t)(std::find(cols.begin(), cols.end(), name) - cols.begin());
    REQUIRE_MESSAGE(at < cols.size(), "log.csv has no column ", name, " (header: ", header, ")");
    for (std::string row; std::getline(log, row);) {
      if (row.empty()) continue;
      std::vector<std::string> vals;
      std::stringstream rs(row);
      for (std::string v; std::getline(rs, v, ',');) vals.push_back(v);
      values.push_back(at < vals.size() ? vals[at] : "");
    }
    return values;
  }
};
bool have_binary(const char* name) {
  if (fs::exists(test::bin(name))) return true;
  return !test::skip_test(std::string(name) + " not built");
}
}  // namespace

TEST_CASE("train: train_erm learns tiny data and writes config, log, metrics, checkpoint, weights, figures") {
  if (!have_binary("train_erm")) return;
  TinyRun t("erm");
  REQUIRE(test::run_cmd(t.erm("a", "")) == 0);
  fs::path a = t.root / "a";
  for (auto f : {"config.json", "log.csv", "metrics.json", "checkpoint.safetensors", "model.safetensors"})
    CHECK_MESSAGE(fs::exists(a / f), f);
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0)
    for (auto f : {"curves.png", "confusion.png", "per_class_acc.png"}) CHECK_MESSAGE(fs::exists(a / f), f);
  CHECK(t.final_metric("a", "test_acc") > 0.5);  // chance is 0.25
  std::ifstream log(a / "log.csv");
  std::string header;
  std::getline(log, header);
  CHECK(header.rfind("epoch,", 0) == 0);
  auto loss = t.log_column("a", "train_loss");
  REQUIRE(loss.size() == 3);
  CHECK(std::stod(loss.back()) < std::stod(loss.front()));
  auto cfg = test::read_json((a / "config.json").string());
  CHECK(cfg["trainer"] == "train_erm");
}

TEST_CASE("train: --val-per-class evaluates on held-out train images, never the test set") {
  if (!have_binary("train_erm")) return;
  TinyRun t("val");
  REQUIRE(test::run_cmd(t.erm("v", "--val-per-class 20 --pool 2")) == 0);
  auto cfg = test::read_json((t.root / "v" / "config.json").string());
  CHECK(cfg["resolved"]["eval_split"] == "val");
  CHECK(cfg["val-per-class"] == 20);
  CHECK(t.final_metric("v", "test_acc") > 0.5);
  REQUIRE(test::run_cmd(t.erm("t", "")) == 0);
  CHECK(test::read_json((t.root / "t" / "config.json").string())["resolved"]["eval_split"] == "test");
  // More held-out images than a class has: one clear error.
  CHECK(test::run_cmd(t.erm("bad", "--val-per-class 1000")) != 0);
}

TEST_CASE("train: SIGKILL mid-epoch, then --resume, gives the uninterrupted run's metrics") {
  if (!have_binary("train_erm")) return;
  TinyRun t("kill");
  REQUIRE(test::run_cmd(t.erm("full", "")) == 0);
  // 20 batches per epoch: step 30 is the middle of epoch 2; only the epoch-1 checkpoint survives.
  int rc = test::run_cmd(t.erm("killed", "--debug-kill-after-steps 30"));
  CHECK((rc == -1 || rc == 128 + SIGKILL));  // killed (the shell reports 137)
  CHECK(fs::exists(t.root / "killed" / "checkpoint.safetensors"));
  CHECK(!fs::exists(t.root / "killed" / "metrics.json"));
  REQUIRE(test::run_cmd(t.erm("killed", "--resume")) == 0);
  // Every epoch's train loss, as logged, bit for bit (accuracy over 80 test images would hide a small
  // drift); the final accuracies too.
  CHECK(t.log_column("killed", "train_loss") == t.log_column("full", "train_loss"));
  CHECK(t.final_metric("killed", "test_acc") == t.final_metric("full", "test_acc"));
  CHECK(t.final_metric("killed", "balanced_acc") == t.final_metric("full", "balanced_acc"));
  auto log_lines = [&](const std::string& out) {
    std::ifstream in(t.root / out / "log.csv");
    int n = 0;
    for (std::string l; std::getline(in, l);) n += !l.empty();
    return n;
  };
  CHECK(log_lines("killed") == log_lines("full"));  // the log has each epoch once
}

TEST_CASE("train: Ctrl-C mid-epoch saves a checkpoint, --resume continues exactly") {
  if (!have_binary("train_erm")) return;
  TinyRun t("sigint");
  REQUIRE(test::run_cmd(t.erm("full", "")) == 0);
  CHECK(test::run_cmd(t.erm("int", "--debug-interrupt-after-steps 30")) == 130);
  REQUIRE(test::run_cmd(t.erm("int", "--resume")) == 0);
  // Train losses bit for bit, the interrupted epoch too: its running sums go through the checkpoint with
  // 17 significant digits (methods/train/loop.cpp).
  auto full = t.log_column("full", "train_loss"), resumed = t.log_column("int", "train_loss");
  REQUIRE(resumed.size() == full.size());
  for (size_t e = 0; e < full.size(); ++e) {
    CAPTURE(e);
    CHECK(resumed[e] == full[e]);
  }
  CHECK(t.final_metric("int", "test_acc") == t.final_metric("full", "test_acc"));
}

TEST_CASE("train: bad flags and missing data give one clear line and a non-zero exit") {
  if (!have_binary("train_erm")) return;
  fs::path tmp = test::temp_dir("eg_test_train_flags");
  fs::create_directories(tmp);
  std::string err = (tmp / "err.txt").string();
  auto run_err = [&](const std::string& args) {
    int rc = std::system((test::bin("train_erm") + " " + args + " > /dev/null 2> " + err).c_str());
    std::ifstream in(err);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(rc, all);
  };
  auto [rc1, e1] = run_err("--epochs -3");
  CHECK(rc1 != 0);
  CHECK(e1.find("--epochs") != std::string::npos);
  auto [rc2, e2] = run_err("--model resnet99");
  CHECK(rc2 != 0);
  CHECK(e2.find("resnet99") != std::string::npos);
  auto [rc3, e3] = run_err("--data-dir /nonexistent --out " + (tmp / "o").string());
  CHECK(rc3 != 0);
  CHECK(e3.find("tools/fetch-data fashion-mnist") != std::string::npos);
  fs::remove_all(tmp);
}
