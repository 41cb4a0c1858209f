// protocol.h — the class-disjoint retrieval splits of the RKD paper (rkd.md §4, §6): train on some
// classes, measure Recall@K among classes never seen in training. Labels of every output are remapped to
// positions in its class list (retrieval compares labels only for equality).
// Shape letters: N images, K classes.
#pragma once
#include <cstdint>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::rkd {

struct DisjointSplit {
  data::ImageDataset train, unseen, seen;  // seen may be empty (n = 0)
};

// [lo, hi) as a list of class ids.
std::vector<int64_t> class_range(int64_t lo, int64_t hi);

// A dataset with its own test split of the same classes (Fashion-MNIST, rkd.md §6): train = the train
// split's train_classes; unseen = the test split's unseen_classes; seen = the test split's train_classes.
// val_per_class > 0 chooses settings without the test split: unseen = val_per_class train-split images of
// each unseen class, seen = val_per_class train images per training class held out from train (seeded).
DisjointSplit split_with_test_set(const data::ImageDataset& train_split, const data::ImageDataset& test_split,
                                  const std::vector<int64_t>& train_classes, const std::vector<int64_t>& unseen_classes,
                                  int64_t val_per_class, uint64_t val_seed);

// The paper's datasets (CUB-200-2011: classes 1-100 / 101-200; Cars196: 98 / 98): every image of both
// given halves pooled, the first `train_count` class ids train, the rest are unseen; no seen set.
// validation = true: the last quarter of the training classes become the unseen set (the test classes are
// not touched).
DisjointSplit split_pooled(const data::ImageDataset& a, const data::ImageDataset& b, int64_t train_count,
                           bool validation);

// a's images followed by b's (same image shape and class list).
data::ImageDataset concat(const data::ImageDataset& a, const data::ImageDataset& b);

}  // namespace eg::rkd
