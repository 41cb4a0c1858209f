// retrieval_grid.cpp — nearest neighbours and the retrieval picture (see retrieval_grid.h).
#include "methods/rkd/retrieval_grid.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/check.h"
#include "methods/train/plots.h"

namespace eg::rkd {

std::vector<int64_t> nearest_neighbours(const std::vector<float>& x, int64_t n, int64_t d, int64_t q, int64_t k) {
  ENGINE_CHECK(n >= 1 && d >= 1 && (int64_t)x.size() == n * d && q >= 0 && q < n && k >= 1,
               "rkd::nearest_neighbours: need N*D = ", n, "*", d, " values (got ", x.size(), "), 0 <= q < N (q = ", q,
               "), k >= 1 (k = ", k, ")");
  std::vector<double> dist((size_t)n);
  for (int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (int64_t f = 0; f < d; ++f) {
      double diff = (double)x[(size_t)(q * d + f)] - (double)x[(size_t)(j * d + f)];
      s += diff * diff;
    }
    dist[(size_t)j] = s;
  }
  std::vector<int64_t> idx;
  for (int64_t j = 0; j < n; ++j)
    if (j != q) idx.push_back(j);
  int64_t take = std::min<int64_t>(k, (int64_t)idx.size());
  std::partial_sort(idx.begin(), idx.begin() + take, idx.end(), [&](int64_t a, int64_t b) {
    return dist[(size_t)a] < dist[(size_t)b] || (dist[(size_t)a] == dist[(size_t)b] && a < b);
  });
  idx.resize((size_t)take);
  return idx;
}

std::vector<int64_t> queries_across_classes(const std::vector<int64_t>& labels, int64_t count) {
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back((int64_t)i);
  std::vector<int64_t> q;
  for (size_t round = 0; (int64_t)q.size() < count && q.size() < labels.size(); ++round)
    for (auto& [c, idx] : by_class)
      if (round < idx.size() && (int64_t)q.size() < count) q.push_back(idx[round]);
  return q;
}

int64_t save_retrieval_grid(const data::ImageDataset& ds, const std::vector<float>& emb, int64_t d,
                            const std::vector<int64_t>& queries, int64_t k, const std::string& png_path) {
  ENGINE_CHECK(ds.c == 1 || ds.c == 3, "rkd::save_retrieval_grid: images need 1 or 3 channels, got ", ds.c);
  ENGINE_CHECK(!queries.empty(), "rkd::save_retrieval_grid: no queries");
  constexpr int64_t kFrame = 2;
  const int64_t h = ds.h + 2 * kFrame, w = ds.w + 2 * kFrame, cells = (int64_t)queries.size() * (k + 1);
  std::vector<float> pix((size_t)(cells * 3 * h * w), 1.0f);
  int64_t wrong = 0, cell = 0;
  auto put = [&](int64_t img, const float rgb[3]) {
    float* out = pix.data() + cell * 3 * h * w;
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          bool frame = y < kFrame || y >= h - kFrame || x < kFrame || x >= w - kFrame;
          int64_t src_c = ds.c == 1 ? 0 : c;
          out[(c * h + y) * w + x] =
              frame ? rgb[c] : ds.image(img)[(src_c * ds.h + (y - kFrame)) * ds.w + (x - kFrame)] / 255.0f;
        }
    ++cell;
  };
  static const float blue[3] = {0.1f, 0.3f, 1.0f}, green[3] = {0.1f, 0.8f, 0.1f}, red[3] = {1.0f, 0.0f, 0.0f};
  for (int64_t q : queries) {
    put(q, blue);
    auto nb = nearest_neighbours(emb, ds.n, d, q, k);
    for (int64_t j = 0; j < k; ++j) {
      if (j >= (int64_t)nb.size()) {
        ++cell;  // fewer candidates than k: a blank cell
        continue;
      }
      bool ok = ds.labels[(size_t)nb[(size_t)j]] == ds.labels[(size_t)q];
      wrong += !ok;
      put(nb[(size_t)j], ok ? green : red);
    }
  }
  train::save_image_grid(from_vector(pix, {cells, 3, h, w}), png_path, k + 1);
  return wrong;
}

}  // namespace eg::rkd
