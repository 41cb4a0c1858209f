// adversarial_training.h — Madry et al.'s adversarial training (robust-features.md §2): per batch, the model
// goes to eval mode, x_adv = PGD_untargeted(x, y) from x, back to train mode, one SGD step on CE(f(x_adv), y).
// The loader gives pixels in [0, 1] (no augmentation); normalization is inside the PixelModel. The run uses
// the shared loop (log.csv, checkpoints, --resume) and writes model.safetensors like train_classifier.
#pragma once
#include <memory>

#include "methods/robust/pgd.h"
#include "methods/train/classify.h"

namespace eg::robust {

struct AdversarialResult {
  std::shared_ptr<nn::Backbone> model;  // the trained model (train mode)
  train::Metrics metrics;               // the final clean evaluation (test_acc, ...)
  double wall_s = 0;
  bool interrupted = false;
};

// cfg's model, epochs, batch_size, lr, momentum, weight_decay, schedule, seed, run_dir, label, resume,
// eval_every, plain and metadata apply; augmentation, custom losses and samplers are refused.
AdversarialResult train_adversarial(const train::DatasetBundle& d, const train::ClassifyConfig& cfg,
                                    const PgdConfig& attack);

}  // namespace eg::robust
