// pairs.h — M2m's choice of (seed, target) pairs inside one class-balanced batch (m2m.md §2 "Per batch"):
// which positions are offered for replacement (probability 1 − N_y/N_max), which batch sample seeds each
// one (weights 1 − β^{(N_{y_j} − N_k)^+}, as train.py; or the paper's per-class Q(k0|k), issue #10), and
// the acceptance probability of the later Bernoulli draw (the same weight). Pure functions of the labels,
// the training-set counts and a Generator, so they are tested without networks.
// Shape letters: B batch size, K classes; counts [K] are training-set class counts N_k.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"

namespace eg::m2m {

// How a seed is drawn for a target class k.
enum class SeedSampling {
  Batch,  // train.py: a batch position j with weight 1 − β^{(N_{y_j} − N_k)^+} (class chosen ∝ count in batch × weight)
  Class,  // the paper: a class c present in the batch with weight 1 − β^{(N_c − N_k)^+}, then a uniform position of it
};
SeedSampling seed_sampling_from_name(const std::string& name);  // "batch" | "class"

// P(position of class c is offered for replacement) = 1 − N_c / max_k N_k, per class [K].
std::vector<double> replacement_probs(const std::vector<int64_t>& counts);

// 1 − β^{(n_seed − n_target)^+}: the seed weight and the acceptance probability; 0 when the seed class is
// not larger than the target class. β in [0, 1).
double seed_weight(int64_t n_seed, int64_t n_target, double beta);

struct Pair {
  int64_t target_pos = 0;  // batch position to overwrite; its label k stays
  int64_t seed_pos = 0;    // batch position whose image is the seed x0
  int64_t k = 0, k0 = 0;   // target class and seed class
  double p_accept = 0;     // weight of the drawn seed (class): P(accept | γ passed)
};

struct PairChoice {
  std::vector<Pair> pairs;          // in increasing target_pos
  std::vector<int64_t> offered;     // positions offered for replacement (pairs' targets plus the skipped ones)
  std::vector<int64_t> skipped;     // offered positions with no valid seed in the batch (all weights 0)
};

// labels [B] (classes in [0, K)), counts [K]. Draws, in this order: one Bernoulli per position (offered or
// not), then one seed per offered position (in position order).
PairChoice choose_pairs(const std::vector<int64_t>& labels, const std::vector<int64_t>& counts, double beta,
                        SeedSampling mode, Generator& gen);

}  // namespace eg::m2m
