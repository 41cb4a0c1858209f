// report.h — the results table every multi-run trainer prints: one row per group of runs (same run
// name and parameters, different seeds), mean ± standard deviation (sample std, n−1) of each metric
// over the seeds, as a markdown table. Metrics are shown in percent when `percent` is set.
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

}  // namespace eg::train
