// class_balanced.cpp — the CB recipe (see class_balanced.h).
#include "methods/cb/class_balanced.h"

#include <cmath>

#include "nn/init.h"

namespace eg::cb {

const std::vector<std::string>& variant_names() {
  static const std::vector<std::string> n = {"softmax", "cb_softmax", "cb_sigmoid", "cb_focal"};
  return n;
}

Variant make_variant(const std::string& run, double beta, double gamma) {
  Variant v;
  v.run = run;
  if (run == "softmax") v.kind = losses::CbLoss::Softmax, v.beta = 0;  // β = 0: every class weight is 1
  else if (run == "cb_softmax") v.kind = losses::CbLoss::Softmax, v.beta = beta;
  else if (run == "cb_sigmoid") v.kind = losses::CbLoss::Sigmoid, v.beta = beta;
  else if (run == "cb_focal") v.kind = losses::CbLoss::Focal, v.beta = beta, v.gamma = gamma;
  else ENGINE_FAIL("unknown CB loss '", run, "' (known: softmax, cb_softmax, cb_sigmoid, cb_focal)");
  ENGINE_CHECK(v.beta >= 0 && v.beta < 1, "--beta must be in [0, 1), got ", v.beta);
  ENGINE_CHECK(v.gamma >= 0, "--gamma must be >= 0, got ", v.gamma);
  return v;
}

std::shared_ptr<nn::LrSchedule> official_schedule(double warmup, double m1, double m2) {
  auto steps = std::make_shared<nn::MultiStepLR>(std::vector<double>{m1, m2}, std::vector<double>{0.01, 0.01});
  return warmup > 0 ? std::shared_ptr<nn::LrSchedule>(std::make_shared<nn::WarmupLR>(steps, warmup)) : steps;
}

void glorot_init(nn::Module& m, Generator& g) {
  auto init_layer = [&](Tensor w, Tensor b) {
    nn::init::xavier_uniform_(w, g);
    if (b.defined()) nn::init::constant_(b, 0.0);
  };
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) init_layer(c->weight, c->bias);
  if (auto* l = dynamic_cast<nn::Linear*>(&m)) init_layer(l->weight, l->bias);
  for (auto& [_, child] : m.children()) glorot_init(*child, g);
}

void configure(train::ClassifyConfig& cfg, const Variant& v, const std::vector<int64_t>& counts) {
  Tensor weights = losses::class_balanced_weights_tensor(counts, v.beta);
  bool prior = v.kind != losses::CbLoss::Softmax;
  int64_t k = (int64_t)counts.size();
  cfg.loss = [v, weights](const Tensor& logits, const Tensor& y, int64_t) {
    Tensor w = weights.device() == logits.device() ? weights : weights.to(logits.device());
    return losses::class_balanced_loss(v.kind, logits, y, w, v.gamma);
  };
  uint64_t seed = cfg.seed;
  cfg.init_model = [prior, k, seed](nn::Backbone& m) {
    Generator g(seed ^ 0x9e3779b97f4a7c15ULL);
    glorot_init(m, g);
    Tensor b = m.fc->bias;
    ENGINE_CHECK(b.defined(), "CB: the classifier needs a bias");
    // Sigmoid/focal start every class at the prior π = 1/K: b = −log((1 − π)/π) = −log(K − 1).
    nn::init::constant_(b, prior ? -std::log((double)(k - 1)) : 0.0);
  };
  double lr = cfg.lr, wd = cfg.weight_decay;
  cfg.param_groups = [prior, lr, wd](nn::Backbone& m) {
    return nn::split_weight_decay(m, lr, wd, [&](const std::string& name, const Tensor&) { return prior && name == "fc.bias"; });
  };
}

}  // namespace eg::cb
