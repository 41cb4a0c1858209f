// evaluate.h — the open-set evaluation of rpl.md §2 "Metrics" from a model's logits on the known-class
// test images (Kn, with labels) and the unknown-class test images (Nu): closed-set accuracy, the
// method's open-set score (heads.h) and every metric of methods/eval/open_set.h, plus per method:
//   softmax: the max-logit (MLS) AUROC and OSCR too (Vaze et al.'s score);
//   rpl: the mean of max_k d_k over known and over unknown test samples (the paper's intuition: smaller
//        for unknowns, which stay near every reciprocal point).
// Shapes: logits [N, K] row-major float.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "methods/rpl/heads.h"
#include "methods/train/evaluate.h"

namespace eg::rpl {

struct OpenSetEvaluation {
  train::Metrics metrics;  // test_acc, auroc, auroc_official, dtacc, aupr_in, aupr_out, oscr (+ per method)
  std::vector<double> known_scores, unknown_scores;
};

OpenSetEvaluation evaluate_open_set(Method m, const train::Predictions& known, const train::Predictions& unknown);

// The metric keys evaluate_open_set returns for a method, in log.csv's order.
std::vector<std::string> open_set_metric_names(Method m);

}  // namespace eg::rpl
