// cli.h — the flags every trainer shares (GNU long options, CLI11 from Debian's libcli11-dev) and the
// main() wrapper that turns any error into one clear line and a non-zero exit.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/dtype.h"
#include "methods/train/datasets.h"
#include "methods/train/run_config.h"
#include "methods/train/run_guard.h"
#include "methods/train/validators.h"

namespace eg::train {

struct CommonFlags {
  std::string data_dir = "data";
  std::string out = "runs/run";
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;  // 0 = all cores (OpenMP default)
  bool resume = false;
  bool force = false;  // delete an earlier run's files in --out and start over
  bool quick = false;
  std::string init_from;  // start from these weights (a model file or a training checkpoint)
  bool plain = false;  // no progress bar even on a terminal
  int64_t val_per_class = 0;  // > 0: evaluate on this many held-out train images per class instead of test
  std::string train_set;      // a safetensors image set (data::load_image_set) that replaces the train split
  bool sync_bn = false;       // under mpirun: BatchNorm statistics of the global batch (distributed.h)
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;  // resume tests (hidden flags)
};

void add_common_flags(CLI::App& app, CommonFlags& f, const std::string& default_out);
// Applies --threads (0 under mpirun: this machine's cores shared among its ranks) and --sync-bn, and
// resolves --device (a clear error when cuda is asked for but absent).
Device apply_common_flags(const CommonFlags& f);
// The dataset a trainer trains on: load_dataset, then --val-per-class's hold-out when it is set (the
// same fixed split for every trainer and seed, so settings are compared on the same images). With
// --train-set the file's images replace the train split first (same image geometry, classes within the
// dataset's), e.g. train_robust's constructed D_R / D_det sets; the hold-out then comes from the file.
DatasetBundle load_training_data(const CommonFlags& f, const std::string& name, int64_t image_size = 32);
// The split load_training_data evaluates on: "val" with --val-per-class, else "test".
std::string eval_split_name(const CommonFlags& f);
// A flag the user gave that this run would ignore is an error, not a silent no-op: throws
// "<flag> <why>" when `flag` was given and `applies` is false (e.g. "--widths applies to --model convnet only").
void refuse_unless(const CLI::App& app, const std::string& flag, bool applies, const std::string& why);
// --quick fixes some settings; giving one of those flags too is refused rather than silently overridden.
void refuse_with_quick(const CLI::App& app, const CommonFlags& f, const std::vector<std::string>& fixed_flags,
                       const std::string& preset);
// CLI11's message for a bad command line as one line, like every other error: "<prog>: error: <what> (see --help)".
std::string one_line_failure(const CLI::App* app, const CLI::Error& e);
// Parses, then runs body; eg::Error / std::exception -> "<prog>: error: ..." and exit code 1 (a bad command
// line: one_line_failure and CLI11's exit code). Under mpirun (distributed.h) it also starts MPI, keeps
// ranks > 0 quiet (their errors still print, naming the rank), and a failure on any rank stops all of them
// (MPI_Abort) instead of leaving them waiting for it.
int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

}  // namespace eg::train
