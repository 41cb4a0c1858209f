// run_guard.h — opening --out for a run without losing or mixing results. A folder that already holds a
// run's files (config.json, log.csv, metrics.json, checkpoints, model, results.md, figures, also in
// per-run subfolders) is refused unless the command says what to do with it: --resume continues it,
// but only under the settings in its config.json (any difference is listed and refused), and --force
// deletes those files first, so metrics.json, tables and figures describe exactly the runs in the folder.
#pragma once
#include <string>
#include <vector>

#include "methods/train/run_dir.h"

namespace eg::train {

// The files of earlier runs under dir (recursively), relative to dir, sorted.
std::vector<std::string> existing_run_files(const std::string& dir);

// --out must be writable before training depends on it: in the folder, or in its nearest existing parent
// when it does not exist yet, a test file of kWriteProbeBytes is written, fsynced and removed. Throws naming
// --out and the reason (permission, read-only or full file system, a parent that is a file).
constexpr size_t kWriteProbeBytes = size_t(1) << 20;
void probe_writable(const std::string& dir);

// The checks alone (probe_writable's test file is removed again): trainers call it before loading data,
// so a refused command or an unwritable --out fails at once (and even when the data is missing).
// `inputs` are files the command reads (e.g. --init-from): --force refuses to delete one of them.
void check_run_dir(const std::string& dir, const Json& config, bool resume, bool force,
                   const std::vector<std::string>& inputs = {});
// check_run_dir, then with force deletes the earlier files, creates dir and writes config.json.
RunDir open_run_dir(const std::string& dir, const Json& config, bool resume, bool force,
                    const std::vector<std::string>& inputs = {});

}  // namespace eg::train
