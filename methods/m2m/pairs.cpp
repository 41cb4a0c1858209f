// pairs.cpp — M2m's (seed, target) pairs within a batch (see pairs.h).
#include "methods/m2m/pairs.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace eg::m2m {

SeedSampling seed_sampling_from_name(const std::string& name) {
  if (name == "batch") return SeedSampling::Batch;
  if (name == "class") return SeedSampling::Class;
  ENGINE_FAIL("unknown seed sampling '", name, "' (known: batch, class)");
}

std::vector<double> replacement_probs(const std::vector<int64_t>& counts) {
  ENGINE_CHECK(!counts.empty(), "replacement_probs: no classes");
  int64_t n_max = *std::max_element(counts.begin(), counts.end());
  ENGINE_CHECK(n_max > 0, "replacement_probs: every class count is 0");
  std::vector<double> p;
  // N_max, not N_0: train.py divides by class 0's count, assuming it is the largest (m2m.md §7).
  for (int64_t n : counts) p.push_back(1.0 - (double)n / (double)n_max);
  return p;
}

double seed_weight(int64_t n_seed, int64_t n_target, double beta) {
  ENGINE_CHECK(beta >= 0 && beta < 1, "M2m beta must be in [0, 1), got ", beta);
  int64_t gap = std::max<int64_t>(n_seed - n_target, 0);
  return gap == 0 ? 0.0 : 1.0 - std::pow(beta, (double)gap);
}

namespace {

// An index drawn with probability proportional to w (sum > 0), as torch.multinomial with one sample.
size_t draw(const std::vector<double>& w, double total, Generator& gen) {
  double u = gen.uniform() * total, acc = 0;
  size_t last = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = i;
    if (u < acc) return i;
  }
  return last;  // u rounded up to the total
}

}  // namespace

PairChoice choose_pairs(const std::vector<int64_t>& labels, const std::vector<int64_t>& counts, double beta,
                        SeedSampling mode, Generator& gen) {
  const int64_t K = (int64_t)counts.size();
  for (int64_t y : labels) ENGINE_CHECK(y >= 0 && y < K, "choose_pairs: label ", y, " outside [0, ", K, ")");
  std::vector<double> p = replacement_probs(counts);
  PairChoice out;
  for (size_t i = 0; i < labels.size(); ++i)
    if (gen.bernoulli(p[(size_t)labels[i]])) out.offered.push_back((int64_t)i);
  std::vector<std::vector<int64_t>> by_class((size_t)K);
  for (size_t j = 0; j < labels.size(); ++j) by_class[(size_t)labels[j]].push_back((int64_t)j);
  for (int64_t i : out.offered) {
    int64_t k = labels[(size_t)i];
    Pair pr;
    pr.target_pos = i;
    pr.k = k;
    std::vector<double> w;
    double total = 0;
    if (mode == SeedSampling::Batch) {
      for (int64_t y : labels) w.push_back(seed_weight(counts[(size_t)y], counts[(size_t)k], beta)), total += w.back();
      if (total <= 0) { out.skipped.push_back(i); continue; }
      pr.seed_pos = (int64_t)draw(w, total, gen);
    } else {
      for (int64_t c = 0; c < K; ++c) {
        bool present = !by_class[(size_t)c].empty();
        w.push_back(present ? seed_weight(counts[(size_t)c], counts[(size_t)k], beta) : 0.0);
        total += w.back();
      }
      if (total <= 0) { out.skipped.push_back(i); continue; }
      const auto& members = by_class[draw(w, total, gen)];
      pr.seed_pos = members[(size_t)gen.randint((int64_t)members.size())];
    }
    pr.k0 = labels[(size_t)pr.seed_pos];
    pr.p_accept = seed_weight(counts[(size_t)pr.k0], counts[(size_t)k], beta);
    out.pairs.push_back(pr);
  }
  return out;
}

}  // namespace eg::m2m
