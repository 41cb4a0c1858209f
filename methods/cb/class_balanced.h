// class_balanced.h — the Class-Balanced loss method (Cui et al., CVPR 2019; spec shared/methods/cb.md) as
// a recipe on top of the classification trainer: the loss variants (softmax CE = CB with β = 0,
// CB-softmax, CB-sigmoid, CB-focal), their class weights from the *training-set* counts, the
// sigmoid/focal last-layer bias prior b = −log(K − 1) with no weight decay on that bias, TensorFlow's
// Glorot-uniform initialisation, and the official schedule (linear warm-up, then ×0.01 twice).
// Shapes: logits [B, K], labels [B], counts [K].
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "losses/class_balanced.h"
#include "methods/train/classify.h"

namespace eg::cb {

struct Variant {
  std::string run;   // softmax | cb_softmax | cb_sigmoid | cb_focal (the spec's run names)
  losses::CbLoss kind = losses::CbLoss::Softmax;
  double beta = 0;   // 0 for plain softmax
  double gamma = 0;  // focal only
};

const std::vector<std::string>& variant_names();
Variant make_variant(const std::string& run, double beta, double gamma);

// lr factor: linear from 0 over `warmup` epochs (per step), then ×0.01 at m1 and again at m2 (the long-tail
// scripts' multipliers [1, 0.01, 0.0001]).
std::shared_ptr<nn::LrSchedule> official_schedule(double warmup, double m1, double m2);

// Sets cfg.loss, cfg.init_model (Glorot-uniform, bias prior) and cfg.param_groups (no decay on the
// last bias for sigmoid/focal) for the variant, with weights from `train_counts`.
void configure(train::ClassifyConfig& cfg, const Variant& v, const std::vector<int64_t>& train_counts);

// Glorot-uniform weights for every conv and linear weight, zero conv/linear biases (TF's defaults).
void glorot_init(nn::Module& m, Generator& g);

}  // namespace eg::cb
