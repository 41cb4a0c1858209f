// schedule.h — learning-rate schedules as multiplicative factors of the base lr, evaluated at a
// (possibly fractional) epoch: pass floor(epoch) for per-epoch stepping as PyTorch's schedulers, or
// step/steps_per_epoch for per-iteration schedules (the CB code computes its lr from the fractional
// epoch). Compose warm-up around any schedule with WarmupLR.
#pragma once
#include <memory>
#include <vector>

namespace eg::nn {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double factor(double epoch) const = 0;
};

class ConstantLR : public LrSchedule {
 public:
  double factor(double) const override { return 1.0; }
};

// gamma^floor(epoch / step_size)
class StepLR : public LrSchedule {
 public:
  StepLR(double step_size, double gamma);
  double factor(double epoch) const override;
  double step_size, gamma;
};

// gamma^(number of milestones <= epoch); `gammas` gives one factor per milestone instead (CB's
// [1, 0.01, 0.0001] multipliers are gammas {0.01, 0.01}).
class MultiStepLR : public LrSchedule {
 public:
  MultiStepLR(std::vector<double> milestones, double gamma);
  MultiStepLR(std::vector<double> milestones, std::vector<double> gammas);
  double factor(double epoch) const override;
  std::vector<double> milestones, gammas;
};

// min + (1 − min)·(1 + cos(π·epoch/total))/2, constant at min after total.
class CosineLR : public LrSchedule {
 public:
  CosineLR(double total_epochs, double min_factor = 0);
  double factor(double epoch) const override;
  double total, min_factor;
};

// Linear warm-up from start_factor to 1 over warmup epochs (CB: from 0 over 5), then the inner schedule.
class WarmupLR : public LrSchedule {
 public:
  WarmupLR(std::shared_ptr<LrSchedule> inner, double warmup_epochs, double start_factor = 0);
  double factor(double epoch) const override;
  std::shared_ptr<LrSchedule> inner;
  double warmup, start_factor;
};

}  // namespace eg::nn
