// test_crash_safety.cpp — a run survives the ways a machine fails (issue #19): a process SIGKILLed in the
// middle of a checkpoint write, a write that fails (a file-size limit stands in for a full disk) and an
// --out that cannot be written. The writer side runs in a forked child so that it can really be killed or
// limited; the parent then loads what is on disk.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>

#include "core/safetensors.h"
#include "methods/train/run_guard.h"
#include "nn/checkpoint.h"
#include "nn/nn.h"
#include "tests/test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

// A model whose checkpoint is large enough (32 MB) that its write takes a while, filled with `value`.
struct Big {
  Generator g{1};
  nn::Linear lin{2048, 4096, true, g};
  nn::SGD opt{lin.parameters(), nn::SgdOptions{}};
  explicit Big(float value) {
    for (auto& [name, t] : lin.state_dict()) {
      float* p = t.data<float>();
      std::fill(p, p + t.numel(), value);
    }
  }
  float first() const { return lin.weight.data<float>()[0]; }
  float last() const { return lin.bias.data<float>()[4095]; }
};

// Runs fn in a forked child (after `limit_bytes` caps file sizes when > 0, with SIGXFSZ ignored so writes
// fail with EFBIG, as on a full disk); the child exits 0 when fn threw eg::Error containing `expect`.
int in_child_expecting_error(size_t limit_bytes, const std::function<void()>& fn, const std::string& expect) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (limit_bytes > 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      struct rlimit r{limit_bytes, limit_bytes};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    int code = 1;
    try {
      fn();
      code = 2;  // no error at all
    } catch (const Error& e) {
      code = std::string(e.what()).find(expect) != std::string::npos ? 0 : 3;
      if (code) std::fprintf(stderr, "child: unexpected message: %s\n", e.what());
    } catch (...) {
      code = 4;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// An empty scratch folder and the checkpoint path in it.
std::pair<fs::path, std::string> fresh_checkpoint_dir(const std::string& name) {
  fs::path dir = test::temp_dir(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return {dir, (dir / "checkpoint.safetensors").string()};
}

}  // namespace

TEST_CASE("crash: SIGKILL in the middle of a checkpoint write leaves the previous checkpoint loadable") {
  const auto scratch = fresh_checkpoint_dir("eg_crash_kill");  // not a structured binding: clang + OpenMP
  const fs::path& dir = scratch.first;
  const std::string& path = scratch.second;
  Big before(1.5f), after(7.0f);
  nn::save_checkpoint(path, before.lin, before.opt, {{{"epoch", "3"}}, {}});

  // The child writes the next checkpoint; the parent kills it as soon as its temp file has data.
  bool killed_mid_write = false;
  std::string tmp;
  for (int attempt = 0; attempt < 5 && !killed_mid_write; ++attempt) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      nn::save_checkpoint(path, after.lin, after.opt, {{{"epoch", "4"}}, {}});
      ::_exit(0);
    }
    tmp = path + ".tmp." + std::to_string(pid);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    bool reaped = false;
    while (!reaped && std::chrono::steady_clock::now() < deadline) {
      struct stat st{};
      if (::stat(tmp.c_str(), &st) == 0 && st.st_size > 0) {
        ::kill(pid, SIGKILL);
        break;
      }
      reaped = ::waitpid(pid, &status, WNOHANG) == pid;  // finished before we saw it: try again
    }
    if (!reaped) ::waitpid(pid, &status, 0);
    killed_mid_write = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (!killed_mid_write) nn::save_checkpoint(path, before.lin, before.opt, {{{"epoch", "3"}}, {}});
  }
  REQUIRE_MESSAGE(killed_mid_write, "the child always finished its 32 MB write before it could be killed");
  // The torn temp file is there (killed before its rename); the checkpoint itself was never touched.
  REQUIRE(fs::exists(tmp));
  MESSAGE("killed after ", fs::file_size(tmp), " of ", fs::file_size(path), " bytes");

  Big loaded(0.0f);
  auto meta = nn::load_checkpoint(path, loaded.lin, loaded.opt, {});
  CHECK(meta.at("epoch") == "3");
  CHECK(loaded.first() == 1.5f);
  CHECK(loaded.last() == 1.5f);

  // The next save cleans up the dead writer's temp file.
  nn::save_checkpoint(path, after.lin, after.opt, {{{"epoch", "4"}}, {}});
  CHECK_FALSE(fs::exists(tmp));
  CHECK(nn::load_checkpoint(path, loaded.lin, loaded.opt, {}).at("epoch") == "4");
  CHECK(loaded.first() == 7.0f);
  fs::remove_all(dir);
}

TEST_CASE("crash: a checkpoint write that runs out of space fails loudly and keeps the previous checkpoint") {
  const auto scratch = fresh_checkpoint_dir("eg_crash_full");
  const fs::path& dir = scratch.first;
  const std::string& path = scratch.second;
  Big before(2.5f), after(9.0f);
  nn::save_checkpoint(path, before.lin, before.opt, {{{"epoch", "1"}}, {}});
  // 1 MiB may be written: the 32 MB checkpoint fails part-way, as on a full disk.
  int code = in_child_expecting_error(
      size_t(1) << 20, [&] { nn::save_checkpoint(path, after.lin, after.opt, {{{"epoch", "2"}}, {}}); },
      "save_safetensors '" + path + "'");
  CHECK(code == 0);
  Big loaded(0.0f);
  CHECK(nn::load_checkpoint(path, loaded.lin, loaded.opt, {}).at("epoch") == "1");
  CHECK(loaded.last() == 2.5f);
  for (auto& e : fs::directory_iterator(dir))  // the failed write removed its temp file
    CHECK_MESSAGE(e.path().filename() == "checkpoint.safetensors", "left behind: ", e.path().string());
  fs::remove_all(dir);
}

TEST_CASE("crash: an --out that cannot be written is refused before anything starts, naming --out and why") {
  fs::path dir = test::temp_dir("eg_crash_out");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const train::Json config = {{"trainer", "test"}};
  // A parent that is a file (root may write anywhere, so permissions alone would not fail here).
  std::ofstream(dir / "file") << "x";
  const std::string under_file = (dir / "file" / "run").string();
  const std::string refused = "--out '" + under_file + "': cannot create it";
  CHECK_ERROR(train::check_run_dir(under_file, config, false, false), refused.c_str());
  // A full disk: the 1 MiB test file cannot be written under a 64 KiB file-size limit.
  const std::string out = (dir / "new" / "run").string();
  CHECK(in_child_expecting_error(64 << 10, [&] { train::check_run_dir(out, config, false, false); },
                                 "--out '" + out + "': writing a 1024 KiB test file in '" + dir.string()) == 0);
  // Nothing is left behind by the probe, and a writable --out passes.
  train::check_run_dir(out, config, false, false);
  CHECK_FALSE(fs::exists(dir / "new"));
  for (auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename() == "file");
  fs::remove_all(dir);
}
