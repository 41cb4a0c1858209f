// metric.cpp — triplet margin loss (composed) and the host-side triplet mining (see metric.h).
#include "losses/metric.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/ops.h"

namespace eg::losses {

Tensor pairwise_distance(const Tensor& a, const Tensor& b, double p, double eps) {
  const char* name = "pairwise_distance";
  ENGINE_CHECK(a.defined() && is_floating(a.dtype()) && a.dim() == 2, name, ": a must be a floating [T, D] tensor");
  check_float_shape(name, b, "b", a, a.shape());
  ENGINE_CHECK(p >= 1, name, ": p must be >= 1, got ", p);
  Tensor diff = add(sub(a, b), eps);
  if (p == 2) return sqrt(sum(square(diff), {1}));
  if (p == 1) return sum(abs(diff), {1});
  return pow(sum(pow(abs(diff), p), {1}), 1.0 / p);
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletOptions& opt) {
  const char* name = "triplet_margin_loss";
  ENGINE_CHECK(anchor.defined() && is_floating(anchor.dtype()) && anchor.dim() == 2 && anchor.size(0) > 0, name,
               ": anchor must be a non-empty floating [T, D] tensor, got ",
               anchor.defined() ? shape_str(anchor.shape()) : "undefined");
  check_float_shape(name, positive, "positive", anchor, anchor.shape());
  check_float_shape(name, negative, "negative", anchor, anchor.shape());
  Tensor d_ap = pairwise_distance(anchor, positive, opt.p, opt.eps);
  Tensor d_an = pairwise_distance(anchor, negative, opt.p, opt.eps);
  if (opt.swap) d_an = minimum(d_an, pairwise_distance(positive, negative, opt.p, opt.eps));
  return reduce(relu(add(sub(d_ap, d_an), opt.margin)), opt.reduction);
}

namespace {
struct HostBatch {
  int64_t n, d;
  std::vector<double> x;
  std::vector<int64_t> y;
};

HostBatch host_batch(const char* name, const Tensor& embeddings, const Tensor& labels) {
  ENGINE_CHECK(embeddings.defined() && is_floating(embeddings.dtype()) && embeddings.dim() == 2, name,
               ": embeddings must be a floating [N, D] tensor");
  const int64_t n = embeddings.size(0), d = embeddings.size(1);
  ENGINE_CHECK(labels.defined() && labels.dtype() == DType::I64 && labels.shape() == Shape{n}, name,
               ": labels must be i64 [N] = [", n, "], got ",
               labels.defined() ? shape_str(labels.shape()) + " " + dtype_name(labels.dtype()) : "undefined");
  return {n, d, embeddings.to_vector<double>(), labels.to_vector<int64_t>()};
}

Tensor idx(const std::vector<int64_t>& v) { return from_vector(v, {(int64_t)v.size()}); }

Triplets make_triplets(const std::vector<int64_t>& a, const std::vector<int64_t>& p, const std::vector<int64_t>& n) {
  return {idx(a), idx(p), idx(n)};
}
}  // namespace

Triplets batch_hard_triplets(const Tensor& embeddings, const Tensor& labels) {
  HostBatch h = host_batch("batch_hard_triplets", embeddings, labels);
  std::vector<double> dist((size_t)(h.n * h.n));
  for (int64_t i = 0; i < h.n; ++i)
    for (int64_t j = 0; j < h.n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < h.d; ++k) {
        double t = h.x[(size_t)(i * h.d + k)] - h.x[(size_t)(j * h.d + k)];
        s += t * t;
      }
      dist[(size_t)(i * h.n + j)] = std::sqrt(s);
    }
  std::vector<int64_t> a, p, n;
  for (int64_t i = 0; i < h.n; ++i) {
    int64_t best_p = -1, best_n = -1;
    for (int64_t j = 0; j < h.n; ++j) {
      double dij = dist[(size_t)(i * h.n + j)];
      if (j != i && h.y[(size_t)j] == h.y[(size_t)i]) {
        if (best_p < 0 || dij > dist[(size_t)(i * h.n + best_p)]) best_p = j;
      } else if (h.y[(size_t)j] != h.y[(size_t)i]) {
        if (best_n < 0 || dij < dist[(size_t)(i * h.n + best_n)]) best_n = j;
      }
    }
    if (best_p < 0 || best_n < 0) continue;
    a.push_back(i);
    p.push_back(best_p);
    n.push_back(best_n);
  }
  return make_triplets(a, p, n);
}

Tensor distance_weighted_probs(const Tensor& embeddings, const Tensor& labels, const DwsOptions& opt) {
  const char* name = "distance_weighted_probs";
  HostBatch h = host_batch(name, embeddings, labels);
  ENGINE_CHECK(opt.cutoff > 0 && opt.cutoff < 2, name, ": cutoff must be in (0, 2), got ", opt.cutoff);
  std::vector<double> xh = h.x;
  for (int64_t i = 0; i < h.n; ++i) {
    double s = 0;
    for (int64_t k = 0; k < h.d; ++k) s += xh[(size_t)(i * h.d + k)] * xh[(size_t)(i * h.d + k)];
    double nrm = std::max(std::sqrt(s), 1e-12);  // F.normalize's eps
    for (int64_t k = 0; k < h.d; ++k) xh[(size_t)(i * h.d + k)] /= nrm;
  }
  const double d = (double)h.d, hi = 2.0 - 1e-6;
  std::vector<double> w((size_t)(h.n * h.n), 0.0);
  for (int64_t i = 0; i < h.n; ++i) {
    double* row = &w[(size_t)(i * h.n)];
    std::vector<double> dist((size_t)h.n), logw((size_t)h.n);
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < h.n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < h.d; ++k) {
        double t = xh[(size_t)(i * h.d + k)] - xh[(size_t)(j * h.d + k)];
        s += t * t;
      }
      double dj = j == i ? 1.0 : std::sqrt(s);
      dj = std::clamp(dj, opt.cutoff, hi);
      dist[(size_t)j] = dj;
      logw[(size_t)j] = (2.0 - d) * std::log(dj) - ((d - 3.0) / 2.0) * std::log(1.0 - 0.25 * dj * dj);
      mx = std::max(mx, logw[(size_t)j]);
    }
    double total = 0;
    for (int64_t j = 0; j < h.n; ++j) {
      bool neg = h.y[(size_t)j] != h.y[(size_t)i];
      row[j] = (neg && dist[(size_t)j] < opt.nonzero_loss_cutoff) ? std::exp(logw[(size_t)j] - mx) : 0.0;
      total += row[j];
    }
    if (total == 0)  // no negative closer than the cutoff: uniform over all negatives
      for (int64_t j = 0; j < h.n; ++j) total += row[j] = h.y[(size_t)j] != h.y[(size_t)i] ? 1.0 : 0.0;
    if (total > 0)
      for (int64_t j = 0; j < h.n; ++j) row[j] /= total;
  }
  return from_vector(w, {h.n, h.n});
}

Triplets distance_weighted_triplets(const Tensor& embeddings, const Tensor& labels, Generator& gen,
                                    const DwsOptions& opt) {
  Tensor probs = distance_weighted_probs(embeddings, labels, opt);
  const int64_t n = probs.size(0);
  auto w = probs.to_vector<double>();
  auto y = labels.to_vector<int64_t>();
  std::vector<int64_t> a, p, neg;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = &w[(size_t)(i * n)];
    double total = 0;
    for (int64_t j = 0; j < n; ++j) total += row[j];
    if (total <= 0) continue;  // no negative in the batch for this anchor
    for (int64_t j = 0; j < n; ++j) {
      if (j == i || y[(size_t)j] != y[(size_t)i]) continue;
      // Inverse-CDF draw from row i; the last positive-weight index absorbs round-off.
      double u = gen.uniform() * total, c = 0;
      int64_t pick = -1;
      for (int64_t k = 0; k < n; ++k) {
        if (row[k] <= 0) continue;
        pick = k;
        c += row[k];
        if (u < c) break;
      }
      a.push_back(i);
      p.push_back(j);
      neg.push_back(pick);
    }
  }
  return make_triplets(a, p, neg);
}

Tensor triplet_loss(const Tensor& embeddings, const Triplets& t, const TripletOptions& opt) {
  ENGINE_CHECK(embeddings.defined() && embeddings.dim() == 2, "triplet_loss: embeddings must be [N, D]");
  if (t.size() == 0) return zero_loss_like(embeddings);
  ENGINE_CHECK(t.positive.defined() && t.negative.defined() && t.positive.numel() == t.size() &&
                   t.negative.numel() == t.size(),
               "triplet_loss: anchor, positive and negative index tensors must have one length");
  return triplet_margin_loss(index_select(embeddings, 0, t.anchor), index_select(embeddings, 0, t.positive),
                             index_select(embeddings, 0, t.negative), opt);
}

}  // namespace eg::losses
