// train_rpl.cpp — build/bin/train_rpl: open-set recognition with Reciprocal Points (Chen et al., ECCV 2020)
// against its baselines: Softmax (MSP score; max-logit reported too), GCPL, RPL (shared R, or per class
// with --radius per_class) and ARPL's loss, on the official open-set splits (rpl.md §4).
// Every (split × seed × method) is one run into --out/split<i>/<method>_seed<s>/ (log.csv, figures); the
// command prints a markdown table (mean ± std over seeds) and writes metrics.json, results.md, config.json.
// Default: the official recipe (classifier32, SGD lr 0.1, 100 epochs, ×0.1 at 30/60/90, batch 64; Adam lr
// 1e-3 for TinyImageNet). --quick: rpl.md §6, Fashion-MNIST split 0, SmallCNN(16, 32, 64), 3000 images per
// known class, 10 epochs (×0.1 at 3, 6, 9), seeds 0-2, softmax/gcpl/rpl, with the spec's pass conditions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "methods/rpl/backbones.h"
#include "methods/rpl/data.h"
#include "methods/rpl/splits.h"
#include "methods/train/cli.h"
#include "methods/train/report.h"

using namespace eg;
using namespace eg::train;

namespace {

// rpl.md §6's pass conditions and the paper's claim, from the means over seeds of split `split`.
std::string quick_checks(const std::vector<RunRecord>& recs, const Json& params_of_split) {
  auto m = [&](const std::string& run, const std::string& key) {
    return metric_over_seeds(recs, run, params_of_split, key);
  };
  MeanStd s_acc = m("softmax", "test_acc"), r_acc = m("rpl", "test_acc"), s_au = m("softmax", "auroc"),
          r_au = m("rpl", "auroc"), r_auo = m("rpl", "auroc_official"), g_au = m("gcpl", "auroc"),
          dk = m("rpl", "mean_max_dist_known"), du = m("rpl", "mean_max_dist_unknown");
  if (!s_acc.n || !r_acc.n) return "";
  char buf[512];
  std::string s = "\n## Pass conditions (rpl.md §6, split 0, means over seeds)\n\n";
  std::snprintf(buf, sizeof buf, "1. closed-set accuracy: Softmax %.1f >= 92, RPL %.1f >= 86", 100 * s_acc.mean,
                100 * r_acc.mean);
  s += pass_line(buf, s_acc.mean >= 0.92 && r_acc.mean >= 0.86);
  std::snprintf(buf, sizeof buf,
                "2. AUROC: Softmax-MSP %.1f in [74, 88]; RPL %.1f in [65, 85] and >= Softmax-MSP - 14 (%.1f)",
                100 * s_au.mean, 100 * r_au.mean, 100 * s_au.mean - 14);
  s += pass_line(buf, s_au.mean >= 0.74 && s_au.mean <= 0.88 && r_au.mean >= 0.65 && r_au.mean <= 0.85 &&
                          r_au.mean >= s_au.mean - 0.14);
  std::snprintf(buf, sizeof buf, "3. RPL mean max_k d_k: known %.3f > unknown %.3f", dk.mean, du.mean);
  s += pass_line(buf, dk.n && dk.mean > du.mean);
  std::snprintf(buf, sizeof buf, "4. RPL AUROC half-ties %.2f and official %.2f agree within 0.1", 100 * r_au.mean,
                100 * r_auo.mean);
  s += pass_line(buf, std::fabs(r_au.mean - r_auo.mean) <= 0.001);
  if (g_au.n) {
    const bool held = r_au.mean >= g_au.mean && g_au.mean > s_au.mean;
    std::snprintf(buf, sizeof buf,
                  "\nPaper's claim (AUROC ordering RPL >= GCPL > Softmax-MSP): %s — RPL %.1f, GCPL %.1f, Softmax-MSP "
                  "%.1f (RPL - Softmax %+.1f, GCPL - Softmax %+.1f, RPL - GCPL %+.1f).\n",
                  held ? "held" : "not held", 100 * r_au.mean, 100 * g_au.mean, 100 * s_au.mean,
                  100 * (r_au.mean - s_au.mean), 100 * (g_au.mean - s_au.mean), 100 * (r_au.mean - g_au.mean));
    s += buf;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"train_rpl: open-set recognition with Reciprocal Points (RPL) vs Softmax, GCPL, ARPL", "train_rpl"};
  CommonFlags common;
  add_common_flags(app, common, "runs/rpl");
  std::string dataset = "mnist", model = "classifier32", radius = "shared", optimizer, ties = "half";
  std::vector<int64_t> widths;
  std::vector<std::string> methods = {"softmax", "gcpl", "rpl", "arpl"};
  std::vector<int> splits = {0};
  bool all_splits = false;
  std::vector<uint64_t> seeds;
  int64_t epochs = 100, batch = 64, per_class = 0, eval_every = 1, points = 1;
  double lr = 0, momentum = 0.9, wd = -1, temperature = 1.0, lambda = 0.1;
  std::vector<double> milestones;
  app.add_option("--dataset", dataset, "mnist|fashion-mnist|cifar10|cifar+10|cifar+50|tiny-imagenet")
      ->capture_default_str()->check(CLI::IsMember(rpl::protocol_names()));
  app.add_option("--splits", splits, "official split lists to run (0-4)")->capture_default_str()
      ->check(in_range(0, rpl::kNumSplits - 1));
  app.add_flag("--all-splits", all_splits, "run all five official splits")->excludes("--splits");
  app.add_option("--methods", methods, "softmax gcpl rpl arpl")->capture_default_str()
      ->check(CLI::IsMember(rpl::method_names()));
  app.add_option("--radius", radius, "RPL's radius: shared (one scalar, official) or per_class")->capture_default_str()
      ->check(CLI::IsMember({"shared", "per_class"}));
  app.add_option("--points-per-class", points, "RPL's reciprocal points per class M")->capture_default_str()
      ->check(positive());
  app.add_option("--temperature", temperature, "T (the paper's gamma = 1/T)")->capture_default_str()
      ->check(positive());
  app.add_option("--lambda", lambda, "weight of the open-space / prototype term (weight_pl)")->capture_default_str()
      ->check(non_negative());
  app.add_option("--auroc-ties", ties, "the AUROC of the table: half (ties count 1/2) or official (0); both are in "
                 "metrics.json")->capture_default_str()->check(CLI::IsMember({"half", "official"}));
  app.add_option("--model", model, "classifier32 (official) or smallcnn")->capture_default_str()
      ->check(CLI::IsMember(rpl::backbone_names()));
  app.add_option("--widths", widths, "smallcnn widths (default 16 32 64; a last width of 2 gives 2-d embeddings "
                 "and embedding.png)");
  app.add_option("--per-class", per_class, "train images per known class (0 = all)")->capture_default_str()
      ->check(non_negative());
  app.add_option("--seeds", seeds, "seeds, one run each (default: --seed)")->excludes("--seed");
  app.add_option("--epochs", epochs, "epochs; without --milestones lr x0.1 at 30/60/90% of them")->capture_default_str()
      ->check(positive());
  app.add_option("--milestones", milestones, "epochs where lr is multiplied by 0.1");
  app.add_option("--batch-size", batch, "batch size")->capture_default_str()->check(positive());
  app.add_option("--optimizer", optimizer, "sgd or adam (default: adam for tiny-imagenet, else sgd)")
      ->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--lr", lr, "lr (default 0.1 for SGD, 0.001 for Adam)")->check(positive());
  app.add_option("--momentum", momentum, "SGD momentum")->capture_default_str()->check(in_range(0.0, 1.0));
  app.add_option("--weight-decay", wd, "weight decay, also on points and radius (default 1e-4 SGD, 0 Adam)")
      ->check(non_negative());
  app.add_option("--eval-every", eval_every, "evaluate every k epochs and after the last (0 = only after the last)")
      ->capture_default_str()->check(non_negative());

  return run_main(app, argc, argv, [&] {
    // The open-set splits select classes of --dataset itself: a constructed training set has no such split.
    refuse_unless(app, "--train-set", false, "is not supported by train_rpl (its open-set split comes from --dataset)");
    refuse_with_quick(app, common, {"--dataset", "--model", "--splits", "--all-splits"},
                      "the dataset (fashion-mnist, split 0) and the model (smallcnn)");
    if (common.quick) {  // rpl.md §6
      dataset = "fashion-mnist";
      model = "smallcnn";
      if (!app.count("--per-class")) per_class = 3000;
      if (!app.count("--epochs")) epochs = 10;
      if (!app.count("--methods")) methods = {"softmax", "gcpl", "rpl"};
      if (!app.count("--seeds") && !app.count("--seed")) seeds = {0, 1, 2};
      if (!app.count("--eval-every")) eval_every = 0;  // the spec reports the last epoch only
    }
    if (all_splits) splits = {0, 1, 2, 3, 4};
    if (milestones.empty())  // the official 30/60/90 of 100 epochs, in proportion
      for (double f : {0.3, 0.6, 0.9}) milestones.push_back(std::round(f * (double)epochs * 1e6) / 1e6);
    if (optimizer.empty()) optimizer = dataset == "tiny-imagenet" ? "adam" : "sgd";
    if (lr == 0) lr = optimizer == "adam" ? 1e-3 : 0.1;
    if (wd < 0) wd = optimizer == "adam" ? 0 : 1e-4;
    if (eval_every == 0) eval_every = epochs;
    if (model == "smallcnn" && widths.empty()) widths = {16, 32, 64};
    refuse_unless(app, "--widths", model == "smallcnn", "applies to --model smallcnn only");
    const bool uses_rpl = std::find(methods.begin(), methods.end(), "rpl") != methods.end();
    refuse_unless(app, "--radius", uses_rpl, "applies to the rpl method only (not in --methods)");
    refuse_unless(app, "--points-per-class", uses_rpl, "applies to the rpl method only (not in --methods)");
    refuse_unless(app, "--momentum", optimizer == "sgd", "applies to --optimizer sgd only");
    if (seeds.empty()) seeds = {common.seed};
    Device dev = apply_common_flags(common);
    Json resolved = {{"dataset", dataset}, {"model", model},       {"widths", widths},         {"methods", methods},
                     {"splits", splits},   {"seeds", seeds},       {"epochs", epochs},         {"milestones", milestones},
                     {"optimizer", optimizer}, {"lr", lr},         {"weight-decay", wd},       {"per-class", per_class},
                     {"eval-every", eval_every}, {"eval_split", eval_split_name(common)}};
    Json config = run_config(app, "train_rpl", resolved);
    check_run_dir(common.out, config, common.resume, common.force, {common.init_from});
    ENGINE_CHECK(common.init_from.empty(), "--init-from is not supported by train_rpl (its heads have no "
                 "pretrained weights); drop it");
    rpl::check_open_set_files(dataset, common.data_dir);  // before any run: one line naming what is missing
    RunDir run = open_run_dir(common.out, config, common.resume, common.force, {common.init_from});
    const bool augment = dataset != "mnist" && dataset != "fashion-mnist";  // official: none for MNIST
    std::printf("open-set protocol %s, splits", dataset.c_str());
    for (int s : splits) std::printf(" %d", s);
    std::printf("; AUROC column: %s ties\n", ties.c_str());
    for (int split : splits) {
      for (uint64_t seed : seeds) {
        rpl::OpenSetDataOptions dopt{dataset, common.data_dir, split, per_class, seed, common.val_per_class};
        rpl::OpenSetData data = rpl::load_open_set(dopt);
        for (auto& name : methods) {
          rpl::Method method = rpl::parse_method(name);
          const bool is_rpl = method == rpl::Method::Rpl;
          Json params = {{"dataset", dataset}, {"split", split}};
          if (is_rpl) params["radius"] = radius, params["points_per_class"] = points;
          if (run.find(name, seed, params) && common.resume) {
            std::fprintf(stderr, "skip finished run split %d %s seed %lu\n", split, name.c_str(), (unsigned long)seed);
            continue;
          }
          rpl::OpenSetTrainConfig cfg;
          cfg.head.method = method;
          cfg.head.points_per_class = is_rpl ? points : 1;
          cfg.head.per_class_radius = is_rpl && radius == "per_class";
          cfg.head.temperature = temperature;
          cfg.head.lambda = lambda;
          cfg.backbone = model;
          cfg.widths = widths;
          cfg.epochs = epochs;
          cfg.batch_size = batch;
          cfg.adam = optimizer == "adam";
          cfg.lr = lr;
          cfg.momentum = momentum;
          cfg.weight_decay = wd;
          cfg.milestones = milestones;
          cfg.augment = augment;
          cfg.seed = seed;
          cfg.device = dev;
          char sub[128];
          std::snprintf(sub, sizeof sub, "/split%d/%s_seed%lu", split, name.c_str(), (unsigned long)seed);
          cfg.run_dir = run.dir() + sub;
          std::filesystem::create_directories(cfg.run_dir);
          cfg.resume = common.resume;
          cfg.plain = common.plain;
          cfg.label = "split" + std::to_string(split) + " " + name + " s" + std::to_string(seed);
          cfg.eval_every = eval_every;
          cfg.metadata["config"] = config.dump();
          cfg.debug_kill_after_steps = common.debug_kill_after_steps;
          cfg.debug_interrupt_after_steps = common.debug_interrupt_after_steps;
          rpl::OpenSetRunResult r = rpl::train_open_set(data, cfg);
          if (r.interrupted) return 130;
          RunRecord rec;
          rec.run = name;
          rec.seed = seed;
          rec.params = params;
          for (auto& [k, v] : r.metrics) rec.metrics[k] = v;
          rec.wall_s = r.wall_s;
          rec.eval_split = data.bundle.eval_split;
          run.record(rec);
          std::printf("split %d %-7s seed %lu: acc %.2f%%, AUROC %.2f%% (official ties %.2f%%), OSCR %.2f%% in %.1f s\n",
                      split, name.c_str(), (unsigned long)seed, 100 * r.metrics["test_acc"], 100 * r.metrics["auroc"],
                      100 * r.metrics["auroc_official"], 100 * r.metrics["oscr"], r.wall_s);
          std::fflush(stdout);
        }
      }
    }
    const std::string au = ties == "half" ? "auroc" : "auroc_official";
    std::vector<ReportColumn> cols = {{"test_acc", "acc"},       {au, std::string("AUROC (") + ties + " ties)"},
                                      {"aupr_in", "AUPR-In"},    {"aupr_out", "AUPR-Out"},
                                      {"oscr", "OSCR"},          {"auroc_mls", "AUROC max-logit"}};
    std::string table = markdown_table(run.records(), {"split"}, cols);
    std::vector<RunRecord> rpl_runs;
    for (auto& r : run.records())
      if (r.run == "rpl") rpl_runs.push_back(r);
    std::string diag = markdown_table(rpl_runs, {"split"},
                                      {{"mean_max_dist_known", "mean max_k d_k, known"},
                                       {"mean_max_dist_unknown", "mean max_k d_k, unknown"}}, false);
    std::printf("\n%s\n%s\n", table.c_str(), diag.c_str());
    double total = 0;
    for (auto& r : run.records()) total += r.wall_s;
    std::string md = "# train_rpl results\n\nOpen-set protocol " + dataset + " (official split lists), " +
                     eval_split_name(common) + " split; % mean ± std over seeds. AUROC uses " + ties +
                     " ties; score = max softmax probability (ARPL: max logit).\n\n" + table +
                     "\nRPL diagnostic (not %):\n\n" + diag + "\nTotal training time: " + std::to_string((int)total) +
                     " s\n";
    if (dataset == "fashion-mnist" && std::find(splits.begin(), splits.end(), 0) != splits.end()) {
      std::string checks = quick_checks(run.records(), {{"dataset", dataset}, {"split", 0}});
      std::printf("%s", checks.c_str());
      md += checks;
    }
    write_file_atomic(run.path("results.md"), md);
    // The first split's seed-0 histograms next to results.md: one figure per method at the top level.
    for (auto& name : methods) {
      std::string from = run.dir() + "/split" + std::to_string(splits[0]) + "/" + name + "_seed" +
                         std::to_string(seeds[0]) + "/score_hist.png";
      if (std::filesystem::exists(from))
        std::filesystem::copy_file(from, run.path("score_hist_" + name + ".png"),
                                   std::filesystem::copy_options::overwrite_existing);
    }
    std::printf("results: %s/results.md, metrics: %s/metrics.json\n", run.dir().c_str(), run.dir().c_str());
    return 0;
  });
}
