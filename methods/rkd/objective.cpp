// objective.cpp — RKD's objectives (see objective.h).
#include "methods/rkd/objective.h"

#include <limits>
#include <map>

#include "autograd/ops.h"
#include "losses/cross_entropy.h"
#include "losses/distillation.h"
#include "losses/metric.h"
#include "losses/rkd.h"

namespace eg::rkd {

namespace {
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Tensor add_defined(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  return b.defined() ? add(a, b) : a;
}
}  // namespace

Tensor l2_normalize(const Tensor& x) {
  ENGINE_CHECK(x.defined() && x.dim() == 2, "rkd::l2_normalize: need [N, D], got ",
               x.defined() ? shape_str(x.shape()) : "undefined");
  // max(||x||, 1e-12) = sqrt(max(||x||², 1e-24)): the clamp gives zero gradient to an all-zero row.
  Tensor norm = sqrt(clamp(sum(square(x), {1}, true), 1e-24, std::numeric_limits<double>::infinity()));
  return div(x, norm);
}

const std::vector<std::string>& distill_run_names() {
  static const std::vector<std::string> n = {"rkd_d", "rkd_a", "rkd_da"};
  return n;
}

DistillWeights distill_weights(const std::string& run) {
  // λ_D = 1, λ_A = 2 (the paper's RKD-DA); single-term runs keep their term's weight (rkd.md §2.4).
  static const std::map<std::string, DistillWeights> w = {{"rkd_d", {1, 0}}, {"rkd_a", {0, 2}}, {"rkd_da", {1, 2}}};
  auto it = w.find(run);
  ENGINE_CHECK(it != w.end(), "unknown RKD run '", run, "' (known: ", joined(distill_run_names()), ")");
  return it->second;
}

DistillTerms distill_loss(const Tensor& student, const Tensor& teacher, const DistillWeights& w) {
  ENGINE_CHECK(w.d != 0 || w.a != 0, "rkd::distill_loss: both weights are 0 (no loss to train on)");
  DistillTerms out;
  auto term = [&](double weight, Tensor (*loss)(const Tensor&, const Tensor&), double& value) {
    if (weight != 0) {
      Tensor l = loss(student, teacher);
      value = l.item();
      out.total = add_defined(out.total, mul(l, weight));
    } else {
      NoGradGuard ng;
      value = loss(student.detach(), teacher).item();
    }
  };
  term(w.d, losses::rkd_distance_loss, out.loss_d);
  term(w.a, losses::rkd_angle_loss, out.loss_a);
  return out;
}

Tensor triplet_dws_loss(const Tensor& embeddings, const Tensor& labels, Generator& gen, double margin) {
  losses::Triplets t;
  {
    NoGradGuard ng;
    t = losses::distance_weighted_triplets(embeddings.detach(), labels, gen);
  }
  losses::TripletOptions opt;
  opt.margin = margin;
  return losses::triplet_loss(embeddings, t, opt);
}

const std::vector<std::string>& kd_run_names() {
  static const std::vector<std::string> n = {"ce", "ce_hkd", "ce_rkd_d", "ce_rkd_da", "ce_hkd_rkd_da"};
  return n;
}

KdWeights kd_weights(const std::string& run) {
  static const std::map<std::string, KdWeights> w = {{"ce", {0, 0, 0, 4}},
                                                     {"ce_hkd", {16, 0, 0, 4}},
                                                     {"ce_rkd_d", {0, 25, 0, 4}},
                                                     {"ce_rkd_da", {0, 25, 50, 4}},
                                                     {"ce_hkd_rkd_da", {16, 25, 50, 4}}};
  auto it = w.find(run);
  ENGINE_CHECK(it != w.end(), "unknown classification KD run '", run, "' (known: ", joined(kd_run_names()), ")");
  return it->second;
}

Tensor classification_kd_loss(const Tensor& student_logits, const Tensor& student_features, const Tensor& labels,
                              const Tensor& teacher_logits, const Tensor& teacher_features, const KdWeights& w) {
  Tensor loss = losses::cross_entropy(student_logits, labels);
  if (w.hkd != 0) loss = add(loss, mul(losses::hinton_kd_loss(student_logits, teacher_logits, w.temperature), w.hkd));
  if (w.d == 0 && w.a == 0) return loss;
  Tensor fs = l2_normalize(student_features), ft;
  {
    NoGradGuard ng;
    ft = l2_normalize(teacher_features.detach());
  }
  if (w.d != 0) loss = add(loss, mul(losses::rkd_distance_loss(fs, ft), w.d));
  if (w.a != 0) loss = add(loss, mul(losses::rkd_angle_loss(fs, ft), w.a));
  return loss;
}

}  // namespace eg::rkd
