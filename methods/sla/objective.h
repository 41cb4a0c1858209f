// objective.h — one training step's loss for each method (sla.md §2.3), on a batch of B originals that
// the data pipeline has already cropped, flipped and normalized (so the transformations come after the
// augmentation and their labels stay exact). All B·M copies go through the backbone in ONE forward pass,
// so BatchNorm's batch statistics mix the transformations, as the official code.
//   baseline  CE(u·z(x), y)
//   da        1/M Σ_j CE(u·z(t_j x), y)
//   mt        1/M Σ_j [CE(u·z(t_j x), y) + CE(v·z(t_j x), j)]
//   sla       CE over the B·M rows with joint targets y·M + j (×M with large_loss)
//   sla_sd    sla + β·CE(u·z(x), y) + T²·KL(P_agg || σ(u·z(x)/T)), P_agg detached
// Shape letters: B originals, M transformations, N classes.
#pragma once
#include "methods/sla/model.h"
#include "methods/sla/transformations.h"

namespace eg::sla {

struct SdOptions {
  double T = 1.0;     // temperature (official --T 1)
  double beta = 1.0;  // weight of the SD head's CE (hard-coded 1 in the official code)
  bool large_loss = false;  // official --with-large-loss: L_SLA × M
};

struct StepLoss {
  Tensor loss;    // scalar with a graph
  // Train accuracy is measured on the main head's rows of the untransformed copies (B rows, as many as
  // the batch's labels, which the loop counts): logits [B, N] (or [B, N·M] for the joint head) and their
  // targets y (or the joint labels y·M + 0).
  Tensor logits;
  Tensor labels;
};

// x [B, C, H, W] f32, y [B] i64; t is ignored by the baseline.
StepLoss training_step(SlaNet& net, const Tensor& x, const Tensor& y, const TransformationSet& t,
                       const SdOptions& sd = {});

}  // namespace eg::sla
