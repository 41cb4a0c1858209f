// test_run_config.cpp — the pieces every trainer uses for config.json and --out, without running one:
// typed flag values, resolved values replacing flags, the resume diff, and the run-file guard.
#include <filesystem>
#include <fstream>

#include "methods/train/run_config.h"
#include "methods/train/run_guard.h"
#include "tests/test_util.h"

using namespace eg;
using namespace eg::train;
namespace fs = std::filesystem;

TEST_CASE("run_config: flags are typed (numbers, arrays, bools, strings) and resolved values replace them") {
  CLI::App app{"t"};
  int64_t epochs = 15, batch = 128;
  double lr = 0.1;
  std::vector<int64_t> widths;
  std::vector<double> mus = {100};
  std::string name = "resnet32";
  bool flag = false;
  app.add_option("--epochs", epochs)->capture_default_str();
  app.add_option("--batch-size", batch)->capture_default_str();
  app.add_option("--lr", lr)->capture_default_str();
  app.add_option("--widths", widths);
  app.add_option("--mu", mus)->capture_default_str();
  app.add_option("--model", name)->capture_default_str();
  app.add_flag("--plain", flag);
  const char* argv[] = {"t", "--batch-size", "64", "--widths", "8", "16", "--plain"};
  app.parse(7, const_cast<char**>(argv));
  Json c = run_config(app, "t", {{"epochs", 6}, {"eval_split", "test"}});
  CHECK(c["batch-size"] == 64);
  CHECK(c["lr"] == 0.1);
  CHECK(c["widths"] == Json({8, 16}));
  CHECK(c["mu"] == Json({100}));
  CHECK(c["model"] == "resnet32");
  CHECK(c["plain"] == true);
  CHECK(c["epochs"] == 6);  // the resolved value, not the flag's default
  CHECK(c["resolved"]["eval_split"] == "test");
  CHECK(c["trainer"] == "t");
}

TEST_CASE("run_config: the resume diff names each changed key once and ignores where output goes") {
  Json a = {{"lr", 0.1}, {"epochs", 2}, {"threads", 1}, {"out", "x"}, {"resolved", {{"epochs", 2}, {"milestones", {1, 2}}}}};
  Json b = {{"lr", 0.1}, {"epochs", 3}, {"threads", 2}, {"out", "y"}, {"resolved", {{"epochs", 3}, {"milestones", {1, 3}}}}};
  auto d = config_differences(a, b);
  REQUIRE(d.size() == 2);
  CHECK(d[0] == "epochs: was 2, now 3");
  CHECK(d[1] == "resolved.milestones: was [1,2], now [1,3]");
  CHECK(config_differences(a, a).empty());
  b.erase("lr");
  CHECK(config_differences(a, b).size() == 3);  // a key gone is a difference too
}

TEST_CASE("run_guard: refuses a folder with results, --force deletes only a trainer's files") {
  fs::path d = test::temp_dir("eg_test_run_guard");
  fs::remove_all(d);
  fs::create_directories(d / "mu10" / "softmax_seed0");
  std::ofstream(d / "metrics.json") << "{}";
  std::ofstream(d / "mu10" / "softmax_seed0" / "log.csv") << "epoch\n";
  std::ofstream(d / "notes.txt") << "mine";
  CHECK(existing_run_files(d.string()) == std::vector<std::string>{"metrics.json", "mu10/softmax_seed0/log.csv"});
  Json cfg = {{"lr", 0.1}};
  CHECK_THROWS_WITH_AS(check_run_dir(d.string(), cfg, false, false), doctest::Contains("--force"), Error);
  CHECK_THROWS_WITH_AS(check_run_dir(d.string(), cfg, true, false), doctest::Contains("no config.json"), Error);
  CHECK_THROWS_AS(check_run_dir(d.string(), cfg, true, true), Error);  // --resume and --force together
  CHECK_THROWS_WITH_AS(check_run_dir(d.string(), cfg, false, true, {(d / "metrics.json").string()}),
                       doctest::Contains("--force would delete"), Error);
  open_run_dir(d.string(), cfg, false, true);
  CHECK(existing_run_files(d.string()) == std::vector<std::string>{"config.json"});
  CHECK(fs::exists(d / "notes.txt"));
  CHECK(!fs::exists(d / "mu10"));
  CHECK_NOTHROW(check_run_dir(d.string(), cfg, true, false));  // same settings: resumable
  fs::remove_all(d);
}
