// cli.cpp — shared trainer flags (see cli.h).
#include "methods/train/cli.h"

#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include "core/eigen.h"
#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/check.h"
#include "core/cpu/isa.h"
#include "core/storage.h"
#include "methods/data/image_set_file.h"
#include "methods/train/distributed.h"
#include "methods/train/interrupt.h"

namespace eg::train {

void add_common_flags(CLI::App& app, CommonFlags& f, const std::string& default_out) {
  f.out = default_out;
  app.add_option("--data-dir", f.data_dir, "dataset root (tools/fetch-data writes data/)")->capture_default_str();
  app.add_option("--out", f.out, "output directory: config.json, log.csv, metrics.json, checkpoints, figures")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "random seed (weights, data order, augmentation)")->capture_default_str();
  app.add_option("--device", f.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", f.threads, "CPU threads (0 = all cores)")->capture_default_str()->check(in_range(0, kMaxThreads));
  app.add_flag("--resume", f.resume,
               "continue the run in --out where it stopped (refused when its config.json has other settings)");
  app.add_flag("--force", f.force, "delete the results of earlier runs in --out and start over");
  app.add_option("--init-from", f.init_from,
                 "start from these weights (model.safetensors or checkpoint.safetensors of an earlier run; same "
                 "architecture and classes)")->check(CLI::ExistingFile);
  app.add_flag("--quick", f.quick, "the scaled-down preset that finishes in minutes on 2 cores");
  app.add_flag("--plain", f.plain, "no progress bar, one line per epoch");
  app.add_option("--val-per-class", f.val_per_class,
                 "hold out N train images per class and report on them instead of the test set (for choosing "
                 "settings; test_* metrics are then validation numbers)")
      ->capture_default_str()->check(non_negative());
  app.add_option("--train-set", f.train_set,
                 "train on this safetensors image set (x [N, C, H, W] pixels in [0, 1] or uint8, y [N]) instead of "
                 "the dataset's train split; evaluation stays on the dataset's test split")
      ->check(CLI::ExistingFile);
  app.add_flag("--sync-bn", f.sync_bn,
               "under mpirun: BatchNorm normalizes with the statistics of the whole global batch (all ranks), not "
               "of each rank's share (the default, as PyTorch's DDP)");
  // Hidden test hooks: simulate a crash (SIGKILL) or a Ctrl-C after N optimizer steps.
  app.add_option("--debug-kill-after-steps", f.debug_kill_after_steps)->group("");
  app.add_option("--debug-interrupt-after-steps", f.debug_interrupt_after_steps)->group("");
}

Device apply_common_flags(const CommonFlags& f) {
  cpu::check_cpu_supports_build();
  int threads = f.threads;
  // N ranks on one machine each taking all its cores would oversubscribe it N times.
  if (threads == 0 && dist::size() > 1) threads = std::max(1, omp_get_num_procs() / dist::local_size());
  if (threads > 0) {
    omp_set_num_threads(threads);
    Eigen::setNbThreads(threads);
  }
  dist::set_sync_batchnorm(f.sync_bn);
  if (f.device == "cuda") {
    ENGINE_CHECK(cuda_available(), "--device cuda: ", cuda_compiled() ? "no CUDA device is present" : "this build has no CUDA");
    return Device::CUDA;
  }
  return Device::CPU;
}

DatasetBundle load_training_data(const CommonFlags& f, const std::string& name, int64_t image_size) {
  DatasetBundle b = load_dataset(name, f.data_dir, image_size);
  if (!f.train_set.empty()) {
    data::ImageDataset t = data::load_image_set(f.train_set);
    ENGINE_CHECK(t.c == b.train.c && t.h == b.train.h && t.w == b.train.w, "--train-set ", f.train_set, " holds ", t.c,
                 "x", t.h, "x", t.w, " images but ", name, " has ", b.train.c, "x", b.train.h, "x", b.train.w);
    ENGINE_CHECK(t.num_classes <= b.train.num_classes, "--train-set ", f.train_set, " has ", t.num_classes,
                 " classes but ", name, " has ", b.train.num_classes);
    t.num_classes = b.train.num_classes;
    t.class_names = b.train.class_names;
    b.train = std::move(t);
    std::fprintf(stderr, "training on %ld images of --train-set %s\n", (long)b.train.n, f.train_set.c_str());
  }
  const std::vector<int64_t> before = b.train.class_counts();
  if (f.val_per_class > 0) {
    hold_out_validation(b, f.val_per_class, kValidationSplitSeed);
    std::fprintf(stderr, "evaluating on %ld held-out train images per class (--val-per-class), not on the test set\n",
                 (long)f.val_per_class);
  }
  // An empty split, or a class that --val-per-class emptied, would train on nothing or never see a class:
  // refused here, naming where the images went, rather than reported as NaN metrics after the run. A class
  // the data never had (a subset of a dataset's classes) is allowed, with one warning line.
  const std::string source = f.train_set.empty() ? "the train split of " + name : "--train-set " + f.train_set;
  ENGINE_CHECK(b.train.n > 0, source, " holds no images",
               f.val_per_class > 0 ? " left after --val-per-class " + std::to_string(f.val_per_class) : std::string());
  ENGINE_CHECK(b.test.n > 0, "the ", b.eval_split, " split of ", name, " holds no images");
  const std::vector<int64_t> counts = b.train.class_counts();
  auto class_name = [&](size_t k) {
    return std::to_string(k) + (b.train.class_names.size() > k ? " (" + b.train.class_names[k] + ")" : std::string());
  };
  std::string absent;
  for (size_t k = 0; k < counts.size(); ++k) {
    ENGINE_CHECK(counts[k] > 0 || before[k] == 0, source, " has no image of class ", class_name(k),
                 " left after --val-per-class ", f.val_per_class, " held out all ", before[k],
                 "; choose a smaller --val-per-class");
    if (counts[k] == 0) absent += (absent.empty() ? "" : ", ") + class_name(k);
  }
  if (!absent.empty())
    std::fprintf(stderr, "warning: %s has no image of class %s: the model never learns them\n", source.c_str(),
                 absent.c_str());
  return b;
}

void refuse_unless(const CLI::App& app, const std::string& flag, bool applies, const std::string& why) {
  ENGINE_CHECK(applies || app.count(flag) == 0, flag, " ", why, "; drop it");
}

void refuse_with_quick(const CLI::App& app, const CommonFlags& f, const std::vector<std::string>& fixed_flags,
                       const std::string& preset) {
  if (!f.quick) return;
  for (auto& flag : fixed_flags)
    ENGINE_CHECK(app.count(flag) == 0, "--quick fixes ", preset, ", so ", flag,
                 " cannot be changed with it: drop ", flag, ", or drop --quick and give every setting");
}

std::string eval_split_name(const CommonFlags& f) { return f.val_per_class > 0 ? "val" : "test"; }

std::string one_line_failure(const CLI::App* app, const CLI::Error& e) {
  return app->get_name() + ": error: " + e.what() + " (see --help)\n";
}

int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  std::unique_ptr<dist::Session> mpi;
  try {
    mpi = std::make_unique<dist::Session>(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(), e.what());
    return 1;
  }
  // Ranks > 0 run the same code on the same data: their output would repeat rank 0's N times. Their
  // errors go to the saved stderr.
  FILE* err = stderr;
  if (dist::rank() > 0) {
    int saved = ::dup(STDERR_FILENO), null = ::open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) {
      err = ::fdopen(saved, "w");
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::close(null);
    }
  }
  auto fail = [&](const char* what) {
    if (dist::size() > 1) {
      std::fprintf(err, "%s: error on rank %d of %d: %s (stopping all ranks)\n", app.get_name().c_str(), dist::rank(),
                   dist::size(), what);
      std::fflush(err);
      dist::abort_all(1);
    }
    std::fprintf(err, "%s: error: %s\n", app.get_name().c_str(), what);
    return 1;
  };
  app.failure_message(one_line_failure);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  install_interrupt_handler();
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace eg::train
