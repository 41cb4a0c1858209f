// cli.h — the flags every trainer shares (GNU long options, CLI11 from Debian's libcli11-dev) and the
// main() wrapper that turns any error into one clear line and a non-zero exit.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/dtype.h"
#include "methods/train/datasets.h"
#include "methods/train/run_dir.h"

namespace eg::train {

struct CommonFlags {
  std::string data_dir = "data";
  std::string out = "runs/run";
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;  // 0 = all cores (OpenMP default)
  bool resume = false;
  bool quick = false;
  bool plain = false;  // no progress bar even on a terminal
  int64_t val_per_class = 0;  // > 0: evaluate on this many held-out train images per class instead of test
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;  // resume tests (hidden flags)
};

void add_common_flags(CLI::App& app, CommonFlags& f, const std::string& default_out);
// Applies --threads and resolves --device (a clear error when cuda is asked for but absent).
Device apply_common_flags(const CommonFlags& f);
// The dataset a trainer trains on: load_dataset, then --val-per-class's hold-out when it is set (the
// same fixed split for every trainer and seed, so settings are compared on the same images).
DatasetBundle load_training_data(const CommonFlags& f, const std::string& name, int64_t image_size = 32);
// The flags as JSON for config.json (every option of the app with its final value).
Json flags_json(const CLI::App& app);
// Parses, then runs body; eg::Error / std::exception -> "<prog>: error: ..." and exit code 1.
int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

}  // namespace eg::train
