// recipe.cpp — M2m's data, sampler switch, lr and run kinds (see recipe.h).
#include "methods/m2m/recipe.h"

#include <algorithm>

#include "core/check.h"

namespace eg::m2m {

data::ImageDataset long_tail_first(const data::ImageDataset& ds, const std::vector<int64_t>& counts) {
  ENGINE_CHECK((int64_t)counts.size() == ds.num_classes, "long_tail_first: ", counts.size(), " counts for ",
               ds.num_classes, " classes");
  std::vector<int64_t> taken((size_t)ds.num_classes, 0), keep;
  for (int64_t i = 0; i < ds.n; ++i) {
    int64_t y = ds.labels[(size_t)i];
    if (taken[(size_t)y] < counts[(size_t)y]) ++taken[(size_t)y], keep.push_back(i);
  }
  for (int64_t c = 0; c < ds.num_classes; ++c)
    ENGINE_CHECK(taken[(size_t)c] == counts[(size_t)c], "long_tail_first: class ", c, " has ", taken[(size_t)c],
                 " images, ", counts[(size_t)c], " asked");
  return ds.subset(keep);
}

DeferredSampler::DeferredSampler(std::shared_ptr<data::Sampler> before, std::shared_ptr<data::Sampler> after,
                                 int64_t switch_epoch)
    : before_(std::move(before)), after_(std::move(after)), switch_(switch_epoch) {
  ENGINE_CHECK(before_ && after_, "DeferredSampler: both samplers are needed");
}

std::vector<std::vector<int64_t>> DeferredSampler::batches(int64_t epoch) const { return pick(epoch).batches(epoch); }
std::string DeferredSampler::name() const {
  return before_->name() + "_then_" + after_->name() + "_at_" + std::to_string(switch_);
}
int64_t DeferredSampler::num_batches(int64_t epoch) const { return pick(epoch).num_batches(epoch); }

namespace {

class M2mLr : public nn::LrSchedule {
 public:
  M2mLr(int64_t warmup, std::vector<double> milestones, double gamma)
      : warmup_(warmup), steps_(std::move(milestones), gamma) {}
  double factor(double epoch) const override {
    if (epoch < (double)warmup_) return ((double)(int64_t)epoch + 1) / (double)warmup_;
    return steps_.factor(epoch);
  }

 private:
  int64_t warmup_;
  nn::MultiStepLR steps_;
};

}  // namespace

std::shared_ptr<nn::LrSchedule> m2m_schedule(int64_t warmup, std::vector<double> milestones, double gamma) {
  ENGINE_CHECK(warmup >= 0, "m2m_schedule: warm-up must be >= 0, got ", warmup);
  ENGINE_CHECK(std::is_sorted(milestones.begin(), milestones.end()), "m2m_schedule: milestones must increase");
  return std::make_shared<M2mLr>(warmup, std::move(milestones), gamma);
}

const std::vector<std::string>& run_names() {
  static const std::vector<std::string> n = {"erm", "over", "drs", "drw", "ldam_drw", "m2m", "m2m_ldam_drw"};
  return n;
}

bool RunKind::shares_trunk() const {
  auto later = [&](int64_t e) { return e < 0 || e >= t0; };
  return later(resample_from) && later(reweight_from) && later(generate_from);
}

RunKind make_run(const std::string& name, int64_t t0) {
  ENGINE_CHECK(t0 >= 0, "M2m's start epoch T0 must be >= 0, got ", t0);
  RunKind r;
  r.name = name;
  r.t0 = t0;
  if (name == "erm") {
  } else if (name == "over") r.resample_from = 0;
  else if (name == "drs") r.resample_from = t0;
  else if (name == "drw") r.reweight_from = t0;
  else if (name == "ldam_drw") r.ldam = true, r.reweight_from = t0;
  else if (name == "m2m") r.resample_from = t0, r.generate_from = t0;
  // train.py -gen -c --loss_type LDAM --eff_beta 0.999 --model resnet32_norm (spec §2 "Deferred options").
  else if (name == "m2m_ldam_drw") r.ldam = true, r.resample_from = t0, r.reweight_from = t0, r.generate_from = t0;
  else ENGINE_FAIL("unknown M2m run '", name, "' (known: erm, over, drs, drw, ldam_drw, m2m, m2m_ldam_drw)");
  return r;
}

}  // namespace eg::m2m
