// evaluate.h — batched inference over a dataset (eval mode, no grad) and the standard classification
// metrics from it. Shapes: N images, K classes, D feature dims.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "methods/data/loader.h"
#include "methods/data/transforms.h"
#include "methods/train/loop.h"
#include "nn/nn.h"

namespace eg::train {

struct Predictions {
  int64_t n = 0, k = 0;
  std::vector<float> logits;    // N x K row-major
  std::vector<int64_t> labels;  // N
};

// Runs fn (model forward in eval mode, no grad) over ds in order, batch by batch; fn maps [B, C, H, W] to
// [B, K]. `transform` is the test-time transform (normalization), may be null. Under mpirun every rank
// predicts its contiguous share of ds and every rank gets all of them, in order (distributed.h).
Predictions predict(const data::ImageDataset& ds, const std::function<Tensor(const Tensor&)>& fn,
                    std::shared_ptr<data::Transform> transform, int64_t batch_size, Device device);

// test_acc, balanced_acc, top5_acc (K >= 5), and with train_counts the many/medium/few-shot accuracies
// grouped by rank (the top and bottom thirds of classes by train count, as the specs' FMNIST-LT).
Metrics classification_metrics(const Predictions& p, const std::vector<int64_t>& train_counts = {});
// The keys classification_metrics returns for k classes (with shot metrics or not), in log.csv's order.
std::vector<std::string> classification_metric_names(int64_t k, bool shot_metrics);

}  // namespace eg::train
