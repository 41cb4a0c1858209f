// builders.cpp — long-tail, open-set, class-disjoint, k-per-class and train/val dataset builders.
#include "methods/data/builders.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/check.h"
#include "core/generator.h"
#include "methods/data/samplers.h"

namespace eg::data {

namespace {

// The indices of each class 0..K-1, in dataset order.
std::vector<std::vector<int64_t>> indices_by_class(const ImageDataset& ds) {
  std::vector<std::vector<int64_t>> out((size_t)ds.num_classes);
  for (int64_t i = 0; i < ds.n; ++i) out[(size_t)ds.labels[(size_t)i]].push_back(i);
  return out;
}

// Seeded Fisher-Yates of one class's indices, with a stream that depends on the class only.
void shuffle_class(std::vector<int64_t>& v, uint64_t seed, int64_t cls) {
  Generator g(derive_seed(seed, (uint64_t)cls));
  for (int64_t i = (int64_t)v.size() - 1; i > 0; --i) std::swap(v[(size_t)i], v[(size_t)g.randint(i + 1)]);
}

// The subset at `picked`, sorted back into dataset order.
ImageDataset subset_sorted(const ImageDataset& ds, std::vector<int64_t> picked) {
  std::sort(picked.begin(), picked.end());
  return ds.subset(picked);
}

// Keeps the classes listed (original ids), labels -> position in the list, names reordered alike.
ImageDataset select_classes(const char* op, const ImageDataset& ds, const std::vector<int64_t>& classes) {
  std::vector<int64_t> remap((size_t)ds.num_classes, -1);
  for (size_t k = 0; k < classes.size(); ++k) {
    int64_t c = classes[k];
    ENGINE_CHECK(c >= 0 && c < ds.num_classes, op, ": class ", c, " is outside [0, ", ds.num_classes, ")");
    ENGINE_CHECK(remap[(size_t)c] < 0, op, ": class ", c, " is listed twice");
    remap[(size_t)c] = (int64_t)k;
  }
  std::vector<int64_t> picked;
  for (int64_t i = 0; i < ds.n; ++i)
    if (remap[(size_t)ds.labels[(size_t)i]] >= 0) picked.push_back(i);
  ImageDataset out = ds.subset(picked);
  for (auto& y : out.labels) y = remap[(size_t)y];
  out.num_classes = (int64_t)classes.size();
  if (!ds.class_names.empty()) {
    out.class_names.clear();
    for (int64_t c : classes) out.class_names.push_back(ds.class_names[(size_t)c]);
  }
  return out;
}

std::pair<ImageDataset, ImageDataset> split_by_counts(const ImageDataset& ds, const std::vector<int64_t>& val_counts,
                                                      uint64_t seed, bool shuffle) {
  auto groups = indices_by_class(ds);
  std::vector<int64_t> train, val;
  for (size_t c = 0; c < groups.size(); ++c) {
    auto& idx = groups[c];
    if (shuffle) shuffle_class(idx, seed, (int64_t)c);
    int64_t v = val_counts[c];
    val.insert(val.end(), idx.begin(), idx.begin() + v);
    train.insert(train.end(), idx.begin() + v, idx.end());
  }
  return {subset_sorted(ds, train), subset_sorted(ds, val)};
}

}  // namespace

std::vector<int64_t> long_tail_counts(int64_t n_max, int64_t num_classes, double mu) {
  ENGINE_CHECK(n_max > 0 && num_classes > 0, "long_tail_counts: need n_max > 0 and num_classes > 0, got n_max=",
               n_max, " num_classes=", num_classes);
  ENGINE_CHECK(std::isfinite(mu) && mu >= 1.0, "long_tail_counts: imbalance ratio mu = ", mu, " must be >= 1");
  if (num_classes == 1) return {n_max};
  double r = 1.0 / mu;  // the scripts' IM_FACTOR; 1/100 is the same double as 0.01
  std::vector<int64_t> out((size_t)num_classes);
  for (int64_t i = 0; i < num_classes; ++i)
    out[(size_t)i] = (int64_t)((double)n_max * std::pow(r, (double)i / ((double)num_classes - 1.0)));
  return out;
}

ImageDataset make_long_tail(const ImageDataset& ds, const std::vector<int64_t>& counts, uint64_t seed) {
  ds.validate("make_long_tail");
  ENGINE_CHECK((int64_t)counts.size() == ds.num_classes, "make_long_tail: ", counts.size(), " counts for ",
               ds.num_classes, " classes");
  auto groups = indices_by_class(ds);
  std::vector<int64_t> picked;
  for (size_t c = 0; c < groups.size(); ++c) {
    int64_t want = counts[c], have = (int64_t)groups[c].size();
    ENGINE_CHECK(want >= 0 && want <= have, "make_long_tail: class ", c, " has ", have, " images, asked for ", want);
    shuffle_class(groups[c], seed, (int64_t)c);
    picked.insert(picked.end(), groups[c].begin(), groups[c].begin() + want);
  }
  return subset_sorted(ds, picked);
}

OpenSetSplit make_open_set(const ImageDataset& train, const ImageDataset& test, const std::vector<int64_t>& known,
                           const std::vector<int64_t>& unknown) {
  train.validate("make_open_set (train)");
  test.validate("make_open_set (test)");
  ENGINE_CHECK(train.num_classes == test.num_classes, "make_open_set: train has ", train.num_classes,
               " classes but test has ", test.num_classes);
  ENGINE_CHECK(train.c == test.c && train.h == test.h && train.w == test.w, "make_open_set: train images are ",
               train.c, "x", train.h, "x", train.w, " but test images are ", test.c, "x", test.h, "x", test.w);
  ENGINE_CHECK(!known.empty(), "make_open_set: no known classes");
  for (int64_t u : unknown)
    ENGINE_CHECK(std::find(known.begin(), known.end(), u) == known.end(), "make_open_set: class ", u,
                 " is both known and unknown");
  OpenSetSplit s;
  s.known_train = select_classes("make_open_set (known)", train, known);
  s.known_test = select_classes("make_open_set (known)", test, known);
  s.unknown_test = select_classes("make_open_set (unknown)", test, unknown);
  s.known_classes = known;
  s.unknown_classes = unknown;
  return s;
}

ImageDataset class_disjoint_split(const ImageDataset& ds, const std::vector<int64_t>& classes) {
  ds.validate("class_disjoint_split");
  ENGINE_CHECK(!classes.empty(), "class_disjoint_split: no classes listed");
  return select_classes("class_disjoint_split", ds, classes);
}

ImageDataset k_per_class(const ImageDataset& ds, int64_t k, uint64_t seed) {
  ds.validate("k_per_class");
  ENGINE_CHECK(k >= 0, "k_per_class: k = ", k, " is negative");
  auto groups = indices_by_class(ds);
  std::vector<int64_t> picked;
  for (size_t c = 0; c < groups.size(); ++c) {
    ENGINE_CHECK((int64_t)groups[c].size() >= k, "k_per_class: class ", c, " has ", groups[c].size(),
                 " images, fewer than k = ", k);
    shuffle_class(groups[c], seed, (int64_t)c);
    picked.insert(picked.end(), groups[c].begin(), groups[c].begin() + k);
  }
  return subset_sorted(ds, picked);
}

std::pair<ImageDataset, ImageDataset> train_val_split(const ImageDataset& ds, double val_fraction, uint64_t seed,
                                                      bool shuffle) {
  ds.validate("train_val_split");
  ENGINE_CHECK(val_fraction >= 0.0 && val_fraction <= 1.0, "train_val_split: val_fraction ", val_fraction,
               " is outside [0, 1]");
  auto counts = ds.class_counts();
  for (auto& n : counts) n = std::llround(val_fraction * (double)n);
  return split_by_counts(ds, counts, seed, shuffle);
}

std::pair<ImageDataset, ImageDataset> train_val_split_count(const ImageDataset& ds, int64_t val_per_class,
                                                            uint64_t seed, bool shuffle) {
  ds.validate("train_val_split_count");
  ENGINE_CHECK(val_per_class >= 0, "train_val_split_count: val_per_class ", val_per_class, " is negative");
  auto counts = ds.class_counts();
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;  // a class absent from ds (num_classes counts it) gives none
    ENGINE_CHECK(counts[c] >= val_per_class, "train_val_split_count: class ", c, " has ", counts[c],
                 " images, fewer than val_per_class = ", val_per_class);
    counts[c] = val_per_class;
  }
  return split_by_counts(ds, counts, seed, shuffle);
}

}  // namespace eg::data
