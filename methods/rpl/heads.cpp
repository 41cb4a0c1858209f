// heads.cpp — open-set heads and scores (see heads.h).
#include "methods/rpl/heads.h"

#include <algorithm>
#include <cmath>

#include "losses/cross_entropy.h"

namespace eg::rpl {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> n = {"softmax", "gcpl", "rpl", "arpl"};
  return n;
}

Method parse_method(const std::string& name) {
  if (name == "softmax") return Method::Softmax;
  if (name == "gcpl") return Method::Gcpl;
  if (name == "rpl") return Method::Rpl;
  if (name == "arpl") return Method::Arpl;
  ENGINE_FAIL("unknown open-set method '", name, "' (known: softmax, gcpl, rpl, arpl)");
}

std::string method_name(Method m) { return method_names()[(size_t)m]; }

OpenSetHead::OpenSetHead(const HeadConfig& cfg, Generator& g) : cfg_(cfg) {
  const int64_t K = cfg.num_classes, D = cfg.dim, M = cfg.points_per_class;
  ENGINE_CHECK(K >= 1 && D >= 1, "OpenSetHead: need K >= 1 classes and D >= 1 dims, got K = ", K, ", D = ", D);
  ENGINE_CHECK(M >= 1, "OpenSetHead: points per class must be >= 1, got ", M);
  ENGINE_CHECK(cfg.method == Method::Rpl || (M == 1 && !cfg.per_class_radius), "OpenSetHead: ",
               method_name(cfg.method), " has one point per class and no per-class radius (RPL only)");
  ENGINE_CHECK(cfg.temperature > 0, "OpenSetHead: temperature must be > 0, got ", cfg.temperature);
  if (cfg.method == Method::Softmax) {
    fc = register_module("fc", std::make_shared<nn::Linear>(D, K, false, g));
    return;
  }
  points = register_parameter("points", mul(randn({K * M, D}, g), 0.1));
  if (cfg.method != Method::Gcpl) radius = register_parameter("radius", zeros({cfg.per_class_radius ? K : 1}));
}

Tensor OpenSetHead::forward(const Tensor& f) {
  switch (cfg_.method) {
    case Method::Softmax: return fc->forward(f);
    case Method::Gcpl: return losses::gcpl_logits(f, points);
    case Method::Rpl: return losses::rpl_logits(f, points, cfg_.points_per_class);
    case Method::Arpl: return losses::arpl_logits(f, points);
  }
  ENGINE_FAIL("OpenSetHead: bad method");
}

losses::PointLoss OpenSetHead::loss(const Tensor& f, const Tensor& y) const {
  const double T = cfg_.temperature, lambda = cfg_.lambda;
  switch (cfg_.method) {
    case Method::Softmax: {
      losses::PointLoss out;
      out.logits = fc->forward(f);
      out.classification = losses::cross_entropy(mul(out.logits, 1.0 / T), y);
      out.loss = out.classification;
      return out;
    }
    case Method::Gcpl: return losses::gcpl_loss(f, points, y, T, lambda);
    case Method::Rpl: return losses::rpl_loss(f, points, radius, y, cfg_.points_per_class, T, lambda);
    case Method::Arpl: return losses::arpl_loss(f, points, radius, y, T, lambda);
  }
  ENGINE_FAIL("OpenSetHead: bad method");
}

OpenSetNet::OpenSetNet(std::shared_ptr<nn::Backbone> b, const HeadConfig& cfg, Generator& g) {
  ENGINE_CHECK(b && b->feature_dim() == cfg.dim, "OpenSetNet: the head expects D = ", cfg.dim,
               " but the backbone's embedding has ", b ? b->feature_dim() : 0, " dims");
  backbone = register_module("backbone", std::move(b));
  head = register_module("head", std::make_shared<OpenSetHead>(cfg, g));
}

Tensor OpenSetNet::forward(const Tensor& x) { return head->forward(backbone->features(x)); }

std::vector<Tensor> OpenSetNet::trained_parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters())
    if (name.rfind("backbone.fc.", 0) != 0) out.push_back(t);
  return out;
}

std::vector<double> max_logit(const std::vector<float>& logits, int64_t n, int64_t k) {
  ENGINE_CHECK(k >= 1 && (int64_t)logits.size() == n * k, "max_logit: expected ", n, " x ", k, " logits, got ",
               logits.size());
  std::vector<double> out((size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    out[(size_t)i] = *std::max_element(z, z + k);
  }
  return out;
}

std::vector<double> max_softmax(const std::vector<float>& logits, int64_t n, int64_t k) {
  std::vector<double> top = max_logit(logits, n, k), out((size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    // max softmax = 1 / sum_j exp(z_j − z_max): exact in double, never above 1.
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += std::exp((double)logits[(size_t)(i * k + j)] - top[(size_t)i]);
    out[(size_t)i] = 1.0 / s;
  }
  return out;
}

std::vector<double> open_set_scores(Method m, const std::vector<float>& logits, int64_t n, int64_t k) {
  return m == Method::Arpl ? max_logit(logits, n, k) : max_softmax(logits, n, k);
}

}  // namespace eg::rpl
