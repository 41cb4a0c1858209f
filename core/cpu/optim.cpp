// optim.cpp — CPU optimizer updates: one fused pass over each parameter (see kernels.h for the rules).
#include <cmath>

#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const kernels::SgdStep& s) {
  EG_DISPATCH_FLOAT(p.dtype(), "sgd_step_", [&] {
    scalar_t* pp = p.data<scalar_t>();
    const scalar_t* pg = g.data<scalar_t>();
    scalar_t* pb = s.momentum != 0 ? buf.data<scalar_t>() : nullptr;
    const scalar_t lr = (scalar_t)s.lr, mom = (scalar_t)s.momentum, damp = (scalar_t)(1 - s.dampening),
                   wd = (scalar_t)s.weight_decay;
    parallel_for(p.numel(), [&](int64_t i) {
      scalar_t d = pg[i] + wd * pp[i];
      if (pb) {
        scalar_t b = s.first ? d : mom * pb[i] + damp * d;
        pb[i] = b;
        d = s.nesterov ? d + mom * b : b;
      }
      pp[i] -= lr * d;
    });
  });
}

void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const kernels::AdamStep& s) {
  EG_DISPATCH_FLOAT(p.dtype(), "adam_step_", [&] {
    scalar_t* pp = p.data<scalar_t>();
    const scalar_t* pg = g.data<scalar_t>();
    scalar_t* pm = m.data<scalar_t>();
    scalar_t* pv = v.data<scalar_t>();
    const double bc1 = 1 - std::pow(s.beta1, (double)s.step), bc2 = 1 - std::pow(s.beta2, (double)s.step);
    const scalar_t b1 = (scalar_t)s.beta1, b2 = (scalar_t)s.beta2, step_size = (scalar_t)(s.lr / bc1),
                   rbc2 = (scalar_t)(1.0 / std::sqrt(bc2)), eps = (scalar_t)s.eps, wd = (scalar_t)s.weight_decay,
                   shrink = (scalar_t)(1 - s.lr * s.weight_decay);
    parallel_for(p.numel(), [&](int64_t i) {
      scalar_t gi = pg[i];
      if (s.decoupled) pp[i] *= shrink;
      else gi += wd * pp[i];
      pm[i] = b1 * pm[i] + (1 - b1) * gi;
      pv[i] = b2 * pv[i] + (1 - b2) * gi * gi;
      pp[i] -= step_size * pm[i] / (std::sqrt(pv[i]) * rbc2 + eps);
    });
  });
}

}  // namespace eg::cpu
