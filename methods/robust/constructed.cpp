// constructed.cpp — D_rand, D_det, D_R and D_NR (see constructed.h).
#include "methods/robust/constructed.h"

#include "methods/robust/batches.h"

namespace eg::robust {

std::vector<int64_t> relabel_targets(const std::vector<int64_t>& labels, int64_t k, Relabel r, Generator& g) {
  ENGINE_CHECK(k >= 2, "relabel_targets: needs at least 2 classes, got ", k);
  std::vector<int64_t> t;
  for (int64_t y : labels) {
    ENGINE_CHECK(y >= 0 && y < k, "relabel_targets: label ", y, " outside [0, ", k, ")");
    t.push_back(r == Relabel::Det ? (y + 1) % k : (y + 1 + g.randint(k - 1)) % k);
  }
  return t;
}

std::vector<int64_t> other_random_indices(const std::vector<int64_t>& self, int64_t pool, Generator& g) {
  ENGINE_CHECK(pool >= 2, "other_random_indices: the pool needs at least 2 images, got ", pool);
  std::vector<int64_t> out;
  for (int64_t i : self) {
    ENGINE_CHECK(i >= 0 && i < pool, "other_random_indices: index ", i, " outside the pool [0, ", pool, ")");
    int64_t j = g.randint(pool - 1);
    out.push_back(j >= i ? j + 1 : j);  // skips i itself, uniform over the other pool - 1
  }
  return out;
}

namespace {

data::ImageDataset empty_float_like(const data::ImageDataset& ds) {
  data::ImageDataset out;
  out.n = ds.n, out.c = ds.c, out.h = ds.h, out.w = ds.w;
  out.num_classes = ds.num_classes;
  out.class_names = ds.class_names;
  out.float_pixels.resize((size_t)(ds.n * ds.image_size()));
  out.labels = ds.labels;
  return out;
}

void store(data::ImageDataset& out, int64_t first, const Tensor& x) {
  auto v = x.to_vector<float>();
  std::copy(v.begin(), v.end(), out.float_pixels.begin() + first * out.image_size());
}

}  // namespace

ConstructedSet make_nonrobust_set(const PixelModel& source, const data::ImageDataset& ds,
                                  const std::vector<int64_t>& targets, PgdConfig cfg, int64_t batch, Generator& g,
                                  const ChunkProgress& progress) {
  ENGINE_CHECK((int64_t)targets.size() == ds.n, "make_nonrobust_set: ", targets.size(), " targets for ", ds.n, " images");
  cfg.targeted = true;
  AttackMode am(source.module());
  LogitsFn f = [&](const Tensor& x) { return source.logits(x); };
  ConstructedSet out;
  out.set = empty_float_like(ds);
  out.set.labels = targets;
  int64_t hit = 0;
  for_each_chunk(ds.n, batch, [&](int64_t first, const std::vector<int64_t>& idx) {
    Tensor t = label_batch(targets, idx);
    Tensor adv = pgd_attack(f, pixel_batch(ds, idx), t, cfg, g);
    store(out.set, first, adv);
    NoGradGuard ng;
    auto pred = argmax(f(adv), 1).to_vector<int64_t>();
    for (size_t i = 0; i < idx.size(); ++i) hit += pred[i] == targets[(size_t)idx[i]];
    if (progress) progress(first + (int64_t)idx.size(), ds.n);
  });
  out.attack_success = ds.n ? (double)hit / (double)ds.n : 0;
  return out;
}

ConstructedSet make_inverted_set(const PixelModel& m, const data::ImageDataset& ds, const data::ImageDataset& pool,
                                 const std::vector<int64_t>& starts, const InversionConfig& cfg, int64_t batch,
                                 const ChunkProgress& progress) {
  ENGINE_CHECK((int64_t)starts.size() == ds.n, "make_inverted_set: ", starts.size(), " start images for ", ds.n, " images");
  ConstructedSet out;
  out.set = empty_float_like(ds);
  double err = 0;
  for_each_chunk(ds.n, batch, [&](int64_t first, const std::vector<int64_t>& idx) {
    std::vector<int64_t> from;
    for (int64_t i : idx) from.push_back(starts[(size_t)i]);
    std::vector<float> rel;
    store(out.set, first, invert_representation(m, pixel_batch(ds, idx), pixel_batch(pool, from), cfg, &rel));
    for (float e : rel) err += e;
    if (progress) progress(first + (int64_t)idx.size(), ds.n);
  });
  out.mean_rel_error = ds.n ? err / (double)ds.n : 0;
  return out;
}

}  // namespace eg::robust
