// protocol.cpp — class-disjoint retrieval splits (see protocol.h).
#include "methods/rkd/protocol.h"

#include "core/check.h"
#include "methods/data/builders.h"

namespace eg::rkd {

std::vector<int64_t> class_range(int64_t lo, int64_t hi) {
  ENGINE_CHECK(0 <= lo && lo < hi, "rkd::class_range: need 0 <= lo < hi, got [", lo, ", ", hi, ")");
  std::vector<int64_t> c;
  for (int64_t i = lo; i < hi; ++i) c.push_back(i);
  return c;
}

DisjointSplit split_with_test_set(const data::ImageDataset& train_split, const data::ImageDataset& test_split,
                                  const std::vector<int64_t>& train_classes, const std::vector<int64_t>& unseen_classes,
                                  int64_t val_per_class, uint64_t val_seed) {
  for (int64_t c : train_classes)
    for (int64_t u : unseen_classes)
      ENGINE_CHECK(c != u, "rkd: class ", c, " is both a training and an unseen class (the protocol is class-disjoint)");
  DisjointSplit s;
  s.train = data::class_disjoint_split(train_split, train_classes);
  if (val_per_class <= 0) {
    s.unseen = data::class_disjoint_split(test_split, unseen_classes);
    s.seen = data::class_disjoint_split(test_split, train_classes);
    return s;
  }
  auto [rest, held] = data::train_val_split_count(s.train, val_per_class, val_seed);
  s.train = std::move(rest);
  s.seen = std::move(held);
  s.unseen = data::k_per_class(data::class_disjoint_split(train_split, unseen_classes), val_per_class, val_seed);
  return s;
}

data::ImageDataset concat(const data::ImageDataset& a, const data::ImageDataset& b) {
  ENGINE_CHECK(a.c == b.c && a.h == b.h && a.w == b.w, "rkd::concat: image shapes differ (", a.c, "x", a.h, "x", a.w,
               " vs ", b.c, "x", b.h, "x", b.w, ")");
  data::ImageDataset out = a;
  out.n = a.n + b.n;
  out.pixels.insert(out.pixels.end(), b.pixels.begin(), b.pixels.end());
  out.labels.insert(out.labels.end(), b.labels.begin(), b.labels.end());
  out.num_classes = std::max(a.num_classes, b.num_classes);
  if (b.class_names.size() > out.class_names.size()) out.class_names = b.class_names;
  return out;
}

DisjointSplit split_pooled(const data::ImageDataset& a, const data::ImageDataset& b, int64_t train_count,
                           bool validation) {
  data::ImageDataset all = concat(a, b);
  ENGINE_CHECK(train_count >= 2 && train_count < all.num_classes, "rkd: ", train_count,
               " training classes leave no unseen class among ", all.num_classes);
  int64_t fit = validation ? train_count - train_count / 4 : train_count;
  int64_t end = validation ? train_count : all.num_classes;
  DisjointSplit s;
  s.train = data::class_disjoint_split(all, class_range(0, fit));
  s.unseen = data::class_disjoint_split(all, class_range(fit, end));
  return s;
}

}  // namespace eg::rkd
