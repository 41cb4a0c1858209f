// classify.h — supervised image classification on top of the loop: a backbone, SGD with parameter
// groups, a schedule, a loss (cross-entropy unless the method gives another), train augmentation
// (random crop with padding + horizontal flip), evaluation after each epoch, and the run's figures
// (curves.png, confusion.png, per_class_acc.png) and final weights (model.safetensors, self-describing:
// see model_file.h). Optionally starts from saved weights (init_from) or only evaluates them. Used by
// train_erm and the long-tail trainers (CB, M2m's baselines).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "methods/data/samplers.h"
#include "methods/train/best_eval.h"
#include "methods/train/datasets.h"
#include "methods/train/evaluate.h"
#include "methods/train/loop.h"
#include "methods/train/model_file.h"
#include "methods/train/run_dir.h"

namespace eg::train {

struct ClassifyConfig {
  nn::ModelSpec model;
  int64_t epochs = 10, batch_size = 128;
  double lr = 0.1, momentum = 0.9, weight_decay = 5e-4;
  bool nesterov = false;
  std::shared_ptr<nn::LrSchedule> schedule;
  bool per_iteration_schedule = false;
  bool augment = true;          // random crop (pad crop_padding) + horizontal flip
  int64_t crop_padding = 4;
  bool flip = true;
  // Optional: custom parameter groups (e.g. no decay on a bias); default one group with weight_decay.
  std::function<std::vector<nn::ParamGroup>(nn::Backbone&)> param_groups;
  // Optional: loss(logits [B, K], labels [B], epoch); default mean cross-entropy.
  std::function<Tensor(const Tensor&, const Tensor&, int64_t)> loss;
  // Optional: the whole training step, for methods that need more than the logits (RKD: the pooled
  // features and a teacher's outputs on the same images): returns {loss, logits [B, K]}; `loss` is unused then.
  std::function<std::pair<Tensor, Tensor>(nn::Backbone&, const data::Batch&, int64_t epoch)> step;
  // Optional: called once on the fresh model (e.g. CB's bias initialisation).
  std::function<void(nn::Backbone&)> init_model;
  // Optional: rewrites each training batch (normalised images, labels) before the forward, given the model
  // being trained and the epoch (M2m replaces minority duplicates with translated majority images).
  std::function<void(data::Batch&, nn::Backbone&, int64_t)> prepare_batch;
  // Optional: the training sampler (default: a shuffled RandomSampler, last partial batch dropped).
  std::shared_ptr<data::Sampler> sampler;
  // Optional: a validation split for model selection. Each evaluation also measures accuracy on it
  // (log.csv's select_acc), and the result reports the test metrics, per-class accuracy and confusion of
  // the evaluation where it was highest (ties: the later one; metrics best_epoch and select_acc), as
  // train.py's "test accuracy at the best-validation epoch". The saved model is still the final one.
  std::shared_ptr<const data::ImageDataset> select_on;
  uint64_t seed = 0;
  Device device = Device::CPU;
  std::string run_dir;
  std::string label = "train";
  std::string trainer;          // recorded in the model file
  bool resume = false;
  std::string init_from;        // start from these weights (model file or checkpoint; same architecture)
  bool eval_only = false;       // no training: evaluate the init_from weights, write metrics and figures
  int64_t eval_every = 1;
  bool figures = true;
  bool shot_metrics = false;  // many/medium/few-shot accuracy (long-tailed training sets)
  bool plain = false;
  std::map<std::string, std::string> metadata;
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;
};

struct ClassifyResult {
  Metrics metrics;                   // final evaluation (test_acc, balanced_acc, ...)
  std::vector<int64_t> confusion;    // K x K
  std::vector<double> per_class;     // K
  double wall_s = 0;
  bool interrupted = false;
};

ClassifyResult train_classifier(const DatasetBundle& data, const ClassifyConfig& cfg);

// The model file description of cfg's model trained on data (architecture, input, normalization, classes).
ModelFileInfo model_file_info(const DatasetBundle& data, const ClassifyConfig& cfg);

// The test-time transform of a dataset (normalization only) and the train-time one (augment + normalize).
std::shared_ptr<data::Transform> test_transform(const DatasetBundle& data);
std::shared_ptr<data::Transform> train_transform(const DatasetBundle& data, bool augment, int64_t padding, bool flip);

// The metrics.json record of one classification run: its metrics, class_<c>_acc per class, wall time, split.
RunRecord classify_record(const std::string& run, uint64_t seed, const Json& params, const ClassifyResult& r,
                          const std::string& eval_split);

}  // namespace eg::train
