// classification.h — closed-set classification metrics on plain vectors (trainers convert tensors):
// argmax predictions, top-1 / top-k accuracy, confusion matrix, per-class and balanced accuracy, and
// many / medium / few-shot accuracy for long-tailed training sets (cb.md §6, m2m.md §4).
// Shape letters: N samples, K classes. Logits are row-major N x K (sample i at logits[i*K .. i*K+K-1]);
// labels and predictions hold N class indices in [0, K).
//
// Conventions (each is a choice; they are stated here once):
// - Ties in logits go to the lower class index, as argmax does. For top-k this means the rank of the
//   label y is #{c : z_c > z_y} + #{c < y : z_c == z_y}, and the sample counts as a hit when rank < k.
// - A NaN logit is an error (argmax over NaN has no meaning); +-inf is allowed.
// - per_class_accuracy reports NaN for a class with no test sample; balanced_accuracy (mean of per-class
//   recall) and shot accuracies skip those classes, i.e. average over the classes that were seen.
// - Group ("many/medium/few") accuracy is the mean of per-class accuracy over the group's classes that
//   have test samples, as the long-tail literature reports it (equal to the pooled accuracy when the
//   test set is balanced). A group with no such class reports NaN.
// Every function throws eg::Error naming itself on bad sizes, labels, predictions or thresholds.
#pragma once
#include <cstdint>
#include <vector>

namespace eg::eval {

// argmax_c logits[i, c] for each row, ties to the lower index. Returns N predictions.
std::vector<int64_t> argmax(const std::vector<float>& logits, int64_t n, int64_t k);

// Fraction of i with predictions[i] == labels[i]; both have N >= 1 entries in [0, K).
double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels, int64_t k);

// Top-1 accuracy straight from logits (N x K), i.e. accuracy(argmax(logits), labels).
double top1_accuracy(const std::vector<float>& logits, int64_t n, int64_t k,
                     const std::vector<int64_t>& labels);

// Top-k accuracy (1 <= topk <= K) with the tie rule above; topk = 1 equals top1_accuracy.
double topk_accuracy(const std::vector<float>& logits, int64_t n, int64_t k,
                     const std::vector<int64_t>& labels, int64_t topk);

// K x K counts, row-major, rows = true class, columns = predicted class: cm[y*K + p].
std::vector<int64_t> confusion_matrix(const std::vector<int64_t>& predictions,
                                      const std::vector<int64_t>& labels, int64_t k);

// Recall of each class (K entries): correct / test samples of that class; NaN where a class has none.
std::vector<double> per_class_accuracy(const std::vector<int64_t>& predictions,
                                       const std::vector<int64_t>& labels, int64_t k);

// Mean of per_class_accuracy over the classes that have test samples (NaN entries skipped).
double balanced_accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                         int64_t k);

// ---- many / medium / few-shot groups, from TRAIN class counts ----
enum class Shot : int8_t { Many, Medium, Few };

// Count thresholds of the long-tail literature (Liu et al. 2019, "OLTR"): many-shot n > 100,
// few-shot n < 20, medium-shot 20 <= n <= 100. Requires few_below <= many_above + 1 (disjoint groups).
struct ShotThresholds {
  int64_t many_above = 100;
  int64_t few_below = 20;
};

// Group of each class by its training count (K = train_counts.size(), counts >= 0).
std::vector<Shot> shot_groups_by_count(const std::vector<int64_t>& train_counts,
                                       ShotThresholds thresholds = {});

// Group by rank of training count, as cb.md §6 does for the scaled-down long-tailed Fashion-MNIST
// (the count thresholds above put no class in "few" there): sort classes by count, descending, ties to
// the lower index; the first K/3 (integer division) are many, the last K/3 few, the rest medium. For K = 10
// with counts decreasing in the label this is many = 0-2, medium = 3-6, few = 7-9, which is also m2m.md's
// major / neutral / minor split. K < 3 puts every class in medium.
std::vector<Shot> shot_groups_by_rank(const std::vector<int64_t>& train_counts);

// m2m.md §4's split by class index, which the official M2m code logs regardless of counts:
// major (Many) = classes < K/3, minor (Few) = classes >= K - K/3, neutral (Medium) = the rest.
std::vector<Shot> shot_groups_by_index(int64_t k);

struct ShotAccuracy {
  double many = 0, medium = 0, few = 0;                  // NaN for a group with no tested class
  int64_t many_classes = 0, medium_classes = 0, few_classes = 0;  // tested classes averaged per group
};

// Group accuracies from per-class accuracies (NaN = untested class, skipped) and a group per class.
ShotAccuracy shot_accuracy(const std::vector<double>& per_class_acc, const std::vector<Shot>& groups);

// Convenience: per_class_accuracy(predictions, labels, K) grouped by `groups` (K = groups.size()).
ShotAccuracy shot_accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                           const std::vector<Shot>& groups);

}  // namespace eg::eval
