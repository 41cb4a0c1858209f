// test_report.cpp — the results tables and checks every paper trainer writes (methods/train/report.h):
// mean ± sample std over seeds, rows grouped by params, per-class seed means, PASS / FAIL lines.
#include "methods/train/report.h"
#include "tests/test_util.h"

using namespace eg;
using namespace eg::train;

static RunRecord rec(const std::string& run, uint64_t seed, double mu, double acc, double c0, double c1) {
  RunRecord r;
  r.run = run, r.seed = seed;
  r.params = {{"mu", mu}};
  r.metrics = {{"balanced_acc", acc}, {"class_0_acc", c0}, {"class_1_acc", c1}};
  return r;
}

TEST_CASE("report: seed means, sample std, grouping by params, per-class means and PASS / FAIL lines") {
  std::vector<RunRecord> runs = {rec("erm", 0, 100, 0.70, 0.9, 0.5), rec("erm", 1, 100, 0.80, 0.7, 0.9),
                                 rec("erm", 0, 10, 0.90, 1.0, 0.8), rec("cb", 0, 100, 0.75, 0.6, 0.9)};
  MeanStd m = metric_over_seeds(runs, "erm", {{"mu", 100}}, "balanced_acc");
  CHECK(m.n == 2);
  CHECK(m.mean == doctest::Approx(0.75));
  CHECK(m.std == doctest::Approx(0.0707107));  // n − 1 in the denominator
  CHECK(metric_over_seeds(runs, "erm", Json::object(), "balanced_acc").n == 3);
  CHECK(metric_over_seeds(runs, "erm", {{"mu", 100}}, "no_such_metric").n == 0);
  std::vector<double> pc = per_class_over_seeds(runs, "erm", {{"mu", 100}}, 2);
  REQUIRE(pc.size() == 2);
  CHECK(pc[0] == doctest::Approx(0.8));
  CHECK(pc[1] == doctest::Approx(0.7));
  std::string t = markdown_table(runs, {"mu"}, {{"balanced_acc", "bACC"}});
  CHECK(t.find("| 100.0 | erm | 2 | 75.0 ± 7.1 |") != std::string::npos);
  CHECK(t.find("| 10.0 | erm | 1 | 90.0 |") != std::string::npos);
  CHECK(t.find("| 100.0 | cb | 1 | 75.0 |") != std::string::npos);
  CHECK(pass_line("1. x >= y", true) == "PASS 1. x >= y\n");
  CHECK(pass_line("2. z", false) == "FAIL 2. z\n");
}
