// gradcheck.h — central finite differences against the analytic backward. The function's output is
// scalarized as sum(out ⊙ R) with a fixed random R, so every output element's VJP is exercised. Run it
// on f64 inputs (the CPU kernels are templated on the scalar) with small shapes, inputs off kinks.
#pragma once
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "autograd/op_kind.h"
#include "core/tensor.h"

namespace eg::autograd {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-6;  // pass when |analytic - numeric| <= atol + rtol·|numeric|
  double rtol = 1e-5;
  uint64_t seed = 1234;
  // 0: check every element. Else check this many per input, evenly spaced from the first to the last:
  // how tensors above the parallel grain (32768 elements) are checked in reasonable time.
  int64_t max_elements = 0;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_err = 0;
  std::string report;           // first mismatches, with input index, flat element and both values
  std::set<OpKind> kinds;       // every OpKind recorded in the checked graph
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d sum(f(inputs) ⊙ R) / d inputs[i] for every input that requires grad.
GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, GradcheckOptions opt = {});

// The OpKinds recorded in the graph below `out`.
std::set<OpKind> graph_kinds(const Tensor& out);

}  // namespace eg::autograd
