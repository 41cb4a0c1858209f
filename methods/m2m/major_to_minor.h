// major_to_minor.h — one M2m training batch (m2m.md §2 "Per batch", steps 2-5): choose the positions to
// replace and their seeds (pairs.h), translate every seed at once with the frozen g and the current f
// (translate.h; both in eval mode, no parameter in the graph), and overwrite a position with x* only when
// softmax(g(x*))[k] >= γ and a Bernoulli(p_accept) draw succeeds; otherwise the original over-sampled
// minority image stays (the fall-back). Keeps per-target-class statistics and a few accepted pairs for
// the figure. The batch holds normalised images (the loader's transform); translation works on pixels.
// Shapes: batch x [B, C, H, W] normalised, y [B] i64; mean/std [C]; counts [K].
#pragma once
#include <memory>
#include <vector>

#include "methods/data/loader.h"
#include "methods/m2m/pairs.h"
#include "methods/m2m/translate.h"
#include "nn/nn.h"

namespace eg::m2m {

struct M2mConfig {
  TranslateConfig translate;
  double beta = 0.999;     // seed weights and rejection 1 − β^{(N_k0 − N_k)^+}
  double gamma = 0.9;      // g's confidence needed for success
  SeedSampling seeds = SeedSampling::Batch;
  int64_t start_epoch = 0; // T0: batches before it are left alone
  uint64_t seed = 0;       // the per-batch generators derive from it
  int64_t keep_examples = 16;
};

// Per target class k [K]: attempted = pairs translated; accepted; gamma_failed = confidence < γ;
// rejected = passed γ but lost the Bernoulli(p_accept) draw; skipped = offered with no valid seed.
struct GenStats {
  std::vector<int64_t> attempted, accepted, gamma_failed, rejected, skipped;
  double delta_l2_sum = 0;  // Σ ‖x* − x0‖₂ over accepted samples
  explicit GenStats(int64_t k = 0);
  int64_t total(const std::vector<int64_t>& v) const;
  double accept_rate() const;    // accepted / attempted (0 when none attempted)
  double mean_delta_l2() const;  // over accepted samples (0 when none)
};

struct Example {  // one accepted translation, pixels [C, H, W]
  Tensor seed, generated;
  int64_t k0 = 0, k = 0;
  double confidence = 0;
};

class MajorToMinor {
 public:
  // g: the frozen classifier (kept in eval mode); counts: training-set class counts N_k.
  MajorToMinor(std::shared_ptr<nn::Module> g, std::vector<int64_t> counts, std::vector<float> mean,
               std::vector<float> std, M2mConfig cfg);
  // Rewrites b.x in place for epochs >= start_epoch (f is put in eval mode during the translation and back
  // in train mode after). The random draws depend on (cfg.seed, epoch, b.indices) only, so a resumed run
  // repeats them.
  void apply(data::Batch& b, nn::Module& f, int64_t epoch);
  const GenStats& stats() const { return stats_; }
  const std::vector<Example>& examples() const { return examples_; }
  const M2mConfig& config() const { return cfg_; }

 private:
  Tensor to_pixels(const Tensor& xn) const;
  Tensor to_normalised(const Tensor& x) const;
  std::shared_ptr<nn::Module> g_;
  std::vector<int64_t> counts_;
  Tensor mean_, std_;  // [1, C, 1, 1]
  M2mConfig cfg_;
  GenStats stats_;
  std::vector<Example> examples_;
};

// Sets requires_grad false on every parameter of the modules for its lifetime (restored after): the
// input-gradient graph then holds no parameter, and no parameter gradient is computed or accumulated.
class FrozenParameters {
 public:
  explicit FrozenParameters(const std::vector<nn::Module*>& modules);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<Tensor> frozen_;
};

}  // namespace eg::m2m
