// run_config.h — a run's config.json as typed JSON, and the comparison --resume makes against it.
// Flags are recorded with their JSON types (numbers, arrays, bools; strings only for words), and the
// settings a trainer resolved (presets, defaults derived from other flags) replace the flag values they
// override, so config.json always says what the run really used. config_differences() lists, key by key,
// what a resumed command would change: a run continues only under the settings it started with.
#pragma once
#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "methods/train/run_dir.h"

namespace eg::train {

// Every long option of the app with its final value (given or default), typed.
Json flags_json(const CLI::App& app);

// config.json of a run: the typed flags, "trainer", and "resolved" (the settings used); each resolved key
// that is also a flag name replaces that flag's value (e.g. --quick's epochs).
Json run_config(const CLI::App& app, const std::string& trainer, const Json& resolved);

// Keys that do not change a resumed run's numbers (where output goes, threads, progress display, resume
// itself, and --init-from: a resumed run takes its weights from the checkpoint).
const std::set<std::string>& config_keys_free_on_resume();

// "key: was A, now B" for every differing key (nested objects by dotted key), ignoring `ignore`.
std::vector<std::string> config_differences(const Json& stored, const Json& now,
                                            const std::set<std::string>& ignore = config_keys_free_on_resume());

}  // namespace eg::train
