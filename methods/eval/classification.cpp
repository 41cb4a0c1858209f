// classification.cpp — closed-set metrics; conventions (ties, NaN, empty classes) in classification.h.
#include "methods/eval/classification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/check.h"

namespace eg::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_logits(const char* fn, const std::vector<float>& logits, int64_t n, int64_t k) {
  ENGINE_CHECK(n >= 1 && k >= 1, "eval::", fn, ": need N >= 1 and K >= 1, got N = ", n, ", K = ", k);
  ENGINE_CHECK(static_cast<uint64_t>(n) <= logits.size() / static_cast<uint64_t>(k) &&
                   logits.size() == static_cast<size_t>(n) * static_cast<size_t>(k),
               "eval::", fn, ": logits must hold N*K = ", n, "*", k, " values, got ", logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    ENGINE_CHECK(!std::isnan(logits[i]), "eval::", fn, ": logit of sample ", i / static_cast<size_t>(k),
                 ", class ", i % static_cast<size_t>(k), " is NaN");
}

// Checks a vector of class indices: exactly `n` entries (n < 0: any n >= 1), each in [0, k).
void check_classes(const char* fn, const char* what, const std::vector<int64_t>& v, int64_t n, int64_t k) {
  ENGINE_CHECK(k >= 1, "eval::", fn, ": need K >= 1, got K = ", k);
  if (n >= 0)
    ENGINE_CHECK(v.size() == static_cast<size_t>(n), "eval::", fn, ": ", what, " must have N = ", n,
                 " entries, got ", v.size());
  else
    ENGINE_CHECK(!v.empty(), "eval::", fn, ": ", what, " is empty");
  for (size_t i = 0; i < v.size(); ++i)
    ENGINE_CHECK(v[i] >= 0 && v[i] < k, "eval::", fn, ": ", what, "[", i, "] = ", v[i],
                 " is outside [0, K = ", k, ")");
}

void check_pred_labels(const char* fn, const std::vector<int64_t>& predictions,
                       const std::vector<int64_t>& labels, int64_t k) {
  check_classes(fn, "labels", labels, -1, k);
  check_classes(fn, "predictions", predictions, static_cast<int64_t>(labels.size()), k);
}

void check_counts(const char* fn, const std::vector<int64_t>& counts) {
  ENGINE_CHECK(!counts.empty(), "eval::", fn, ": train_counts is empty (need one count per class)");
  for (size_t c = 0; c < counts.size(); ++c)
    ENGINE_CHECK(counts[c] >= 0, "eval::", fn, ": train_counts[", c, "] = ", counts[c], " is negative");
}

}  // namespace

std::vector<int64_t> argmax(const std::vector<float>& logits, int64_t n, int64_t k) {
  check_logits("argmax", logits, n, k);
  std::vector<int64_t> pred(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c)
      if (row[c] > row[best]) best = c;  // strict: an equal later logit never wins
    pred[static_cast<size_t>(i)] = best;
  }
  return pred;
}

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels, int64_t k) {
  check_pred_labels("accuracy", predictions, labels, k);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double top1_accuracy(const std::vector<float>& logits, int64_t n, int64_t k,
                     const std::vector<int64_t>& labels) {
  check_logits("top1_accuracy", logits, n, k);
  check_classes("top1_accuracy", "labels", labels, n, k);
  return accuracy(argmax(logits, n, k), labels, k);
}

double topk_accuracy(const std::vector<float>& logits, int64_t n, int64_t k,
                     const std::vector<int64_t>& labels, int64_t topk) {
  check_logits("topk_accuracy", logits, n, k);
  check_classes("topk_accuracy", "labels", labels, n, k);
  ENGINE_CHECK(topk >= 1 && topk <= k, "eval::topk_accuracy: need 1 <= topk <= K = ", k, ", got topk = ",
               topk);
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    const int64_t y = labels[static_cast<size_t>(i)];
    int64_t rank = 0;  // classes ranked before y: larger logit, or equal logit and lower index
    for (int64_t c = 0; c < k; ++c) rank += row[c] > row[y] || (row[c] == row[y] && c < y);
    hits += rank < topk;
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

std::vector<int64_t> confusion_matrix(const std::vector<int64_t>& predictions,
                                      const std::vector<int64_t>& labels, int64_t k) {
  check_pred_labels("confusion_matrix", predictions, labels, k);
  std::vector<int64_t> cm(static_cast<size_t>(k * k), 0);
  for (size_t i = 0; i < labels.size(); ++i) ++cm[static_cast<size_t>(labels[i] * k + predictions[i])];
  return cm;
}

std::vector<double> per_class_accuracy(const std::vector<int64_t>& predictions,
                                       const std::vector<int64_t>& labels, int64_t k) {
  check_pred_labels("per_class_accuracy", predictions, labels, k);
  std::vector<int64_t> total(static_cast<size_t>(k), 0), correct(static_cast<size_t>(k), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto y = static_cast<size_t>(labels[i]);
    ++total[y];
    correct[y] += predictions[i] == labels[i];
  }
  std::vector<double> acc(static_cast<size_t>(k));
  for (size_t c = 0; c < acc.size(); ++c)
    acc[c] = total[c] ? static_cast<double>(correct[c]) / static_cast<double>(total[c]) : kNaN;
  return acc;
}

double balanced_accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                         int64_t k) {
  const std::vector<double> acc = per_class_accuracy(predictions, labels, k);
  double sum = 0;
  int64_t seen = 0;
  for (double a : acc)
    if (!std::isnan(a)) sum += a, ++seen;
  return sum / static_cast<double>(seen);  // seen >= 1: labels is non-empty
}

std::vector<Shot> shot_groups_by_count(const std::vector<int64_t>& train_counts, ShotThresholds t) {
  check_counts("shot_groups_by_count", train_counts);
  ENGINE_CHECK(t.few_below <= t.many_above + 1,
               "eval::shot_groups_by_count: thresholds overlap (a class could be both many and few): "
               "many_above = ",
               t.many_above, ", few_below = ", t.few_below, "; need few_below <= many_above + 1");
  std::vector<Shot> g(train_counts.size());
  for (size_t c = 0; c < g.size(); ++c)
    g[c] = train_counts[c] > t.many_above ? Shot::Many
           : train_counts[c] < t.few_below ? Shot::Few
                                           : Shot::Medium;
  return g;
}

std::vector<Shot> shot_groups_by_rank(const std::vector<int64_t>& train_counts) {
  check_counts("shot_groups_by_rank", train_counts);
  const size_t k = train_counts.size();
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return train_counts[a] > train_counts[b]; });
  const size_t third = k / 3;
  std::vector<Shot> g(k, Shot::Medium);
  for (size_t r = 0; r < k; ++r) {
    if (r < third) g[order[r]] = Shot::Many;
    if (r >= k - third) g[order[r]] = Shot::Few;
  }
  return g;
}

std::vector<Shot> shot_groups_by_index(int64_t k) {
  ENGINE_CHECK(k >= 1, "eval::shot_groups_by_index: need K >= 1, got K = ", k);
  const int64_t third = k / 3;
  std::vector<Shot> g(static_cast<size_t>(k), Shot::Medium);
  for (int64_t c = 0; c < k; ++c) {
    if (c < third) g[static_cast<size_t>(c)] = Shot::Many;
    if (c >= k - third) g[static_cast<size_t>(c)] = Shot::Few;
  }
  return g;
}

ShotAccuracy shot_accuracy(const std::vector<double>& per_class_acc, const std::vector<Shot>& groups) {
  ENGINE_CHECK(!groups.empty() && per_class_acc.size() == groups.size(),
               "eval::shot_accuracy: need one group per class and K >= 1, got ", per_class_acc.size(),
               " per-class accuracies and ", groups.size(), " groups");
  double sum[3] = {0, 0, 0};
  int64_t cnt[3] = {0, 0, 0};
  for (size_t c = 0; c < groups.size(); ++c) {
    const double a = per_class_acc[c];
    if (std::isnan(a)) continue;  // class without test samples
    ENGINE_CHECK(a >= 0 && a <= 1, "eval::shot_accuracy: per_class_acc[", c, "] = ", a,
                 " is outside [0, 1]");
    const int gi = static_cast<int>(groups[c]);
    ENGINE_CHECK(gi >= 0 && gi < 3, "eval::shot_accuracy: groups[", c, "] = ", gi, " is not a Shot value");
    sum[gi] += a;
    ++cnt[gi];
  }
  auto mean = [&](int gi) { return cnt[gi] ? sum[gi] / static_cast<double>(cnt[gi]) : kNaN; };
  ShotAccuracy r;
  r.many = mean(0), r.medium = mean(1), r.few = mean(2);
  r.many_classes = cnt[0], r.medium_classes = cnt[1], r.few_classes = cnt[2];
  return r;
}

ShotAccuracy shot_accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                           const std::vector<Shot>& groups) {
  ENGINE_CHECK(!groups.empty(), "eval::shot_accuracy: groups is empty (need one group per class)");
  return shot_accuracy(per_class_accuracy(predictions, labels, static_cast<int64_t>(groups.size())),
                       groups);
}

}  // namespace eg::eval
