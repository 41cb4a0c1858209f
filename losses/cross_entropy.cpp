// cross_entropy.cpp — the fused row cross-entropy op and the cross-entropy / NLL losses built on it.
#include "losses/cross_entropy.h"

#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace eg::losses {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using kernels::BinaryOp;
using kernels::ReduceOp;
using kernels::UnaryOp;

// Forward: ℓ = −Σ_k c ⊙ log_softmax(z), where a zero coefficient contributes 0 even against a −inf
// logit (masked classes; PyTorch does the same), not 0·(−inf) = NaN. Backward row "cross_entropy":
// dz = g·(softmax(z)·Σc − c), dc = −g·log_softmax(z). Only log_softmax(z) [B, K] and c are saved.
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& coeff) {
  check_logits("cross_entropy_rows", logits);
  check_float_shape("cross_entropy_rows", coeff, "coeff", logits, logits.shape());
  const int64_t B = logits.size(0);
  Tensor logp = kernels::log_softmax(logits, 1);
  Tensor zero = zeros({}, logp.options());
  Tensor prod = kernels::where(kernels::binary(BinaryOp::Ne, coeff, zero), kernels::binary(BinaryOp::Mul, coeff, logp),
                               zero);
  Tensor out = kernels::unary(UnaryOp::Neg, kernels::reduce_dim(ReduceOp::Sum, prod, 1, false));
  return autograd::record(OpKind::CrossEntropy, out, {logits, coeff},
                          [logp, c = coeff.detach(), B](const Tensor& g, const Need& need) -> Grads {
                            Tensor gb = g.view_as_shape({B, 1});
                            Grads gs(2);
                            if (need[0]) {
                              Tensor p = kernels::unary(UnaryOp::Exp, logp);
                              Tensor csum = kernels::reduce_dim(ReduceOp::Sum, c, 1, true);
                              Tensor d = kernels::binary(BinaryOp::Sub, kernels::binary(BinaryOp::Mul, p, csum), c);
                              gs[0] = kernels::binary(BinaryOp::Mul, d, gb);
                            }
                            if (need[1]) gs[1] = kernels::unary(UnaryOp::Neg, kernels::binary(BinaryOp::Mul, logp, gb));
                            return gs;
                          });
}

namespace {
// Σ_b w_{y_b} on the host (labels were already range-checked there), for PyTorch's weighted mean.
double weight_total(const char* loss, const Tensor& labels, const Tensor& weight) {
  auto y = labels.to_vector<int64_t>();
  auto w = weight.to_vector<double>();
  double s = 0;
  for (int64_t v : y) s += w[(size_t)v];
  ENGINE_CHECK(s > 0, loss, ": reduction 'mean' divides by the total weight of the batch's labels, which is 0 "
               "(every label in the batch has class weight 0)");
  return s;
}

Tensor weighted_reduce(const char* loss, const Tensor& per, const Tensor& labels, const Tensor& weight, Reduction r) {
  if (r == Reduction::Mean && weight.defined())
    return mul(sum(per), 1.0 / weight_total(loss, labels, weight));
  return reduce(per, r);
}
}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const CrossEntropyOptions& opt) {
  const char* name = "cross_entropy";
  check_logits(name, logits);
  const int64_t B = logits.size(0), K = logits.size(1);
  check_labels(name, labels, B, K);
  check_class_weights(name, opt.weight, logits, K);
  const double eps = opt.label_smoothing;
  ENGINE_CHECK(eps >= 0 && eps <= 1, name, ": label_smoothing must be in [0, 1], got ", eps);
  // c = (1−ε)·onehot(y) + ε/K, times w per column: (1−ε)·w_y at the label, ε·w_k/K everywhere.
  Tensor c = kernels::one_hot(labels, K, logits.dtype());
  if (eps > 0)
    c = kernels::unary(UnaryOp::AddScalar, kernels::unary(UnaryOp::MulScalar, c, 1.0 - eps), eps / (double)K);
  if (opt.weight.defined()) c = kernels::binary(BinaryOp::Mul, c, opt.weight.to(logits.device()));
  return weighted_reduce(name, cross_entropy_rows(logits, c), labels, opt.weight, opt.reduction);
}

Tensor soft_cross_entropy(const Tensor& logits, const Tensor& targets, Reduction reduction) {
  const char* name = "soft_cross_entropy";
  check_logits(name, logits);
  check_float_shape(name, targets, "targets", logits, logits.shape());
  return reduce(cross_entropy_rows(logits, targets), reduction == Reduction::Mean ? Reduction::BatchMean : reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, const Tensor& weight, Reduction reduction) {
  const char* name = "nll_loss";
  check_logits(name, log_probs);
  const int64_t B = log_probs.size(0), K = log_probs.size(1);
  check_labels(name, labels, B, K);
  check_class_weights(name, weight, log_probs, K);
  Tensor picked = reshape(gather(log_probs, 1, labels.view_as_shape({B, 1})), {B});  // x_{b, y_b}
  Tensor per = neg(picked);
  if (weight.defined()) per = mul(per, kernels::index_select(weight, 0, labels));
  return weighted_reduce(name, per, labels, weight, reduction);
}

}  // namespace eg::losses
