// embedding_run.h — one metric-learning run of the RKD paper (rkd.md §2.4–2.6) on the shared loop:
// an embedding network trained either with triplet loss + distance-weighted sampling (the teacher and the
// Student-Triplet baseline; labels used) or distilled from a teacher with λ_D·L_D + λ_A·L_A (no labels),
// on "m images per class" batches, Adam, an lr schedule; Recall@K on unseen classes (and Recall@1 on
// held-out images of the training classes) after the run. Writes RUN_DIR/log.csv, checkpoint, the model
// file, and for distilled runs RUN_DIR/losses.csv (L_D and L_A, unweighted, every iteration).
// Shapes: embeddings [B, D] (teacher Dt, student Ds), labels i64 [B]; N x D floats for whole splits.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "methods/data/dataset.h"
#include "methods/data/transforms.h"
#include "methods/rkd/embedding_model.h"
#include "methods/train/loop.h"
#include "nn/schedule.h"

namespace eg::rkd {

// The class-disjoint protocol: train on some classes, retrieve among others (rkd.md §4, §6).
struct RetrievalData {
  data::ImageDataset train;   // the training classes
  data::ImageDataset unseen;  // retrieval evaluation: classes never trained on
  data::ImageDataset seen;    // optional (n = 0: skipped): held-out images of the training classes
  std::shared_ptr<data::Transform> train_transform, test_transform;
  bool deterministic_train_transform = true;  // no augmentation: the teacher's train embeddings are computed once
};

struct EmbeddingRunConfig {
  std::string run;                // the run's name (teacher, triplet, rkd_da, gen1, ...)
  std::string loss = "triplet";   // "triplet", or a distill run name: rkd_d | rkd_a | rkd_da
  train::ModelFileInfo model;     // model.spec.num_classes = the embedding dimension
  bool l2 = false;                // ℓ2-normalize this model's embedding
  std::string backbone_weights;   // optional torchvision ImageNet weights for the backbone
  const EmbeddingModel* teacher = nullptr;  // required for the distill losses (its own l2 setting applies)
  double lr = 1e-3, weight_decay = 1e-5, margin = 0.2;
  int64_t epochs = 10, iters_per_epoch = 100;
  std::shared_ptr<nn::LrSchedule> schedule;  // of the fractional epoch (per-iteration stepping) unless per_epoch
  bool per_epoch_schedule = false;
  int64_t m_per_class = 12, batch_size = 60;
  int64_t eval_every = 0;  // 0: only after the last epoch
  std::vector<int64_t> ks = {1, 2, 4, 8};
  uint64_t seed = 0;
  Device device = Device::CPU;
  std::string run_dir, label;
  bool resume = false, plain = false;
  std::map<std::string, std::string> metadata;
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;
};

struct EmbeddingRunResult {
  // recall_at_<K> (unseen classes), recall_at_1_seen, and for distilled runs loss_d_first, loss_d_last,
  // loss_a_first, loss_a_last (the first and the last iteration's unweighted terms).
  train::Metrics metrics;
  EmbeddingModel model;
  std::vector<float> unseen_embeddings;  // N_unseen x D, of the final model
  double wall_s = 0;
  bool interrupted = false;
};

bool is_distill_loss(const std::string& loss);

// The metrics of an embedding: recall_at_<K> on `unseen` and recall_at_1_seen on `seen` (when not empty).
train::Metrics retrieval_metrics(const std::vector<float>& unseen, const data::ImageDataset& unseen_ds,
                                 const std::vector<float>& seen, const data::ImageDataset& seen_ds, int64_t d,
                                 const std::vector<int64_t>& ks);

EmbeddingRunResult train_embedding(const RetrievalData& data, const EmbeddingRunConfig& cfg);

}  // namespace eg::rkd
