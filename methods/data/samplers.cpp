// samplers.cpp — sequential, random, class-balanced (ROS) and m-per-class batch samplers.
#include "methods/data/samplers.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "core/check.h"
#include "core/generator.h"

namespace eg::data {

namespace {

uint64_t splitmix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void check_epoch(const char* op, int64_t epoch) { ENGINE_CHECK(epoch >= 0, op, ": epoch ", epoch, " is negative"); }

int64_t count_batches(int64_t n, int64_t b, bool drop_last) { return drop_last ? n / b : (n + b - 1) / b; }

// Cuts `order` into consecutive batches of b (the last one short unless drop_last).
std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int64_t b, bool drop_last) {
  std::vector<std::vector<int64_t>> out;
  int64_t n = (int64_t)order.size();
  out.reserve((size_t)count_batches(n, b, drop_last));
  for (int64_t s = 0; s < n; s += b) {
    int64_t e = std::min(s + b, n);
    if (e - s < b && drop_last) break;
    out.emplace_back(order.begin() + s, order.begin() + e);
  }
  return out;
}

// Fisher-Yates, the same sequence of draws everywhere in methods/data.
void shuffle(std::vector<int64_t>& v, Generator& g) {
  for (int64_t i = (int64_t)v.size() - 1; i > 0; --i) std::swap(v[(size_t)i], v[(size_t)g.randint(i + 1)]);
}

// The indices of each label value present, in dataset order, ordered by label; empty classes are absent.
std::vector<std::vector<int64_t>> group_by_class(const char* op, const std::vector<int64_t>& labels,
                                                 int64_t num_classes) {
  std::map<int64_t, std::vector<int64_t>> groups;
  for (size_t i = 0; i < labels.size(); ++i) {
    int64_t y = labels[i];
    ENGINE_CHECK(y >= 0 && (num_classes < 0 || y < num_classes), op, ": label ", y, " of sample ", i,
                 num_classes < 0 ? " is negative" : " is outside [0, num_classes)");
    groups[y].push_back((int64_t)i);
  }
  std::vector<std::vector<int64_t>> out;
  for (auto& [y, idx] : groups) out.push_back(std::move(idx));
  return out;
}

}  // namespace

uint64_t derive_seed(uint64_t seed, uint64_t stream) { return splitmix(splitmix(seed) ^ (stream * 0xd1b54a32d192ed03ULL)); }

SequentialSampler::SequentialSampler(int64_t n, int64_t batch_size, bool drop_last)
    : n_(n), batch_size_(batch_size), drop_last_(drop_last) {
  ENGINE_CHECK(n >= 0 && batch_size > 0, "SequentialSampler: need n >= 0 and batch_size > 0, got n=", n,
               " batch_size=", batch_size);
}

std::vector<std::vector<int64_t>> SequentialSampler::batches(int64_t epoch) const {
  check_epoch("SequentialSampler", epoch);
  std::vector<int64_t> order((size_t)n_);
  std::iota(order.begin(), order.end(), 0);
  return chunk(order, batch_size_, drop_last_);
}

int64_t SequentialSampler::num_batches(int64_t) const { return count_batches(n_, batch_size_, drop_last_); }

RandomSampler::RandomSampler(int64_t n, int64_t batch_size, uint64_t seed, bool drop_last)
    : n_(n), batch_size_(batch_size), seed_(seed), drop_last_(drop_last) {
  ENGINE_CHECK(n >= 0 && batch_size > 0, "RandomSampler: need n >= 0 and batch_size > 0, got n=", n,
               " batch_size=", batch_size);
}

std::vector<std::vector<int64_t>> RandomSampler::batches(int64_t epoch) const {
  check_epoch("RandomSampler", epoch);
  std::vector<int64_t> order((size_t)n_);
  std::iota(order.begin(), order.end(), 0);
  Generator g(derive_seed(seed_, (uint64_t)epoch));
  shuffle(order, g);
  return chunk(order, batch_size_, drop_last_);
}

int64_t RandomSampler::num_batches(int64_t) const { return count_batches(n_, batch_size_, drop_last_); }

ClassBalancedSampler::ClassBalancedSampler(std::vector<int64_t> labels, int64_t num_classes, int64_t batch_size,
                                           uint64_t seed, int64_t num_samples, bool drop_last)
    : batch_size_(batch_size), num_samples_(num_samples < 0 ? (int64_t)labels.size() : num_samples), seed_(seed),
      drop_last_(drop_last) {
  ENGINE_CHECK(num_classes > 0 && batch_size > 0, "ClassBalancedSampler: need num_classes > 0 and batch_size > 0, got ",
               num_classes, " and ", batch_size);
  ENGINE_CHECK(!labels.empty(), "ClassBalancedSampler: no labels (an empty dataset cannot be over-sampled)");
  by_class_ = group_by_class("ClassBalancedSampler", labels, num_classes);
}

std::vector<std::vector<int64_t>> ClassBalancedSampler::batches(int64_t epoch) const {
  check_epoch("ClassBalancedSampler", epoch);
  Generator g(derive_seed(seed_, (uint64_t)epoch));
  std::vector<int64_t> draws((size_t)num_samples_);
  int64_t k = (int64_t)by_class_.size();
  for (auto& d : draws) {
    const auto& cls = by_class_[(size_t)g.randint(k)];
    d = cls[(size_t)g.randint((int64_t)cls.size())];
  }
  return chunk(draws, batch_size_, drop_last_);
}

int64_t ClassBalancedSampler::num_batches(int64_t) const {
  return count_batches(num_samples_, batch_size_, drop_last_);
}

MPerClassSampler::MPerClassSampler(std::vector<int64_t> labels, int64_t m, int64_t classes_per_batch, uint64_t seed,
                                   int64_t batches_per_epoch, int64_t batch_size)
    : m_(m), batch_size_(batch_size == 0 ? m * classes_per_batch : batch_size),
      batches_per_epoch_(batches_per_epoch), seed_(seed) {
  ENGINE_CHECK(m > 0 && classes_per_batch > 0 && batches_per_epoch >= 0 && batch_size >= 0,
               "MPerClassSampler: need m > 0, classes_per_batch > 0, batches_per_epoch >= 0, batch_size >= 0; got m=",
               m, " classes_per_batch=", classes_per_batch, " batches_per_epoch=", batches_per_epoch,
               " batch_size=", batch_size);
  by_class_ = group_by_class("MPerClassSampler", labels, -1);
  ENGINE_CHECK((int64_t)by_class_.size() >= classes_per_batch, "MPerClassSampler: classes_per_batch=",
               classes_per_batch, " but only ", by_class_.size(), " classes have samples");
  int64_t reachable = 0;  // the most one batch can hold: min(m, N_c) from every class
  for (const auto& c : by_class_) reachable += std::min<int64_t>(m, (int64_t)c.size());
  ENGINE_CHECK(batch_size_ <= reachable, "MPerClassSampler: batch_size ", batch_size_, " exceeds the ", reachable,
               " images that m=", m, " per class can give");
}

std::vector<std::vector<int64_t>> MPerClassSampler::batches(int64_t epoch) const {
  check_epoch("MPerClassSampler", epoch);
  Generator g(derive_seed(seed_, (uint64_t)epoch));
  std::vector<int64_t> classes(by_class_.size());
  std::iota(classes.begin(), classes.end(), 0);
  // Each pool is reordered in place by the partial shuffles; a uniform sample of any ordering is uniform.
  std::vector<std::vector<int64_t>> pools = by_class_;
  std::vector<std::vector<int64_t>> out((size_t)batches_per_epoch_);
  for (auto& batch : out) {
    shuffle(classes, g);
    batch.reserve((size_t)batch_size_);
    for (int64_t c : classes) {
      std::vector<int64_t>& pool = pools[(size_t)c];
      // Partial Fisher-Yates: the first `take` entries become a uniform sample without replacement.
      int64_t take = std::min<int64_t>({m_, (int64_t)pool.size(), batch_size_ - (int64_t)batch.size()});
      for (int64_t i = 0; i < take; ++i) {
        std::swap(pool[(size_t)i], pool[(size_t)(i + g.randint((int64_t)pool.size() - i))]);
        batch.push_back(pool[(size_t)i]);
      }
      if ((int64_t)batch.size() == batch_size_) break;
    }
  }
  return out;
}

}  // namespace eg::data
