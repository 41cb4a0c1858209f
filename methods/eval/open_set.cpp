// open_set.cpp — open-set metrics; every definition (and its tie rule) is stated in open_set.h.
// Pairwise counts are kept as integers (twice the half-tie sum) so that AUROC and OSCR are exact.
#include "methods/eval/open_set.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "core/check.h"

namespace eg::eval {
namespace {

void check_scores(const char* fn, const std::vector<double>& known, const std::vector<double>& unknown) {
  ENGINE_CHECK(!known.empty() && !unknown.empty(), "eval::", fn,
               ": need at least one known and one unknown score, got Kn = ", known.size(),
               ", Nu = ", unknown.size());
  for (size_t i = 0; i < known.size(); ++i)
    ENGINE_CHECK(!std::isnan(known[i]), "eval::", fn, ": known_scores[", i, "] is NaN");
  for (size_t j = 0; j < unknown.size(); ++j)
    ENGINE_CHECK(!std::isnan(unknown[j]), "eval::", fn, ": unknown_scores[", j, "] is NaN");
}

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// 2 * sum over the selected knowns of #{j : u_j < s} + 0.5 * #{j : u_j == s} (half) or #{u_j < s} (official);
// unknown_sorted is ascending.
int64_t twice_pair_count(const std::vector<double>& known, const std::vector<bool>* select,
                         const std::vector<double>& unknown_sorted, bool half_ties) {
  int64_t twice = 0;
  for (size_t i = 0; i < known.size(); ++i) {
    if (select && !(*select)[i]) continue;
    const auto lo = std::lower_bound(unknown_sorted.begin(), unknown_sorted.end(), known[i]);
    const int64_t below = lo - unknown_sorted.begin();
    twice += 2 * below;
    if (half_ties) twice += std::upper_bound(lo, unknown_sorted.end(), known[i]) - lo;
  }
  return twice;
}

struct SweepState {
  int64_t tp, fp;  // knowns / unknowns still above the cut
};

// rpl.md's official sweep: Kn + Nu + 1 states from (Kn, Nu) down to (0, 0), known removed first on ties.
std::vector<SweepState> official_sweep(const std::vector<double>& known, const std::vector<double>& unknown) {
  const std::vector<double> k = sorted(known), u = sorted(unknown);
  std::vector<SweepState> states;
  states.reserve(k.size() + u.size() + 1);
  SweepState s{static_cast<int64_t>(k.size()), static_cast<int64_t>(u.size())};
  states.push_back(s);
  size_t a = 0, b = 0;
  while (a < k.size() || b < u.size()) {
    if (a < k.size() && (b == u.size() || k[a] <= u[b]))
      ++a, --s.tp;
    else
      ++b, --s.fp;
    states.push_back(s);
  }
  return states;
}

// sklearn's average precision with `pos` the positive scores and `neg` the negative ones.
double average_precision(const std::vector<double>& pos, const std::vector<double>& neg) {
  std::vector<std::pair<double, bool>> all;  // (score, is positive)
  all.reserve(pos.size() + neg.size());
  for (double s : pos) all.emplace_back(s, true);
  for (double s : neg) all.emplace_back(s, false);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const auto n_pos = static_cast<double>(pos.size());
  int64_t tp = 0, fp = 0, tp_prev = 0;
  double ap = 0;
  for (size_t r = 0; r < all.size();) {
    size_t e = r;  // [r, e) is one threshold: all scores equal to all[r].first
    while (e < all.size() && all[e].first == all[r].first) (all[e].second ? tp : fp) += 1, ++e;
    if (tp != tp_prev)
      ap += static_cast<double>(tp - tp_prev) / n_pos * static_cast<double>(tp) / static_cast<double>(tp + fp);
    tp_prev = tp;
    r = e;
  }
  return ap;
}

std::vector<double> negated(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), [](double x) { return -x; });
  return out;
}

// ARPL's compute_oscr, reproduced with integer counts: points (FP count, correct count) are
// (U_suf[r], C_suf[r+1]) for r = 0..n-2, then (0,0), (0,0) and (Nu, Kn), sorted descending, trapezoids.
double oscr_official(const std::vector<double>& known, const std::vector<bool>& correct,
                     const std::vector<double>& unknown) {
  const size_t kn = known.size(), n = kn + unknown.size();
  auto score = [&](size_t r) { return r < kn ? known[r] : unknown[r - kn]; };
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score(a) < score(b); });
  std::vector<int64_t> c_suf(n + 1, 0), u_suf(n + 1, 0);  // suffix counts over sorted positions
  for (size_t r = n; r-- > 0;) {
    const size_t i = idx[r];
    c_suf[r] = c_suf[r + 1] + (i < kn && correct[i]);
    u_suf[r] = u_suf[r + 1] + (i >= kn);
  }
  std::vector<std::pair<int64_t, int64_t>> pts;  // (unknowns above, correct knowns above)
  pts.reserve(n + 2);
  for (size_t r = 0; r + 1 < n; ++r) pts.emplace_back(u_suf[r], c_suf[r + 1]);
  pts.emplace_back(0, 0);  // the never-filled entry n-1
  pts.emplace_back(0, 0);
  pts.emplace_back(static_cast<int64_t>(unknown.size()), static_cast<int64_t>(kn));  // (FPR 1, CCR 1)
  std::sort(pts.begin(), pts.end(), std::greater<>());
  int64_t twice = 0;  // sum of dU * (C_j + C_{j+1})
  for (size_t j = 0; j + 1 < pts.size(); ++j)
    twice += (pts[j].first - pts[j + 1].first) * (pts[j].second + pts[j + 1].second);
  return static_cast<double>(twice) / (2.0 * static_cast<double>(kn) * static_cast<double>(unknown.size()));
}

}  // namespace

double auroc(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores,
             AurocTies ties) {
  check_scores("auroc", known_scores, unknown_scores);
  const int64_t twice =
      twice_pair_count(known_scores, nullptr, sorted(unknown_scores), ties == AurocTies::Half);
  return static_cast<double>(twice) /
         (2.0 * static_cast<double>(known_scores.size()) * static_cast<double>(unknown_scores.size()));
}

double dtacc(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores) {
  check_scores("dtacc", known_scores, unknown_scores);
  const auto kn = static_cast<double>(known_scores.size()), nu = static_cast<double>(unknown_scores.size());
  double best = 0;
  for (const SweepState& s : official_sweep(known_scores, unknown_scores))
    best = std::max(best, 0.5 * (static_cast<double>(s.tp) / kn + 1.0 - static_cast<double>(s.fp) / nu));
  return best;
}

double aupr_in(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores) {
  check_scores("aupr_in", known_scores, unknown_scores);
  const auto kn = static_cast<double>(known_scores.size());
  double area = 0, r_prev = 0, p_prev = 0;
  bool first = true;
  auto add = [&](double r, double p) {  // recall decreases along the sweep
    if (!first) area += (r_prev - r) * 0.5 * (p_prev + p);
    r_prev = r, p_prev = p, first = false;
  };
  for (const SweepState& s : official_sweep(known_scores, unknown_scores))
    if (s.tp + s.fp > 0)
      add(static_cast<double>(s.tp) / kn, static_cast<double>(s.tp) / static_cast<double>(s.tp + s.fp));
  add(0.0, 0.0);
  return area;
}

double aupr_out(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores) {
  check_scores("aupr_out", known_scores, unknown_scores);
  const auto kn = static_cast<int64_t>(known_scores.size()), nu = static_cast<int64_t>(unknown_scores.size());
  double area = 0, r_prev = 0, p_prev = 0;  // starts at the point (recall 0, precision 0)
  for (const SweepState& s : official_sweep(known_scores, unknown_scores)) {
    const int64_t tp_out = nu - s.fp, denom = (kn - s.tp) + (nu - s.fp);
    if (denom == 0) continue;
    const double r = static_cast<double>(tp_out) / static_cast<double>(nu);
    const double p = static_cast<double>(tp_out) / static_cast<double>(denom);
    area += (r - r_prev) * 0.5 * (p_prev + p);
    r_prev = r, p_prev = p;
  }
  return area;
}

double average_precision_in(const std::vector<double>& known_scores,
                            const std::vector<double>& unknown_scores) {
  check_scores("average_precision_in", known_scores, unknown_scores);
  return average_precision(known_scores, unknown_scores);
}

double average_precision_out(const std::vector<double>& known_scores,
                             const std::vector<double>& unknown_scores) {
  check_scores("average_precision_out", known_scores, unknown_scores);
  return average_precision(negated(unknown_scores), negated(known_scores));
}

double oscr(const std::vector<double>& known_scores, const std::vector<bool>& known_correct,
            const std::vector<double>& unknown_scores, OscrVariant variant) {
  check_scores("oscr", known_scores, unknown_scores);
  ENGINE_CHECK(known_correct.size() == known_scores.size(), "eval::oscr: known_correct must have Kn = ",
               known_scores.size(), " entries, got ", known_correct.size());
  if (variant == OscrVariant::Official) return oscr_official(known_scores, known_correct, unknown_scores);
  const int64_t twice = twice_pair_count(known_scores, &known_correct, sorted(unknown_scores), true);
  return static_cast<double>(twice) /
         (2.0 * static_cast<double>(known_scores.size()) * static_cast<double>(unknown_scores.size()));
}

double oscr(const std::vector<double>& known_scores, const std::vector<int64_t>& predictions,
            const std::vector<int64_t>& labels, int64_t k, const std::vector<double>& unknown_scores,
            OscrVariant variant) {
  ENGINE_CHECK(k >= 1, "eval::oscr: need K >= 1, got K = ", k);
  ENGINE_CHECK(predictions.size() == known_scores.size() && labels.size() == known_scores.size(),
               "eval::oscr: predictions and labels must have Kn = ", known_scores.size(),
               " entries, got ", predictions.size(), " and ", labels.size());
  std::vector<bool> correct(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    ENGINE_CHECK(labels[i] >= 0 && labels[i] < k, "eval::oscr: labels[", i, "] = ", labels[i],
                 " is outside [0, K = ", k, ")");
    ENGINE_CHECK(predictions[i] >= 0 && predictions[i] < k, "eval::oscr: predictions[", i, "] = ",
                 predictions[i], " is outside [0, K = ", k, ")");
    correct[i] = predictions[i] == labels[i];
  }
  return oscr(known_scores, correct, unknown_scores, variant);
}

OpenSetMetrics open_set_metrics(const std::vector<double>& known_scores,
                                const std::vector<bool>& known_correct,
                                const std::vector<double>& unknown_scores) {
  OpenSetMetrics m;
  m.auroc = auroc(known_scores, unknown_scores, AurocTies::Half);
  m.auroc_official = auroc(known_scores, unknown_scores, AurocTies::Official);
  m.dtacc = dtacc(known_scores, unknown_scores);
  m.aupr_in = aupr_in(known_scores, unknown_scores);
  m.aupr_out = aupr_out(known_scores, unknown_scores);
  m.oscr = oscr(known_scores, known_correct, unknown_scores, OscrVariant::Exact);
  return m;
}

}  // namespace eg::eval
