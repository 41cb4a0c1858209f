// major_to_minor.cpp — one M2m batch (see major_to_minor.h).
#include "methods/m2m/major_to_minor.h"

#include <algorithm>
#include <numeric>

#include "methods/data/samplers.h"

namespace eg::m2m {

GenStats::GenStats(int64_t k)
    : attempted((size_t)k), accepted((size_t)k), gamma_failed((size_t)k), rejected((size_t)k), skipped((size_t)k) {}

int64_t GenStats::total(const std::vector<int64_t>& v) const { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

double GenStats::accept_rate() const {
  int64_t a = total(attempted);
  return a ? (double)total(accepted) / (double)a : 0.0;
}

double GenStats::mean_delta_l2() const {
  int64_t n = total(accepted);
  return n ? delta_l2_sum / (double)n : 0.0;
}

FrozenParameters::FrozenParameters(const std::vector<nn::Module*>& modules) {
  for (nn::Module* m : modules)
    for (Tensor& p : m->parameters())
      if (p.requires_grad()) p.requires_grad_(false), frozen_.push_back(p);
}

FrozenParameters::~FrozenParameters() {
  for (Tensor& p : frozen_) p.requires_grad_(true);
}

namespace {

Tensor channel_tensor(const std::vector<float>& v) {
  return from_vector(v, {1, (int64_t)v.size(), 1, 1});
}

// The batch's generator: a function of (seed, epoch, the batch's dataset indices).
uint64_t batch_seed(uint64_t seed, int64_t epoch, const std::vector<int64_t>& indices) {
  uint64_t s = data::derive_seed(seed, (uint64_t)epoch);
  for (int64_t i : indices) s = data::derive_seed(s, (uint64_t)i);
  return s;
}

}  // namespace

MajorToMinor::MajorToMinor(std::shared_ptr<nn::Module> g, std::vector<int64_t> counts, std::vector<float> mean,
                           std::vector<float> std, M2mConfig cfg)
    : g_(std::move(g)), counts_(std::move(counts)), cfg_(cfg), stats_((int64_t)counts_.size()) {
  ENGINE_CHECK(g_, "MajorToMinor: no classifier g");
  ENGINE_CHECK(mean.size() == std.size() && !mean.empty(), "MajorToMinor: mean and std need one value per channel");
  ENGINE_CHECK(cfg_.gamma >= 0 && cfg_.gamma <= 1, "M2m gamma must be in [0, 1], got ", cfg_.gamma);
  mean_ = channel_tensor(mean);
  std_ = channel_tensor(std);
  g_->eval();
}

Tensor MajorToMinor::to_pixels(const Tensor& xn) const { return xn * std_.to(xn.device()) + mean_.to(xn.device()); }
Tensor MajorToMinor::to_normalised(const Tensor& x) const {
  return (x - mean_.to(x.device())) / std_.to(x.device());
}

void MajorToMinor::apply(data::Batch& b, nn::Module& f, int64_t epoch) {
  if (epoch < cfg_.start_epoch) return;
  Generator gen(batch_seed(cfg_.seed, epoch, b.indices));
  std::vector<int64_t> labels = b.y.to_vector<int64_t>();
  PairChoice choice = choose_pairs(labels, counts_, cfg_.beta, cfg_.seeds, gen);
  for (int64_t i : choice.skipped) ++stats_.skipped[(size_t)labels[(size_t)i]];
  if (choice.pairs.empty()) return;
  std::vector<int64_t> seed_pos, target_pos, k, k0;
  for (auto& p : choice.pairs) {
    seed_pos.push_back(p.seed_pos), target_pos.push_back(p.target_pos), k.push_back(p.k), k0.push_back(p.k0);
    ++stats_.attempted[(size_t)p.k];
  }
  const Device dev = b.x.device();
  Tensor kt = from_vector(k, {(int64_t)k.size()}).to(dev), k0t = from_vector(k0, {(int64_t)k0.size()}).to(dev);
  Tensor x0;
  {
    NoGradGuard ng;
    x0 = clamp(to_pixels(index_select(b.x, 0, from_vector(seed_pos, {(int64_t)seed_pos.size()}).to(dev))), 0.0, 1.0);
  }
  Translation tr;
  {
    // Both networks in eval mode (BN running statistics, untouched by the generated samples), no parameter
    // in the graph; f goes back to train mode for its SGD step.
    f.eval();
    FrozenParameters frozen({g_.get(), &f});
    auto gnet = [&](const Tensor& x) { return g_->forward(to_normalised(x)); };
    auto fnet = [&](const Tensor& x) { return f.forward(to_normalised(x)); };
    tr = translate(gnet, fnet, x0, kt, k0t, cfg_.translate, gen);
    f.train();
  }
  std::vector<double> l2 = per_sample_l2(tr.x, x0);
  std::vector<int64_t> accept_rows, accept_pos;
  for (size_t r = 0; r < choice.pairs.size(); ++r) {
    const Pair& p = choice.pairs[r];
    bool confident = tr.confidence[r] >= cfg_.gamma;
    bool drawn = gen.bernoulli(p.p_accept);  // drawn for every pair, as train.py's torch.bernoulli(p_accept)
    if (!confident) { ++stats_.gamma_failed[(size_t)p.k]; continue; }
    if (!drawn) { ++stats_.rejected[(size_t)p.k]; continue; }
    ++stats_.accepted[(size_t)p.k];
    stats_.delta_l2_sum += l2[r];
    accept_rows.push_back((int64_t)r);
    accept_pos.push_back(p.target_pos);
    if ((int64_t)examples_.size() < cfg_.keep_examples)
      examples_.push_back({narrow(x0, 0, (int64_t)r, 1).to(Device::CPU).clone(),
                           narrow(tr.x, 0, (int64_t)r, 1).to(Device::CPU).clone(), p.k0, p.k, tr.confidence[r]});
  }
  if (accept_rows.empty()) return;
  NoGradGuard ng;
  Tensor rows = from_vector(accept_rows, {(int64_t)accept_rows.size()}).to(dev);
  Tensor gen_n = to_normalised(index_select(tr.x, 0, rows)).to(Device::CPU);
  // Overwrite the accepted positions; the label stays k (the position's own label).
  Tensor x = b.x.to(Device::CPU).clone();
  const int64_t per = x.numel() / x.size(0);
  const float* src = gen_n.data<float>();
  float* dst = x.data<float>();
  for (size_t a = 0; a < accept_pos.size(); ++a)
    std::copy(src + (int64_t)a * per, src + (int64_t)(a + 1) * per, dst + accept_pos[a] * per);
  b.x = x.to(dev);
}

}  // namespace eg::m2m
