// experiment.h — M2m's runs on top of the classification trainer (m2m.md §2 "Baselines", §6): what each
// run kind sets in a ClassifyConfig (the deferred class-balanced sampler, DRW's re-weighted CE, M2m's batch
// rewrite), the shared ERM trunk (a run that equals ERM for its first T0 epochs starts from a copy of the
// ERM trunk's epoch-T0 checkpoint, optimiser state included), g's per-class accuracy, and the generation
// report (generation.csv per target class, generated.png: seeds / x* / 0.5 + 2(x* − x0), generated.md).
// Shape letters: N images, K classes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "methods/m2m/major_to_minor.h"
#include "methods/m2m/recipe.h"
#include "methods/train/classify.h"

namespace eg::m2m {

// Sets cfg.sampler, cfg.loss and cfg.prepare_batch for `kind` on `train` (cfg.batch_size and cfg.seed set
// before). `m2m` is needed for kinds that translate (generate_from >= 0), ignored otherwise.
void configure_run(train::ClassifyConfig& cfg, const RunKind& kind, const data::ImageDataset& train, double drw_beta,
                   std::shared_ptr<MajorToMinor> m2m);

// Seeds run_dir with trunk_dir's checkpoint.safetensors, log.csv (and best_eval.json) unless run_dir has a checkpoint already
// (then --resume continues the run's own). Throws when the trunk has no checkpoint. True when copied.
bool start_from_trunk(const std::string& trunk_dir, const std::string& run_dir);

// The model's accuracy per class on ds (eval mode, the bundle's normalisation) [K].
std::vector<double> model_class_accuracy(nn::Module& model, const train::DatasetBundle& d, const data::ImageDataset& ds);

// generation.csv (per target class: count, attempted, accepted, gamma_failed, rejected, skipped,
// accept_rate; a total row), generated.png (16 pairs as three rows) and generated.md (k0 -> k and g's
// confidence per column). Returns the markdown table of the csv.
std::string write_generation_report(const GenStats& s, const std::vector<Example>& examples,
                                    const std::vector<int64_t>& counts, const std::vector<std::string>& class_names,
                                    const std::vector<double>& g_train_acc, const std::string& dir);

}  // namespace eg::m2m
