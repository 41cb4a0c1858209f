// experiment.cpp — M2m's runs, trunk sharing and reports (see experiment.h).
#include "methods/m2m/experiment.h"

#include <cstdio>
#include <filesystem>

#include "losses/cross_entropy.h"
#include "losses/ldam.h"
#include "methods/eval/classification.h"
#include "methods/train/distributed.h"
#include "methods/train/plots.h"
#include "methods/train/run_dir.h"

namespace eg::m2m {

namespace fs = std::filesystem;

void configure_run(train::ClassifyConfig& cfg, const RunKind& kind, const data::ImageDataset& train, double drw_beta,
                   std::shared_ptr<MajorToMinor> m2m) {
  const int64_t n = train.n, b = cfg.batch_size;
  if (kind.resample_from >= 0) {
    // Over-sampled epochs have as many draws as the imbalanced set (train.py's ImbalancedDatasetSampler).
    auto balanced = std::make_shared<data::ClassBalancedSampler>(train.labels, train.num_classes, b, cfg.seed, -1,
                                                                 /*drop_last=*/true);
    auto plain = std::make_shared<data::RandomSampler>(n, b, cfg.seed, /*drop_last=*/true);
    cfg.sampler = kind.resample_from == 0 ? std::shared_ptr<data::Sampler>(balanced)
                                          : std::make_shared<DeferredSampler>(plain, balanced, kind.resample_from);
  }
  std::vector<int64_t> counts = train.class_counts();
  int64_t from = kind.reweight_from;  // -1: never re-weighted
  if (kind.ldam) {
    // M2m's LDAM: max margin 0.5, s = 30, on the cosine classifier; DRW weights when re-weighted.
    cfg.model.head = "cosine";
    Tensor margins = losses::ldam_margins(counts, 0.5);
    cfg.loss = [counts, drw_beta, from, margins](const Tensor& logits, const Tensor& y, int64_t epoch) {
      Tensor w = from >= 0 ? losses::drw_weights(counts, drw_beta, epoch, from, logits.dtype()).to(logits.device())
                           : Tensor();
      return losses::ldam_loss(logits, y, margins.to(logits.dtype()).to(logits.device()), 30.0, w,
                               losses::Reduction::BatchMean);
    };
  } else if (from >= 0) {
    cfg.loss = [counts, drw_beta, from](const Tensor& logits, const Tensor& y, int64_t epoch) {
      losses::CrossEntropyOptions o;
      o.weight = losses::drw_weights(counts, drw_beta, epoch, from, logits.dtype()).to(logits.device());
      o.reduction = losses::Reduction::BatchMean;  // train.py: criterion(reduction='none').mean()
      return losses::cross_entropy(logits, y, o);
    };
  }
  if (kind.generate_from >= 0) {
    ENGINE_CHECK(m2m, "configure_run: run '", kind.name, "' translates but no M2m generator was given");
    cfg.prepare_batch = [m2m](data::Batch& batch, nn::Backbone& f, int64_t epoch) { m2m->apply(batch, f, epoch); };
  }
}

bool start_from_trunk(const std::string& trunk_dir, const std::string& run_dir) {
  fs::path ck = fs::path(run_dir) / "checkpoint.safetensors";
  bool started = fs::exists(ck);
  train::dist::barrier();  // under mpirun: every rank has looked before rank 0 copies
  if (started) return false;
  fs::path src = fs::path(trunk_dir) / "checkpoint.safetensors";
  ENGINE_CHECK(fs::exists(src), "the ERM trunk has no checkpoint at ", src.string());
  fs::create_directories(run_dir);
  if (train::dist::is_root()) {
    fs::copy_file(fs::path(trunk_dir) / "log.csv", fs::path(run_dir) / "log.csv", fs::copy_options::overwrite_existing);
    fs::copy_file(src, ck);
    // Model selection continues over the trunk's epochs, as in one uninterrupted run.
    if (fs::exists(fs::path(trunk_dir) / "best_eval.json"))
      fs::copy_file(fs::path(trunk_dir) / "best_eval.json", fs::path(run_dir) / "best_eval.json",
                    fs::copy_options::overwrite_existing);
  }
  train::dist::barrier();
  return true;
}

std::vector<double> model_class_accuracy(nn::Module& model, const train::DatasetBundle& d, const data::ImageDataset& ds) {
  bool was = model.is_training();
  model.eval();
  train::Predictions p = train::predict(ds, [&](const Tensor& x) { return model.forward(x); }, train::test_transform(d),
                                        256, Device::CPU);
  model.train(was);
  return eval::per_class_accuracy(eval::argmax(p.logits, p.n, p.k), p.labels, p.k);
}

std::string write_generation_report(const GenStats& s, const std::vector<Example>& examples,
                                    const std::vector<int64_t>& counts, const std::vector<std::string>& class_names,
                                    const std::vector<double>& g_train_acc, const std::string& dir) {
  std::string csv = "class,name,train_count,g_train_acc,attempted,accepted,gamma_failed,rejected,skipped,accept_rate\n";
  std::string md = "| class | N | g train acc | attempted | accepted | γ-failed | rejected | no seed | accept rate |\n"
                   "|---|---|---|---|---|---|---|---|---|\n";
  char buf[512];
  auto rate = [](int64_t a, int64_t n) { return n ? (double)a / (double)n : 0.0; };
  for (size_t c = 0; c < counts.size(); ++c) {
    std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    double ga = c < g_train_acc.size() ? g_train_acc[c] : NAN;
    std::snprintf(buf, sizeof buf, "%zu,%s,%ld,%.4f,%ld,%ld,%ld,%ld,%ld,%.4f\n", c, name.c_str(), (long)counts[c], ga,
                  (long)s.attempted[c], (long)s.accepted[c], (long)s.gamma_failed[c], (long)s.rejected[c],
                  (long)s.skipped[c], rate(s.accepted[c], s.attempted[c]));
    csv += buf;
    std::snprintf(buf, sizeof buf, "| %zu %s | %ld | %.1f%% | %ld | %ld | %ld | %ld | %ld | %.1f%% |\n", c, name.c_str(),
                  (long)counts[c], 100 * ga, (long)s.attempted[c], (long)s.accepted[c], (long)s.gamma_failed[c],
                  (long)s.rejected[c], (long)s.skipped[c], 100 * rate(s.accepted[c], s.attempted[c]));
    md += buf;
  }
  std::snprintf(buf, sizeof buf, "| all | | | %ld | %ld | %ld | %ld | %ld | %.1f%% |\n\nMean ‖x* − x0‖₂ over accepted "
                "samples: %.3f\n", (long)s.total(s.attempted), (long)s.total(s.accepted), (long)s.total(s.gamma_failed),
                (long)s.total(s.rejected), (long)s.total(s.skipped), 100 * s.accept_rate(), s.mean_delta_l2());
  md += buf;
  train::write_file_atomic(dir + "/generation.csv", csv);
  if (!examples.empty()) {
    std::vector<Tensor> seeds, gens, diffs;
    std::string notes = "# generated.png\n\nRow 1: seeds x0; row 2: translations x*; row 3: 0.5 + 2(x* − x0).\n\n"
                        "| column | k0 -> k | g confidence in k |\n|---|---|---|\n";
    for (size_t i = 0; i < examples.size(); ++i) {
      const Example& e = examples[i];
      seeds.push_back(e.seed), gens.push_back(e.generated), diffs.push_back((e.generated - e.seed) * 2.0 + 0.5);
      auto nm = [&](int64_t c) { return (size_t)c < class_names.size() ? class_names[(size_t)c] : std::to_string(c); };
      std::snprintf(buf, sizeof buf, "| %zu | %s -> %s | %.3f |\n", i + 1, nm(e.k0).c_str(), nm(e.k).c_str(), e.confidence);
      notes += buf;
    }
    Tensor grid = cat({cat(seeds, 0), cat(gens, 0), cat(diffs, 0)}, 0);
    train::save_image_grid(grid, dir + "/generated.png", (int64_t)examples.size());
    train::write_file_atomic(dir + "/generated.md", notes);
  }
  return md;
}

}  // namespace eg::m2m
