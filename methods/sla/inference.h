// inference.h — SLA's test-time rules (sla.md §2.4) per method, and their accuracies over a dataset.
//   single  baseline / da / mt: u·z(x); sla, sla_sd: SLA+SI, the t_0 columns of the joint head on x
//   agg     sla, sla_sd: SLA+AG, s_k = (1/M) Σ_j L[b, j, k, j] over the M copies (one forward of B·M rows)
//   sd      sla_sd: the N-way self-distillation head u·z(x)
// The number a method reports (its <split>_acc): single for baseline, da, mt; agg for sla; sd for sla_sd.
// Shape letters: B images, N classes, M transformations.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "methods/sla/model.h"
#include "methods/sla/transformations.h"
#include "methods/train/evaluate.h"

namespace eg::sla {

struct HeadLogits {
  Tensor single;  // [B, N]
  Tensor agg;     // [B, N], joint head only
  Tensor sd;      // [B, N], sla_sd only
};

// The method's heads on x [B, C, H, W]. Call in eval mode (BatchNorm's running statistics, as the
// official evaluation) under NoGradGuard.
HeadLogits infer(SlaNet& net, const Tensor& x, const TransformationSet& t);

// <split>_acc and, per head the method has, <split>_acc_single / _acc_agg / _acc_sd, in log.csv's order.
std::vector<std::string> head_metric_names(Method m, const std::string& split);

// Top-1 accuracy of every head over ds, keyed as head_metric_names. Sets net to eval mode and back to train.
train::Metrics evaluate_heads(SlaNet& net, const data::ImageDataset& ds, std::shared_ptr<data::Transform> transform,
                              const TransformationSet& t, const std::string& split, int64_t batch_size, Device device);

}  // namespace eg::sla
