// ops_sync_norm.cpp — batch norm with the statistics of a batch split across data-parallel replicas
// (--sync-bn), forward and backward side by side (DERIVATIVES.md row "batch_norm", with the sums taken over
// every replica). The per-channel sums travel through the caller's ReplicaSum; the elementwise work is the
// fused batch-norm kernel with the global statistics given as fixed ones, plus the batch-statistics term
// of dx. Shape letters: C channels, M values per channel (over all replicas), M_r on this replica.
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/check.h"
#include "core/kernels_nn.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;

namespace {

// A [C] host vector as a tensor of x's dtype and device, shaped to broadcast over x [N, C, ...].
Tensor per_channel(const std::vector<double>& v, const Tensor& x, bool broadcast) {
  Shape s(broadcast ? (size_t)x.dim() : 1, 1);
  s[broadcast ? 1 : 0] = (int64_t)v.size();
  return from_vector(v, s).to(x.dtype()).to(x.device());
}

std::vector<double> host(const Tensor& t) { return t.to(Device::CPU).to(DType::F64).to_vector<double>(); }

}  // namespace

Tensor sync_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                       Tensor running_var, double momentum, double eps, const ReplicaSum& replica_sum) {
  check_defined("sync_batch_norm", x, "input");
  ENGINE_CHECK(replica_sum, "sync_batch_norm: no replica_sum");
  ENGINE_CHECK(x.dim() >= 2, "sync_batch_norm: input must be [N, C, ...], got ", shape_str(x.shape()));
  const int64_t C = x.size(1), m_local = x.numel() / std::max<int64_t>(C, 1);
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  std::vector<double> mean_v, var_v;
  double M = 0;
  {
    NoGradGuard ng;
    Tensor xd = x.detach();
    std::vector<double> s1 = host(sum(xd, dims));
    s1.push_back((double)m_local);
    replica_sum(s1);
    M = s1[(size_t)C];
    ENGINE_CHECK(M > 1, "sync_batch_norm: needs more than one value per channel over all replicas, got ", M);
    mean_v.assign(s1.begin(), s1.begin() + C);
    for (auto& m : mean_v) m /= M;
    // Two passes (mean first): Σx² − M·mean² would cancel digits when |mean| ≫ std.
    Tensor dev = sub(xd, per_channel(mean_v, x, true));
    var_v = host(sum(mul(dev, dev), dims));
    replica_sum(var_v);
    for (auto& v : var_v) v /= M;
  }
  kernels::BatchNormResult r = kernels::batch_norm_forward(x, weight, bias, per_channel(mean_v, x, false),
                                                           per_channel(var_v, x, false), false, momentum, eps);
  if (running_mean.defined() && running_var.defined()) {
    auto rm = host(running_mean), rv = host(running_var);
    for (int64_t c = 0; c < C; ++c) {
      rm[(size_t)c] = (1 - momentum) * rm[(size_t)c] + momentum * mean_v[(size_t)c];
      rv[(size_t)c] = (1 - momentum) * rv[(size_t)c] + momentum * var_v[(size_t)c] * M / (M - 1);
    }
    running_mean.set_data_(from_vector(rm, {C}).to(running_mean.dtype()).to(running_mean.device()));
    running_var.set_data_(from_vector(rv, {C}).to(running_var.dtype()).to(running_var.device()));
  }
  const double share = (double)m_local / M;  // this replica's weight in the averaged gradients
  return record(OpKind::BatchNorm, r.y, {x, weight, bias},
                [x = x.detach(), w = weight.defined() ? weight.detach() : Tensor(), mean = r.mean, invstd = r.invstd,
                 M, share, C, replica_sum](const Tensor& g, const Need& need) -> Grads {
                  // Fixed statistics: dx = g·w·invstd, dw = Σ g·x̂, db = Σ g (this replica's sums).
                  kernels::BatchNormGrads d =
                      kernels::batch_norm_backward(g, x, w, mean, invstd, false, need[0], true, true);
                  Tensor dx;
                  if (need[0]) {
                    NoGradGuard ng;
                    // The statistics' term with the sums of every replica r' weighted share_r'/share_r:
                    // dx −= (w·invstd/M)·(Σg + x̂·Σg·x̂).
                    std::vector<double> s = host(d.dbias), sx = host(d.dweight);
                    s.insert(s.end(), sx.begin(), sx.end());
                    for (auto& v : s) v *= share;
                    replica_sum(s);
                    auto is = host(invstd);
                    std::vector<double> w_v = w.defined() ? host(w) : std::vector<double>((size_t)C, 1.0);
                    std::vector<double> a((size_t)C), b((size_t)C);
                    for (size_t c = 0; c < (size_t)C; ++c) {
                      double coef = w_v[c] * is[c] / M / share;
                      a[c] = coef * s[c];
                      b[c] = coef * s[(size_t)C + c];
                    }
                    Tensor xhat = mul(sub(x, per_channel(host(mean), x, true)), per_channel(is, x, true));
                    dx = sub(sub(d.dx, per_channel(a, x, true)), mul(xhat, per_channel(b, x, true)));
                  }
                  return {dx, need[1] ? d.dweight : Tensor(), need[2] ? d.dbias : Tensor()};
                });
}

}  // namespace eg
