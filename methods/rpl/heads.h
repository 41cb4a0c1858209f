// heads.h — the open-set classifiers of rpl.md §2 as one module: a backbone's embedding f [B, D] and a
// head per method. Softmax: z = W f (Linear(D, K), no bias). GCPL: logits −d. RPL: logits +d, with a
// learnable radius R, shared ([1], official) or per class ([K]). ARPL: logits d_e − <f, P>, shared R.
// Points P [K·M, D] are initialised 0.1·N(0, 1), R to 0 (official). The losses are losses/rpl.h's.
// Shape letters: B batch, D embedding size, K known classes, M points per class.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "losses/rpl.h"
#include "nn/models/backbone.h"

namespace eg::rpl {

enum class Method { Softmax, Gcpl, Rpl, Arpl };

// "softmax" | "gcpl" | "rpl" | "arpl" (the run names of metrics.json).
const std::vector<std::string>& method_names();
Method parse_method(const std::string& name);
std::string method_name(Method m);

struct HeadConfig {
  Method method = Method::Rpl;
  int64_t num_classes = 0;       // K
  int64_t dim = 0;               // D
  int64_t points_per_class = 1;  // M (RPL only; the other methods use M = 1)
  bool per_class_radius = false; // RPL only: R in R^K instead of one scalar
  double temperature = 1.0;      // T (the paper's gamma = 1/T)
  double lambda = 0.1;           // weight of the regulariser (weight_pl)
};

class OpenSetHead : public nn::Module {
 public:
  OpenSetHead(const HeadConfig& cfg, Generator& g);
  Tensor forward(const Tensor& features) override;  // logits [B, K] (before the temperature)
  // The method's training loss (classification + lambda * regulariser), with its logits.
  losses::PointLoss loss(const Tensor& features, const Tensor& labels) const;
  const HeadConfig& config() const { return cfg_; }
  Tensor points, radius;         // [K·M, D], [1] or [K] (undefined for Softmax)
  std::shared_ptr<nn::Linear> fc;  // Softmax only

 private:
  HeadConfig cfg_;
};

// A backbone's embedding followed by an open-set head. Names: backbone.*, head.*. The backbone's own fc
// is not used (parameters() leaves it out, so neither the optimizer nor weight decay touches it).
class OpenSetNet : public nn::Module {
 public:
  OpenSetNet(std::shared_ptr<nn::Backbone> backbone, const HeadConfig& cfg, Generator& g);
  Tensor forward(const Tensor& x) override;  // logits [B, K]
  // The parameters that are trained: everything but backbone.fc.*.
  std::vector<Tensor> trained_parameters() const;
  std::shared_ptr<nn::Backbone> backbone;
  std::shared_ptr<OpenSetHead> head;
};

// Per-sample open-set scores (double, higher = more known) from logits [N, K] row-major, rpl.md §7:
// maximum softmax probability for Softmax, GCPL and RPL (log-sum-exp in double), the raw max logit for ARPL.
std::vector<double> open_set_scores(Method m, const std::vector<float>& logits, int64_t n, int64_t k);
// max_k softmax(z)_k and max_k z_k per row.
std::vector<double> max_softmax(const std::vector<float>& logits, int64_t n, int64_t k);
std::vector<double> max_logit(const std::vector<float>& logits, int64_t n, int64_t k);

}  // namespace eg::rpl
