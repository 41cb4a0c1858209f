// train_m2m.cpp — build/bin/train_m2m: M2m, major-to-minor translation (Kim, Jeong, Shin, CVPR 2020; spec
// shared/methods/m2m.md) and its baselines on long-tailed data. Per (imbalance ρ × seed) the runs erm, over
// (class-balanced loader from epoch 0), drs (from T0), drw (DRW-weighted CE from T0), ldam_drw (LDAM loss on a
// cosine classifier, DRW from T0), m2m (class-balanced loader plus translation from T0, g = the erm run's
// final model or --g FILE, frozen) and m2m_ldam_drw (both) go into --out/mu<ρ>/<run>_seed<s>/. Runs that
// equal ERM (or LDAM) before T0 start from a copy of one ERM (LDAM) trunk's epoch-T0 checkpoint, optimiser
// state included, as the spec's "sharing the ERM run up to T0". Prints a markdown
// table (mean ± std over seeds), writes metrics.json, results.md, per-class figures and, per m2m run,
// generation.csv / generated.png / generated.md.
// Default: the official CIFAR-10-LT recipe (§3), reporting test accuracy (the last 90% of each test class)
// at the epoch of best accuracy on the first 10% (§4). --quick: §6, long-tailed Fashion-MNIST ρ = 100, the
// spec's CNN, 30 epochs, ×0.1 at 21 and 26, T0 = 21, η = 0.5, no augmentation, seeds 0 and 1, and the
// spec's pass conditions.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "methods/data/builders.h"
#include "methods/m2m/experiment.h"
#include "methods/train/cli.h"
#include "methods/train/plots.h"
#include "methods/train/report.h"

using namespace eg;
using namespace eg::train;

int main(int argc, char** argv) {
  CLI::App app{"train_m2m: M2m (major-to-minor translation) and its baselines on long-tailed data", "train_m2m"};
  CommonFlags common;
  add_common_flags(app, common, "runs/m2m");
  std::string dataset = "cifar10", g_file, noise = "official", seed_sampling = "batch";
  nn::ModelSpec spec;
  spec.name = "resnet32";
  std::vector<double> mus = {100};
  std::vector<std::string> runs = {"erm", "over", "drs", "drw", "ldam_drw", "m2m"};
  std::vector<uint64_t> seeds;
  int64_t epochs = 200, batch = 128, warmup = 5, t0 = 160, steps = 10, n_max = 0, padding = 4, eval_every = 0;
  double lr = 0.1, momentum = 0.9, wd = 2e-4, lr_gamma = 0.01, beta = 0.999, lambda = 0.5, gamma = 0.9, eta = 0.1,
         noise_norm = 0.5, drw_beta = 0.999;
  std::vector<double> milestones = {160, 180};
  bool no_augment = false, final_epoch = false;
  app.add_option("--dataset", dataset, "fashion-mnist|mnist|cifar10|cifar100")->capture_default_str()
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "cifar10", "cifar100"}));
  app.add_option("--model", spec.name, "backbone (smallcnn = the spec's Fashion-MNIST CNN)")->capture_default_str()
      ->check(CLI::IsMember(nn::model_names()));
  app.add_option("--widths", spec.widths, "convnet / smallcnn widths");
  app.add_option("--mu", mus, "imbalance ratios rho = n_max / n_min")->capture_default_str()->check(in_range(1.0, 1e6));
  app.add_option("--n-max", n_max, "images of the largest class (0 = all of class 0: 5000 on CIFAR-10; --quick 2000)")
      ->capture_default_str()->check(non_negative());
  app.add_option("--runs", runs, "erm over drs drw ldam_drw m2m m2m_ldam_drw")->capture_default_str()->check(CLI::IsMember(m2m::run_names()));
  app.add_option("--seeds", seeds, "seeds, one set of runs each (default: --seed)")->excludes("--seed");
  app.add_option("--g", g_file, "the frozen classifier g (a model file or checkpoint; default: this command's erm run)");
  app.add_option("--epochs", epochs, "epochs")->capture_default_str()->check(positive());
  app.add_option("--batch-size", batch, "batch size")->capture_default_str()->check(positive());
  app.add_option("--lr", lr, "base learning rate")->capture_default_str()->check(positive());
  app.add_option("--momentum", momentum, "SGD momentum")->capture_default_str()->check(in_range(0.0, 1.0));
  app.add_option("--weight-decay", wd, "weight decay")->capture_default_str()->check(non_negative());
  app.add_option("--warmup", warmup, "warm-up epochs: lr (e+1)/W for e < W")->capture_default_str()
      ->check(non_negative());
  app.add_option("--milestones", milestones, "epochs where lr is multiplied by --lr-gamma")->capture_default_str();
  app.add_option("--lr-gamma", lr_gamma, "lr factor at each milestone")->capture_default_str()->check(positive());
  app.add_option("--t0", t0, "T0 (train.py --warm): epoch where re-sampling, DRW and translation start")
      ->capture_default_str()->check(non_negative());
  app.add_option("--beta", beta, "M2m beta: seed weights and rejection 1 - beta^gap")->capture_default_str()
      ->check(in_range(0.0, 0.999999999));
  app.add_option("--lambda", lambda, "weight of f's seed-class logit in the translation objective")
      ->capture_default_str()->check(non_negative());
  app.add_option("--gamma", gamma, "g's confidence in the target class needed to accept x*")->capture_default_str()
      ->check(in_range(0.0, 1.0));
  app.add_option("--attack-iter", steps, "T: translation steps")->capture_default_str()->check(non_negative());
  app.add_option("--step-size", eta, "eta: L2-normalised step size")->capture_default_str()->check(non_negative());
  app.add_option("--noise", noise, "random start: official (train.py's renorm over dim 1) | per-sample | none")
      ->capture_default_str()->check(CLI::IsMember({"official", "per-sample", "none"}));
  app.add_option("--noise-norm", noise_norm, "random start L2 cap")->capture_default_str()->check(non_negative());
  app.add_option("--seed-sampling", seed_sampling, "batch (train.py) | class (the paper's Q(k0|k), issue #10)")
      ->capture_default_str()->check(CLI::IsMember({"batch", "class"}));
  app.add_option("--drw-beta", drw_beta, "DRW's effective-number beta (1 = inverse frequency)")
      ->capture_default_str()->check(in_range(0.0, 1.0));
  app.add_option("--crop-padding", padding, "random-crop padding")->capture_default_str()->check(non_negative());
  app.add_flag("--no-augment", no_augment, "no random crop / flip (--quick: none, so g memorises the tail)");
  app.add_flag("--final-epoch", final_epoch, "report the final epoch on the whole test set instead of the test "
               "accuracy at the best epoch on the first 10% of each test class (--quick: always the final epoch)");
  app.add_option("--eval-every", eval_every, "evaluate every k epochs and after the last (0 = about 6 times a run)")
      ->capture_default_str()->check(non_negative());

  return run_main(app, argc, argv, [&] {
    refuse_with_quick(app, common, {"--dataset", "--model", "--mu"}, "the dataset (fashion-mnist, rho 100) and model (smallcnn)");
    if (common.quick) {  // m2m.md §6
      dataset = "fashion-mnist";
      spec.name = "smallcnn";
      if (!app.count("--n-max")) n_max = 2000;
      if (!app.count("--runs")) runs = {"erm", "over", "drs", "m2m"};
      if (!app.count("--epochs")) epochs = 30;
      if (!app.count("--warmup")) warmup = 0;
      if (!app.count("--milestones")) milestones = {21, 26};
      if (!app.count("--lr-gamma")) lr_gamma = 0.1;
      if (!app.count("--t0")) t0 = 21;
      if (!app.count("--step-size")) eta = 0.5;
      no_augment = true;
      if (!app.count("--seeds") && !app.count("--seed")) seeds = {0, 1};
    }
    refuse_unless(app, "--widths", spec.name == "convnet" || spec.name == "smallcnn", "applies to convnet / smallcnn only");
    auto uses = [&](const std::string& r) { return std::find(runs.begin(), runs.end(), r) != runs.end(); };
    bool translates = uses("m2m") || uses("m2m_ldam_drw");
    for (auto* f : {"--beta", "--lambda", "--gamma", "--attack-iter", "--step-size", "--noise", "--noise-norm",
                    "--seed-sampling", "--g"})
      refuse_unless(app, f, translates, "applies to the m2m runs only (m2m, m2m_ldam_drw: not in --runs)");
    refuse_unless(app, "--drw-beta", uses("drw") || uses("ldam_drw") || uses("m2m_ldam_drw"),
                  "applies to the DRW runs only (drw, ldam_drw, m2m_ldam_drw: not in --runs)");
    refuse_unless(app, "--crop-padding", !no_augment, "has no effect with --no-augment (and --quick)");
    ENGINE_CHECK(t0 <= epochs, "--t0 ", t0, " is after the last epoch (--epochs ", epochs, ")");
    ENGINE_CHECK(!translates || uses("erm") || !g_file.empty(),
                 "--runs m2m / m2m_ldam_drw need g: add erm to --runs (its final model is g) or give --g FILE");
    if (seeds.empty()) seeds = {common.seed};
    if (eval_every == 0) eval_every = std::max<int64_t>(1, epochs / 6);
    // Canonical order: erm first (its model is g), then the others.
    std::vector<std::string> order;
    for (auto& r : m2m::run_names())
      if (uses(r)) order.push_back(r);
    Device dev = apply_common_flags(common);
    Json resolved = {{"dataset", dataset},   {"model", spec.name},   {"widths", spec.widths},  {"mu", mus},
                     {"n_max", n_max},       {"runs", order},        {"epochs", epochs},       {"warmup", warmup},
                     {"milestones", milestones}, {"lr_gamma", lr_gamma}, {"t0", t0},           {"seeds", seeds},
                     {"step_size", eta},     {"augment", !no_augment}, {"eval-every", eval_every},
                     {"eval_split", eval_split_name(common)}, {"final_epoch", final_epoch || common.quick}};
    Json config = run_config(app, "train_m2m", resolved);
    check_run_dir(common.out, config, common.resume, common.force, {common.init_from, g_file});
    DatasetBundle full = load_training_data(common, dataset);
    if (n_max == 0) n_max = full.train.class_counts()[0];
    // m2m.md §4: the first 10% of each test class (in test order) is train.py's validation split, the rest
    // is the test set; reported: test accuracy at the best-validation epoch (--quick, §6: the final epoch).
    std::shared_ptr<const data::ImageDataset> val;
    if (!common.quick && full.eval_split == "test" && !final_epoch) {
      auto [rest, first10] = data::train_val_split(full.test, 0.1, 0, false);
      full.test = rest;
      val = std::make_shared<const data::ImageDataset>(std::move(first10));
    }
    const int64_t K = full.train.num_classes;
    RunDir run = open_run_dir(common.out, config, common.resume, common.force, {common.init_from, g_file});
    auto t_start = std::chrono::steady_clock::now();
    m2m::M2mConfig mc;
    mc.translate.lambda = lambda, mc.translate.eta = eta, mc.translate.steps = steps;
    mc.translate.noise = m2m::noise_mode_from_name(noise), mc.translate.noise_norm = noise_norm;
    mc.beta = beta, mc.gamma = gamma, mc.seeds = m2m::seed_sampling_from_name(seed_sampling), mc.start_epoch = t0;
    std::string gen_md;
    for (double mu : mus) {
      std::vector<int64_t> counts = data::long_tail_counts(n_max, K, mu);
      DatasetBundle d = full;
      d.train = m2m::long_tail_first(full.train, counts);
      ENGINE_CHECK(batch <= d.train.n, "--batch-size ", batch, " is larger than the long-tailed set (", d.train.n,
                   " images at rho ", mu, ")");
      char mu_dir[64];
      std::snprintf(mu_dir, sizeof mu_dir, "/mu%g", mu);
      for (uint64_t seed : seeds) {
        auto base = [&](const std::string& name, int64_t n_epochs) {
          ClassifyConfig cfg;
          cfg.model = spec;
          cfg.epochs = n_epochs;
          cfg.batch_size = batch;
          cfg.lr = lr;
          cfg.momentum = momentum;
          cfg.weight_decay = wd;
          cfg.schedule = m2m::m2m_schedule(warmup, milestones, lr_gamma);
          cfg.augment = !no_augment;
          cfg.crop_padding = padding;
          cfg.seed = seed;
          cfg.device = dev;
          cfg.run_dir = run.dir() + mu_dir + "/" + name + "_seed" + std::to_string(seed);
          std::filesystem::create_directories(cfg.run_dir);
          cfg.resume = common.resume;
          cfg.init_from = common.init_from;
          cfg.trainer = "train_m2m";
          cfg.label = "mu" + std::to_string((int)mu) + " " + name + " s" + std::to_string(seed);
          cfg.eval_every = eval_every;
          cfg.plain = common.plain;
          cfg.shot_metrics = true;
          if (val) cfg.select_on = val, cfg.eval_every = 1;  // select among every epoch, as train.py
          cfg.debug_kill_after_steps = common.debug_kill_after_steps;
          cfg.debug_interrupt_after_steps = common.debug_interrupt_after_steps;
          cfg.metadata["config"] = config.dump();
          return cfg;
        };
        auto params_of = [&](const std::string& name) {
          Json p = {{"mu", mu}, {"dataset", dataset}, {"t0", t0}};
          m2m::RunKind k = m2m::make_run(name, t0);
          if (k.generate_from >= 0) p["beta"] = beta, p["lambda"] = lambda, p["gamma"] = gamma, p["step_size"] = eta;
          if (k.reweight_from >= 0) p["drw_beta"] = drw_beta;
          return p;
        };
        // The trunks (ERM, and LDAM for the ldam runs): each trained once to T0, when a run still to do
        // shares it; a finished trunk is reused within the command and by --resume.
        std::map<std::string, std::string> trunk_dirs;
        auto trunk_of = [&](const m2m::RunKind& kind) -> std::string {
          std::string name = kind.trunk_name();
          if (trunk_dirs.count(name)) return trunk_dirs[name];
          m2m::RunKind plain = m2m::make_run(kind.ldam ? "ldam_drw" : "erm", t0);
          plain.reweight_from = -1;  // before T0 every run of the trunk is unweighted
          ClassifyConfig tc = base(name, t0);
          tc.figures = false;
          tc.resume = true;
          m2m::configure_run(tc, plain, d.train, drw_beta, nullptr);
          ClassifyResult tr = train_classifier(d, tc);
          if (tr.interrupted) return "";
          return trunk_dirs[name] = tc.run_dir;
        };
        std::string g_path = g_file;
        for (auto& name : order) {
          m2m::RunKind kind = m2m::make_run(name, t0);
          Json params = params_of(name);
          ClassifyConfig cfg = base(name, epochs);
          if (name == "erm" && g_file.empty()) g_path = cfg.run_dir + "/model.safetensors";
          if (run.find(name, seed, params) && common.resume) {
            std::fprintf(stderr, "skip finished run mu=%g %s seed %lu\n", mu, name.c_str(), (unsigned long)seed);
            continue;
          }
          if (kind.shares_trunk() && t0 > 0) {
            std::string trunk_dir = trunk_of(kind);
            if (trunk_dir.empty()) return 130;  // interrupted
            m2m::start_from_trunk(trunk_dir, cfg.run_dir);
            cfg.resume = true;
          }
          std::shared_ptr<m2m::MajorToMinor> gen;
          std::vector<double> g_acc;
          if (kind.generate_from >= 0) {
            LoadedModel g = load_model_file(g_path);
            ENGINE_CHECK(g.info.spec.num_classes == K, "--g ", g_path, " has ", g.info.spec.num_classes,
                         " classes, the data ", K);
            g.model->to(dev);
            g_acc = m2m::model_class_accuracy(*g.model, d, d.train);
            m2m::M2mConfig c = mc;
            c.seed = data::derive_seed(seed, 0x6d326d);  // its own stream, apart from the sampler's
            gen = std::make_shared<m2m::MajorToMinor>(g.model, counts, d.mean, d.std, c);
          }
          m2m::configure_run(cfg, kind, d.train, drw_beta, gen);
          ClassifyResult r = train_classifier(d, cfg);
          if (r.interrupted) return 130;
          RunRecord rec = classify_record(name, seed, params, r, full.eval_split);
          if (gen) {
            rec.metrics["accept_rate"] = gen->stats().accept_rate();
            rec.metrics["mean_delta_l2"] = gen->stats().mean_delta_l2();
            std::string t = m2m::write_generation_report(gen->stats(), gen->examples(), counts, d.train.class_names,
                                                         g_acc, cfg.run_dir);
            gen_md += "\n### mu " + std::to_string((int)mu) + ", seed " + std::to_string(seed) + "\n\n" + t;
          }
          run.record(rec);
          std::printf("mu=%g %-4s seed %lu: balanced acc %.2f%% (many %.1f, medium %.1f, few %.1f)%s in %.1f s\n", mu,
                      name.c_str(), (unsigned long)seed, 100 * r.metrics["balanced_acc"], 100 * r.metrics["many_acc"],
                      100 * r.metrics["medium_acc"], 100 * r.metrics["few_acc"],
                      gen ? (", accept rate " + std::to_string(gen->stats().accept_rate())).c_str() : "", r.wall_s);
          std::fflush(stdout);
        }
      }
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::vector<ReportColumn> cols = {{"balanced_acc", "bACC"}, {"many_acc", "many"}, {"medium_acc", "medium"},
                                      {"few_acc", "few"}};
    if (dataset == "fashion-mnist") cols.push_back({"class_6_acc", "Shirt"});
    std::string table = markdown_table(run.records(), {"mu"}, cols);
    std::printf("\n%s\n", table.c_str());
    char wall_line[160];
    std::snprintf(wall_line, sizeof wall_line, "\nWall time of this command: %.0f s (%.1f min).\n", wall, wall / 60);
    std::string md = "# train_m2m results\n\nBalanced test accuracy (%), mean ± std over seeds, " +
                     std::string(val ? "at the best-validation epoch" : "final epoch") + "; many / "
                     "medium / few = classes ranked by training count (top third, middle, bottom third).\n\n" + table +
                     wall_line;
    if (!gen_md.empty()) md += "\n## M2m generation (per target class)\n" + gen_md;
    // The spec's pass conditions (m2m.md §6) at rho = 100 on Fashion-MNIST.
    auto mean_of = [&](const std::string& name, const std::string& metric) {
      Json p = {{"mu", 100.0}, {"dataset", dataset}};
      return metric_over_seeds(run.records(), name, p, metric);
    };
    auto tail = [&](const std::string& name) {
      double s = 0;
      for (int c = 7; c <= 9; ++c) s += mean_of(name, "class_" + std::to_string(c) + "_acc").mean;
      return s / 3;
    };
    MeanStd erm = mean_of("erm", "balanced_acc"), m2 = mean_of("m2m", "balanced_acc");
    if (dataset == "fashion-mnist" && erm.n && m2.n && K == 10) {
      MeanStd over = mean_of("over", "balanced_acc"), drs = mean_of("drs", "balanced_acc");
      char buf[256];
      std::string checks = "\n## Pass conditions (m2m.md §6, rho = 100, means over seeds)\n\n";
      std::snprintf(buf, sizeof buf, "1. M2m bACC >= ERM + 1.0 (M2m %.2f, ERM %.2f)", 100 * m2.mean, 100 * erm.mean);
      checks += pass_line(buf, m2.mean >= erm.mean + 0.01);
      std::snprintf(buf, sizeof buf, "2. M2m classes 7-9 >= ERM + 2.0 (M2m %.2f, ERM %.2f)", 100 * tail("m2m"),
                    100 * tail("erm"));
      checks += pass_line(buf, tail("m2m") >= tail("erm") + 0.02);
      if (over.n && drs.n) {
        std::snprintf(buf, sizeof buf, "3. M2m not worse than Over or DRS by more than 1.0 (Over %.2f, DRS %.2f)",
                      100 * over.mean, 100 * drs.mean);
        checks += pass_line(buf, m2.mean >= over.mean - 0.01 && m2.mean >= drs.mean - 0.01);
        bool held = m2.mean > erm.mean && m2.mean > over.mean && m2.mean > drs.mean;
        std::snprintf(buf, sizeof buf, "\nPaper's claim (M2m beats ERM, re-sampling and DRS): %s here. M2m − DRS = "
                      "%+.2f points (the paper's several-point margin over DRS was not expected at this scale); M2m − "
                      "ERM = %+.2f.\n", held ? "held" : "not held", 100 * (m2.mean - drs.mean), 100 * (m2.mean - erm.mean));
        checks += buf;
      }
      std::printf("%s", checks.c_str());
      md += checks;
    }
    write_file_atomic(run.path("results.md"), md);
    for (double mu : mus) {
      std::vector<std::vector<double>> series;
      for (auto& name : order) {
        series.push_back(per_class_over_seeds(run.records(), name, {{"mu", mu}, {"dataset", dataset}}, K));
      }
      plot_bars(series, order, full.test.class_names, run.path("per_class_mu" + std::to_string((int)mu) + ".png"),
                "per-class test accuracy, rho = " + std::to_string((int)mu), "accuracy");
    }
    std::printf("results: %s/results.md, metrics: %s/metrics.json\n", run.dir().c_str(), run.dir().c_str());
    return 0;
  });
}
