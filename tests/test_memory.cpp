// test_memory.cpp — resident memory stays flat over many training steps: each step's autograd graph
// (and every activation it holds) is freed after backward, so RSS after 200 steps of a small ConvNet is
// within a few MiB of RSS after 50 (by then the allocator and the optimizer state have reached their
// steady size). A step that leaked its graph would leak ~1 MiB here, ~150 MiB over the window. The same
// over 1,000 steps of the whole harness (data loader, sampler, transform, run_training).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "losses/cross_entropy.h"
#include "methods/data/loader.h"
#include "methods/train/loop.h"
#include "nn/nn.h"

using namespace eg;

// Under AddressSanitizer RSS is not measured: its quarantine of freed memory grows RSS by design
// (LeakSanitizer checks for leaks there instead).
#if defined(__SANITIZE_ADDRESS__)
#define EG_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EG_TEST_UNDER_ASAN 1
#endif
#endif

namespace {
// VmRSS of this process in MiB (/proc/self/status, in kB); -1 where unavailable (not Linux) or meaningless.
double rss_mib() {
#ifdef EG_TEST_UNDER_ASAN
  return -1;
#endif
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}
}  // namespace

TEST_CASE("memory: RSS does not grow over 200 ConvNet training steps") {
  if (rss_mib() < 0) return;  // no /proc: nothing to measure
  Generator g(0);
  auto model = nn::make_model({"convnet", 1, 10, "cifar", {8, 16, 16}}, g);
  nn::SGD opt(model->parameters(), {0.1, 0.9, 0, 5e-4});
  Tensor x = randn({8, 1, 16, 16}, g), y = randint(0, 10, {8}, g);
  double rss50 = 0;
  for (int i = 1; i <= 200; ++i) {
    opt.zero_grad();
    Tensor loss = losses::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    if (i == 50) rss50 = rss_mib();
  }
  const double rss200 = rss_mib();
  MESSAGE("RSS after step 50: ", rss50, " MiB, after step 200: ", rss200, " MiB");
  CHECK(rss200 - rss50 < 4.0);
}

// The whole training harness, not only the step: DataLoader (its prefetch thread and queue), sampler,
// transform, run_training's loop with its log, 1,000 optimizer steps of a small ConvNet. RSS after step
// 1000 stays within a few MiB of RSS after step 100.

TEST_CASE("memory: RSS does not grow from step 100 to step 1000 of run_training") {
  if (rss_mib() < 0) return;  // no /proc, or AddressSanitizer
  Generator g(0);
  data::ImageDataset ds;
  ds.n = 400, ds.c = 1, ds.h = 12, ds.w = 12, ds.num_classes = 4;
  ds.pixels.resize((size_t)(ds.n * ds.image_size()));
  for (auto& p : ds.pixels) p = (uint8_t)(g.uniform() * 255);
  for (int64_t i = 0; i < ds.n; ++i) ds.labels.push_back(i % 4);
  auto model = nn::make_model({"convnet", 1, 4, "cifar", {4, 8, 8}}, g);
  nn::SGD opt(model->parameters(), {0.05, 0.9, 0, 5e-4});
  data::DataLoader loader(ds, std::make_shared<data::RandomSampler>(ds.n, 4, 1, true),
                          std::make_shared<data::RandomCrop>(12, 2), {});
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("eg_test_rss_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int64_t steps = 0;
  double rss100 = 0, rss1000 = 0;
  train::LoopHooks hooks;
  hooks.step = [&](const data::Batch& b) {
    train::StepOut out;
    out.logits = model->forward(b.x);
    out.loss = losses::cross_entropy(out.logits, b.y);
    ++steps;
    if (steps == 100) rss100 = rss_mib();
    if (steps == 1000) rss1000 = rss_mib();
    return out;
  };
  train::LoopConfig cfg;
  cfg.epochs = 10;  // 100 batches of 4 per epoch
  cfg.run_dir = dir.string();
  cfg.checkpoints = false;
  cfg.plain = true;
  train::run_training(*model, opt, loader, hooks, cfg);
  std::filesystem::remove_all(dir);
  REQUIRE(steps == 1000);
  MESSAGE("RSS after step 100: ", rss100, " MiB, after step 1000: ", rss1000, " MiB");
  CHECK(rss1000 - rss100 < 4.0);
}
