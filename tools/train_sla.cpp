// train_sla.cpp — build/bin/train_sla: Self-supervised Label Augmentation (Lee, Hwang, Shin, ICML 2020;
// spec shared/methods/sla.md). Every (method × seed) is one run into --out/<method>_seed<s>/; methods are
// baseline, da, mt, sla (single and aggregated inference from one model) and sla_sd (its self-distillation
// head, and its joint head's SI / AG). The command prints a markdown table (mean ± std over seeds) and
// writes metrics.json, results.md, accuracy.png and per-run log.csv / curves.png / model.safetensors.
// A validation split (--val-per-class images per class, taken from train) is always held out and
// evaluated during training; the test split is evaluated once, after the last iteration, and never used
// for a choice. Runs report their final weights.
// Default: the official CIFAR recipe (§3): cifar10, ResNet-32, 80k iterations of 128 originals, SGD 0.1,
// ×0.1 at 40k and 60k, wd 1e-4, 5,000 validation images, rotation (M = 4).
// --quick: §6, Fashion-MNIST (1,000 train + 500 val images per class), ConvNet C(16,32,64), 600 iterations
// of 64 originals, ×0.1 at 300 and 450, seeds 0 and 1, and the spec's pass conditions.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "methods/data/builders.h"
#include "methods/sla/batch_sampler.h"
#include "methods/sla/inference.h"
#include "methods/sla/objective.h"
#include "methods/train/classify.h"
#include "methods/train/cli.h"
#include "methods/train/distributed.h"
#include "methods/train/plots.h"
#include "methods/train/report.h"

using namespace eg;
using namespace eg::train;

namespace {

struct Settings {
  std::string dataset = "cifar10", transformation = "rotation";
  nn::ModelSpec spec;
  std::vector<std::string> methods = {"baseline", "da", "mt", "sla", "sla_sd"};
  std::vector<uint64_t> seeds;
  int64_t iterations = 80000, iters_per_epoch = 1000, eval_every = 1, batch = 128, padding = 4;
  int64_t train_per_class = 0;  // 0 = every train image not held out for validation
  double lr = 0.1, momentum = 0.9, wd = 1e-4;
  std::vector<int64_t> milestones = {40000, 60000};
  sla::SdOptions sd;
};

// The data of every run: train (optionally a fixed class-balanced subset), val (held out from train), test.
struct SlaData {
  DatasetBundle train_bundle;  // .train = the training images, .mean/.std = normalization
  data::ImageDataset val, test;
};

SlaData load_sla_data(const CommonFlags& common, const Settings& s) {
  DatasetBundle full = load_dataset(s.dataset, common.data_dir);
  if (s.dataset == "cifar10" || s.dataset == "cifar100") {  // the official normalize(0.5, 0.5)
    full.mean.assign((size_t)full.train.c, 0.5f);
    full.std.assign((size_t)full.train.c, 0.5f);
  }
  int64_t per_class = common.val_per_class > 0 ? common.val_per_class : 5000 / full.train.num_classes;
  auto [rest, val] = data::train_val_split_count(full.train, per_class, kValidationSplitSeed);
  SlaData d;
  d.val = std::move(val);
  d.test = std::move(full.test);
  // A fixed subset (seed 0), the same for every method and seed: only the training order varies with --seed.
  full.train = s.train_per_class > 0 ? data::k_per_class(rest, s.train_per_class, 0) : std::move(rest);
  d.train_bundle = std::move(full);
  return d;
}

struct RunOutcome {
  Metrics metrics;
  double wall_s = 0;
  bool interrupted = false;
};

RunOutcome train_one(const SlaData& d, const Settings& s, sla::Method method, uint64_t seed, const CommonFlags& common,
                     Device dev, const std::string& run_dir, const Json& config) {
  const DatasetBundle& b = d.train_bundle;
  sla::TransformationSet t = sla::make_transformations(s.transformation);
  Generator init(seed);
  nn::ModelSpec spec = s.spec;
  spec.in_channels = b.train.c;
  sla::SlaNet net(spec, method, b.train.num_classes, t.size(), init);
  net.to(dev);
  nn::SGD opt({nn::ParamGroup{net.parameters(), s.lr, s.wd}}, {s.lr, s.momentum, 0, s.wd, false});
  auto sampler = std::make_shared<sla::IndependentBatchSampler>(b.train.n, s.batch, seed, s.iters_per_epoch);
  data::LoaderOptions lo;
  lo.seed = seed;
  lo.prefetch = 0;
  data::DataLoader loader(b.train, sampler, train_transform(b, true, s.padding, true), lo);
  auto tt = test_transform(b);
  const int64_t epochs = s.iterations / s.iters_per_epoch;

  LoopHooks hooks;
  hooks.step = [&](const data::Batch& batch) {
    sla::StepLoss l = sla::training_step(net, batch.x, batch.y, t, s.sd);
    return StepOut{l.loss, l.logits, l.labels};
  };
  hooks.evaluate = [&](int64_t epoch) {
    Metrics m = sla::evaluate_heads(net, d.val, tt, t, "val", 128, dev);
    if (epoch + 1 == epochs)  // the test split once, on the final weights
      for (auto& [k, v] : sla::evaluate_heads(net, d.test, tt, t, "test", 128, dev)) m[k] = v;
    return m;
  };
  LoopConfig lc;
  lc.epochs = epochs;
  std::vector<double> ms;
  for (int64_t it : s.milestones) ms.push_back((double)it / (double)s.iters_per_epoch);
  lc.schedule = std::make_shared<nn::MultiStepLR>(ms, 0.1);
  lc.per_iteration_schedule = true;
  lc.eval_every = s.eval_every;
  lc.run_dir = run_dir;
  lc.label = sla::method_name(method) + " s" + std::to_string(seed);
  lc.resume = common.resume;
  lc.device = dev;
  lc.plain = common.plain;
  lc.eval_columns = sla::head_metric_names(method, "val");
  for (auto& k : sla::head_metric_names(method, "test")) lc.eval_columns.push_back(k);
  lc.metadata = {{"config", config.dump()}, {"seed", std::to_string(seed)}, {"method", sla::method_name(method)},
                 {"transformations", t.name}, {"dataset", b.name}};
  lc.debug_kill_after_steps = common.debug_kill_after_steps;
  lc.debug_interrupt_after_steps = common.debug_interrupt_after_steps;
  LoopResult r = run_training(net, opt, loader, hooks, lc);
  RunOutcome out{r.last_eval, r.wall_s, r.interrupted};
  if (r.interrupted) return out;
  if (dist::is_root()) nn::save_weights(run_dir + "/model.safetensors", net, lc.metadata);
  plot_curves(run_dir + "/log.csv", {{"train_loss"}, {"train_acc", "val_acc"}}, run_dir + "/curves.png",
              lc.label + ": training curves (train_acc on the main head's rows)");
  return out;
}

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", 100 * v);
  return buf;
}

// sla.md §6's pass conditions and the paper's claims, on seed means of the test accuracies.
std::string quick_checks(const std::vector<RunRecord>& recs, const Json& params) {
  auto mean = [&](const std::string& run, const std::string& key) { return metric_over_seeds(recs, run, params, key); };
  MeanStd base = mean("baseline", "test_acc"), si = mean("sla", "test_acc_single"), ag = mean("sla", "test_acc_agg"),
          da = mean("da", "test_acc"), mt = mean("mt", "test_acc"), sd = mean("sla_sd", "test_acc_sd");
  auto held = [](const std::string& what, bool ok) { return "- " + what + ": " + (ok ? "**held**" : "**not held**") + "\n"; };
  std::string s = "\n## Pass conditions (sla.md §6, test accuracy, means over seeds)\n\n";
  if (!base.n || !si.n || !da.n) return s + "Not checked: needs the baseline, sla and da runs.\n";
  s += pass_line("1. Baseline >= 78 (" + pct(base.mean) + ")", base.mean >= 0.78);
  s += pass_line("2. SLA+SI >= Baseline - 4.5 and SLA+AG >= Baseline - 4.5 (SI " + pct(si.mean - base.mean) + ", AG " +
                pct(ag.mean - base.mean) + " points)",
            si.mean >= base.mean - 0.045 && ag.mean >= base.mean - 0.045);
  s += pass_line("3. DA <= Baseline - 3.0 (" + pct(da.mean - base.mean) + " points)", da.mean <= base.mean - 0.03);
  s += pass_line("4. SLA+AG >= SLA+SI - 1.0 (" + pct(ag.mean - si.mean) + " points)", ag.mean >= si.mean - 0.01);
  s += "\n## Claims (sla.md §6; the first is the paper's headline claim), test accuracy in points\n\n";
  s += held("Paper's claim: SLA+AG > Baseline (AG - Baseline = " + pct(ag.mean - base.mean) + ")", ag.mean > base.mean);
  s += held("Aggregation helps: SLA+AG > SLA+SI (" + pct(ag.mean - si.mean) + ")", ag.mean > si.mean);
  s += held("SLA+SI within ±1 of Baseline (" + pct(si.mean - base.mean) + ")", std::abs(si.mean - base.mean) <= 0.01);
  s += held("DA < Baseline: forced rotation invariance hurts on clothes (" + pct(da.mean - base.mean) + ")",
            da.mean < base.mean);
  if (mt.n) s += held("MT <= SLA+SI (MT - SI = " + pct(mt.mean - si.mean) + ")", mt.mean <= si.mean);
  if (sd.n)
    s += held("SLA+SD's head between SLA+SI and SLA+AG (SD " + pct(sd.mean) + ", SI " + pct(si.mean) + ", AG " +
                  pct(ag.mean) + ")",
              sd.mean >= std::min(si.mean, ag.mean) && sd.mean <= std::max(si.mean, ag.mean));
  return s;
}

// Seed-mean test accuracy of every head of every method, one bar each.
void plot_accuracy(const std::vector<RunRecord>& recs, const std::vector<std::string>& methods, const Json& params,
                   const std::string& png) {
  std::vector<double> acc;
  std::vector<std::string> labels;
  for (auto& m : methods) {
    std::vector<std::pair<std::string, std::string>> heads = {{"test_acc", m}};
    if (m == "sla") heads = {{"test_acc_single", "sla SI"}, {"test_acc_agg", "sla AG"}};
    if (m == "sla_sd") heads = {{"test_acc_sd", "sla_sd SD"}, {"test_acc_single", "sla_sd SI"}, {"test_acc_agg", "sla_sd AG"}};
    for (auto& [key, label] : heads) {
      MeanStd v = metric_over_seeds(recs, m, params, key);
      if (!v.n) continue;
      acc.push_back(v.mean);
      labels.push_back(label);
    }
  }
  if (!acc.empty()) plot_bars({acc}, {"test accuracy"}, labels, png, "SLA: test accuracy by method and head", "accuracy");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"train_sla: Self-supervised Label Augmentation (joint class x transformation labels)", "train_sla"};
  CommonFlags common;
  add_common_flags(app, common, "runs/sla");
  Settings s;
  s.spec.name = "resnet32";
  app.add_option("--dataset", s.dataset, "fashion-mnist|mnist|cifar10|cifar100")->capture_default_str()
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "cifar10", "cifar100"}));
  app.add_option("--model", s.spec.name, "backbone")->capture_default_str()->check(CLI::IsMember(nn::model_names()));
  app.add_option("--widths", s.spec.widths, "convnet widths (default 16 32 64)");
  app.add_option("--methods", s.methods, "baseline da mt sla sla_sd")->capture_default_str()
      ->check(CLI::IsMember(sla::method_names()));
  app.add_option("--transformation", s.transformation, "rotation rotation2 color_perm color_perm3 rot_color_perm6 "
                 "rot_color_perm12 rot_color_perm24")->capture_default_str()->check(CLI::IsMember(sla::transformation_names()));
  app.add_option("--seeds", s.seeds, "seeds, one run each (default: --seed)")->excludes("--seed");
  app.add_option("--iterations", s.iterations, "training iterations (a multiple of --iters-per-epoch)")
      ->capture_default_str()->check(positive());
  app.add_option("--iters-per-epoch", s.iters_per_epoch, "iterations per log row (the official --val-freq)")
      ->capture_default_str()->check(positive());
  app.add_option("--eval-every", s.eval_every, "evaluate on the validation split every k log rows (and after the last)")
      ->capture_default_str()->check(positive());
  app.add_option("--batch-size", s.batch, "original images per iteration (x M through the network)")
      ->capture_default_str()->check(positive());
  app.add_option("--lr", s.lr, "SGD learning rate")->capture_default_str()->check(positive());
  app.add_option("--momentum", s.momentum, "SGD momentum")->capture_default_str()->check(in_range(0.0, 1.0));
  app.add_option("--weight-decay", s.wd, "weight decay (all parameters, BN included)")->capture_default_str()
      ->check(non_negative());
  app.add_option("--milestones", s.milestones, "two iterations where lr is multiplied by 0.1 (default: 50% and 75% "
                 "of --iterations)")->capture_default_str()->expected(2);
  app.add_option("--T", s.sd.T, "sla_sd temperature")->capture_default_str()->check(positive());
  app.add_option("--sd-beta", s.sd.beta, "sla_sd weight of the SD head's cross-entropy")->capture_default_str()
      ->check(non_negative());
  app.add_flag("--with-large-loss", s.sd.large_loss, "multiply L_SLA by M (the official ImageNet/iNaturalist option)");
  app.add_option("--train-per-class", s.train_per_class, "a fixed class-balanced training subset of this many images "
                 "per class (0 = all train images not held out)")->capture_default_str()->check(non_negative());
  app.add_option("--crop-padding", s.padding, "random-crop padding")->capture_default_str()->check(non_negative());

  return run_main(app, argc, argv, [&] {
    // SLA trains on the dataset's own images (its batches are expanded by the transformations); a
    // constructed set from train_robust is not wired in, so the common flag is refused, not ignored.
    refuse_unless(app, "--train-set", false, "is not supported by train_sla (it loads --dataset itself)");
    auto t_start = std::chrono::steady_clock::now();
    refuse_with_quick(app, common, {"--dataset", "--model"}, "the dataset (fashion-mnist) and the model (convnet)");
    refuse_unless(app, "--init-from", false, "is not supported by train_sla (its networks have method-specific heads)");
    if (common.quick) {  // sla.md §6
      s.dataset = "fashion-mnist";
      s.spec.name = "convnet";
      if (!app.count("--methods")) s.methods = {"baseline", "sla", "sla_sd", "da", "mt"};
      if (!app.count("--iterations")) s.iterations = 600;
      if (!app.count("--iters-per-epoch")) s.iters_per_epoch = 100;
      if (!app.count("--eval-every")) s.eval_every = 3;
      if (!app.count("--batch-size")) s.batch = 64;
      if (!app.count("--crop-padding")) s.padding = 2;
      if (!app.count("--train-per-class")) s.train_per_class = 1000;
      if (!app.count("--val-per-class")) common.val_per_class = 500;
      if (!app.count("--seeds") && !app.count("--seed")) s.seeds = {0, 1};
    }
    if (!app.count("--milestones")) s.milestones = {s.iterations / 2, s.iterations * 3 / 4};
    ENGINE_CHECK(s.iterations % s.iters_per_epoch == 0, "--iterations ", s.iterations,
                 " must be a multiple of --iters-per-epoch ", s.iters_per_epoch);
    ENGINE_CHECK(s.milestones[0] <= s.milestones[1], "--milestones must be increasing, got ", s.milestones[0], " ",
                 s.milestones[1]);
    if (s.spec.name == "convnet" && s.spec.widths.empty()) s.spec.widths = {16, 32, 64};
    refuse_unless(app, "--widths", s.spec.name == "convnet", "applies to --model convnet only");
    auto uses = [&](const char* m) { return std::find(s.methods.begin(), s.methods.end(), m) != s.methods.end(); };
    refuse_unless(app, "--T", uses("sla_sd"), "applies to the sla_sd method only (not in --methods)");
    refuse_unless(app, "--sd-beta", uses("sla_sd"), "applies to the sla_sd method only (not in --methods)");
    refuse_unless(app, "--with-large-loss", uses("sla") || uses("sla_sd"), "applies to sla and sla_sd only");
    if (s.seeds.empty()) s.seeds = {common.seed};
    s.spec.conv_bias = false;  // convs feed BatchNorm (the official ResNet has bias-free convs)
    Device dev = apply_common_flags(common);
    Json resolved = {{"dataset", s.dataset},
                     {"model", s.spec.name},
                     {"widths", s.spec.widths},
                     {"methods", s.methods},
                     {"seeds", s.seeds},
                     {"iterations", s.iterations},
                     {"iters-per-epoch", s.iters_per_epoch},
                     {"eval-every", s.eval_every},
                     {"batch-size", s.batch},
                     {"crop-padding", s.padding},
                     {"milestones", s.milestones},
                     {"train-per-class", s.train_per_class},
                     {"val-per-class", common.val_per_class},
                     {"eval_split", "val during training, test once at the end"}};
    Json config = run_config(app, "train_sla", resolved);
    check_run_dir(common.out, config, common.resume, common.force);  // before the (slow, maybe missing) data
    SlaData d = load_sla_data(common, s);
    ENGINE_CHECK(s.batch <= d.train_bundle.train.n, "--batch-size ", s.batch, " is larger than the training set (",
                 d.train_bundle.train.n, " images)");
    {  // a colour set on grey images fails now, before any run trains
      const data::ImageDataset& tr = d.train_bundle.train;
      sla::check_images(sla::make_transformations(s.transformation), tr.c, tr.h, tr.w);
    }
    RunDir run = open_run_dir(common.out, config, common.resume, common.force);
    Json params = {{"dataset", s.dataset}, {"transformation", s.transformation}, {"iterations", s.iterations}};
    for (uint64_t seed : s.seeds)
      for (auto& name : s.methods) {
        if (run.find(name, seed, params) && common.resume) {
          std::fprintf(stderr, "skip finished run %s seed %lu\n", name.c_str(), (unsigned long)seed);
          continue;
        }
        std::string dir = run.dir() + "/" + name + "_seed" + std::to_string(seed);
        std::filesystem::create_directories(dir);
        RunOutcome r = train_one(d, s, sla::parse_method(name), seed, common, dev, dir, config);
        if (r.interrupted) return 130;
        RunRecord rec;
        rec.run = name;
        rec.seed = seed;
        rec.params = params;
        for (auto& [k, v] : r.metrics) rec.metrics[k] = v;
        rec.wall_s = r.wall_s;
        rec.eval_split = "test";
        run.record(rec);
        std::printf("%-8s seed %lu: test acc %.2f%% (val %.2f%%) in %.1f s\n", name.c_str(), (unsigned long)seed,
                    100 * r.metrics["test_acc"], 100 * r.metrics["val_acc"], r.wall_s);
        std::fflush(stdout);
      }
    std::vector<ReportColumn> cols = {{"test_acc", "test (reported)"}, {"test_acc_single", "SI"},
                                      {"test_acc_agg", "AG"},          {"val_acc", "val (reported)"},
                                      {"val_acc_single", "val SI"},    {"val_acc_agg", "val AG"}};
    std::string table = markdown_table(run.records(), {}, cols);
    std::printf("\n%s\n", table.c_str());
    double train_s = 0;
    for (auto& r : run.records()) train_s += r.wall_s;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    char times[160];
    std::snprintf(times, sizeof times, "\nTraining time (sum over runs): %.0f s; this command's wall time: %.0f s\n",
                  train_s, wall);
    std::string md = "# train_sla results\n\nTop-1 accuracy (%), mean ± std over seeds, final weights. \"reported\" is "
                     "each method's own number: the N-way head for baseline / da / mt, SLA+AG for sla, the SD head for "
                     "sla_sd. SI / AG: the joint head's single (t_0 columns) and aggregated (mean over the M copies) "
                     "inference. Transformation: " + s.transformation + "; " + std::to_string(s.iterations) +
                     " iterations of " + std::to_string(s.batch) + " originals on " + s.dataset + ".\n\n" + table + times;
    if (s.dataset == "fashion-mnist" && s.transformation == "rotation") {
      std::string checks = quick_checks(run.records(), params);
      std::printf("%s", checks.c_str());
      md += checks;
    }
    std::printf("%s", times);
    write_file_atomic(run.path("results.md"), md);
    plot_accuracy(run.records(), s.methods, params, run.path("accuracy.png"));
    std::printf("results: %s/results.md, metrics: %s/metrics.json\n", run.dir().c_str(), run.dir().c_str());
    return 0;
  });
}
