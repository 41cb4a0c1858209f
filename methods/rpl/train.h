// train.h — one open-set training run (rpl.md §3/§6): a backbone + open-set head trained with the
// method's loss by the shared loop (SGD momentum, or Adam for TinyImageNet; multi-step lr per epoch; one
// parameter group, so weight decay also hits the points and the radius as in the official code), then
// evaluated on the known- and unknown-class test images. Writes log.csv, checkpoint.safetensors,
// model.safetensors, curves.png, score_hist.png (open-set score, known vs unknown) and, when the
// embedding has 2 dims, embedding.png (the paper's picture) into run_dir.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "methods/rpl/evaluate.h"
#include "methods/rpl/heads.h"
#include "methods/train/datasets.h"

namespace eg::rpl {

// bundle.train / bundle.test: the known classes (labels = positions in the split's known list);
// unknown_test: the unknown-class test images (their labels are not used).
struct OpenSetData {
  train::DatasetBundle bundle;
  data::ImageDataset unknown_test;
};

struct OpenSetTrainConfig {
  HeadConfig head;  // num_classes and dim are filled from the data and the backbone
  std::string backbone = "smallcnn";
  std::vector<int64_t> widths;  // smallcnn only
  int64_t epochs = 10, batch_size = 64;
  bool adam = false;            // Adam (TinyImageNet) instead of SGD
  double lr = 0.1, momentum = 0.9, weight_decay = 1e-4;
  std::vector<double> milestones;  // lr ×gamma at each (epochs, stepped per epoch)
  double gamma = 0.1;
  bool augment = false;         // random crop (pad crop_padding) + horizontal flip
  int64_t crop_padding = 4;
  uint64_t seed = 0;
  Device device = Device::CPU;
  std::string run_dir, label = "rpl", trainer = "train_rpl";
  bool resume = false, plain = false, figures = true;
  int64_t eval_every = 1;
  std::map<std::string, std::string> metadata;
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;
};

struct OpenSetRunResult {
  train::Metrics metrics;  // the final evaluation (evaluate.h's keys)
  OpenSetEvaluation eval;  // scores of the final evaluation
  double wall_s = 0;
  bool interrupted = false;
};

OpenSetRunResult train_open_set(const OpenSetData& data, const OpenSetTrainConfig& cfg);

// Histogram counts of `values` in `bins` equal bins over [lo, hi] (values outside are clamped in).
std::vector<double> histogram(const std::vector<double>& values, double lo, double hi, int64_t bins);

}  // namespace eg::rpl
