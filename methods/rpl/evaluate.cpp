// evaluate.cpp — open-set evaluation of a model's logits (see evaluate.h).
#include "methods/rpl/evaluate.h"

#include <numeric>

#include "methods/eval/classification.h"
#include "methods/eval/open_set.h"

namespace eg::rpl {

namespace {
double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / (double)v.size(); }
}  // namespace

std::vector<std::string> open_set_metric_names(Method m) {
  std::vector<std::string> n = {"test_acc", "auroc", "auroc_official", "dtacc", "aupr_in", "aupr_out", "oscr"};
  if (m == Method::Softmax) n.insert(n.end(), {"auroc_mls", "oscr_mls"});
  if (m == Method::Rpl) n.insert(n.end(), {"mean_max_dist_known", "mean_max_dist_unknown"});
  return n;
}

OpenSetEvaluation evaluate_open_set(Method m, const train::Predictions& known, const train::Predictions& unknown) {
  ENGINE_CHECK(known.n >= 1 && unknown.n >= 1 && known.k == unknown.k, "evaluate_open_set: need known and unknown "
               "test logits with the same K, got ", known.n, " x ", known.k, " and ", unknown.n, " x ", unknown.k);
  OpenSetEvaluation out;
  const int64_t k = known.k;
  auto pred = eval::argmax(known.logits, known.n, k);
  std::vector<bool> correct(pred.size());
  for (size_t i = 0; i < pred.size(); ++i) correct[i] = pred[i] == known.labels[i];
  out.known_scores = open_set_scores(m, known.logits, known.n, k);
  out.unknown_scores = open_set_scores(m, unknown.logits, unknown.n, k);
  eval::OpenSetMetrics os = eval::open_set_metrics(out.known_scores, correct, out.unknown_scores);
  auto& r = out.metrics;
  r["test_acc"] = eval::accuracy(pred, known.labels, k);
  r["auroc"] = os.auroc, r["auroc_official"] = os.auroc_official, r["dtacc"] = os.dtacc;
  r["aupr_in"] = os.aupr_in, r["aupr_out"] = os.aupr_out, r["oscr"] = os.oscr;
  if (m == Method::Softmax || m == Method::Rpl) {
    // Softmax: the max logit as a second score. RPL: the max logit is max_k d_k, the farthest point.
    std::vector<double> kl = max_logit(known.logits, known.n, k), ul = max_logit(unknown.logits, unknown.n, k);
    if (m == Method::Softmax) {
      r["auroc_mls"] = eval::auroc(kl, ul);
      r["oscr_mls"] = eval::oscr(kl, correct, ul);
    } else {
      r["mean_max_dist_known"] = mean_of(kl);
      r["mean_max_dist_unknown"] = mean_of(ul);
    }
  }
  return out;
}

}  // namespace eg::rpl
