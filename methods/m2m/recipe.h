// recipe.h — the training recipe around M2m (m2m.md §2 "Schedule", §3, §4, §6): the long-tailed set of the
// first n_i images of each class in dataset order, the deferred switch from the plain shuffled loader to
// the class-balanced one at T0 (DRS and M2m; Over switches at 0), the official lr (linear warm-up
// lr·(e+1)/W for e < W, then ×γ at each milestone), and the named runs (erm, over, drs, drw, ldam_drw, m2m,
// m2m_ldam_drw) with what each changes. Shape letters: N images, B batch size, K classes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "methods/data/dataset.h"
#include "methods/data/samplers.h"
#include "nn/schedule.h"

namespace eg::m2m {

// counts[c] images of class c: the first ones in dataset order (m2m.md §4: no shuffling), images kept in
// dataset order. Throws if a class has fewer.
data::ImageDataset long_tail_first(const data::ImageDataset& ds, const std::vector<int64_t>& counts);

// `before` for epochs < switch_epoch, `after` from it on (the deferred re-sampling of DRS and M2m).
class DeferredSampler : public data::Sampler {
 public:
  DeferredSampler(std::shared_ptr<data::Sampler> before, std::shared_ptr<data::Sampler> after, int64_t switch_epoch);
  std::vector<std::vector<int64_t>> batches(int64_t epoch) const override;
  std::string name() const override;
  int64_t num_batches(int64_t epoch) const override;

 private:
  const data::Sampler& pick(int64_t epoch) const { return epoch < switch_ ? *before_ : *after_; }
  std::shared_ptr<data::Sampler> before_, after_;
  int64_t switch_;
};

// Per-epoch lr factor: (e+1)/warmup for e < warmup (train.py's adjust_learning_rate), then gamma per
// milestone passed. warmup 0 = none.
std::shared_ptr<nn::LrSchedule> m2m_schedule(int64_t warmup, std::vector<double> milestones, double gamma);

// The runs of one seed. Every run is ERM on the imbalanced set until `resample_from` (the class-balanced
// loader from then on; -1 = never), re-weights its loss with DRW weights from `reweight_from` (-1 = never),
// and translates from `generate_from` (-1 = never). `ldam` runs train a cosine classifier with the LDAM loss
// from epoch 0 (train.py's --loss_type LDAM --model resnet32_norm) instead of a linear one with CE.
struct RunKind {
  std::string name;
  int64_t resample_from = -1, reweight_from = -1, generate_from = -1;
  bool ldam = false;
  int64_t t0 = 0;
  // Identical for epochs < t0 to the plain run of its loss (ERM, or LDAM without DRW), so it may start
  // from that trunk's epoch-t0 state.
  bool shares_trunk() const;
  std::string trunk_name() const { return ldam ? "ldam_trunk" : "erm_trunk"; }
};
// erm, over, drs, drw, ldam_drw, m2m, m2m_ldam_drw (the last is not in run.sh: spec §2, unverified as the
// paper's setting).
const std::vector<std::string>& run_names();
RunKind make_run(const std::string& name, int64_t t0);

}  // namespace eg::m2m
