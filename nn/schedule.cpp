// schedule.cpp — LR schedule factors (see schedule.h).
#include "nn/schedule.h"

#include <cmath>

#include "core/check.h"

namespace eg::nn {

StepLR::StepLR(double s, double g) : step_size(s), gamma(g) {
  ENGINE_CHECK(s > 0 && g > 0, "StepLR: step_size and gamma must be positive");
}
double StepLR::factor(double epoch) const { return std::pow(gamma, std::floor(epoch / step_size)); }

MultiStepLR::MultiStepLR(std::vector<double> m, double g) : MultiStepLR(m, std::vector<double>(m.size(), g)) {}
MultiStepLR::MultiStepLR(std::vector<double> m, std::vector<double> g) : milestones(std::move(m)), gammas(std::move(g)) {
  ENGINE_CHECK(milestones.size() == gammas.size(), "MultiStepLR: ", milestones.size(), " milestones but ",
               gammas.size(), " gammas");
  for (size_t i = 1; i < milestones.size(); ++i)
    ENGINE_CHECK(milestones[i] > milestones[i - 1], "MultiStepLR: milestones must increase");
}
double MultiStepLR::factor(double epoch) const {
  double f = 1;
  for (size_t i = 0; i < milestones.size(); ++i)
    if (epoch >= milestones[i]) f *= gammas[i];
  return f;
}

CosineLR::CosineLR(double t, double m) : total(t), min_factor(m) {
  ENGINE_CHECK(t > 0, "CosineLR: total epochs must be positive");
}
double CosineLR::factor(double epoch) const {
  double e = std::min(std::max(epoch, 0.0), total);
  return min_factor + (1 - min_factor) * 0.5 * (1 + std::cos(M_PI * e / total));
}

WarmupLR::WarmupLR(std::shared_ptr<LrSchedule> in, double w, double s) : inner(std::move(in)), warmup(w), start_factor(s) {
  ENGINE_CHECK(inner && w >= 0, "WarmupLR: needs an inner schedule and warmup >= 0");
}
double WarmupLR::factor(double epoch) const {
  if (epoch < warmup) return (start_factor + (1 - start_factor) * epoch / warmup) * inner->factor(epoch);
  return inner->factor(epoch);
}

}  // namespace eg::nn
