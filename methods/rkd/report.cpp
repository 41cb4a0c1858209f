// report.cpp — --quick verdicts (see report.h).
#include "methods/rkd/report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "methods/train/report.h"

namespace eg::rkd {

namespace {
using train::MeanStd;

MeanStd stat(const std::vector<train::RunRecord>& runs, const std::string& run, const std::string& metric) {
  return train::metric_over_seeds(runs, run, train::Json::object(), metric);
}

template <class... A>
std::string fmt(const char* f, A... a) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
}

// Per-seed R@1 of a run, by seed.
std::map<uint64_t, double> by_seed(const std::vector<train::RunRecord>& runs, const std::string& run) {
  std::map<uint64_t, double> m;
  for (auto& r : runs)
    if (r.run == run && r.metrics.contains("recall_at_1")) m[r.seed] = r.metrics["recall_at_1"].get<double>();
  return m;
}
}  // namespace

Verdict quick_pass_conditions(const std::vector<train::RunRecord>& runs) {
  Verdict v;
  auto add = [&](bool ok, const std::string& what) {
    v.text += train::pass_line(what, ok);
    v.all_pass = v.all_pass && ok;
  };
  MeanStd t1 = stat(runs, "teacher", "recall_at_1"), ts = stat(runs, "teacher", "recall_at_1_seen");
  add(t1.n && ts.n && t1.mean >= 0.87 && ts.mean >= 0.86,
      fmt("1. teacher R@1 >= 87 on classes 5-9 (%.2f) and >= 86 on classes 0-4 (%.2f)", 100 * t1.mean, 100 * ts.mean));
  MeanStd da = stat(runs, "rkd_da", "recall_at_1"), tr = stat(runs, "triplet", "recall_at_1");
  add(da.n && tr.n && da.mean >= tr.mean + 0.015 && da.mean >= 0.82 && da.mean <= 0.89,
      fmt("2. RKD-DA R@1 (%.2f) >= Student-Triplet R@1 (%.2f) + 1.5 and in [82, 89]", 100 * da.mean, 100 * tr.mean));
  MeanStd d0 = stat(runs, "rkd_da", "loss_d_first"), d1 = stat(runs, "rkd_da", "loss_d_last"),
          a0 = stat(runs, "rkd_da", "loss_a_first"), a1 = stat(runs, "rkd_da", "loss_a_last");
  add(d0.n && a0.n && d0.mean >= 4 * d1.mean && a0.mean >= 4 * a1.mean,
      fmt("3. RKD-DA's L_D (%.4f -> %.4f) and L_A (%.4f -> %.4f) each fall at least 4x", d0.mean, d1.mean, a0.mean,
          a1.mean));
  return v;
}

std::string claims(const std::vector<train::RunRecord>& runs) {
  std::string out;
  auto da = by_seed(runs, "rkd_da"), tr = by_seed(runs, "triplet");
  if (!da.empty() && !tr.empty()) {
    double lo = 1e9, hi = -1e9;
    for (auto& [s, r] : da)
      if (tr.count(s)) lo = std::min(lo, r - tr[s]), hi = std::max(hi, r - tr[s]);
    MeanStd a = stat(runs, "rkd_da", "recall_at_1"), b = stat(runs, "triplet", "recall_at_1");
    double spread = std::max(a.std, b.std);
    bool held = lo > 0 && (a.mean - b.mean) > spread;  // every seed, and beyond the seed spread
    out += std::string(held ? "- held" : "- not held") +
           fmt(": RKD-DA student beats the triplet-trained student on unseen classes: R@1 %.2f vs %.2f, gap per seed "
               "%+.2f to %+.2f (largest seed std %.2f)\n",
               100 * a.mean, 100 * b.mean, 100 * lo, 100 * hi, 100 * spread);
  }
  MeanStd t = stat(runs, "teacher", "recall_at_1"), s = stat(runs, "rkd_da", "recall_at_1");
  if (t.n && s.n)
    out += std::string(s.mean >= t.mean - 0.01 ? "- held" : "- not held") +
           fmt(": the RKD-DA student is close to (within 1 point of) or above its teacher: %.2f vs teacher %.2f "
               "(gap %+.2f)\n",
               100 * s.mean, 100 * t.mean, 100 * (s.mean - t.mean));
  MeanStd d = stat(runs, "rkd_d", "recall_at_1"), a = stat(runs, "rkd_a", "recall_at_1");
  if (s.n && d.n && a.n) {
    double spread = std::max({s.std, d.std, a.std});
    bool geq = s.mean >= d.mean && s.mean >= a.mean;
    bool beyond = s.mean - std::max(d.mean, a.mean) > spread;
    out += std::string(geq ? "- held" : "- not held") +
           fmt(": RKD-DA >= RKD-D and RKD-A: %.2f vs %.2f and %.2f", 100 * s.mean, 100 * d.mean, 100 * a.mean) +
           (geq && !beyond ? fmt(" (within seed noise, largest std %.2f)", 100 * spread) : std::string()) + "\n";
  }
  if (a.n && tr.size()) {
    MeanStd b = stat(runs, "triplet", "recall_at_1");
    out += std::string(a.mean > b.mean ? "- held" : "- not held") +
           fmt(": RKD-A alone beats the triplet student at equal dimension: %.2f vs %.2f\n", 100 * a.mean, 100 * b.mean);
  }
  MeanStd g1 = stat(runs, "gen1", "recall_at_1"), g2 = stat(runs, "gen2", "recall_at_1");
  if (t.n && g1.n)
    out += std::string(g1.mean > t.mean ? "- held" : "- not held") +
           fmt(": self-distillation Gen 1 beats Gen 0 (the teacher): R@1 %.2f vs %.2f\n", 100 * g1.mean, 100 * t.mean);
  if (g1.n && g2.n)
    out += fmt("- reported: Gen 2 vs Gen 1 (the paper: no further gain): R@1 %.2f vs %.2f\n", 100 * g2.mean, 100 * g1.mean);
  return out;
}

std::string loss_table(const std::vector<train::RunRecord>& runs) {
  std::vector<std::string> names;
  for (auto& r : runs)
    if (r.metrics.contains("loss_d_first") && std::find(names.begin(), names.end(), r.run) == names.end())
      names.push_back(r.run);
  std::string t = "| run | seeds | L_D first | L_D last | L_A first | L_A last |\n|---|---|---|---|---|---|\n";
  for (auto& n : names) {
    t += "| " + n + " | " + std::to_string(stat(runs, n, "loss_d_first").n) + " |";
    for (auto k : {"loss_d_first", "loss_d_last", "loss_a_first", "loss_a_last"}) {
      MeanStd m = stat(runs, n, k);
      t += m.n > 1 ? fmt(" %.4f ± %.4f |", m.mean, m.std) : fmt(" %.4f |", m.mean);
    }
    t += "\n";
  }
  return t;
}

}  // namespace eg::rkd
