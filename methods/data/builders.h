// builders.h — derived datasets: long-tailed subsets (CB, M2m), open-set splits (RPL), class-disjoint
// splits (RKD retrieval), k images per class and stratified train/validation splits. Every random choice
// is seeded, per class, so the same seed always selects the same images. Every output keeps the images in
// their original dataset order. Shape letters: N images, K classes.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::data {

// cb.md §2 (data_utils.get_img_num_per_cls): n_i = int(n_max * (1/mu)^(i / (K-1))) for i = 0..K-1, class 0
// the head. mu >= 1 is the imbalance ratio n_max / n_min; K = 1 gives {n_max}.
std::vector<int64_t> long_tail_counts(int64_t n_max, int64_t num_classes, double mu);

// counts[c] images of each class c, a seeded random choice without replacement within the class (the
// choice for class c depends only on (seed, c), and a smaller count picks a subset of a larger one).
// Throws if counts has not one entry per class or asks for more images than a class has.
ImageDataset make_long_tail(const ImageDataset& ds, const std::vector<int64_t>& counts, uint64_t seed);

// RPL's open-set protocol: known_train / known_test hold the known classes of train / test with labels
// remapped to their position in `known` (num_classes = K); unknown_test holds the unknown classes of test
// with labels remapped to their position in `unknown`. Class names follow the same order.
struct OpenSetSplit {
  ImageDataset known_train, known_test, unknown_test;
  std::vector<int64_t> known_classes, unknown_classes;  // original class ids, as given
};
OpenSetSplit make_open_set(const ImageDataset& train, const ImageDataset& test, const std::vector<int64_t>& known,
                           const std::vector<int64_t>& unknown);

// The images of `classes` only, labels remapped to their position in `classes` (num_classes = its size).
ImageDataset class_disjoint_split(const ImageDataset& ds, const std::vector<int64_t>& classes);

// The first k images of every class after a seeded per-class shuffle (rpl.md: 3000 per known class).
// Throws if a class has fewer than k images.
ImageDataset k_per_class(const ImageDataset& ds, int64_t k, uint64_t seed);

// Stratified split into {train, val}. Per class c, val takes llround(val_fraction * N_c) images
// (train_val_split) or val_per_class images (train_val_split_count); chosen by a seeded per-class shuffle,
// or, with shuffle = false, the first ones in dataset order (m2m.md: the first 10% of each test class).
// A class with no images gives none; one with fewer than val_per_class is an error.
std::pair<ImageDataset, ImageDataset> train_val_split(const ImageDataset& ds, double val_fraction, uint64_t seed,
                                                      bool shuffle = true);
std::pair<ImageDataset, ImageDataset> train_val_split_count(const ImageDataset& ds, int64_t val_per_class,
                                                            uint64_t seed, bool shuffle = true);

}  // namespace eg::data
