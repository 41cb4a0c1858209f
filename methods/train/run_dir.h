// run_dir.h — the output folder of a training run (--out DIR), one schema for every trainer:
// config.json (the flags, and under "build" the CPU and kernels in use), log.csv (one row per epoch; a multi-run command writes <run>/log.csv per run),
// metrics.json ({"runs": [{"run", "seed", "params", "metrics", "wall_s", "eval_split"}, ...]}), checkpoints, figures.
// Files are written atomically (temp + rename) so an interrupted run never leaves a torn file. Under mpirun
// only rank 0 writes (distributed.h): on the other ranks these writers do nothing.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace eg::train {

using Json = nlohmann::json;

// The build and CPU that run this process (core/cpu/isa.h): config.json's "build" key.
Json build_json();

// Writes text to path via a temporary file and rename.
void write_file_atomic(const std::string& path, const std::string& text);

class CsvLog {
 public:
  // Opens (appending when resuming and the file exists with the same columns) or creates path.
  CsvLog(const std::string& path, std::vector<std::string> columns, bool append);
  void row(const std::map<std::string, double>& values);  // missing columns are written empty
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
};

struct RunRecord {
  std::string run;  // the spec's lower-case name: "softmax", "cb_focal", ...
  uint64_t seed = 0;
  Json params = Json::object();
  Json metrics = Json::object();
  double wall_s = 0;            // training time of the run, resumed parts included
  std::string eval_split = "test";  // "val" with --val-per-class: the test_* metrics are validation numbers
};

class RunDir {
 public:
  explicit RunDir(const std::string& dir);  // creates the folder (and parents)
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void write_config(const Json& config) const;
  // Adds or replaces the record with the same (run, seed, params) and rewrites metrics.json.
  void record(const RunRecord& r);
  const std::vector<RunRecord>& records() const { return records_; }
  // The record with this (run, seed, params), or null (a resumed multi-run command skips finished runs).
  const RunRecord* find(const std::string& run, uint64_t seed, const Json& params) const;

 private:
  std::string dir_;
  std::vector<RunRecord> records_;
};

}  // namespace eg::train
