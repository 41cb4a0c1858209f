// run_dir.cpp — run folder files (see run_dir.h).
#include "methods/train/run_dir.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/check.h"
#include "core/cpu/isa.h"
#include "methods/train/distributed.h"

namespace eg::train {

namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, const std::string& text) {
  if (!dist::is_root()) return;
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    ENGINE_CHECK(f, "cannot write '", tmp, "'");
    f << text;
    f.flush();
    ENGINE_CHECK(f, "write to '", tmp, "' failed (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp);
    ENGINE_FAIL("cannot rename '", tmp, "' to '", path, "': ", ec.message());
  }
}

static std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

CsvLog::CsvLog(const std::string& path, std::vector<std::string> columns, bool append)
    : path_(path), columns_(std::move(columns)) {
  if (!dist::is_root()) return;
  std::string header = join(columns_);
  if (append && fs::exists(path)) {
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    ENGINE_CHECK(first == header, "log '", path, "' has columns '", first, "', expected '", header, "'");
    return;
  }
  std::ofstream f(path, std::ios::trunc);
  ENGINE_CHECK(f, "cannot create log '", path, "'");
  f << header << "\n";
}

void CsvLog::row(const std::map<std::string, double>& values) {
  if (!dist::is_root()) return;
  std::ostringstream os;
  os.precision(8);
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) os << ",";
    auto it = values.find(columns_[i]);
    if (it != values.end() && std::isfinite(it->second)) os << it->second;
  }
  std::ofstream f(path_, std::ios::app);
  ENGINE_CHECK(f, "cannot append to log '", path_, "'");
  f << os.str() << "\n";
}

RunDir::RunDir(const std::string& dir) : dir_(dir) {
  ENGINE_CHECK(!dir.empty(), "--out: empty output directory");
  std::error_code ec;
  fs::create_directories(dir, ec);
  ENGINE_CHECK(!ec && fs::is_directory(dir), "cannot create output directory '", dir, "': ", ec.message());
  // Keep the records of earlier runs in the same folder (a resumed multi-run command adds to them).
  if (fs::exists(path("metrics.json"))) {
    try {
      std::ifstream in(path("metrics.json"));
      Json j = Json::parse(in);
      for (auto& r : j.at("runs"))
        records_.push_back({r.at("run"), r.at("seed"), r.value("params", Json::object()), r.value("metrics", Json::object()),
                            r.value("wall_s", 0.0), r.value("eval_split", std::string("test"))});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "warning: ignoring unreadable %s: %s\n", path("metrics.json").c_str(), e.what());
    }
  }
}

const RunRecord* RunDir::find(const std::string& run, uint64_t seed, const Json& params) const {
  for (auto& r : records_)
    if (r.run == run && r.seed == seed && r.params == params) return &r;
  return nullptr;
}

Json build_json() {
  const cpu::IsaInfo i = cpu::isa_info();
  return {{"cpu", i.cpu}, {"march", i.march}, {"extensions", i.extensions}, {"eigen_simd", i.eigen}, {"conv_kernels", i.conv}};
}

void RunDir::write_config(const Json& config) const {
  Json c = config;
  c["build"] = build_json();  // which kernels made this run's numbers
  write_file_atomic(path("config.json"), c.dump(2) + "\n");
}

static Json finite_or_null(const Json& j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return nullptr;
  if (j.is_object() || j.is_array()) {
    Json out = j;
    for (auto& [k, v] : out.items()) v = finite_or_null(v);
    return out;
  }
  return j;
}

void RunDir::record(const RunRecord& r) {
  bool replaced = false;
  for (auto& old : records_)
    if (old.run == r.run && old.seed == r.seed && old.params == r.params) old = r, replaced = true;
  if (!replaced) records_.push_back(r);
  Json runs = Json::array();
  for (auto& x : records_)
    runs.push_back({{"run", x.run}, {"seed", x.seed}, {"params", x.params}, {"metrics", finite_or_null(x.metrics)},
                    {"wall_s", std::round(x.wall_s * 10) / 10}, {"eval_split", x.eval_split}});
  write_file_atomic(path("metrics.json"), Json{{"runs", runs}}.dump(2) + "\n");
}

}  // namespace eg::train
