// bench.cpp — build/bin/bench: the standard workloads of ../shared/bench/torch_bench.py, one JSON line
// each, same names, fields and protocol (seeded model, SGD lr 0.1 momentum 0.9 wd 5e-4, cross entropy,
// 2 warm-up steps, then the median of the timed steps; a step is zero_grad + forward + loss + backward +
// optimizer step). Memory mode trains one workload for many steps and prints the resident set size
// (VmRSS) every 50 steps, to show that each step's graph is freed and memory stays flat.
// Extra workload (not in torch_bench.py, run only when named): loader_fmnist, the data loader alone: epochs
// of Fashion-MNIST train (data/ or --data-dir) in batches of 128 with random crop (pad 4) + flip +
// normalize, synchronous, in images/s.
// --distributed (run under mpirun -np N, tools/bench-distributed): the training workloads data-parallel,
// each rank stepping on its share of the batch with the gradients averaged (methods/train/data_parallel.h);
// rank 0 prints the global images/s and the all-reduce's median ms per step. Alone it is one rank.
// Usage: bench [--only a,b] [--device cpu|cuda] [--threads N] [--steps N] [--memory-steps N] [--data-dir D]
//        [--distributed [--sync-bn]]
// The first line (a "# " comment, not JSON) names the CPU, the build target and the kernels in use;
// EG_FAST_CONV=0 in the environment times the im2col fallback instead of the AVX2 convolutions.
#include <omp.h>

#include <CLI/CLI.hpp>
#include "core/eigen.h"
#include "core/cpu/isa.h"
#include "core/cuda/runtime.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "eigengrad.h"
#include "losses/cross_entropy.h"
#include "methods/data/loader.h"
#include "methods/train/classify.h"
#include "methods/train/data_parallel.h"
#include "methods/train/distributed.h"
#include "methods/train/datasets.h"
#include "methods/train/validators.h"
#include "nn/nn.h"

using namespace eg;

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Resident set size in MiB from /proc/self/status (VmRSS, in kB); -1 where that file is unavailable.
double rss_mib() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

struct Config {
  Device device = Device::CPU;
  int steps = 0;         // > 0 overrides each workload's number of timed steps
  int memory_steps = 0;  // > 0: memory mode
  std::string data_dir = "data";
  bool distributed = false;
};

// CUDA kernels run asynchronously: a timing must wait for them (a no-op on the CPU).
void sync(const Config& cfg) {
  if (cfg.device == Device::CUDA) cuda::synchronize();
}

void gemm(int64_t n, int reps, const Config& cfg) {
  Generator g(0);
  Tensor a = randn({n, n}, g).to(cfg.device), b = randn({n, n}, g).to(cfg.device);
  for (int i = 0; i < 3; ++i) kernels::matmul(a, b);
  sync(cfg);
  std::vector<double> ts;
  for (int i = 0; i < (cfg.steps > 0 ? cfg.steps : reps); ++i) {
    double t = now_s();
    kernels::matmul(a, b);
    sync(cfg);
    ts.push_back(now_s() - t);
  }
  std::printf("{\"name\": \"gemm%ld\", \"gflops\": %.1f}\n", (long)n, 2.0 * n * n * n / median(ts) / 1e9);
  std::fflush(stdout);
}

// The loader alone: the median over epochs (default 3) of one pass over Fashion-MNIST train.
void loader(const Config& cfg) {
  train::DatasetBundle d = train::load_dataset("fashion-mnist", cfg.data_dir);
  auto sampler = std::make_shared<data::RandomSampler>(d.train.n, 128, 0, /*drop_last=*/true);
  data::LoaderOptions lo;
  lo.prefetch = 0;
  data::DataLoader dl(d.train, sampler, train::train_transform(d, true, 4, true), lo);
  std::vector<double> ts;
  int64_t images = 0;
  for (int e = 0; e < (cfg.steps > 0 ? cfg.steps : 3); ++e) {
    double t = now_s();
    dl.start_epoch(e);
    data::Batch b;
    images = 0;
    while (dl.next(b)) images += b.x.size(0);
    ts.push_back(now_s() - t);
  }
  std::printf("{\"name\": \"loader_fmnist\", \"images_per_s\": %.0f}\n", (double)images / median(ts));
  std::fflush(stdout);
}

// A training workload: model name and input [N, C, H, W]; `steps` timed steps after 2 warm-up steps.
struct Train {
  std::string model;
  Shape shape;
  int steps;
};

void train_workload(const std::string& name, const Train& w, const Config& cfg) {
  Generator g(0);
  auto model = nn::make_model({w.model, w.shape[1], 10}, g);
  model->to(cfg.device);
  nn::SGD opt(model->parameters(), {0.1, 0.9, 0, 5e-4});
  Tensor x = randn(w.shape, g).to(cfg.device), y = randint(0, 10, {w.shape[0]}, g).to(cfg.device);
  // --distributed: this rank's share of the batch, and the gradient averaging over the ranks.
  train::DataParallel dp(*model, opt);
  auto [lo, hi] = train::dist::shard_range(w.shape[0]);
  if (dp.active()) x = narrow(x, 0, lo, hi - lo).clone(), y = narrow(y, 0, lo, hi - lo).clone();
  dp.broadcast_state();
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = losses::cross_entropy(model->forward(x), y);
    loss.backward();
    dp.average_gradients(hi - lo, w.shape[0]);
    opt.step();
    sync(cfg);
  };
  if (cfg.memory_steps > 0) {
    for (int i = 1; i <= cfg.memory_steps; ++i) {
      step();
      if (i % 50 != 0 && i != cfg.memory_steps) continue;
      std::printf("{\"name\": \"%s\", \"step\": %d, \"rss_mib\": %.1f}\n", name.c_str(), i, rss_mib());
      std::fflush(stdout);
    }
    return;
  }
  const int warm = 2, steps = cfg.steps > 0 ? cfg.steps : w.steps;
  std::vector<double> ts, reduce;
  for (int i = 0; i < warm + steps; ++i) {
    double t = now_s(), r = dp.reduce_seconds();
    step();
    if (i >= warm) ts.push_back(now_s() - t), reduce.push_back(dp.reduce_seconds() - r);
  }
  double ms = median(ts) * 1e3;
  if (!train::dist::is_root()) return;
  if (cfg.distributed)
    std::printf("{\"name\": \"%s\", \"ranks\": %d, \"threads_per_rank\": %d, \"ms_per_step\": %.2f, "
                "\"images_per_s\": %.1f, \"allreduce_ms_per_step\": %.2f}\n",
                name.c_str(), train::dist::size(), omp_get_max_threads(), ms, (double)w.shape[0] / ms * 1e3,
                median(reduce) * 1e3);
  else
    std::printf("{\"name\": \"%s\", \"ms_per_step\": %.2f, \"images_per_s\": %.1f}\n", name.c_str(), ms,
                (double)w.shape[0] / ms * 1e3);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eigengrad benchmark: the workloads of shared/bench/torch_bench.py, one JSON line each"};
  std::string only, device = "cpu";
  int threads = 2;
  Config cfg;
  app.add_option("--only", only, "comma-separated workload names (default: all)");
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", threads, "OpenMP/Eigen threads")->check(eg::train::positive());
  app.add_option("--steps", cfg.steps, "timed steps (gemm: repetitions) per workload instead of its default")
      ->check(eg::train::positive());
  app.add_option("--memory-steps", cfg.memory_steps,
                 "memory mode: train this many steps per training workload and print VmRSS every 50 steps")
      ->check(eg::train::positive());
  app.add_option("--data-dir", cfg.data_dir, "loader_fmnist: dataset root")->capture_default_str();
  bool sync_bn = false;
  app.add_flag("--distributed", cfg.distributed,
               "under mpirun -np N: the training workloads data-parallel over the N ranks (global batch as given)");
  app.add_flag("--sync-bn", sync_bn, "with --distributed: BatchNorm with the global batch's statistics")
      ->needs("--distributed");
  train::dist::Session mpi(argc, argv);
  CLI11_PARSE(app, argc, argv);
  if (train::dist::size() > 1 && !cfg.distributed) {
    std::fprintf(stderr, "bench: under mpirun every rank would time the same workloads alone: add --distributed\n");
    return 2;
  }
  train::dist::set_sync_batchnorm(sync_bn);
  cpu::check_cpu_supports_build();
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  // Not JSON (bench-compare reads only lines that start with '{'): which kernels make these numbers.
  if (train::dist::is_root())
    std::printf("# eigengrad bench: %s; %d threads%s\n", cpu::isa_summary().c_str(), threads,
                cfg.distributed ? (" per rank, " + std::to_string(train::dist::size()) + " rank(s)").c_str() : "");
  cfg.device = device == "cuda" ? Device::CUDA : Device::CPU;
  // Same names, shapes and step counts as torch_bench.py.
  const std::map<std::string, Train> trainings = {
      {"resnet32_fmnist_b128", {"resnet32", {128, 1, 28, 28}, 10}},
      {"resnet32_cifar_b128", {"resnet32", {128, 3, 32, 32}, 10}},
      {"resnet18_cifar_b64", {"resnet18", {64, 3, 32, 32}, 5}},
      {"resnet18_cifar_b256", {"resnet18", {256, 3, 32, 32}, 20}},
  };
  std::vector<std::string> all = {"gemm1024", "resnet32_fmnist_b128", "resnet32_cifar_b128", "resnet18_cifar_b64"};
  if (cfg.device == Device::CUDA) all.push_back("resnet18_cifar_b256");  // as torch_bench.py: GPU only
  std::vector<std::string> names;
  if (only.empty()) {
    names = all;
  } else {
    std::stringstream ss(only);
    for (std::string k; std::getline(ss, k, ',');) {
      if (std::find(all.begin(), all.end(), k) == all.end() && k != "loader_fmnist") {
        std::fprintf(stderr, "bench: unknown workload '%s'\n", k.c_str());
        return 2;
      }
      names.push_back(k);
    }
  }
  if (cfg.device == Device::CUDA && !cuda_available()) {
    std::fprintf(stderr, "bench: --device cuda but no CUDA device is available%s\n",
                 cuda_compiled() ? "" : " (this eigengrad was built without CUDA)");
    return 2;
  }
  for (auto& k : names) {
    if (cfg.memory_steps > 0 && !trainings.count(k)) continue;  // memory mode: training workloads only
    try {
      if (k == "gemm1024") gemm(1024, 20, cfg);
      else if (k == "loader_fmnist") loader(cfg);
      else train_workload(k, trainings.at(k), cfg);
    } catch (const Error& e) {
      std::fprintf(stderr, "bench: workload %s on %s failed: %s\n", k.c_str(), device.c_str(), e.what());
      return 1;
    }
  }
  return 0;
}
