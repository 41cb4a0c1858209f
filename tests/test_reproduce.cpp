// test_reproduce.cpp — tools/reproduce end to end in its --tiny mode (seconds, synthetic data), so the
// main job's pipeline cannot rot: trainers run, REPORT.md has the summary table and a section per paper
// with its key number, a second call resumes (skips finished trainers), an interrupted trainer continues
// with --resume, and --restart starts over.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool contains(const std::string& text, const std::string& what) {
  if (text.find(what) != std::string::npos) return true;
  MESSAGE("expected '", what, "' in:\n", text);
  return false;
}

}  // namespace

TEST_CASE("reproduce: --tiny runs the trainers, writes REPORT.md, resumes, and --restart starts over") {
  if (test::run_cmd("python3 --version") != 0) return (void)test::skip_test("python3 (tools/report.py) not installed");
  for (const char* t : {"train_erm", "train_cb", "train_m2m", "train_rpl", "train_sla", "train_rkd", "train_robust"})
    if (!fs::exists(test::bin(t))) return (void)test::skip_test(std::string(t) + " not built");
  fs::path root = test::temp_dir("eg_test_reproduce");
  fs::remove_all(root);
  std::string data = (root / "data").string(), out = (root / "report").string();
  test::write_tiny_mnist(data, 1000, 200, 10, 3);
  std::string base = std::string(EG_SOURCE_DIR) + "/tools/reproduce --tiny --no-build --bin " + EG_BIN_DIR +
                     " --data-dir " + data + " --out " + out;
  // Every trainer with --tiny settings that is built (the pipeline must hold for each).
  std::string cmd = base + " --only train_erm,train_cb,train_m2m,train_rpl,train_sla,train_rkd,train_robust";

  auto [rc, text] = test::run_capture(cmd);
  REQUIRE_MESSAGE(rc == 0, text);
  std::string report = slurp(fs::path(out) / "REPORT.md");
  CHECK(contains(report, "## Summary"));
  CHECK(contains(report, "| paper | trainer | claim | held here? | our key number | PyTorch pilot |"));
  CHECK(contains(report, "`train_erm`"));
  CHECK(contains(report, "`train_cb`"));
  CHECK(contains(report, "## Class-Balanced Loss Based on Effective Number of Samples"));
  // The key numbers come from metrics.json: train_erm's test accuracy is a number, not a dash.
  size_t at = report.find("| test acc: ");
  REQUIRE(at != std::string::npos);
  CHECK(std::isdigit((unsigned char)report[at + 12]));
  CHECK(contains(report, "bACC at mu=100, CB-softmax vs softmax"));
  for (const char* section : {"## M2m:", "## Learning Open Set Network", "## Self-supervised Label Augmentation",
                              "## Relational Knowledge Distillation", "## Adversarial Examples Are Not Bugs"})
    CHECK(contains(report, section));
  CHECK(slurp(fs::path(out) / "train_cb.status") == "done\n");
  CHECK(fs::exists(fs::path(out) / "train_cb" / "results.md"));

  // A second call skips both.
  auto [rc2, text2] = test::run_capture(cmd);
  CHECK(rc2 == 0);
  CHECK(contains(text2, "train_erm: finished earlier"));
  CHECK(contains(text2, "train_cb: finished earlier"));

  // An interrupted train_cb (no status, its config and finished runs kept) continues with --resume: the
  // finished runs are skipped, not retrained.
  fs::remove(fs::path(out) / "train_cb.status");
  auto [rc3, text3] = test::run_capture(cmd);
  CHECK(rc3 == 0);
  CHECK(contains(text3, "skip finished run"));
  CHECK(slurp(fs::path(out) / "train_cb.status") == "done\n");

  // --restart discards everything: train_erm runs again.
  auto [rc4, text4] = test::run_capture(base + " --restart --only train_erm");
  CHECK(rc4 == 0);
  CHECK(text4.find("finished earlier") == std::string::npos);
  CHECK(!fs::exists(fs::path(out) / "train_cb.status"));
  fs::remove_all(root);
}

TEST_CASE("reproduce: a trainer that is not one is refused before anything runs") {
  auto [rc, text] = test::run_capture(std::string(EG_SOURCE_DIR) + "/tools/reproduce --no-build --only train_nope");
  CHECK(rc == 2);
  CHECK(contains(text, "'train_nope' is not a trainer"));
}
