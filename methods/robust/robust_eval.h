// robust_eval.h — clean and adversarial accuracy of a model on a set of images (robust-features.md §5:
// untargeted L2 PGD, 20 steps of eps/8, on every 5th test image). The model runs in eval mode.
#pragma once
#include <vector>

#include "methods/data/dataset.h"
#include "methods/robust/pgd.h"
#include "methods/robust/pixel_model.h"

namespace eg::robust {

struct RobustAccuracy {
  double clean_acc = 0, robust_acc = 0;  // fractions in [0, 1]
  int64_t n = 0;
};

RobustAccuracy robust_accuracy(const PixelModel& m, const data::ImageDataset& ds, const std::vector<int64_t>& indices,
                               const PgdConfig& attack, int64_t batch, Generator& g);

// The spec's evaluation attack: untargeted L2 PGD at eps with `steps` steps of eps/8, best-loss iterate.
PgdConfig evaluation_attack(double eps, int64_t steps = 20);

}  // namespace eg::robust
