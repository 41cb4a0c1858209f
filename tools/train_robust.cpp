// train_robust.cpp — build/bin/train_robust: "Adversarial Examples Are Not Bugs, They Are Features" (Ilyas et
// al., NeurIPS 2019). One command runs the paper's two experiments (robust-features.md §5) into --out:
//   standard/  a standard model on the training set D (the source of D_det, D_rand and D_NR);
//   Part A: d_det/, d_rand/  fresh standard models trained only on D_det / D_rand (targeted L2 PGD on the
//           standard model, images relabelled t), evaluated on the real test set;
//   Part B: robust/  an adversarially trained (Madry, L2) model; d_r/, d_nr/  standard models trained on the
//           representation inversions of the robust / the standard model, clean and robust accuracy.
// The constructed sets are written to --out/sets/*.safetensors as float32 (readable by every trainer through
// --train-set). Figures: inversions.png (originals / D_R / D_NR of the same images), d_det.png and d_rand.png
// (row t = images relabelled t). --eval-only --weights FILE: clean and robust accuracy of any model file.
// Default: the paper's CIFAR-10 settings (spec §3, ResNet-50); --quick: spec §5 on Fashion-MNIST.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "methods/data/image_set_file.h"
#include "methods/robust/adversarial_training.h"
#include "methods/robust/batches.h"
#include "methods/robust/constructed.h"
#include "methods/robust/robust_eval.h"
#include "methods/train/cli.h"
#include "methods/train/distributed.h"
#include "methods/train/plots.h"
#include "methods/train/report.h"

using namespace eg;
using namespace eg::train;
using namespace eg::robust;
namespace fs = std::filesystem;

namespace {

struct Settings {
  std::string dataset = "cifar10";
  nn::ModelSpec spec;
  int64_t train_per_class = 0, invert_per_class = 0;  // 0 = all
  int64_t epochs = 150, adv_epochs = 150, nonrobust_epochs = 150, inverted_epochs = 150, batch = 128;
  double lr = 0.1, momentum = 0.9, wd = 5e-4;
  std::string schedule = "step";  // step: x0.1 at 1/3 and 2/3 of the epochs (CIFAR); cosine: to 0
  bool augment = true;            // standard training on D, D_rand, D_R, D_NR (never on D_det)
  double adv_eps = 0.5, adv_step = 0.1;
  int64_t adv_steps = 7;
  double attack_eps = 0.5, attack_step = 0.1;
  int64_t attack_steps = 100;
  double invert_step = 0.1;
  int64_t invert_steps = 1000;
  double eval_eps = 0.25;
  int64_t eval_steps = 20, eval_every_kth = 5, attack_batch = 250;
  std::vector<std::string> parts = {"A", "B"};
};

bool has_part(const Settings& s, const std::string& p) {
  return std::find(s.parts.begin(), s.parts.end(), p) != s.parts.end();
}

std::shared_ptr<nn::LrSchedule> make_schedule(const Settings& s, int64_t epochs) {
  if (s.schedule == "cosine") return std::make_shared<nn::CosineLR>((double)epochs, 0.0);
  return std::make_shared<nn::MultiStepLR>(std::vector<double>{epochs / 3.0, 2.0 * epochs / 3.0}, 0.1);
}

// What every run of the command shares; the caller sets epochs, run_dir, label, augmentation.
ClassifyConfig base_config(const Settings& s, const CommonFlags& common, uint64_t seed, const Json& config) {
  ClassifyConfig c;
  c.model = s.spec;
  c.batch_size = s.batch;
  c.lr = s.lr;
  c.momentum = s.momentum;
  c.weight_decay = s.wd;
  c.per_iteration_schedule = s.schedule == "cosine";
  c.crop_padding = 4;
  c.flip = s.dataset.rfind("cifar", 0) == 0;  // no flips for Fashion-MNIST / MNIST
  c.seed = seed;
  c.trainer = "train_robust";
  c.eval_every = 5;
  c.plain = common.plain;
  c.resume = common.resume;
  c.metadata["config"] = config.dump();
  return c;
}

struct Stage {
  std::shared_ptr<nn::Backbone> model;
  Metrics metrics;
  std::vector<int64_t> confusion;
  double wall_s = 0;
  bool interrupted = false;
};

// A standard model trained on `d` (its train split may be a constructed set) into dir.
Stage train_standard(const DatasetBundle& d, ClassifyConfig c, const Settings& s, int64_t epochs, bool augment,
                     const std::string& dir, const std::string& label) {
  c.epochs = epochs;
  c.schedule = make_schedule(s, epochs);
  c.augment = augment;
  c.run_dir = dir;
  c.label = label;
  fs::create_directories(dir);
  ClassifyResult r = train_classifier(d, c);
  Stage out;
  out.interrupted = r.interrupted;
  if (r.interrupted) return out;
  out.model = load_model_file(dir + "/model.safetensors").model;
  out.metrics = r.metrics;
  out.confusion = r.confusion;
  out.wall_s = r.wall_s;
  return out;
}

void add_robust_acc(Stage& st, const DatasetBundle& d, const Settings& s, const std::vector<int64_t>& eval_idx,
                    uint64_t seed) {
  Generator g(seed + 99);
  PixelModel pm(st.model, d.mean, d.std);
  RobustAccuracy ra = robust_accuracy(pm, d.test, eval_idx, evaluation_attack(s.eval_eps, s.eval_steps), s.attack_batch, g);
  st.metrics["robust_acc"] = ra.robust_acc;
  st.metrics["robust_subset_clean_acc"] = ra.clean_acc;
}

// Accuracy against the shifted labels (y+1) mod K, from a confusion matrix (rows = true class).
double shifted_accuracy(const std::vector<int64_t>& cm, int64_t k) {
  int64_t hit = 0, n = 0;
  for (int64_t c = 0; c < k; ++c)
    for (int64_t j = 0; j < k; ++j) n += cm[(size_t)(c * k + j)], hit += j == (c + 1) % k ? cm[(size_t)(c * k + j)] : 0;
  return n ? (double)hit / (double)n : 0;
}

void progress_line(const std::string& what, int64_t done, int64_t total) {
  std::fprintf(stderr, "%s: %ld/%ld images\n", what.c_str(), (long)done, (long)total);
}

// A constructed set from its file when --resume finds it, else built and saved. stat: attack_success or
// mean_rel_error, kept in the file's metadata.
ConstructedSet cached_set(const std::string& path, bool resume, const std::string& stat,
                          const std::function<ConstructedSet()>& build) {
  if (resume && fs::exists(path)) {
    std::map<std::string, std::string> meta;
    ConstructedSet cs;
    cs.set = data::load_image_set(path, &meta);
    (stat == "attack_success" ? cs.attack_success : cs.mean_rel_error) = std::stod(meta.at(stat));
    std::fprintf(stderr, "reusing %s\n", path.c_str());
    return cs;
  }
  ConstructedSet cs = build();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", stat == "attack_success" ? cs.attack_success : cs.mean_rel_error);
  data::save_image_set(path, cs.set, {{stat, buf}});
  return cs;
}

// Row t: up to `per_row` images of the set labelled t (D_det / D_rand with their new labels).
void save_by_label_grid(const data::ImageDataset& ds, int64_t per_row, const std::string& path) {
  std::vector<int64_t> idx;
  for (int64_t t = 0; t < ds.num_classes; ++t) {
    int64_t taken = 0;
    for (int64_t i = 0; i < ds.n && taken < per_row; ++i)
      if (ds.labels[(size_t)i] == t) idx.push_back(i), ++taken;
  }
  if (!idx.empty()) save_image_grid(pixel_batch(ds, idx), path, per_row);
}

// The table, the spec's pass conditions (§5, means over seeds) and whether the paper's claims held.
void report(RunDir& run, const Settings& s, const Json& params, bool quick) {
  std::vector<ReportColumn> cols = {{"test_acc", "test acc"}, {"robust_acc", "robust acc"},
                                    {"attack_success", "attack success"}, {"test_acc_shifted", "acc vs y+1"},
                                    {"rel_error", "rel. repr. error"}};
  std::string table = markdown_table(run.records(), {}, cols);
  std::printf("\n%s\n", table.c_str());
  double total = 0;
  for (auto& r : run.records()) total += r.wall_s;
  char head[512];
  std::snprintf(head, sizeof head,
                "# train_robust results\n\nAccuracy on the real %s test set (%%), mean ± std over seeds. robust acc: "
                "untargeted L2 PGD, eps %g, %ld steps of eps/8, on every %ld-th test image (class-sorted). attack "
                "success: the source (standard) model classifies the constructed image as its new label. D_det / "
                "D_rand: targeted L2 PGD eps %g, %ld steps of %g, last iterate; D_rand's label is never the true one. "
                "D_R / D_NR: %ld normalised-GD steps of %g%s (rel. repr. error as a fraction).\n\n",
                s.dataset.c_str(), s.eval_eps, (long)s.eval_steps, (long)s.eval_every_kth, s.attack_eps,
                (long)s.attack_steps, s.attack_step, (long)s.invert_steps, s.invert_step,
                s.spec.name == "lenet" ? ", fake ReLU" : "");
  std::string md = head + table + "\nTotal training time (training loops only): " + std::to_string((int)total) + " s\n";
  auto mean = [&](const std::string& r, const std::string& m) { return metric_over_seeds(run.records(), r, params, m); };
  char buf[512];
  std::string checks;
  MeanStd det = mean("d_det", "test_acc"), rnd = mean("d_rand", "test_acc");
  if (quick && det.n && rnd.n) {
    bool a1 = det.mean >= 0.25, a2 = rnd.mean >= 0.50;
    std::snprintf(buf, sizeof buf, "A1. D_det model's real test accuracy >= 25%% (%.1f%%)", 100 * det.mean);
    checks += pass_line(buf, a1);
    std::snprintf(buf, sizeof buf, "A2. D_rand model's real test accuracy >= 50%% (%.1f%%)", 100 * rnd.mean);
    checks += pass_line(buf, a2);
    std::snprintf(buf, sizeof buf, "\nClaim (b), non-robust features alone generalise: %s (D_det %.1f%%, D_rand %.1f%%; "
                  "chance 10%%; CIFAR ordering D_rand > D_det: %s)\n", a1 && a2 ? "held" : "not held", 100 * det.mean,
                  100 * rnd.mean, rnd.mean > det.mean ? "yes" : "no");
    checks += buf;
  }
  MeanStd dr = mean("d_r", "robust_acc"), dnr = mean("d_nr", "robust_acc"), drc = mean("d_r", "test_acc");
  if (quick && dr.n && dnr.n) {
    bool b1 = dr.mean >= dnr.mean + 0.10, b2 = drc.mean >= 0.70;
    std::snprintf(buf, sizeof buf, "B1. D_R model's robust accuracy >= D_NR model's + 10 (%.1f%% vs %.1f%%)",
                  100 * dr.mean, 100 * dnr.mean);
    checks += pass_line(buf, b1);
    std::snprintf(buf, sizeof buf, "B2. D_R model's clean accuracy >= 70%% (%.1f%%)", 100 * drc.mean);
    checks += pass_line(buf, b2);
    std::snprintf(buf, sizeof buf, "\nClaim (a), robustness comes from the (robust) training set: %s (robust accuracy "
                  "D_R %.1f%% vs D_NR %.1f%%, D_R clean %.1f%%)\n", b1 && b2 ? "held" : "not held", 100 * dr.mean,
                  100 * dnr.mean, 100 * drc.mean);
    checks += buf;
  }
  if (!checks.empty()) {
    // One verdict first (tools/report.py reads the first line naming the claim), then the parts.
    bool all = checks.find("FAIL ") == std::string::npos && checks.find("not held") == std::string::npos;
    std::string parts = std::string(det.n ? "A" : "") + (det.n && dr.n ? " and " : "") + (dr.n ? "B" : "");
    checks = "\n## Pass conditions (robust-features.md §5, means over seeds)\n\nThe paper's claim (part" +
             std::string(det.n && dr.n ? "s " : " ") + parts + "): " + (all ? "held" : "not held") + "\n\n" + checks;
    std::printf("%s", checks.c_str());
    md += checks;
  }
  md += "\nFigures: inversions_seed*.png (rows: originals, D_R, D_NR of the same images); d_det_seed*.png and "
        "d_rand_seed*.png (row t: images relabelled t). Constructed sets (float32): sets/*.safetensors.\n";
  write_file_atomic(run.path("results.md"), md);
  std::printf("results: %s/results.md, metrics: %s/metrics.json\n", run.dir().c_str(), run.dir().c_str());
}

int eval_only(const CommonFlags& common, const Settings& s, const std::string& weights) {
  LoadedModel lm = load_model_file(weights);
  DatasetBundle d = load_training_data(common, lm.info.dataset.empty() ? s.dataset : lm.info.dataset);
  PixelModel pm(lm.model, lm.info.mean, lm.info.std);
  auto idx = every_kth_by_class(d.test, s.eval_every_kth);
  Generator g(common.seed);
  RobustAccuracy ra = robust_accuracy(pm, d.test, idx, evaluation_attack(s.eval_eps, s.eval_steps), s.attack_batch, g);
  std::printf("%s on %ld %s images: clean %.2f%%, robust %.2f%% (L2 PGD eps %g, %ld steps of eps/8)\n", weights.c_str(),
              (long)ra.n, d.eval_split.c_str(), 100 * ra.clean_acc, 100 * ra.robust_acc, s.eval_eps, (long)s.eval_steps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"train_robust: robust and non-robust features (Ilyas et al. 2019)", "train_robust"};
  CommonFlags common;
  add_common_flags(app, common, "runs/robust");
  Settings s;
  s.spec.name = "resnet50";
  std::vector<uint64_t> seeds;
  bool eval_only_flag = false;
  std::string weights;
  app.add_option("--dataset", s.dataset, "fashion-mnist|mnist|cifar10")->capture_default_str()
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "cifar10"}));
  app.add_option("--model", s.spec.name, "backbone (the fake ReLU of the inversions needs lenet)")->capture_default_str()
      ->check(CLI::IsMember(nn::model_names()));
  app.add_option("--widths", s.spec.widths, "convnet / lenet widths");
  app.add_option("--seeds", seeds, "seeds, one pass of the whole pipeline each (default: --seed)")->excludes("--seed");
  app.add_option("--parts", s.parts, "A (D_det, D_rand) and/or B (robust model, D_R, D_NR)")->capture_default_str()
      ->check(CLI::IsMember({"A", "B"}));
  app.add_option("--train-per-class", s.train_per_class, "the first N train images of each class (0 = all)")
      ->capture_default_str()->check(non_negative());
  app.add_option("--invert-per-class", s.invert_per_class, "images per class inverted for D_R / D_NR (0 = all)")
      ->capture_default_str()->check(non_negative());
  app.add_option("--epochs", s.epochs, "epochs of the standard (source) model")->capture_default_str()->check(positive());
  app.add_option("--adv-epochs", s.adv_epochs, "epochs of adversarial training")->capture_default_str()->check(positive());
  app.add_option("--nonrobust-epochs", s.nonrobust_epochs, "epochs on D_det / D_rand")->capture_default_str()
      ->check(positive());
  app.add_option("--inverted-epochs", s.inverted_epochs, "epochs on D_R / D_NR")->capture_default_str()->check(positive());
  app.add_option("--batch-size", s.batch, "batch size")->capture_default_str()->check(positive());
  app.add_option("--lr", s.lr, "SGD learning rate")->capture_default_str()->check(positive());
  app.add_option("--momentum", s.momentum, "SGD momentum")->capture_default_str()->check(in_range(0.0, 1.0));
  app.add_option("--weight-decay", s.wd, "weight decay")->capture_default_str()->check(non_negative());
  app.add_option("--schedule", s.schedule, "step (x0.1 at 1/3 and 2/3) | cosine (to 0, per iteration)")
      ->capture_default_str()->check(CLI::IsMember({"step", "cosine"}));
  app.add_option("--augment", s.augment, "random crop (+ flip on CIFAR) for standard training; never on D_det")
      ->capture_default_str();
  app.add_option("--adv-eps", s.adv_eps, "adversarial training: L2 eps")->capture_default_str()->check(positive());
  app.add_option("--adv-step", s.adv_step, "adversarial training: PGD step (default eps/5)")->check(positive());
  app.add_option("--adv-steps", s.adv_steps, "adversarial training: PGD steps")->capture_default_str()->check(positive());
  app.add_option("--attack-eps", s.attack_eps, "D_det / D_rand: targeted L2 eps")->capture_default_str()
      ->check(positive());
  app.add_option("--attack-step", s.attack_step, "D_det / D_rand: step (default eps/5; --quick eps/10)")
      ->check(positive());
  app.add_option("--attack-steps", s.attack_steps, "D_det / D_rand: steps")->capture_default_str()->check(positive());
  app.add_option("--invert-step", s.invert_step, "inversion: normalised GD step")->capture_default_str()
      ->check(positive());
  app.add_option("--invert-steps", s.invert_steps, "inversion: iterations")->capture_default_str()->check(positive());
  app.add_option("--eval-eps", s.eval_eps, "robust accuracy: L2 eps of the untargeted PGD (step eps/8)")
      ->capture_default_str()->check(positive());
  app.add_option("--eval-steps", s.eval_steps, "robust accuracy: PGD steps")->capture_default_str()->check(positive());
  app.add_option("--eval-every-kth", s.eval_every_kth, "robust accuracy on every k-th test image (class-sorted)")
      ->capture_default_str()->check(positive());
  app.add_flag("--eval-only", eval_only_flag, "no training: clean and robust accuracy of --weights");
  app.add_option("--weights", weights, "a model file (model.safetensors or a checkpoint) for --eval-only")
      ->check(CLI::ExistingFile);

  return run_main(app, argc, argv, [&] {
    dist::refuse_distributed("train_robust", "its stages write image sets and models that the next stage reads back");
    Device dev = apply_common_flags(common);
    ENGINE_CHECK(dev == Device::CPU, "train_robust runs on the CPU (--device cpu)");
    if (eval_only_flag) {
      ENGINE_CHECK(!weights.empty(), "--eval-only needs --weights FILE");
      return eval_only(common, s, weights);
    }
    refuse_unless(app, "--weights", false, "applies to --eval-only only");
    refuse_with_quick(app, common, {"--dataset", "--model"}, "the dataset (fashion-mnist) and the model (lenet)");
    if (common.quick) {  // robust-features.md §5
      s.dataset = "fashion-mnist";
      s.spec.name = "lenet";
      if (s.spec.widths.empty()) s.spec.widths = {8, 16, 64};
      auto set = [&](const char* flag, auto& v, auto value) { if (!app.count(flag)) v = value; };
      set("--train-per-class", s.train_per_class, int64_t{1000});
      set("--invert-per-class", s.invert_per_class, int64_t{500});
      set("--epochs", s.epochs, int64_t{5});
      set("--adv-epochs", s.adv_epochs, int64_t{5});
      set("--nonrobust-epochs", s.nonrobust_epochs, int64_t{10});
      set("--inverted-epochs", s.inverted_epochs, int64_t{15});
      set("--lr", s.lr, 0.05);
      set("--schedule", s.schedule, std::string("cosine"));
      set("--augment", s.augment, false);
      set("--adv-eps", s.adv_eps, 2.0);
      set("--attack-eps", s.attack_eps, 4.0);
      set("--attack-steps", s.attack_steps, int64_t{30});
      set("--invert-step", s.invert_step, 0.3);
      set("--invert-steps", s.invert_steps, int64_t{100});
      set("--eval-eps", s.eval_eps, 1.0);
      if (!app.count("--attack-step")) s.attack_step = s.attack_eps / 10;
    }
    if (!app.count("--adv-step")) s.adv_step = s.adv_eps / 5;
    if (!app.count("--attack-step") && !common.quick) s.attack_step = s.attack_eps / 5;
    if (seeds.empty()) seeds = {common.seed};
    bool fake = s.spec.name == "lenet";
    if (!fake && has_part(s, "B"))
      std::fprintf(stderr, "note: --model %s: inversions use the true ReLU (the fake ReLU needs lenet)\n", s.spec.name.c_str());
    Json resolved = {{"dataset", s.dataset}, {"model", s.spec.name}, {"widths", s.spec.widths}, {"seeds", seeds},
                     {"train-per-class", s.train_per_class}, {"invert-per-class", s.invert_per_class},
                     {"epochs", s.epochs}, {"adv-epochs", s.adv_epochs}, {"nonrobust-epochs", s.nonrobust_epochs},
                     {"inverted-epochs", s.inverted_epochs}, {"lr", s.lr}, {"schedule", s.schedule},
                     {"augment", s.augment}, {"adv-eps", s.adv_eps}, {"adv-step", s.adv_step},
                     {"attack-eps", s.attack_eps}, {"attack-step", s.attack_step}, {"attack-steps", s.attack_steps},
                     {"invert-step", s.invert_step}, {"invert-steps", s.invert_steps}, {"eval-eps", s.eval_eps},
                     {"fake_relu", fake}, {"d_rand_excludes_y", true}, {"eval_split", eval_split_name(common)}};
    Json config = run_config(app, "train_robust", resolved);
    check_run_dir(common.out, config, common.resume, common.force, {common.init_from});
    DatasetBundle full = load_training_data(common, s.dataset);
    RunDir run = open_run_dir(common.out, config, common.resume, common.force, {common.init_from});
    fs::create_directories(run.path("sets"));
    Json params = {{"dataset", s.dataset}};
    auto record = [&](const std::string& name, uint64_t seed, const Stage& st, const Metrics& keep) {
      RunRecord rec;
      rec.run = name;
      rec.seed = seed;
      rec.params = params;
      for (auto& [k, v] : keep) rec.metrics[k] = v;
      rec.wall_s = st.wall_s;
      rec.eval_split = full.eval_split;
      run.record(rec);
      std::printf("%-8s seed %lu:", name.c_str(), (unsigned long)seed);
      for (auto& [k, v] : keep) std::printf(" %s %.2f%%", k.c_str(), 100 * v);
      std::printf(" (%.0f s)\n", st.wall_s);
      std::fflush(stdout);
    };

    for (uint64_t seed : seeds) {
      DatasetBundle d = full;
      if (s.train_per_class > 0) d.train = full.train.subset(first_per_class(full.train, s.train_per_class));
      auto eval_idx = every_kth_by_class(d.test, s.eval_every_kth);
      ClassifyConfig base = base_config(s, common, seed, config);
      std::string sfx = "_seed" + std::to_string(seed);
      auto dir = [&](const std::string& name) { return run.path(name + sfx); };

      Stage standard = train_standard(d, base, s, s.epochs, s.augment, dir("standard"), "standard s" + std::to_string(seed));
      if (standard.interrupted) return 130;
      add_robust_acc(standard, d, s, eval_idx, seed);
      record("standard", seed, standard, {{"test_acc", standard.metrics["test_acc"]}, {"robust_acc", standard.metrics["robust_acc"]}});
      PixelModel std_pm(standard.model, d.mean, d.std);

      if (has_part(s, "A")) {
        for (Relabel kind : {Relabel::Det, Relabel::Rand}) {
          std::string name = kind == Relabel::Det ? "d_det" : "d_rand";
          Generator g(seed * 1000 + (kind == Relabel::Det ? 1 : 2));
          auto targets = relabel_targets(d.train.labels, d.train.num_classes, kind, g);
          PgdConfig atk;
          atk.eps = s.attack_eps;
          atk.step = s.attack_step;
          atk.steps = s.attack_steps;
          atk.use_best = false;  // spec §5: the last iterate
          ConstructedSet cs = cached_set(run.path("sets/" + name + sfx + ".safetensors"), common.resume, "attack_success", [&] {
            return make_nonrobust_set(std_pm, d.train, targets, atk, s.attack_batch, g,
                                      [&](int64_t a, int64_t b) { progress_line("building " + name, a, b); });
          });
          save_by_label_grid(cs.set, 8, run.path(name + sfx + ".png"));
          DatasetBundle dc = d;
          dc.train = cs.set;
          Stage st = train_standard(dc, base, s, s.nonrobust_epochs, kind == Relabel::Rand && s.augment, dir(name),
                                    name + " s" + std::to_string(seed));
          if (st.interrupted) return 130;
          Metrics keep = {{"test_acc", st.metrics["test_acc"]}, {"attack_success", cs.attack_success}};
          if (kind == Relabel::Det) keep["test_acc_shifted"] = shifted_accuracy(st.confusion, d.test.num_classes);
          record(name, seed, st, keep);
        }
      }

      if (has_part(s, "B")) {
        ClassifyConfig rc = base;
        rc.epochs = s.adv_epochs;
        rc.schedule = make_schedule(s, s.adv_epochs);
        rc.augment = false;
        rc.run_dir = dir("robust");
        rc.label = "robust s" + std::to_string(seed);
        fs::create_directories(rc.run_dir);
        PgdConfig adv;
        adv.eps = s.adv_eps;
        adv.step = s.adv_step;
        adv.steps = s.adv_steps;
        AdversarialResult ar = train_adversarial(d, rc, adv);
        if (ar.interrupted) return 130;
        Stage robust{ar.model, ar.metrics, {}, ar.wall_s, false};
        add_robust_acc(robust, d, s, eval_idx, seed);
        record("robust", seed, robust, {{"test_acc", robust.metrics["test_acc"]}, {"robust_acc", robust.metrics["robust_acc"]}});

        std::vector<int64_t> inv_idx = first_per_class(d.train, s.invert_per_class > 0 ? s.invert_per_class
                                                                                       : d.train.class_counts()[0]);
        data::ImageDataset targets = d.train.subset(inv_idx);
        Generator sg(seed * 1000 + 3);
        auto starts = other_random_indices(inv_idx, d.train.n, sg);  // the same start images for D_R and D_NR
        InversionConfig ic;
        ic.step = s.invert_step;
        ic.steps = s.invert_steps;
        ic.fake_relu = fake;
        std::vector<data::ImageDataset> inverted;
        for (auto [name, model] : {std::pair<std::string, std::shared_ptr<nn::Backbone>>{"d_r", robust.model},
                                   {"d_nr", standard.model}}) {
          PixelModel pm(model, d.mean, d.std);
          ConstructedSet cs = cached_set(run.path("sets/" + name + sfx + ".safetensors"), common.resume, "mean_rel_error", [&] {
            return make_inverted_set(pm, targets, d.train, starts, ic, s.attack_batch,
                                     [&](int64_t a, int64_t b) { progress_line("inverting for " + name, a, b); });
          });
          std::fprintf(stderr, "%s: mean relative representation error %.4f\n", name.c_str(), cs.mean_rel_error);
          inverted.push_back(cs.set);
          DatasetBundle dc = d;
          dc.train = cs.set;
          Stage st = train_standard(dc, base, s, s.inverted_epochs, s.augment, dir(name), name + " s" + std::to_string(seed));
          if (st.interrupted) return 130;
          add_robust_acc(st, d, s, eval_idx, seed);
          record(name, seed, st, {{"test_acc", st.metrics["test_acc"]}, {"robust_acc", st.metrics["robust_acc"]},
                                  {"rel_error", cs.mean_rel_error}});
        }
        // 12 images spread over the classes: originals, D_R, D_NR (three rows).
        std::vector<int64_t> pick;
        for (int64_t k = 0; k < 12; ++k) pick.push_back(std::min(targets.n - 1, (k * targets.n) / 12 + k % 3));
        Tensor grid = cat({pixel_batch(targets, pick), pixel_batch(inverted[0], pick), pixel_batch(inverted[1], pick)}, 0);
        save_image_grid(grid, run.path("inversions" + sfx + ".png"), 12);
      }
    }
    report(run, s, params, common.quick);
    return 0;
  });
}
