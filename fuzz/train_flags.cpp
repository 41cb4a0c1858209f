// train_flags.cpp — fuzz target: a trainer's command line, parsed and validated but never run. It compiles
// tools/train_erm.cpp itself (its main renamed), so the common flags (methods/train/cli) and train_erm's
// own flags, validators, --quick preset, refuse_unless rules, --device check and run_config() are the
// real ones; the body stops where the trainer would first look at --out (check_run_dir): no folder is
// read or written, no data loaded. The input is the argument list, words cut at NUL bytes (at most 48).
// Run with -close_fd_mask=3: --help and the error lines go to stdout / stderr.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "fuzz/fuzz_util.h"
#include "methods/train/classify.h"
#include "methods/train/cli.h"

namespace {

// Thrown where the trainer would check --out: the flags were accepted. run_main reports it like an error.
struct FlagsAccepted : std::exception {
  const char* what() const noexcept override { return "flags accepted (fuzz_train_flags stops here)"; }
};

// Stands in for train::check_run_dir: the config was built; dumping it is what open_run_dir does next.
void stop_before_run_dir(const std::string&, const eg::train::Json& config, bool, bool,
                         const std::vector<std::string>& = {}) {
  (void)config.dump();
  throw FlagsAccepted();
}

}  // namespace

#define main train_erm_main
#define check_run_dir stop_before_run_dir
#include "tools/train_erm.cpp"
#undef check_run_dir
#undef main

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> words = eg::fuzz::split_input(data, size, '\0', 48);
  if (words.size() == 1 && words[0].empty()) words.clear();
  std::vector<char*> argv;
  std::string prog = "train_erm";
  argv.push_back(prog.data());
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  train_erm_main((int)argv.size() - 1, argv.data());
  return 0;
}
