// test_memory.cpp — resident memory stays flat over many training steps: each step's autograd graph
// (and every activation it holds) is freed after backward, so RSS after 200 steps of a small ConvNet is
// within a few MiB of RSS after 50 (by then the allocator and the optimizer state have reached their
// steady size). A step that leaked its graph would leak ~1 MiB here, ~150 MiB over the window.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "losses/cross_entropy.h"
#include "nn/nn.h"

using namespace eg;

namespace {
// VmRSS of this process in MiB (/proc/self/status, in kB); -1 where unavailable (not Linux).
double rss_mib() {
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
