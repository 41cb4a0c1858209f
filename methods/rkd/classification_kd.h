// classification_kd.h — RKD for classification (rkd.md §2.7) as a recipe on the shared classifier
// trainer: each step runs the student's pooled features f_s and logits z_s and, without gradient, the
// (eval-mode) teacher's f_t and z_t on the same augmented images, and trains on
// CE + λ_HKD·KL_T + λ_D·L_D(f̂_s, f̂_t) + λ_A·L_A(f̂_s, f̂_t) (objective.h). Shapes: [B, C, H, W] images,
// [B, F] pooled features (student and teacher widths may differ), [B, K] logits.
#pragma once
#include <memory>

#include "methods/rkd/objective.h"
#include "methods/train/classify.h"

namespace eg::rkd {

// Sets cfg.step; the teacher is moved to cfg.device and kept in eval mode.
void configure_classification_kd(train::ClassifyConfig& cfg, const KdWeights& w, std::shared_ptr<nn::Backbone> teacher);

}  // namespace eg::rkd
