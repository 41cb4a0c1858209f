// best_eval.h — model selection on a validation split: keeps the evaluation (test metrics, per-class
// accuracy, confusion matrix) of the epoch whose validation score was highest, ties going to the later
// epoch, as the M2m / LDAM code reports "test accuracy at the best-validation epoch" (m2m.md §4). The best
// is saved to a JSON file in the run folder after each improvement, so a resumed run keeps comparing
// against it. Shapes: K classes (confusion K x K, row-major, rows = true class).
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "methods/train/loop.h"

namespace eg::train {

struct BestEval {
  int64_t epoch = -1;  // 0-based; -1 = nothing offered yet
  double score = -std::numeric_limits<double>::infinity();
  Metrics metrics;
  std::vector<double> per_class;    // K
  std::vector<int64_t> confusion;   // K x K
};

class BestEvalTracker {
 public:
  // path: the JSON file (e.g. <run>/best_eval.json); with resume, a file there is the best so far.
  BestEvalTracker(std::string path, bool resume);
  // Keeps e when its score is >= the best's (the later epoch wins a tie) and saves it; true when kept.
  bool offer(const BestEval& e);
  const BestEval& best() const { return best_; }
  bool any() const { return best_.epoch >= 0; }

 private:
  std::string path_;
  BestEval best_;
};

}  // namespace eg::train
