// batches.cpp — pixel batches and index sets (see batches.h).
#include "methods/robust/batches.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace eg::robust {

Tensor pixel_batch(const data::ImageDataset& ds, const std::vector<int64_t>& indices) {
  const int64_t m = ds.image_size();
  std::vector<float> px(indices.size() * (size_t)m);
  for (size_t k = 0; k < indices.size(); ++k) {
    ENGINE_CHECK(indices[k] >= 0 && indices[k] < ds.n, "pixel_batch: index ", indices[k], " outside [0, ", ds.n, ")");
    ds.image_to_float(indices[k], px.data() + k * (size_t)m);
  }
  return from_vector(px, {(int64_t)indices.size(), ds.c, ds.h, ds.w});
}

Tensor label_batch(const std::vector<int64_t>& labels, const std::vector<int64_t>& indices) {
  std::vector<int64_t> y;
  for (int64_t i : indices) y.push_back(labels.at((size_t)i));
  return from_vector(y, {(int64_t)y.size()});
}

void for_each_chunk(int64_t n, int64_t batch, const std::function<void(int64_t, const std::vector<int64_t>&)>& fn) {
  ENGINE_CHECK(batch > 0, "for_each_chunk: batch must be > 0, got ", batch);
  for (int64_t s = 0; s < n; s += batch) {
    std::vector<int64_t> idx((size_t)std::min(batch, n - s));
    std::iota(idx.begin(), idx.end(), s);
    fn(s, idx);
  }
}

std::vector<int64_t> first_per_class(const data::ImageDataset& ds, int64_t per_class) {
  std::vector<int64_t> taken((size_t)ds.num_classes, 0), out;
  for (int64_t i = 0; i < ds.n; ++i) {
    auto& t = taken[(size_t)ds.labels[(size_t)i]];
    if (t < per_class) ++t, out.push_back(i);
  }
  for (int64_t c = 0; c < ds.num_classes; ++c)
    ENGINE_CHECK(taken[(size_t)c] == per_class, "first_per_class: class ", c, " has ", taken[(size_t)c], " images, ",
                 per_class, " wanted");
  return out;
}

std::vector<int64_t> every_kth_by_class(const data::ImageDataset& ds, int64_t k) {
  ENGINE_CHECK(k >= 1, "every_kth_by_class: k must be >= 1, got ", k);
  std::vector<int64_t> order((size_t)ds.n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return ds.labels[(size_t)a] < ds.labels[(size_t)b]; });
  std::vector<int64_t> out;
  for (size_t i = 0; i < order.size(); i += (size_t)k) out.push_back(order[i]);
  return out;
}

}  // namespace eg::robust
