// objective.h — the training objectives of the RKD paper (Park et al., CVPR 2019; spec rkd.md §2.4, §2.5,
// §2.7) as named recipes over the losses in losses/: the metric-learning student (λ_D·L_D + λ_A·L_A, no
// labels), the triplet + distance-weighted-sampling teacher/baseline, and the classification KD mix
// CE + λ_HKD·KL + λ_D·L_D + λ_A·L_A on ℓ2-normalized pooled features.
// Shapes: embeddings / features [N, D] (student Ds, teacher Dt may differ), logits [N, K], labels i64 [N].
#pragma once
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

namespace eg::rkd {

// Row-wise x / max(||x||, 1e-12) (PyTorch's F.normalize, p = 2, dim = 1). [N, D] -> [N, D].
Tensor l2_normalize(const Tensor& x);

// Weights of the relational terms of a metric-learning student (rkd.md §2.4).
struct DistillWeights {
  double d = 0, a = 0;
};
// The spec's runs: rkd_d {1, 0}, rkd_a {0, 2}, rkd_da {1, 2}; anything else throws naming the known runs.
DistillWeights distill_weights(const std::string& run);
const std::vector<std::string>& distill_run_names();

// One step's loss and the two relational terms, unweighted, for the L_D / L_A curves. A term whose weight
// is 0 is still measured (without a graph), so every distilled run logs both curves.
struct DistillTerms {
  Tensor total;  // scalar with a graph into the student
  double loss_d = 0, loss_a = 0;
};
DistillTerms distill_loss(const Tensor& student, const Tensor& teacher, const DistillWeights& w);

// Triplet loss (margin, non-squared L2 + eps 1e-6 as PyTorch) over one negative per ordered positive pair,
// drawn by distance-weighted sampling on the embeddings (rkd.md §2.5; the sampling sees no gradient).
Tensor triplet_dws_loss(const Tensor& embeddings, const Tensor& labels, Generator& gen, double margin = 0.2);

// Classification KD (rkd.md §2.7): L = CE(z_s, y) + hkd·KL_T(z_t || z_s) + d·L_D(f̂_s, f̂_t) + a·L_A(f̂_s, f̂_t),
// f̂ = l2_normalize(pooled features), the teacher side detached, KL batch-mean without a T² factor.
struct KdWeights {
  double hkd = 0, d = 0, a = 0, temperature = 4;
};
// ce {0,0,0}, ce_hkd {16,0,0}, ce_rkd_d {0,25,0}, ce_rkd_da {0,25,50}, ce_hkd_rkd_da {16,25,50}; T = 4.
KdWeights kd_weights(const std::string& run);
const std::vector<std::string>& kd_run_names();
Tensor classification_kd_loss(const Tensor& student_logits, const Tensor& student_features, const Tensor& labels,
                              const Tensor& teacher_logits, const Tensor& teacher_features, const KdWeights& w);

}  // namespace eg::rkd
