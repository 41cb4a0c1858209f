// kernels.cpp — the single dispatch point of every raw kernel: argument checks (shapes, dtypes, devices,
// index ranges) that name the op, then the CPU or CUDA implementation.
#include "core/kernels.h"

#include <algorithm>

#include "core/cpu/cpu_kernels.h"
#ifdef ENGINE_HAS_CUDA
#include "core/cuda/cuda_kernels.h"
#endif

namespace eg::kernels {

namespace {
bool on_cuda(const Tensor& t) { return t.device() == Device::CUDA; }

#ifndef ENGINE_HAS_CUDA
[[noreturn]] void no_cuda_kernel(const char* op) {
  ENGINE_FAIL(op, ": tensor is on cuda but this eigengrad was built without CUDA");
}
#endif

// Index tensors are small and often built on the host (labels, sampled pairs): they follow the data's
// device instead of being refused.
Tensor index_on(const Tensor& index, const Tensor& data) {
  return index.device() == data.device() ? index : index.to(data.device());
}

// On a CUDA tensor: the CUDA kernel's result (CALL, a call into eg::cuda), or the no-CUDA-build error.
#ifdef ENGINE_HAS_CUDA
#define EG_ON_CUDA(t, op, CALL) \
  if (on_cuda(t)) return CALL
#else
#define EG_ON_CUDA(t, op, CALL) \
  if (on_cuda(t)) no_cuda_kernel(op)
#endif

void check_index(const char* op, const Tensor& index, int64_t limit) {
  ENGINE_CHECK(index.dtype() == DType::I64, op, ": index must be i64, got ", dtype_name(index.dtype()), " ",
               shape_str(index.shape()));
  Tensor ci = index.to(Device::CPU);
  const int64_t* p = ci.data<int64_t>();
  const int64_t n = ci.numel();
  for (int64_t i = 0; i < n; ++i)
    ENGINE_CHECK(p[i] >= 0 && p[i] < limit, op, ": index ", p[i], " at position ", i, " is out of range [0, ",
                 limit, ")");
}
}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  check_defined("unary", x, "x");
  if (on_cuda(x)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::unary(op, x, a, b);
#else
    no_cuda_kernel("unary");
#endif
  }
  return cpu::unary(op, x, a, b);
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_defined("binary", a, "a");
  check_defined("binary", b, "b");
  check_same_dtype("binary", a, b);
  check_same_device("binary", a, b);
  Shape out = broadcast_shapes("binary", a.shape(), b.shape());
  if (on_cuda(a)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::binary(op, a, b, out);
#else
    no_cuda_kernel("binary");
#endif
  }
  return cpu::binary(op, a, b, out);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_dtype("where", a, b);
  check_same_device("where", a, b);
  check_same_device("where", cond, a);
  Shape out = broadcast_shapes("where", broadcast_shapes("where", cond.shape(), a.shape()), b.shape());
  EG_ON_CUDA(a, "where", cuda::where(cond, a, b, out));
  return cpu::where(cond, a, b, out);
}

void axpy_(Tensor& dst, const Tensor& src, double alpha) {
  check_same_dtype("axpy_", dst, src);
  check_same_device("axpy_", dst, src);
  ENGINE_CHECK(dst.shape() == src.shape(), "axpy_: shapes differ: ", shape_str(dst.shape()), " vs ",
               shape_str(src.shape()));
  if (on_cuda(dst)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::axpy_(dst, src, alpha);
#else
    no_cuda_kernel("axpy_");
#endif
  }
  cpu::axpy_(dst, src, alpha);
}

void fill_(Tensor& dst, double value) {
  if (on_cuda(dst)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::fill_(dst, value);
#else
    no_cuda_kernel("fill_");
#endif
  }
  cpu::fill_(dst, value);
}

void copy_(Tensor& dst, const Tensor& src) {
  check_same_dtype("copy_", dst, src);
  ENGINE_CHECK(dst.shape() == src.shape(), "copy_: shapes differ: ", shape_str(dst.shape()), " vs ",
               shape_str(src.shape()));
  copy_bytes(dst.raw_data(), dst.device(), src.raw_data(), src.device(), (size_t)src.numel() * dtype_size(src.dtype()));
}

Tensor reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  dim = wrap_dim("reduce", dim, x.dim(), /*scalar_ok=*/true);
  // Sum and prod of nothing are 0 and 1; max and min of nothing are undefined (PyTorch raises too).
  if (op == ReduceOp::Max || op == ReduceOp::Min)
    ENGINE_CHECK(x.dim() == 0 || x.shape()[(size_t)dim] > 0, op == ReduceOp::Max ? "max" : "min",
                 ": cannot reduce over the empty dim ", dim, " (shape ", shape_str(x.shape()), ")");
  EG_ON_CUDA(x, "reduce", cuda::reduce_dim(op, x, dim, keepdim));
  return cpu::reduce_dim(op, x, dim, keepdim);
}

Tensor arg_reduce_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  const char* name = op == ReduceOp::Max ? "argmax" : "argmin";
  dim = wrap_dim(name, dim, x.dim(), /*scalar_ok=*/true);
  ENGINE_CHECK(x.dim() == 0 || x.shape()[(size_t)dim] > 0, name, ": cannot reduce over the empty dim ", dim,
               " (shape ", shape_str(x.shape()), ")");
  EG_ON_CUDA(x, name, cuda::arg_reduce_dim(op, x, dim, keepdim));
  return cpu::arg_reduce_dim(op, x, dim, keepdim);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  ENGINE_CHECK(broadcast_shapes("sum_to", x.shape(), shape) == x.shape(), "sum_to: cannot reduce ",
               shape_str(x.shape()), " to ", shape_str(shape));
  Tensor y = x;
  size_t lead = x.shape().size() - shape.size();
  for (size_t i = 0; i < lead; ++i) y = reduce_dim(ReduceOp::Sum, y, 0, false);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 1 && y.shape()[i] != 1) y = reduce_dim(ReduceOp::Sum, y, (int64_t)i, true);
  return y;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  ENGINE_CHECK(broadcast_shapes("expand", x.shape(), shape) == shape, "expand: cannot broadcast ",
               shape_str(x.shape()), " to ", shape_str(shape));
  EG_ON_CUDA(x, "expand", cuda::expand(x, shape));
  return cpu::expand(x, shape);
}

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_same_dtype("matmul", a, b);
  check_same_device("matmul", a, b);
  ENGINE_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul: expected tensors with >= 2 dims, got ", shape_str(a.shape()),
               " and ", shape_str(b.shape()));
  const Shape &sa = a.shape(), &sb = b.shape();
  int64_t M = ta ? sa.back() : sa[sa.size() - 2], Ka = ta ? sa[sa.size() - 2] : sa.back();
  int64_t Kb = tb ? sb.back() : sb[sb.size() - 2], N = tb ? sb[sb.size() - 2] : sb.back();
  ENGINE_CHECK(Ka == Kb, "matmul: inner dims differ: ", shape_str(sa), (ta ? "ᵀ" : ""), " @ ", shape_str(sb),
               (tb ? "ᵀ" : ""), " (", Ka, " vs ", Kb, ")");
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  Shape batch = broadcast_shapes("matmul (batch dims)", ba, bb);
  auto full_or_one = [&](const Shape& s) {
    return shape_numel(s) == 1 || (s.size() == batch.size() && s == batch);
  };
  ENGINE_CHECK(full_or_one(ba) && full_or_one(bb), "matmul: batch dims ", shape_str(ba), " and ", shape_str(bb),
               " must be equal or one of them all ones");
  Shape out = batch;
  out.push_back(M);
  out.push_back(N);
  EG_ON_CUDA(a, "matmul", cuda::matmul(a, b, ta, tb, out));
  return cpu::matmul(a, b, ta, tb, out);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& perm_in) {
  ENGINE_CHECK((int64_t)perm_in.size() == x.dim(), "permute: ", perm_in.size(), " dims given for shape ",
               shape_str(x.shape()));
  std::vector<int64_t> perm = perm_in, seen(perm.size(), 0);
  for (auto& p : perm) {
    p = wrap_dim("permute", p, x.dim());
    ENGINE_CHECK(!seen[(size_t)p]++, "permute: dim ", p, " repeated");
  }
  EG_ON_CUDA(x, "permute", cuda::permute(x, perm));
  return cpu::permute(x, perm);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  dim = wrap_dim("narrow", dim, x.dim());
  int64_t n = x.shape()[(size_t)dim];
  ENGINE_CHECK(step >= 1 && start >= 0 && length >= 0 && (length == 0 || start + (length - 1) * step < n),
               "narrow: slice start ", start, " length ", length, " step ", step, " out of range for dim ", dim,
               " of shape ", shape_str(x.shape()));
  EG_ON_CUDA(x, "narrow", cuda::narrow(x, dim, start, length, step));
  return cpu::narrow(x, dim, start, length, step);
}

void narrow_scatter_(Tensor& dst, const Tensor& src, int64_t dim, int64_t start, int64_t step) {
  dim = wrap_dim("narrow_scatter_", dim, dst.dim());
  check_same_dtype("narrow_scatter_", dst, src);
  check_same_device("narrow_scatter_", dst, src);
  ENGINE_CHECK(src.dim() == dst.dim(), "narrow_scatter_: rank mismatch ", shape_str(src.shape()), " into ",
               shape_str(dst.shape()));
  int64_t len = src.shape()[(size_t)dim];
  for (int64_t i = 0; i < dst.dim(); ++i)
    ENGINE_CHECK(i == dim || src.shape()[(size_t)i] == dst.shape()[(size_t)i], "narrow_scatter_: shape ",
                 shape_str(src.shape()), " does not fit into ", shape_str(dst.shape()), " along dim ", dim);
  ENGINE_CHECK(len == 0 || start + (len - 1) * step < dst.shape()[(size_t)dim], "narrow_scatter_: slice out of range");
  EG_ON_CUDA(dst, "narrow_scatter_", cuda::narrow_scatter_(dst, src, dim, start, step));
  cpu::narrow_scatter_(dst, src, dim, start, step);
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  ENGINE_CHECK(!xs.empty(), "cat: empty list of tensors");
  dim = wrap_dim("cat", dim, xs[0].dim());
  Shape out = xs[0].shape();
  out[(size_t)dim] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    check_same_dtype("cat", xs[0], xs[k]);
    check_same_device("cat", xs[0], xs[k]);
    ENGINE_CHECK(xs[k].dim() == xs[0].dim(), "cat: tensor ", k, " has shape ", shape_str(xs[k].shape()),
                 ", expected rank ", xs[0].dim());
    for (int64_t i = 0; i < xs[0].dim(); ++i)
      ENGINE_CHECK(i == dim || xs[k].shape()[(size_t)i] == xs[0].shape()[(size_t)i], "cat: tensor ", k, " shape ",
                   shape_str(xs[k].shape()), " differs from ", shape_str(xs[0].shape()), " outside dim ", dim);
    out[(size_t)dim] += xs[k].shape()[(size_t)dim];
  }
  Tensor y = Tensor::empty(out, xs[0].options());
  int64_t at = 0;
  for (auto& x : xs) {
    narrow_scatter_(y, x, dim, at, 1);
    at += x.shape()[(size_t)dim];
  }
  return y;
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  ENGINE_CHECK(pads.size() % 2 == 0 && (int64_t)pads.size() <= 2 * x.dim(), "pad: ", pads.size(),
               " pad values for a tensor of shape ", shape_str(x.shape()), " (expected an even number <= ",
               2 * x.dim(), ")");
  for (auto p : pads) ENGINE_CHECK(p >= 0, "pad: negative padding ", p, " is not supported");
  EG_ON_CUDA(x, "pad", cuda::pad(x, pads, value));
  return cpu::pad(x, pads, value);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim("index_select", dim, x.dim());
  ENGINE_CHECK(index.dim() == 1, "index_select: index must be 1-D, got ", shape_str(index.shape()));
  check_index("index_select", index, x.shape()[(size_t)dim]);
  const Tensor idx = index_on(index, x);
  EG_ON_CUDA(x, "index_select", cuda::index_select(x, dim, idx));
  return cpu::index_select(x, dim, idx);
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  dim = wrap_dim("index_add", dim, (int64_t)shape.size());
  check_index("index_add", index, shape[(size_t)dim]);
  Shape expect = shape;
  expect[(size_t)dim] = index.numel();
  ENGINE_CHECK(src.shape() == expect, "index_add: src shape ", shape_str(src.shape()), ", expected ",
               shape_str(expect));
  const Tensor idx = index_on(index, src);
  EG_ON_CUDA(src, "index_add", cuda::index_add(shape, dim, idx, src));
  return cpu::index_add(shape, dim, idx, src);
}

static void check_gather_shapes(const char* op, const Tensor& x, int64_t dim, const Tensor& index) {
  ENGINE_CHECK(index.dim() == x.dim(), op, ": index rank ", index.dim(), " differs from input rank ", x.dim(),
               " (", shape_str(index.shape()), " vs ", shape_str(x.shape()), ")");
  for (int64_t i = 0; i < x.dim(); ++i)
    ENGINE_CHECK(i == dim || index.shape()[(size_t)i] == x.shape()[(size_t)i], op, ": index shape ",
                 shape_str(index.shape()), " must match input shape ", shape_str(x.shape()), " outside dim ", dim);
  check_index(op, index, x.shape()[(size_t)dim]);
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim("gather", dim, x.dim());
  check_gather_shapes("gather", x, dim, index);
  const Tensor idx = index_on(index, x);
  EG_ON_CUDA(x, "gather", cuda::gather(x, dim, idx));
  return cpu::gather(x, dim, idx);
}

Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  dim = wrap_dim("scatter_add", dim, base.dim());
  check_gather_shapes("scatter_add", base, dim, index);
  check_same_dtype("scatter_add", base, src);
  ENGINE_CHECK(src.shape() == index.shape(), "scatter_add: src shape ", shape_str(src.shape()),
               " must equal index shape ", shape_str(index.shape()));
  check_same_device("scatter_add", base, src);
  const Tensor idx = index_on(index, base);
  EG_ON_CUDA(base, "scatter_add", cuda::scatter_add(base, dim, idx, src));
  return cpu::scatter_add(base, dim, idx, src);
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  ENGINE_CHECK(num_classes > 0, "one_hot: num_classes must be positive, got ", num_classes);
  check_index("one_hot", labels, num_classes);
  return cpu::one_hot(labels.to(Device::CPU), num_classes, dtype).to(labels.device());
}

Tensor softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim("softmax", dim, x.dim(), /*scalar_ok=*/true);
  EG_ON_CUDA(x, "softmax", cuda::softmax(x, dim, false));
  return cpu::softmax(x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim("log_softmax", dim, x.dim(), /*scalar_ok=*/true);
  EG_ON_CUDA(x, "log_softmax", cuda::softmax(x, dim, true));
  return cpu::softmax(x, dim, true);
}
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  check_same_device("softmax backward", g, y);
  dim = wrap_dim("softmax", dim, y.dim(), /*scalar_ok=*/true);
  EG_ON_CUDA(y, "softmax backward", cuda::softmax_backward(g, y, dim, false));
  return cpu::softmax_backward(g, y, dim, false);
}
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  check_same_device("log_softmax backward", g, y);
  dim = wrap_dim("log_softmax", dim, y.dim(), /*scalar_ok=*/true);
  EG_ON_CUDA(y, "log_softmax backward", cuda::softmax_backward(g, y, dim, true));
  return cpu::softmax_backward(g, y, dim, true);
}

static void check_update(const char* op, const Tensor& p, const Tensor& other, const char* name) {
  check_defined(op, other, name);
  check_same_dtype(op, p, other);
  check_same_device(op, p, other);
  ENGINE_CHECK(p.shape() == other.shape(), op, ": ", name, " shape ", shape_str(other.shape()), " differs from parameter ",
               shape_str(p.shape()));
}

void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const SgdStep& s) {
  check_update("sgd_step_", p, g, "grad");
  if (s.momentum != 0) check_update("sgd_step_", p, buf, "momentum buffer");
  if (on_cuda(p)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::sgd_step_(p, g, buf, s);
#else
    no_cuda_kernel("sgd_step_");
#endif
  }
  cpu::sgd_step_(p, g, buf, s);
}

void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamStep& s) {
  check_update("adam_step_", p, g, "grad");
  check_update("adam_step_", p, m, "exp_avg");
  check_update("adam_step_", p, v, "exp_avg_sq");
  ENGINE_CHECK(s.step >= 1, "adam_step_: step must be >= 1, got ", s.step);
  if (on_cuda(p)) {
#ifdef ENGINE_HAS_CUDA
    return cuda::adam_step_(p, g, m, v, s);
#else
    no_cuda_kernel("adam_step_");
#endif
  }
  cpu::adam_step_(p, g, m, v, s);
}

}  // namespace eg::kernels
