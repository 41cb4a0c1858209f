// constructed.h — the paper's constructed training sets (robust-features.md §2), as float ImageDatasets:
//   D_rand / D_det: each image moved by a targeted L2 PGD on the standard model towards t and relabelled t
//     (t = (y+1) mod K for D_det; t uniform over the K−1 other classes for D_rand: t = y is excluded, the
//     stricter reading of the paper);
//   D_R / D_NR: each image replaced by the inversion of its representation under the robust / standard
//     model, started from a different random training image, with its label kept.
// Shapes: N images, K classes.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "methods/data/dataset.h"
#include "methods/robust/inversion.h"
#include "methods/robust/pgd.h"

namespace eg::robust {

enum class Relabel { Det, Rand };
std::vector<int64_t> relabel_targets(const std::vector<int64_t>& labels, int64_t num_classes, Relabel r, Generator& g);

// For each image i (self[i] = its index in the pool) a uniformly random pool index other than self[i].
std::vector<int64_t> other_random_indices(const std::vector<int64_t>& self, int64_t pool, Generator& g);

using ChunkProgress = std::function<void(int64_t done, int64_t total)>;

struct ConstructedSet {
  data::ImageDataset set;         // float pixels
  double attack_success = 0;      // D_rand / D_det: fraction the source model classifies as the new label
  double mean_rel_error = 0;      // D_R / D_NR: mean final relative representation error
};

// Targeted attack of every image of ds towards targets[i] (cfg.targeted is forced on); labels become targets.
ConstructedSet make_nonrobust_set(const PixelModel& source, const data::ImageDataset& ds,
                                  const std::vector<int64_t>& targets, PgdConfig cfg, int64_t batch, Generator& g,
                                  const ChunkProgress& progress = {});
// Inversion of every image of ds from pool[starts[i]]; labels stay ds's.
ConstructedSet make_inverted_set(const PixelModel& m, const data::ImageDataset& ds, const data::ImageDataset& pool,
                                 const std::vector<int64_t>& starts, const InversionConfig& cfg, int64_t batch,
                                 const ChunkProgress& progress = {});

}  // namespace eg::robust
