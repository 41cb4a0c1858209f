// run_guard.cpp — refusing to overwrite or mix earlier runs in --out (see run_guard.h).
#include "methods/train/run_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/check.h"
#include "methods/train/distributed.h"
#include "methods/train/run_config.h"

namespace eg::train {

namespace fs = std::filesystem;

// Only files a trainer writes are ever deleted: --out may be a folder that holds other things too.
static bool is_run_file(const fs::path& p) {
  static const std::vector<std::string> names = {"config.json", "log.csv", "metrics.json", "checkpoint.safetensors",
                                                 "model.safetensors", "results.md"};
  std::string f = p.filename().string();
  return std::find(names.begin(), names.end(), f) != names.end() || p.extension() == ".png";
}

std::vector<std::string> existing_run_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && is_run_file(it->path())) out.push_back(fs::relative(it->path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

static std::string list(const std::vector<std::string>& v, size_t max = 6) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size()) + " files)";
  return s;
}

static void delete_run_files(const std::string& dir, const std::vector<std::string>& files) {
  for (auto& f : files) fs::remove(fs::path(dir) / f);
  // Subfolders the runs created (e.g. train_cb's mu100/softmax_seed0) go too once they are empty.
  std::vector<fs::path> dirs;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.rbegin(), dirs.rend());  // deepest first
  for (auto& d : dirs)
    if (fs::is_empty(d)) fs::remove(d);
  std::fprintf(stderr, "--force: deleted %zu files of earlier runs in %s\n", files.size(), dir.c_str());
}

void probe_writable(const std::string& dir) {
  ENGINE_CHECK(!dir.empty(), "--out: empty output directory");
  std::error_code ec;
  fs::path at = fs::absolute(dir, ec);
  ENGINE_CHECK(!ec, "--out '", dir, "': ", ec.message());
  // The folder itself, or the nearest parent that exists: that is where the run's folders get created.
  while (!fs::exists(at, ec) && at.has_relative_path()) at = at.parent_path();
  ENGINE_CHECK(fs::is_directory(at, ec), "--out '", dir, "': cannot create it: '", at.string(), "' is not a folder");
  const fs::path probe = at / (".eg-write-probe." + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ENGINE_CHECK(fd >= 0, "--out '", dir, "': cannot write in '", at.string(), "': ", std::strerror(errno));
  const std::vector<char> bytes(kWriteProbeBytes, 0);
  const ssize_t n = ::write(fd, bytes.data(), bytes.size());
  int err = n == (ssize_t)bytes.size() ? 0 : n < 0 ? errno : ENOSPC;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  fs::remove(probe, ec);
  ENGINE_CHECK(err == 0, "--out '", dir, "': writing a ", kWriteProbeBytes / 1024, " KiB test file in '", at.string(),
               "' failed: ", std::strerror(err), " (disk full or quota reached?)");
}

void check_run_dir(const std::string& dir, const Json& config, bool resume, bool force,
                   const std::vector<std::string>& inputs) {
  ENGINE_CHECK(!(resume && force), "--resume and --force contradict each other: --resume continues the run in '", dir,
               "', --force deletes it");
  probe_writable(dir);
  auto files = existing_run_files(dir);
  std::error_code ec;
  for (auto& in : inputs)
    for (auto& f : files)
      ENGINE_CHECK(!force || in.empty() || !fs::equivalent(in, fs::path(dir) / f, ec), "--force would delete '", in,
                   "', which this command reads; copy it elsewhere or choose another --out");
  if (!files.empty() && !force) {
    if (!resume) {
      ENGINE_FAIL("--out '", dir, "' already holds results (", list(files),
                  "): add --resume to continue that run, --force to delete them and start over, or choose another --out");
    } else {
      fs::path cfg = fs::path(dir) / "config.json";
      ENGINE_CHECK(fs::exists(cfg), "--resume: '", dir, "' holds results (", list(files),
                   ") but no config.json to check the settings against; use --force to start over");
      Json stored;
      try {
        std::ifstream in(cfg);
        stored = Json::parse(in);
      } catch (const std::exception& e) {
        ENGINE_FAIL("--resume: cannot read '", cfg.string(), "': ", e.what(), "; use --force to start over");
      }
      auto diffs = config_differences(stored, config);
      if (!diffs.empty()) {
        std::string d;
        for (auto& x : diffs) d += "\n  " + x;
        ENGINE_FAIL("--resume: the settings differ from the run in '", dir, "' (", cfg.string(), "):", d,
                    "\nresume with the same flags, or start over with --force or another --out");
      }
    }
  }
}

RunDir open_run_dir(const std::string& dir, const Json& config, bool resume, bool force,
                    const std::vector<std::string>& inputs) {
  check_run_dir(dir, config, resume, force, inputs);
  // Under mpirun rank 0 alone changes the folder, once every rank has checked it as it was, and every rank
  // reads what is left (metrics.json: the runs a resumed command skips) only after that.
  dist::barrier();
  if (dist::is_root()) {
    auto files = existing_run_files(dir);
    if (force && !files.empty()) delete_run_files(dir, files);
  }
  dist::barrier();
  RunDir run(dir);
  run.write_config(config);
  return run;
}

}  // namespace eg::train
