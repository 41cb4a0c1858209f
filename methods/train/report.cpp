// report.cpp — markdown result tables (see report.h).
#include "methods/train/report.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace eg::train {

static bool matches(const RunRecord& r, const std::string& run, const Json& subset) {
  if (r.run != run) return false;
  for (auto& [k, v] : subset.items())
    if (!r.params.contains(k) || r.params[k] != v) return false;
  return true;
}

MeanStd metric_over_seeds(const std::vector<RunRecord>& runs, const std::string& run, const Json& subset,
                          const std::string& metric) {
  std::vector<double> v;
  for (auto& r : runs)
    if (matches(r, run, subset) && r.metrics.contains(metric) && r.metrics[metric].is_number())
      v.push_back(r.metrics[metric].get<double>());
  MeanStd m;
  m.n = (int)v.size();
  if (v.empty()) return m;
  for (double x : v) m.mean += x;
  m.mean /= (double)v.size();
  if (v.size() > 1) {
    double s = 0;
    for (double x : v) s += (x - m.mean) * (x - m.mean);
    m.std = std::sqrt(s / (double)(v.size() - 1));
  }
  return m;
}

std::vector<double> per_class_over_seeds(const std::vector<RunRecord>& runs, const std::string& run,
                                         const Json& params_subset, int64_t num_classes) {
  std::vector<double> acc;
  for (int64_t c = 0; c < num_classes; ++c)
    acc.push_back(metric_over_seeds(runs, run, params_subset, "class_" + std::to_string(c) + "_acc").mean);
  return acc;
}

std::string pass_line(const std::string& what, bool ok) { return std::string(ok ? "PASS " : "FAIL ") + what + "\n"; }

std::string markdown_table(const std::vector<RunRecord>& runs, const std::vector<std::string>& group_by,
                           const std::vector<ReportColumn>& columns, bool percent) {
  // Rows in first-appearance order of (group params..., run).
  std::vector<std::pair<Json, std::string>> rows;
  for (auto& r : runs) {
    Json key = Json::object();
    for (auto& g : group_by)
      if (r.params.contains(g)) key[g] = r.params[g];
    bool seen = false;
    for (auto& [k, name] : rows) seen = seen || (k == key && name == r.run);
    if (!seen) rows.push_back({key, r.run});
  }
  std::string s = "|";
  for (auto& g : group_by) s += " " + g + " |";
  s += " run | seeds |";
  for (auto& c : columns) s += " " + c.title + " |";
  s += "\n|";
  for (size_t i = 0; i < group_by.size() + 2 + columns.size(); ++i) s += "---|";
  s += "\n";
  char buf[64];
  for (auto& [key, name] : rows) {
    s += "|";
    for (auto& g : group_by) s += " " + (key.contains(g) ? (key[g].is_string() ? key[g].get<std::string>() : key[g].dump()) : "") + " |";
    int n = metric_over_seeds(runs, name, key, columns.empty() ? "" : columns[0].metric).n;
    s += " " + name + " | " + std::to_string(n) + " |";
    for (auto& c : columns) {
      MeanStd m = metric_over_seeds(runs, name, key, c.metric);
      double f = percent ? 100.0 : 1.0;
      if (m.n == 0) std::snprintf(buf, sizeof buf, " – |");
      else if (m.n == 1) std::snprintf(buf, sizeof buf, " %.1f |", m.mean * f);
      else std::snprintf(buf, sizeof buf, " %.1f ± %.1f |", m.mean * f, m.std * f);
      s += buf;
    }
    s += "\n";
  }
  return s;
}

}  // namespace eg::train
