// retrieval.cpp — Recall@K (definition and tie rule in retrieval.h).
// For each query only one number is needed: the rank of its nearest same-label candidate under the
// order (distance, index). Hit@K(i) is then rank < K for every K at once.
#include "methods/eval/retrieval.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace eg::eval {
namespace {

constexpr int64_t kQueryBlock = 16;       // queries sharing one pass over a candidate tile
constexpr int64_t kCandidateTile = 256;   // candidates kept hot in cache for the whole query block
constexpr int64_t kNoPositive = std::numeric_limits<int64_t>::max();

double squared_distance(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t f = 0; f < d; ++f) {
    const double diff = static_cast<double>(a[f]) - static_cast<double>(b[f]);
    s += diff * diff;
  }
  return s;
}

// Rank (among j != q, by (distance, index)) of q's nearest same-label candidate; kNoPositive if none.
int64_t nearest_positive_rank(const double* dist, int64_t q, int64_t n, const std::vector<int64_t>& labels) {
  int64_t best = -1;
  for (int64_t j = 0; j < n; ++j)
    if (j != q && labels[static_cast<size_t>(j)] == labels[static_cast<size_t>(q)] &&
        (best < 0 || dist[j] < dist[best]))  // strict: the lower index wins a tie
      best = j;
  if (best < 0) return kNoPositive;
  int64_t rank = 0;
  for (int64_t j = 0; j < n; ++j)
    rank += j != q && (dist[j] < dist[best] || (dist[j] == dist[best] && j < best));
  return rank;
}

}  // namespace

std::vector<double> recall_at_k(const std::vector<float>& embeddings, int64_t n, int64_t d,
                                const std::vector<int64_t>& labels, const std::vector<int64_t>& ks) {
  ENGINE_CHECK(n >= 2 && d >= 1, "eval::recall_at_k: need N >= 2 (a query needs a candidate) and D >= 1, "
               "got N = ", n, ", D = ", d);
  ENGINE_CHECK(static_cast<uint64_t>(n) <= embeddings.size() / static_cast<uint64_t>(d) &&
                   embeddings.size() == static_cast<size_t>(n) * static_cast<size_t>(d),
               "eval::recall_at_k: embeddings must hold N*D = ", n, "*", d, " values, got ", embeddings.size());
  ENGINE_CHECK(labels.size() == static_cast<size_t>(n), "eval::recall_at_k: labels must have N = ", n,
               " entries, got ", labels.size());
  ENGINE_CHECK(!ks.empty(), "eval::recall_at_k: ks is empty (give at least one K, e.g. {1, 2, 4, 8})");
  for (size_t t = 0; t < ks.size(); ++t)
    ENGINE_CHECK(ks[t] >= 1, "eval::recall_at_k: ks[", t, "] = ", ks[t], ", need K >= 1");
  for (size_t i = 0; i < embeddings.size(); ++i)
    ENGINE_CHECK(std::isfinite(embeddings[i]), "eval::recall_at_k: embedding ", i / static_cast<size_t>(d),
                 ", feature ", i % static_cast<size_t>(d), " is not finite (", embeddings[i], ")");

  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  // One distance block (kQueryBlock x N) per thread, allocated here so nothing can throw in parallel code.
  std::vector<double> buffers(static_cast<size_t>(threads) * kQueryBlock * static_cast<size_t>(n));
  std::vector<int64_t> rank(static_cast<size_t>(n));
  const float* x = embeddings.data();
  const int64_t blocks = (n + kQueryBlock - 1) / kQueryBlock;

#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int64_t b = 0; b < blocks; ++b) {
    int thread = 0;
#ifdef _OPENMP
    thread = omp_get_thread_num();
#endif
    double* dist = buffers.data() + static_cast<size_t>(thread) * kQueryBlock * static_cast<size_t>(n);
    const int64_t q0 = b * kQueryBlock, q1 = std::min(n, q0 + kQueryBlock);
    for (int64_t c0 = 0; c0 < n; c0 += kCandidateTile) {
      const int64_t c1 = std::min(n, c0 + kCandidateTile);
      for (int64_t q = q0; q < q1; ++q)
        for (int64_t j = c0; j < c1; ++j) dist[(q - q0) * n + j] = squared_distance(x + q * d, x + j * d, d);
    }
    for (int64_t q = q0; q < q1; ++q)
      rank[static_cast<size_t>(q)] = nearest_positive_rank(dist + (q - q0) * n, q, n, labels);
  }

  std::vector<double> recall(ks.size());
  for (size_t t = 0; t < ks.size(); ++t) {
    int64_t hits = 0;
    for (int64_t r : rank) hits += r < ks[t];
    recall[t] = static_cast<double>(hits) / static_cast<double>(n);
  }
  return recall;
}

}  // namespace eg::eval
