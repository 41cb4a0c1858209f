// gradcheck.cpp — finite-difference gradient checking (see gradcheck.h).
#include "autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_set>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/generator.h"

namespace eg::autograd {

std::set<OpKind> graph_kinds(const Tensor& out) {
  std::set<OpKind> kinds;
  if (!out.defined() || !out.grad_fn()) return kinds;
  std::vector<Node*> stack{out.grad_fn().get()};
  std::unordered_set<Node*> seen{stack[0]};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    kinds.insert(n->kind);
    for (auto& in : n->inputs)
      if (in.defined() && in.grad_fn() && seen.insert(in.grad_fn().get()).second) stack.push_back(in.grad_fn().get());
  }
  return kinds;
}

static double scalarize(const Tensor& out, const Tensor& r) {
  auto o = out.to_vector<double>(), w = r.to_vector<double>();
  double s = 0;
  for (size_t i = 0; i < o.size(); ++i) s += o[i] * w[i];
  return s;
}

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, GradcheckOptions opt) {
  GradcheckResult res;
  std::vector<Tensor> xs = inputs;
  for (auto& x : xs) {
    x.zero_grad();
    ENGINE_CHECK(x.is_cpu(), "gradcheck: inputs must be on cpu");
  }
  Tensor out = f(xs);
  ENGINE_CHECK(out.requires_grad(), "gradcheck: the output does not require grad");
  res.kinds = graph_kinds(out);
  Generator g(opt.seed);
  Tensor r = randn(out.shape(), g, out.options());
  sum(mul(out, r)).backward();
  std::ostringstream rep;
  int shown = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    Tensor& x = xs[i];
    if (!x.requires_grad()) continue;
    std::vector<double> analytic = x.grad().defined() ? x.grad().to_vector<double>() : std::vector<double>((size_t)x.numel(), 0.0);
    const int64_t n = x.numel(), checked = opt.max_elements > 0 ? std::min(opt.max_elements, n) : n;
    for (int64_t k = 0; k < checked; ++k) {
      const int64_t j = checked == n ? k : (checked == 1 ? 0 : k * (n - 1) / (checked - 1));
      double numeric;
      {
        NoGradGuard ng;
        auto poke = [&](double delta) {
          EG_DISPATCH_FLOAT(x.dtype(), "gradcheck", [&] { x.data<scalar_t>()[j] += (scalar_t)delta; });
        };
        poke(opt.eps);
        double fp = scalarize(f(xs), r);
        poke(-2 * opt.eps);
        double fm = scalarize(f(xs), r);
        poke(opt.eps);
        numeric = (fp - fm) / (2 * opt.eps);
      }
      double err = std::abs(analytic[(size_t)j] - numeric);
      res.max_abs_err = std::max(res.max_abs_err, err);
      if (!(err <= opt.atol + opt.rtol * std::abs(numeric))) {
        res.ok = false;
        if (shown++ < 8)
          rep << "input " << i << " " << shape_str(x.shape()) << " element " << j << ": analytic " << analytic[(size_t)j]
              << " numeric " << numeric << "\n";
      }
    }
  }
  if (!res.ok) rep << "max abs error " << res.max_abs_err;
  res.report = rep.str();
  return res;
}

}  // namespace eg::autograd
