// objective.cpp — the per-method training losses (see objective.h).
#include "methods/sla/objective.h"

#include <vector>

#include "losses/cross_entropy.h"
#include "losses/sla.h"

namespace eg::sla {

namespace {
// y_b·M + 0: the joint labels of the untransformed copies, [B].
Tensor identity_joint_labels(const Tensor& y, int64_t M) {
  std::vector<int64_t> v = y.to_vector<int64_t>();
  for (auto& l : v) l *= M;
  return from_vector(v, {(int64_t)v.size()}).to(y.device());
}
}  // namespace

StepLoss training_step(SlaNet& net, const Tensor& x, const Tensor& y, const TransformationSet& t, const SdOptions& sd) {
  if (net.method == Method::Baseline) {
    Tensor logits = net.forward(x);
    return {losses::cross_entropy(logits, y), logits, y};
  }
  const int64_t B = x.size(0), M = t.size();
  ENGINE_CHECK(M == net.M, "training_step: the network was built for M = ", net.M, " transformations, the set '",
               t.name, "' has ", M);
  Tensor z = net.features(expand_batch(x, t));  // [(B·M), F], row b·M + j = z(t_j x_b)
  Tensor main = net.backbone->fc->forward(z);
  Tensor main0 = slice(main, 0, 0, B * M, M);     // rows b·M + 0: the untransformed copies
  switch (net.method) {
    case Method::DA: {
      Tensor yy = repeat_labels(y, M);
      return {losses::cross_entropy(main, yy), main0, y};
    }
    case Method::MT: {
      Tensor yy = repeat_labels(y, M);
      Tensor rot = losses::cross_entropy(net.aux->forward(z), transformation_labels(B, M, x.device()));
      return {add(losses::cross_entropy(main, yy), rot), main0, y};
    }
    case Method::SLA:
      return {losses::sla_loss(main, y, M, sd.large_loss), main0, identity_joint_labels(y, M)};
    case Method::SLA_SD: {
      Tensor head = net.aux->forward(slice(z, 0, 0, B * M, M));  // u on the identity copies (rows b·M + 0)
      auto l = losses::sla_sd_loss(main, head, y, M, sd.T, sd.beta, sd.large_loss);
      return {l.total, main0, identity_joint_labels(y, M)};
    }
    default:
      ENGINE_FAIL("training_step: unhandled method ", method_name(net.method));
  }
}

}  // namespace eg::sla
