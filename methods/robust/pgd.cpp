// pgd.cpp — PGD attacks (see pgd.h).
#include "methods/robust/pgd.h"

#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "losses/cross_entropy.h"

namespace eg::robust {

Norm parse_norm(const std::string& name) {
  if (name == "l2") return Norm::L2;
  if (name == "linf") return Norm::Linf;
  ENGINE_FAIL("unknown attack norm '", name, "' (known: l2, linf)");
}

const char* norm_name(Norm n) { return n == Norm::L2 ? "l2" : "linf"; }

void check_config(const PgdConfig& c) {
  ENGINE_CHECK(c.eps >= 0, "PGD: eps must be >= 0, got ", c.eps);
  ENGINE_CHECK(c.step > 0, "PGD: step size must be > 0, got ", c.step);
  ENGINE_CHECK(c.steps >= 0, "PGD: steps must be >= 0, got ", c.steps);
  ENGINE_CHECK(c.restarts >= 1, "PGD: restarts must be >= 1, got ", c.restarts);
}

namespace {

int64_t rows_of(const std::vector<float>& x, int64_t d) {
  ENGINE_CHECK(d > 0 && (int64_t)x.size() % d == 0, "PGD: ", x.size(), " values are not rows of ", d);
  return (int64_t)x.size() / d;
}

double row_norm(const float* v, int64_t d) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k) s += (double)v[k] * v[k];
  return std::sqrt(s);
}

float clamp01(double v) { return (float)std::min(1.0, std::max(0.0, v)); }

}  // namespace

void l2_step(std::vector<float>& x, const std::vector<float>& g, int64_t d, double alpha, double direction) {
  ENGINE_CHECK(x.size() == g.size(), "l2_step: ", x.size(), " values but ", g.size(), " gradient values");
  const int64_t n = rows_of(x, d);
  for (int64_t i = 0; i < n; ++i) {
    const float* gi = g.data() + i * d;
    double scale = direction * alpha / (row_norm(gi, d) + 1e-10);
    float* xi = x.data() + i * d;
    for (int64_t k = 0; k < d; ++k) xi[k] = (float)(xi[k] + scale * gi[k]);
  }
}

void linf_step(std::vector<float>& x, const std::vector<float>& g, int64_t d, double alpha, double direction) {
  ENGINE_CHECK(x.size() == g.size(), "linf_step: ", x.size(), " values but ", g.size(), " gradient values");
  rows_of(x, d);
  for (size_t k = 0; k < x.size(); ++k) {
    double s = g[k] > 0 ? 1.0 : (g[k] < 0 ? -1.0 : 0.0);
    x[k] = (float)(x[k] + direction * alpha * s);
  }
}

void project(std::vector<float>& x, const std::vector<float>& x0, int64_t d, Norm norm, double eps) {
  ENGINE_CHECK(x.size() == x0.size(), "project: ", x.size(), " values but ", x0.size(), " clean values");
  const int64_t n = rows_of(x, d);
  std::vector<double> delta((size_t)d);
  for (int64_t i = 0; i < n; ++i) {
    float* xi = x.data() + i * d;
    const float* oi = x0.data() + i * d;
    double sq = 0;
    for (int64_t k = 0; k < d; ++k) {
      delta[(size_t)k] = (double)xi[k] - oi[k];
      sq += delta[(size_t)k] * delta[(size_t)k];
    }
    double scale = 1;
    if (norm == Norm::L2 && std::sqrt(sq) > eps) scale = eps / std::sqrt(sq);
    for (int64_t k = 0; k < d; ++k) {
      double dk = delta[(size_t)k] * scale;
      if (norm == Norm::Linf) dk = std::min(eps, std::max(-eps, dk));
      xi[k] = clamp01(oi[k] + dk);
    }
  }
}

void random_start(std::vector<float>& x, const std::vector<float>& x0, int64_t d, Norm norm, double eps, Generator& g) {
  const int64_t n = rows_of(x0, d);
  x.resize(x0.size());
  std::vector<double> noise((size_t)d);
  for (int64_t i = 0; i < n; ++i) {
    double sq = 0;
    for (int64_t k = 0; k < d; ++k) {
      noise[(size_t)k] = norm == Norm::L2 ? g.normal() : (2 * g.uniform() - 1) * eps;
      sq += noise[(size_t)k] * noise[(size_t)k];
    }
    double scale = norm == Norm::L2 ? eps / std::max(std::sqrt(sq), 1e-30) : 1.0;
    for (int64_t k = 0; k < d; ++k) x[(size_t)(i * d + k)] = clamp01(x0[(size_t)(i * d + k)] + scale * noise[(size_t)k]);
  }
}

LossAndGrad loss_and_input_grad(const LogitsFn& f, const Tensor& x, const Tensor& labels) {
  EnableGradGuard eg_;
  Tensor xv = x.detach().clone();
  xv.requires_grad_(true);
  losses::CrossEntropyOptions o;
  o.reduction = losses::Reduction::None;
  Tensor per = losses::cross_entropy(f(xv), labels, o);
  Tensor g = autograd::grad(sum(per), {xv})[0];
  return {per.to_vector<float>(), g.to_vector<float>()};
}

namespace {

std::vector<float> sample_losses(const LogitsFn& f, const Tensor& x, const Tensor& labels) {
  NoGradGuard ng;
  losses::CrossEntropyOptions o;
  o.reduction = losses::Reduction::None;
  return losses::cross_entropy(f(x), labels, o).to_vector<float>();
}

// Keeps row i of x into best where loss[i] beats best_loss[i] (higher when ascending, lower when descending).
void keep_better(std::vector<float>& best, std::vector<float>& best_loss, const std::vector<float>& x,
                 const std::vector<float>& loss, int64_t d, bool ascend) {
  for (size_t i = 0; i < loss.size(); ++i) {
    bool better = ascend ? loss[i] > best_loss[i] : loss[i] < best_loss[i];
    if (!better) continue;
    best_loss[i] = loss[i];
    std::copy(x.begin() + (int64_t)i * d, x.begin() + (int64_t)(i + 1) * d, best.begin() + (int64_t)i * d);
  }
}

std::vector<float> attack_once(const LogitsFn& f, const Tensor& x, const std::vector<float>& x0, const Tensor& labels,
                               const PgdConfig& c, Generator& g) {
  const int64_t n = x.size(0), d = x.numel() / std::max<int64_t>(n, 1);
  const Shape shape = x.shape();
  const bool ascend = !c.targeted;
  const double direction = ascend ? 1.0 : -1.0;
  std::vector<float> cur = x0;
  if (c.random_start) random_start(cur, x0, d, c.norm, c.eps, g);
  std::vector<float> best = cur;
  std::vector<float> best_loss((size_t)n, ascend ? -std::numeric_limits<float>::infinity()
                                                 : std::numeric_limits<float>::infinity());
  for (int64_t it = 0; it < c.steps; ++it) {
    LossAndGrad lg = loss_and_input_grad(f, from_vector(cur, shape), labels);
    if (c.use_best) keep_better(best, best_loss, cur, lg.loss, d, ascend);
    if (c.norm == Norm::L2) l2_step(cur, lg.grad, d, c.step, direction);
    else linf_step(cur, lg.grad, d, c.step, direction);
    project(cur, x0, d, c.norm, c.eps);
  }
  if (!c.use_best) return cur;
  keep_better(best, best_loss, cur, sample_losses(f, from_vector(cur, shape), labels), d, ascend);
  return best;
}

}  // namespace

Tensor pgd_attack(const LogitsFn& f, const Tensor& x, const Tensor& labels, const PgdConfig& c, Generator& g) {
  check_config(c);
  ENGINE_CHECK(x.dim() >= 2 && labels.dim() == 1 && labels.size(0) == x.size(0), "pgd_attack: images ",
               shape_str(x.shape()), " and labels ", shape_str(labels.shape()), " disagree");
  const int64_t n = x.size(0), d = x.numel() / std::max<int64_t>(n, 1);
  std::vector<float> x0 = x.to(DType::F32).to_vector<float>();
  for (float v : x0) ENGINE_CHECK(v >= 0 && v <= 1, "pgd_attack: pixels must be in [0, 1], found ", v);
  std::vector<float> out = attack_once(f, x, x0, labels, c, g);
  auto lab = labels.to_vector<int64_t>();
  auto fooled = [&](const std::vector<float>& adv) {
    NoGradGuard ng;
    auto pred = argmax(f(from_vector(adv, x.shape())), 1).to_vector<int64_t>();
    std::vector<bool> ok((size_t)n);
    for (int64_t i = 0; i < n; ++i) ok[(size_t)i] = c.targeted ? pred[(size_t)i] == lab[(size_t)i] : pred[(size_t)i] != lab[(size_t)i];
    return ok;
  };
  if (c.restarts > 1) {
    // The latest restart that fooled the model wins, per sample; the first restart otherwise.
    for (int64_t r = 1; r < c.restarts; ++r) {
      std::vector<float> adv = attack_once(f, x, x0, labels, c, g);
      auto ok = fooled(adv);
      for (int64_t i = 0; i < n; ++i)
        if (ok[(size_t)i]) std::copy(adv.begin() + i * d, adv.begin() + (i + 1) * d, out.begin() + i * d);
    }
  }
  return from_vector(out, x.shape());
}

}  // namespace eg::robust
