// rpl.cpp — GCPL / RPL / ARPL logits and losses, composed (see rpl.h).
#include "losses/rpl.h"

#include <vector>

#include "autograd/ops.h"
#include "losses/common.h"
#include "losses/cross_entropy.h"

namespace eg::losses {

namespace {
// Checks f [B, D] and P [K·M, D]; returns K.
int64_t check_points(const char* loss, const Tensor& f, const Tensor& P, int64_t M) {
  ENGINE_CHECK(M >= 1, loss, ": M (points per class) must be >= 1, got ", M);
  ENGINE_CHECK(f.defined() && is_floating(f.dtype()) && f.dim() == 2 && f.size(0) >= 1 && f.size(1) >= 1, loss,
               ": features must be a floating [B, D] tensor, got ", f.defined() ? shape_str(f.shape()) : "undefined");
  ENGINE_CHECK(P.defined() && P.dtype() == f.dtype() && P.dim() == 2 && P.size(1) == f.size(1) && P.size(0) >= M &&
                   P.size(0) % M == 0,
               loss, ": points must be [K·M, D] with M = ", M, ", D = ", f.size(1), " and dtype ",
               dtype_name(f.dtype()), ", got ", P.defined() ? shape_str(P.shape()) : "undefined");
  return P.size(0) / M;
}

// ||f_b − P_r||² / D for every point, [B, K·M].
Tensor point_distances(const Tensor& f, const Tensor& P) {
  return mean(square(sub(unsqueeze(f, 1), unsqueeze(P, 0))), {2});
}

// The [B, M] distances from f_b to the M points of its own class y_b.
Tensor own_class_distances(const Tensor& pd, const Tensor& labels, int64_t K, int64_t M) {
  const int64_t B = pd.size(0);
  auto y = labels.to_vector<int64_t>();
  std::vector<int64_t> index((size_t)(B * M));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m) index[(size_t)(b * M + m)] = y[(size_t)b];
  Tensor picked = gather(reshape(pd, {B, K, M}), 1, from_vector(index, {B, 1, M}).to(pd.device()));
  return reshape(picked, {B, M});
}

PointLoss finish(Tensor logits, const Tensor& labels, double T, Tensor reg, double lambda) {
  ENGINE_CHECK(T > 0, "point loss: temperature must be > 0, got ", T);
  PointLoss out;
  out.classification = cross_entropy(mul(logits, 1.0 / T), labels);
  out.regularizer = reg;
  out.loss = add(out.classification, mul(reg, lambda));
  out.logits = std::move(logits);
  return out;
}
}  // namespace

Tensor class_distances(const Tensor& features, const Tensor& points, int64_t M) {
  int64_t K = check_points("class_distances", features, points, M);
  Tensor pd = point_distances(features, points);
  return M == 1 ? pd : mean(reshape(pd, {features.size(0), K, M}), {2});
}

Tensor gcpl_logits(const Tensor& features, const Tensor& points) { return neg(class_distances(features, points, 1)); }

Tensor rpl_logits(const Tensor& features, const Tensor& points, int64_t M) {
  return class_distances(features, points, M);
}

Tensor arpl_logits(const Tensor& features, const Tensor& points) {
  check_points("arpl_logits", features, points, 1);
  return sub(point_distances(features, points), matmul(features, transpose(points, 0, 1)));
}

PointLoss gcpl_loss(const Tensor& features, const Tensor& points, const Tensor& labels, double T, double lambda) {
  int64_t K = check_points("gcpl_loss", features, points, 1);
  check_labels("gcpl_loss", labels, features.size(0), K);
  Tensor logits = gcpl_logits(features, points);
  // (1/(2·B·D)) Σ ||f_i − P[y_i]||² = half the mean squared error over all B·D elements.
  Tensor reg = mul(mean(square(sub(features, index_select(points, 0, labels)))), 0.5);
  return finish(logits, labels, T, reg, lambda);
}

PointLoss rpl_loss(const Tensor& features, const Tensor& points, const Tensor& radius, const Tensor& labels,
                   int64_t M, double T, double lambda) {
  const char* name = "rpl_loss";
  int64_t K = check_points(name, features, points, M);
  const int64_t B = features.size(0);
  check_labels(name, labels, B, K);
  ENGINE_CHECK(radius.defined() && radius.dtype() == features.dtype() &&
                   ((radius.numel() == 1 && radius.dim() <= 1) || radius.shape() == Shape{K}),
               name, ": radius must be a shared scalar ([] or [1]) or per class [K] = [", K, "] of dtype ",
               dtype_name(features.dtype()), ", got ", radius.defined() ? shape_str(radius.shape()) : "undefined");
  Tensor pd = point_distances(features, points);                                          // [B, K·M]
  Tensor logits = M == 1 ? pd : mean(reshape(pd, {B, K, M}), {2});                       // [B, K]
  Tensor own = own_class_distances(pd, labels, K, M);                                     // [B, M]
  // [K] with K > 1 is per class (R_{y_b}); a single value is shared (for K = 1 the two coincide).
  Tensor r = radius.numel() > 1 ? reshape(index_select(radius, 0, labels), {B, 1}) : reshape(radius, {1, 1});
  Tensor reg = mean(square(sub(own, r)));
  return finish(logits, labels, T, reg, lambda);
}

PointLoss arpl_loss(const Tensor& features, const Tensor& points, const Tensor& radius, const Tensor& labels,
                    double T, double lambda) {
  const char* name = "arpl_loss";
  int64_t K = check_points(name, features, points, 1);
  check_labels(name, labels, features.size(0), K);
  ENGINE_CHECK(radius.defined() && radius.dtype() == features.dtype() && radius.numel() == 1 && radius.dim() <= 1,
               name, ": radius must be one shared scalar ([] or [1]) of dtype ", dtype_name(features.dtype()));
  Tensor pd = point_distances(features, points);
  Tensor logits = sub(pd, matmul(features, transpose(points, 0, 1)));
  Tensor own = own_class_distances(pd, labels, K, 1);  // [B, 1]
  Tensor reg = mean(relu(add(sub(own, reshape(radius, {1, 1})), 1.0)));
  return finish(logits, labels, T, reg, lambda);
}

}  // namespace eg::losses
