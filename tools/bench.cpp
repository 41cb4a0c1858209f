// bench.cpp — build/bin/bench: the standard workloads of ../shared/bench/torch_bench.py, one JSON line
// each, same names, fields and protocol (seeded model, SGD lr 0.1 momentum 0.9 wd 5e-4, cross entropy,
// 2 warm-up steps, then the median of the timed steps; a step is zero_grad + forward + loss + backward +
// optimizer step). Memory mode trains one workload for many steps and prints the resident set size
// (VmRSS) every 50 steps, to show that each step's graph is freed and memory stays flat.
// Extra workload (not in torch_bench.py, run only when named): loader_fmnist, the data loader alone: epochs
// of Fashion-MNIST train (data/ or --data-dir) in batches of 128 with random crop (pad 4) + flip +
// normalize, synchronous, in images/s.
// Extra workload conv_layers (run only when named): the convolution layers of resnet32_cifar_b128,
// resnet32_fmnist_b128 and resnet18_cifar_b64 one at a time (forward, dx and dW separately), with their GFLOP/s and the fraction of
// this machine's FMA peak, measured first by a register-only FMA loop of the ISA in use on every thread.
// --distributed (run under mpirun -np N, tools/bench-distributed): the training workloads data-parallel,
// each rank stepping on its share of the batch with the gradients averaged (methods/train/data_parallel.h);
// rank 0 prints the global images/s and the all-reduce's median ms per step. Alone it is one rank.
// Usage: bench [--only a,b] [--device cpu|cuda] [--threads N] [--steps N] [--memory-steps N] [--data-dir D]
//        [--distributed [--sync-bn]]
// The first line (a "# " comment, not JSON) names the CPU, the build target and the kernels in use;
// EG_ISA=avx2|avx512|generic in the environment times that instruction set's convolutions instead of the
// widest (generic: the im2col fallback).
#include <omp.h>

#include <CLI/CLI.hpp>
#include "core/eigen.h"
#include "core/cpu/conv_simd.h"
#include "core/kernels_nn.h"
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

// Peak float GFLOP/s of the fast ISA in use (0 without one): every thread runs 12 independent FMA
// chains on registers (enough to cover the FMA latency on two pipes), 2 flops per lane per FMA.
double fma_peak_gflops() {
#ifdef EG_DIRECT_CONV
  if (!cpu::fast_conv_enabled()) return 0;
  return cpu::simd::with_isa(cpu::simd_isa(), [](auto s) {
    using S = decltype(s);
    const int64_t iters = 20'000'000;
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
      const double t = now_s();
      float sink = 0;
#pragma omp parallel reduction(+ : sink)
      {
        typename S::V acc[12];
        for (int i = 0; i < 12; ++i) acc[i] = S::set1(0.001f * (float)i);
        const typename S::V a = S::set1(0.999f), b = S::set1(1e-4f);
        for (int64_t k = 0; k < iters; ++k)
          for (int i = 0; i < 12; ++i) acc[i] = S::fma(acc[i], a, b);
        for (int i = 0; i < 12; ++i) sink += cpu::simd::hsum<S>(acc[i]);
      }
      const double secs = now_s() - t;
      volatile float keep = sink;  // an observable use of the sums: the loop cannot be dropped
      (void)keep;
      best = std::max(best, 2.0 * S::L * 12 * (double)iters * omp_get_max_threads() / secs / 1e9);
    }
    return best;
  });
#else
  return 0;
#endif
}

// Every convolution shape of the ResNet workloads, timed alone: forward, and backward (dx and dW). 3×3
// kernels with padding 1, and ResNet-18's 1×1 stride-2 shortcuts (k = 1, no padding).
void conv_layers(const Config& cfg) {
  struct Layer { const char* model; int64_t N, C, O, H, stride, k = 3; };
  const Layer layers[] = {
      {"resnet32_cifar", 128, 3, 16, 32, 1},  {"resnet32_cifar", 128, 16, 16, 32, 1},
      {"resnet32_cifar", 128, 16, 32, 32, 2}, {"resnet32_cifar", 128, 32, 32, 16, 1},
      {"resnet32_cifar", 128, 32, 64, 16, 2}, {"resnet32_cifar", 128, 64, 64, 8, 1},
      {"resnet32_fmnist", 128, 1, 16, 28, 1}, {"resnet32_fmnist", 128, 16, 16, 28, 1},
      {"resnet32_fmnist", 128, 32, 32, 14, 1}, {"resnet32_fmnist", 128, 64, 64, 7, 1},
      {"resnet18_cifar", 64, 3, 64, 32, 1},   {"resnet18_cifar", 64, 64, 64, 32, 1},
      {"resnet18_cifar", 64, 64, 128, 32, 2}, {"resnet18_cifar", 64, 64, 128, 32, 2, 1},
      {"resnet18_cifar", 64, 128, 128, 16, 1}, {"resnet18_cifar", 64, 128, 256, 16, 2},
      {"resnet18_cifar", 64, 128, 256, 16, 2, 1}, {"resnet18_cifar", 64, 256, 256, 8, 1},
      {"resnet18_cifar", 64, 256, 512, 8, 2}, {"resnet18_cifar", 64, 256, 512, 8, 2, 1},
      {"resnet18_cifar", 64, 512, 512, 4, 1},
  };
  const double peak = fma_peak_gflops();
  std::printf("{\"name\": \"fma_peak\", \"isa\": \"%s\", \"threads\": %d, \"gflops\": %.1f}\n",
              cpu::isa_name(cpu::simd_isa()), omp_get_max_threads(), peak);
  for (const Layer& l : layers) {
    Generator g(0);
    const int64_t pad = l.k / 2;
    kernels::Conv2dParams p{l.stride, l.stride, pad, pad, 1, 1, 1};
    const int64_t OH = (l.H + 2 * pad - l.k) / l.stride + 1;
    Tensor x = randn({l.N, l.C, l.H, l.H}, g), w = randn({l.O, l.C, l.k, l.k}, g);
    Tensor y = kernels::conv2d_forward(x, w, Tensor(), p), dy = randn(y.shape(), g);
    const bool need_dx = l.C > 3;  // the first layer's input needs no gradient
    const double flops = 2.0 * l.N * l.O * l.C * l.k * l.k * OH * OH;
    auto time = [&](auto f) {
      std::vector<double> ts;
      for (int i = 0; i < (cfg.steps > 0 ? cfg.steps : 7) + 1; ++i) {
        const double t = now_s();
        f();
        if (i > 0) ts.push_back(now_s() - t);
      }
      return median(ts);
    };
    const double tf = time([&] { kernels::conv2d_forward(x, w, Tensor(), p); });
    const double tx = need_dx ? time([&] { kernels::conv2d_backward(dy, x, w, p, true, false, false); }) : 0;
    const double tw = time([&] { kernels::conv2d_backward(dy, x, w, p, false, true, false); });
    auto rate = [&](double t) { return t > 0 ? flops / t / 1e9 : 0.0; };
    auto of_peak = [&](double t) { return peak > 0 ? rate(t) / peak : 0.0; };
    std::printf("{\"name\": \"conv_%s_%ldx%ld_%ldto%ld_s%ld%s\", \"forward_ms\": %.2f, \"dx_ms\": %.2f, \"dw_ms\": %.2f, "
                "\"forward_gflops\": %.1f, \"dx_gflops\": %.1f, \"dw_gflops\": %.1f, \"forward_of_peak\": %.2f, "
                "\"dx_of_peak\": %.2f, \"dw_of_peak\": %.2f}\n",
                l.model, (long)l.H, (long)l.H, (long)l.C, (long)l.O, (long)l.stride, l.k == 1 ? "_k1" : "", tf * 1e3, tx * 1e3, tw * 1e3,
                rate(tf), rate(tx), rate(tw), of_peak(tf), of_peak(tx), of_peak(tw));
    std::fflush(stdout);
  }
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
  bool sync_bn = false, list_isas = false;
  app.add_flag("--list-isas", list_isas,
               "print the convolution instruction sets this build has and this CPU runs (EG_ISA's names), then exit");
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
  if (list_isas) {
    for (cpu::SimdIsa i : cpu::available_isas()) std::printf("%s\n", cpu::isa_name(i));
    return 0;
  }
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
      if (std::find(all.begin(), all.end(), k) == all.end() && k != "loader_fmnist" && k != "conv_layers") {
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
      else if (k == "conv_layers") conv_layers(cfg);
      else train_workload(k, trainings.at(k), cfg);
    } catch (const Error& e) {
      std::fprintf(stderr, "bench: workload %s on %s failed: %s\n", k.c_str(), device.c_str(), e.what());
      return 1;
    }
  }
  return 0;
}
