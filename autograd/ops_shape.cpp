// ops_shape.cpp — differentiable shape and indexing ops: reshape (shares storage), permute, narrow /
// slice (strided), index_select, gather, scatter_add, cat, pad, expand; flatten, squeeze, unsqueeze,
// transpose and stack are composed from them.
#include <algorithm>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;

// Row "reshape": dx = reshape(g, shape(x)).
Tensor reshape(const Tensor& x, Shape shape) {
  check_defined("reshape", x, "x");
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      ENGINE_CHECK(infer < 0, "reshape: more than one -1 in ", shape_str(shape));
      infer = (int64_t)i;
    } else {
      ENGINE_CHECK(shape[i] >= 0, "reshape: negative size in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    ENGINE_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer -1 in ", shape_str(shape), " for ",
                 shape_str(x.shape()));
    shape[(size_t)infer] = x.numel() / known;
  }
  ENGINE_CHECK(shape_numel(shape) == x.numel(), "reshape: cannot reshape ", shape_str(x.shape()), " (", x.numel(),
               " elements) to ", shape_str(shape));
  Tensor out = x.view_as_shape(shape);
  return record(OpKind::Reshape, out, {x}, [s = x.shape()](const Tensor& g, const Need&) -> Grads {
    return {g.view_as_shape(s)};
  });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  check_defined("flatten", x, "x");
  if (x.dim() == 0) return reshape(x, {1});
  start_dim = wrap_dim("flatten", start_dim, x.dim());
  end_dim = wrap_dim("flatten", end_dim, x.dim());
  ENGINE_CHECK(start_dim <= end_dim, "flatten: start_dim ", start_dim, " > end_dim ", end_dim);
  Shape s;
  for (int64_t i = 0; i < start_dim; ++i) s.push_back(x.shape()[(size_t)i]);
  int64_t m = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) m *= x.shape()[(size_t)i];
  s.push_back(m);
  for (int64_t i = end_dim + 1; i < x.dim(); ++i) s.push_back(x.shape()[(size_t)i]);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  check_defined("squeeze", x, "x");
  dim = wrap_dim("squeeze", dim, x.dim(), /*scalar_ok=*/true);
  if (x.dim() == 0) return reshape(x, {});  // as PyTorch: squeezing a 0-d tensor leaves it 0-d
  ENGINE_CHECK(x.shape()[(size_t)dim] == 1, "squeeze: dim ", dim, " of ", shape_str(x.shape()), " is not 1");
  Shape s = x.shape();
  s.erase(s.begin() + dim);
  return reshape(x, s);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  check_defined("unsqueeze", x, "x");
  dim = wrap_dim("unsqueeze", dim, x.dim() + 1);
  Shape s = x.shape();
  s.insert(s.begin() + dim, 1);
  return reshape(x, s);
}

// Row "permute": dx = permute(g, inverse(perm)).
Tensor permute(const Tensor& x, std::vector<int64_t> perm) {
  check_defined("permute", x, "x");
  Tensor out = kernels::permute(x, perm);
  for (auto& p : perm) p = wrap_dim("permute", p, x.dim());
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[(size_t)perm[i]] = (int64_t)i;
  return record(OpKind::Permute, out, {x}, [inv](const Tensor& g, const Need&) -> Grads {
    return {kernels::permute(g, inv)};
  });
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  check_defined("transpose", x, "x");
  std::vector<int64_t> perm((size_t)x.dim());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = (int64_t)i;
  std::swap(perm[(size_t)wrap_dim("transpose", d0, x.dim())], perm[(size_t)wrap_dim("transpose", d1, x.dim())]);
  return permute(x, perm);
}

// Row "narrow": dx = zeros with g written at the slice.
static Tensor strided_narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Tensor out = kernels::narrow(x, dim, start, length, step);
  return record(OpKind::Narrow, out, {x}, [s = x.shape(), dim, start, step](const Tensor& g, const Need&) -> Grads {
    Tensor gx = zeros(s, g.options());
    kernels::narrow_scatter_(gx, g, dim, start, step);
    return {gx};
  });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  check_defined("narrow", x, "x");
  dim = wrap_dim("narrow", dim, x.dim());
  return strided_narrow(x, dim, start, length, 1);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  check_defined("slice", x, "x");
  dim = wrap_dim("slice", dim, x.dim());
  ENGINE_CHECK(step >= 1, "slice: step must be >= 1, got ", step);
  int64_t n = x.shape()[(size_t)dim];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  int64_t length = (end - start + step - 1) / step;
  return strided_narrow(x, dim, start, length, step);
}

// Row "index_select": dx = index_add(zeros, dim, index, g).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("index_select", x, "x");
  check_defined("index_select", index, "index");
  dim = wrap_dim("index_select", dim, x.dim());
  Tensor out = kernels::index_select(x, dim, index);
  return record(OpKind::IndexSelect, out, {x}, [s = x.shape(), dim, index](const Tensor& g, const Need&) -> Grads {
    return {kernels::index_add(s, dim, index, g)};
  });
}

// Row "gather": dx = scatter_add(zeros, dim, index, g).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("gather", x, "x");
  check_defined("gather", index, "index");
  dim = wrap_dim("gather", dim, x.dim());
  Tensor out = kernels::gather(x, dim, index);
  return record(OpKind::Gather, out, {x}, [s = x.shape(), dim, index](const Tensor& g, const Need&) -> Grads {
    return {kernels::scatter_add(zeros(s, g.options()), dim, index, g)};
  });
}

// Row "scatter_add": dbase = g, dsrc = gather(g, dim, index).
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined("scatter_add", base, "base");
  check_defined("scatter_add", index, "index");
  check_defined("scatter_add", src, "src");
  dim = wrap_dim("scatter_add", dim, base.dim());
  Tensor out = kernels::scatter_add(base, dim, index, src);
  return record(OpKind::ScatterAdd, out, {base, src}, [dim, index](const Tensor& g, const Need& need) -> Grads {
    return {need[0] ? g : Tensor(), need[1] ? kernels::gather(g, dim, index) : Tensor()};
  });
}

// Row "cat": dx_k = narrow(g, dim, offset_k, size_k).
Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  for (auto& x : xs) check_defined("cat", x, "xs[k]");
  Tensor out = kernels::cat(xs, dim);
  dim = wrap_dim("cat", dim, xs[0].dim());
  std::vector<int64_t> sizes;
  for (auto& x : xs) sizes.push_back(x.shape()[(size_t)dim]);
  return record(OpKind::Cat, out, xs, [sizes, dim](const Tensor& g, const Need& need) -> Grads {
    Grads gs(sizes.size());
    int64_t at = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (need[k]) gs[k] = kernels::narrow(g, dim, at, sizes[k], 1);
      at += sizes[k];
    }
    return gs;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  ENGINE_CHECK(!xs.empty(), "stack: empty list of tensors");
  dim = wrap_dim("stack", dim, xs[0].dim() + 1);
  std::vector<Tensor> us;
  for (size_t k = 0; k < xs.size(); ++k) {
    ENGINE_CHECK(xs[k].shape() == xs[0].shape(), "stack: tensor ", k, " has shape ", shape_str(xs[k].shape()),
                 ", expected ", shape_str(xs[0].shape()));
    us.push_back(unsqueeze(xs[k], dim));
  }
  return cat(us, dim);
}

// Row "pad": dx = the unpadded window of g.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  check_defined("pad", x, "x");
  Tensor out = kernels::pad(x, pads, value);
  return record(OpKind::Pad, out, {x}, [s = x.shape(), pads](const Tensor& g, const Need&) -> Grads {
    Tensor gx = g;
    for (size_t k = 0; k < pads.size() / 2; ++k) {
      int64_t dim = (int64_t)s.size() - 1 - (int64_t)k;
      gx = kernels::narrow(gx, dim, pads[2 * k], s[(size_t)dim], 1);
    }
    return {gx};
  });
}

// Row "expand": dx = sum_to(g, shape(x)).
Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined("expand", x, "x");
  Tensor out = kernels::expand(x, shape);
  if (out.same(x)) out = x.detach();  // same shape: still give the op its own output handle
  return record(OpKind::Expand, out, {x}, [s = x.shape()](const Tensor& g, const Need&) -> Grads {
    return {kernels::sum_to(g, s)};
  });
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  check_defined("one_hot", labels, "labels");
  return kernels::one_hot(labels, num_classes, dtype);
}

}  // namespace eg
