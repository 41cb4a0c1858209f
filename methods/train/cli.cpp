// cli.cpp — shared trainer flags (see cli.h).
#include "methods/train/cli.h"

#include <omp.h>

#include "core/eigen.h"
#include <cstdio>

#include "core/check.h"
#include "core/cpu/isa.h"
#include "core/storage.h"
#include "methods/train/interrupt.h"

namespace eg::train {

void add_common_flags(CLI::App& app, CommonFlags& f, const std::string& default_out) {
  f.out = default_out;
  app.add_option("--data-dir", f.data_dir, "dataset root (tools/fetch-data writes data/)")->capture_default_str();
  app.add_option("--out", f.out, "output directory: config.json, log.csv, metrics.json, checkpoints, figures")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "random seed (weights, data order, augmentation)")->capture_default_str();
  app.add_option("--device", f.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", f.threads, "CPU threads (0 = all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_flag("--resume", f.resume, "continue from --out/checkpoint.safetensors where a run stopped");
  app.add_flag("--quick", f.quick, "the scaled-down preset that finishes in minutes on 2 cores");
  app.add_flag("--plain", f.plain, "no progress bar, one line per epoch");
  app.add_option("--val-per-class", f.val_per_class,
                 "hold out N train images per class and report on them instead of the test set (for choosing "
                 "settings; test_* metrics are then validation numbers)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  // Hidden test hooks: simulate a crash (SIGKILL) or a Ctrl-C after N optimizer steps.
  app.add_option("--debug-kill-after-steps", f.debug_kill_after_steps)->group("");
  app.add_option("--debug-interrupt-after-steps", f.debug_interrupt_after_steps)->group("");
}

Device apply_common_flags(const CommonFlags& f) {
  cpu::check_cpu_supports_build();
  if (f.threads > 0) {
    omp_set_num_threads(f.threads);
    Eigen::setNbThreads(f.threads);
  }
  if (f.device == "cuda") {
    ENGINE_CHECK(cuda_available(), "--device cuda: ", cuda_compiled() ? "no CUDA device is present" : "this build has no CUDA");
    return Device::CUDA;
  }
  return Device::CPU;
}

DatasetBundle load_training_data(const CommonFlags& f, const std::string& name, int64_t image_size) {
  DatasetBundle b = load_dataset(name, f.data_dir, image_size);
  if (f.val_per_class > 0) {
    hold_out_validation(b, f.val_per_class, kValidationSplitSeed);
    std::fprintf(stderr, "evaluating on %ld held-out train images per class (--val-per-class), not on the test set\n",
                 (long)f.val_per_class);
  }
  return b;
}

Json flags_json(const CLI::App& app) {
  Json j = Json::object();
  for (const CLI::Option* o : app.get_options()) {
    std::string name = o->get_name(false, true);
    if (name.rfind("--", 0) != 0 || name == "--help") continue;
    name = name.substr(2);
    auto res = o->results();
    if (o->get_expected_min() == 0) j[name] = o->as<bool>();
    else if (res.size() > 1) j[name] = res;
    else j[name] = o->as<std::string>();
  }
  return j;
}

int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  install_interrupt_handler();
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(), e.what());
    return 1;
  }
}

}  // namespace eg::train
