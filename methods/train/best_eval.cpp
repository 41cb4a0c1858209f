// best_eval.cpp — the best-validation evaluation and its file (see best_eval.h).
#include "methods/train/best_eval.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/check.h"
#include "methods/train/run_dir.h"

namespace eg::train {

BestEvalTracker::BestEvalTracker(std::string path, bool resume) : path_(std::move(path)) {
  if (!resume || !std::filesystem::exists(path_)) return;
  std::ifstream in(path_);
  nlohmann::json j;
  try {
    in >> j;
    best_.epoch = j.at("epoch").get<int64_t>();
    best_.score = j.at("score").get<double>();
    best_.metrics = j.at("metrics").get<Metrics>();
    for (auto& v : j.at("per_class")) best_.per_class.push_back(v.is_null() ? NAN : v.get<double>());
    best_.confusion = j.at("confusion").get<std::vector<int64_t>>();
  } catch (const std::exception& e) {
    ENGINE_FAIL(path_, ": not a best-evaluation file of this trainer (", e.what(), "); delete it or start with --force");
  }
}

bool BestEvalTracker::offer(const BestEval& e) {
  ENGINE_CHECK(e.epoch >= 0, "BestEvalTracker: epoch must be >= 0, got ", e.epoch);
  if (std::isnan(e.score) || (any() && e.score < best_.score)) return false;
  best_ = e;
  // JSON has no NaN (a class without test samples has NaN accuracy): such metrics are left out and such
  // per-class entries written as null, read back as NaN.
  nlohmann::json m = nlohmann::json::object();
  for (auto& [k, v] : best_.metrics)
    if (!std::isnan(v)) m[k] = v;
  nlohmann::json pc = nlohmann::json::array();
  for (double v : best_.per_class) pc.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
  nlohmann::json j = {{"epoch", best_.epoch}, {"score", best_.score}, {"metrics", m}, {"per_class", pc},
                      {"confusion", best_.confusion}};
  write_file_atomic(path_, j.dump(1) + "\n");
  return true;
}

}  // namespace eg::train
