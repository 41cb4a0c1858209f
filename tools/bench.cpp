// bench.cpp — build/bin/bench: the standard workloads of ../shared/bench/torch_bench.py, one JSON line
// each, same names and fields. Usage: bench [--only a,b] [--device cpu|cuda] [--threads N]
#include <omp.h>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

#include "eigengrad.h"

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

void gemm(int64_t n, int reps) {
  Generator g(0);
  Tensor a = randn({n, n}, g), b = randn({n, n}, g);
  for (int i = 0; i < 3; ++i) kernels::matmul(a, b);
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    double t = now_s();
    kernels::matmul(a, b);
    ts.push_back(now_s() - t);
  }
  std::printf("{\"name\": \"gemm%ld\", \"gflops\": %.1f}\n", (long)n, 2.0 * n * n * n / median(ts) / 1e9);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eigengrad benchmark: the workloads of shared/bench/torch_bench.py, one JSON line each"};
  std::string only, device = "cpu";
  int threads = 2;
  app.add_option("--only", only, "comma-separated workload names (default: all)");
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", threads, "OpenMP/Eigen threads")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  std::map<std::string, std::function<void()>> work = {
      {"gemm1024", [] { gemm(1024, 20); }},
  };
  std::vector<std::string> names;
  if (only.empty()) {
    for (auto& [k, _] : work) names.push_back(k);
  } else {
    std::stringstream ss(only);
    for (std::string k; std::getline(ss, k, ',');) {
      if (!work.count(k)) {
        std::fprintf(stderr, "bench: unknown workload '%s'\n", k.c_str());
        return 2;
      }
      names.push_back(k);
    }
  }
  if (device == "cuda" && !cuda_available()) {
    std::fprintf(stderr, "bench: --device cuda but no CUDA device is available\n");
    return 2;
  }
  for (auto& k : names) work[k]();
  return 0;
}
