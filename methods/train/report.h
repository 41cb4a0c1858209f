// report.h — the results table every multi-run trainer prints: one row per group of runs (same run
// name and parameters, different seeds), mean ± standard deviation (sample std, n−1) of each metric
// over the seeds, as a markdown table. Metrics are shown in percent when `percent` is set. Also the
// seed means trainers build their checks and figures from, and the PASS / FAIL line format of results.md
// (tools/report.py counts those lines).
#pragma once
#include <string>
#include <vector>

#include "methods/train/run_dir.h"

namespace eg::train {

struct ReportColumn {
  std::string metric;  // key in RunRecord::metrics
  std::string title;   // column header
};

// group_by: the params keys that, with the run name, define a row (e.g. {"mu"}).
std::string markdown_table(const std::vector<RunRecord>& runs, const std::vector<std::string>& group_by,
                           const std::vector<ReportColumn>& columns, bool percent = true);

// Mean and sample std of one metric over the runs matching (run, params subset); n = how many matched.
struct MeanStd {
  double mean = 0, std = 0;
  int n = 0;
};
MeanStd metric_over_seeds(const std::vector<RunRecord>& runs, const std::string& run, const Json& params_subset,
                          const std::string& metric);
// The seed means of class_<c>_acc, c = 0..K−1 (NaN-free: 0 where no run matched) [K].
std::vector<double> per_class_over_seeds(const std::vector<RunRecord>& runs, const std::string& run,
                                         const Json& params_subset, int64_t num_classes);

// "PASS <what>\n" or "FAIL <what>\n": one pass condition of a spec, as results.md writes it.
std::string pass_line(const std::string& what, bool ok);

}  // namespace eg::train
