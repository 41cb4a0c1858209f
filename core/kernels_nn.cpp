// kernels_nn.cpp — the single dispatch point of every neural-network kernel (see kernels_nn.h): argument
// checks that name the op and the shapes (and that every tensor is on the input's device), then the CPU
// or the CUDA implementation (core/cuda/nn.cu, reduce.cu).
#include "core/kernels_nn.h"

#include "core/cpu/cpu_nn_kernels.h"
#include "core/generator.h"
#ifdef ENGINE_HAS_CUDA
#include "core/cuda/cuda_kernels.h"
#endif

namespace eg::kernels {

namespace {

bool on_cuda(const Tensor& t) { return t.defined() && t.device() == Device::CUDA; }

// On a CUDA tensor: the CUDA kernel's result (CALL, a call into eg::cuda), or the no-CUDA-build error.
#ifdef ENGINE_HAS_CUDA
#define EG_ON_CUDA(t, op, CALL) \
  if (on_cuda(t)) return CALL
#else
#define EG_ON_CUDA(t, op, CALL) \
  if (on_cuda(t)) ENGINE_FAIL(op, ": tensor is on cuda but this eigengrad was built without CUDA")
#endif

// Every other tensor of an op must live where its input does (an undefined optional one is fine).
void check_device_of(const char* op, const Tensor& t, const char* arg, const Tensor& ref) {
  ENGINE_CHECK(!t.defined() || t.device() == ref.device(), op, ": ", arg, " is on ", device_name(t.device()),
               ", the input on ", device_name(ref.device()));
}

void check_float_input(const char* op, const Tensor& x, const char* arg) {
  check_defined(op, x, arg);
  ENGINE_CHECK(is_floating(x.dtype()), op, ": ", arg, " must be f32 or f64, got ", dtype_name(x.dtype()), " ",
               shape_str(x.shape()));
}

// An optional per-channel tensor (conv bias, BN weight/bias/running stats): undefined, or [C] of the
// dtype of `ref` (the input, or the conv weight), which the message names.
void check_per_channel(const char* op, const Tensor& t, const char* arg, const Tensor& ref, const char* ref_name,
                       int64_t C) {
  if (!t.defined()) return;
  check_same_dtype(op, ref, t);
  check_device_of(op, t, arg, ref);
  ENGINE_CHECK(t.shape() == Shape{C}, op, ": ", arg, " must have shape [", C, "], got ", shape_str(t.shape()), " (",
               ref_name, " ", shape_str(ref.shape()), ")");
}

void check_nchw(const char* op, const Tensor& x) {
  check_float_input(op, x, "input");
  ENGINE_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W], got ", shape_str(x.shape()));
}

int64_t pooled_size(const char* op, int64_t in, int64_t k, int64_t s, int64_t pad, const Shape& xs) {
  ENGINE_CHECK(k >= 1 && s >= 1 && pad >= 0, op, ": kernel ", k, ", stride ", s, " and padding ", pad,
               " must be >= 1, >= 1 and >= 0");
  ENGINE_CHECK(2 * pad <= k, op, ": padding ", pad, " must be at most half the kernel size ", k);
  const int64_t out = (in + 2 * pad - k) / s + 1;
  ENGINE_CHECK(in + 2 * pad >= k && out >= 1, op, ": kernel ", k, " (padding ", pad, ") does not fit input ",
               shape_str(xs));
  return out;
}

Shape pool_output_shape(const char* op, const Shape& s, const Pool2dParams& p) {
  ENGINE_CHECK(s.size() == 4, op, ": expected input [N, C, H, W], got ", shape_str(s));
  return {s[0], s[1], pooled_size(op, s[2], p.kernel_h, p.stride_h, p.pad_h, s),
          pooled_size(op, s[3], p.kernel_w, p.stride_w, p.pad_w, s)};
}

void check_grad_shape(const char* op, const Tensor& dy, const Shape& expect, const Tensor& x_like) {
  check_float_input(op, dy, "grad");
  ENGINE_CHECK(dy.shape() == expect, op, ": gradient shape ", shape_str(dy.shape()), ", expected ", shape_str(expect));
  ENGINE_CHECK(dy.dtype() == x_like.dtype(), op, ": gradient is ", dtype_name(dy.dtype()), ", input is ",
               dtype_name(x_like.dtype()));
  check_device_of(op, dy, "gradient", x_like);
}

}  // namespace

// ---- conv2d ----

Shape conv2d_output_shape(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  check_float_input("conv2d", x, "input");
  check_float_input("conv2d", w, "weight");
  check_same_dtype("conv2d", x, w);
  check_device_of("conv2d", w, "weight", x);
  const Shape &xs = x.shape(), &ws = w.shape();
  ENGINE_CHECK(x.dim() == 4 && w.dim() == 4,
               "conv2d: expected input [N, C, H, W] and weight [O, C/groups, KH, KW], got ", shape_str(xs), " and ",
               shape_str(ws));
  ENGINE_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1 && p.pad_h >= 0 &&
                   p.pad_w >= 0 && p.groups >= 1,
               "conv2d: stride (", p.stride_h, ", ", p.stride_w, ") and dilation (", p.dilation_h, ", ", p.dilation_w,
               ") must be >= 1, padding (", p.pad_h, ", ", p.pad_w, ") >= 0, groups ", p.groups, " >= 1");
  const int64_t C = xs[1], O = ws[0];
  ENGINE_CHECK(C >= 1 && C % p.groups == 0, "conv2d: input channels ", C, " of ", shape_str(xs),
               " not divisible by groups ", p.groups);
  ENGINE_CHECK(O >= 1 && O % p.groups == 0, "conv2d: output channels ", O, " of weight ", shape_str(ws),
               " not divisible by groups ", p.groups);
  ENGINE_CHECK(ws[1] == C / p.groups, "conv2d: weight ", shape_str(ws), " expects ", ws[1] * p.groups,
               " input channels (groups ", p.groups, "), input ", shape_str(xs), " has ", C);
  ENGINE_CHECK(ws[2] >= 1 && ws[3] >= 1, "conv2d: empty kernel in weight ", shape_str(ws));
  const int64_t ekh = p.dilation_h * (ws[2] - 1) + 1, ekw = p.dilation_w * (ws[3] - 1) + 1;
  ENGINE_CHECK(xs[2] + 2 * p.pad_h >= ekh && xs[3] + 2 * p.pad_w >= ekw, "conv2d: kernel ", ekh, "x", ekw,
               " (dilated) is larger than the padded input ", xs[2] + 2 * p.pad_h, "x", xs[3] + 2 * p.pad_w,
               "; input ", shape_str(xs), ", weight ", shape_str(ws));
  check_per_channel("conv2d", b, "bias", w, "weight", O);
  return {xs[0], O, (xs[2] + 2 * p.pad_h - ekh) / p.stride_h + 1, (xs[3] + 2 * p.pad_w - ekw) / p.stride_w + 1};
}

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  Shape out = conv2d_output_shape(x, w, b, p);
  EG_ON_CUDA(x, "conv2d", cuda::conv2d_forward(x, w, b, p, out));
  return cpu::conv2d_forward(x, w, b, p, out);
}

Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dParams& p, bool need_dx,
                            bool need_dw, bool need_db) {
  Shape out = conv2d_output_shape(x, w, Tensor(), p);
  check_grad_shape("conv2d backward", dy, out, x);
  EG_ON_CUDA(x, "conv2d backward", cuda::conv2d_backward(dy, x, w, p, need_dx, need_dw, need_db));
  return cpu::conv2d_backward(dy, x, w, p, need_dx, need_dw, need_db);
}

// ---- pooling ----

MaxPool2dResult max_pool2d_forward(const Tensor& x, const Pool2dParams& p) {
  check_nchw("max_pool2d", x);
  Shape out = pool_output_shape("max_pool2d", x.shape(), p);
  EG_ON_CUDA(x, "max_pool2d", cuda::max_pool2d_forward(x, p, out));
  return cpu::max_pool2d_forward(x, p, out);
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape) {
  check_float_input("max_pool2d backward", dy, "grad");
  ENGINE_CHECK(x_shape.size() == 4 && dy.dim() == 4 && dy.shape()[0] == x_shape[0] && dy.shape()[1] == x_shape[1],
               "max_pool2d backward: gradient ", shape_str(dy.shape()), " does not match input ", shape_str(x_shape));
  ENGINE_CHECK(indices.defined() && indices.dtype() == DType::I64 && indices.shape() == dy.shape(),
               "max_pool2d backward: indices must be i64 of the gradient's shape ", shape_str(dy.shape()));
  check_device_of("max_pool2d backward", indices, "indices", dy);
  // Indices come from max_pool2d_forward; still, never scatter out of bounds. On CUDA that costs a copy
  // to the host, as every index check (core/kernels.cpp check_index) does.
  const int64_t plane = x_shape[2] * x_shape[3];
  const Tensor host_idx = indices.to(Device::CPU);
  const int64_t* ip = host_idx.data<int64_t>();
  const int64_t n = host_idx.numel();
  // One vectorizable pass (unsigned compare: negatives wrap above plane); the offender is looked up
  // only when there is one.
  bool inside = true;
  for (int64_t i = 0; i < n; ++i) inside &= (uint64_t)ip[i] < (uint64_t)plane;
  if (!inside)
    for (int64_t i = 0; i < n; ++i)
      ENGINE_CHECK(ip[i] >= 0 && ip[i] < plane, "max_pool2d backward: index ", ip[i], " at ", i,
                   " outside the input plane of ", plane);
  EG_ON_CUDA(dy, "max_pool2d backward", cuda::max_pool2d_backward(dy, indices, x_shape));
  return cpu::max_pool2d_backward(dy, indices, x_shape);
}

Tensor avg_pool2d_forward(const Tensor& x, const Pool2dParams& p) {
  check_nchw("avg_pool2d", x);
  Shape out = pool_output_shape("avg_pool2d", x.shape(), p);
  EG_ON_CUDA(x, "avg_pool2d", cuda::avg_pool2d_forward(x, p, out));
  return cpu::avg_pool2d_forward(x, p, out);
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const Pool2dParams& p) {
  check_grad_shape("avg_pool2d backward", dy, pool_output_shape("avg_pool2d backward", x_shape, p), dy);
  EG_ON_CUDA(dy, "avg_pool2d backward", cuda::avg_pool2d_backward(dy, x_shape, p));
  return cpu::avg_pool2d_backward(dy, x_shape, p);
}

Tensor adaptive_avg_pool2d_forward(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_nchw("adaptive_avg_pool2d", x);
  ENGINE_CHECK(out_h >= 1 && out_w >= 1, "adaptive_avg_pool2d: output size ", out_h, "x", out_w, " must be >= 1");
  ENGINE_CHECK(x.shape()[2] >= 1 && x.shape()[3] >= 1, "adaptive_avg_pool2d: empty input plane ",
               shape_str(x.shape()));
  const Shape out{x.shape()[0], x.shape()[1], out_h, out_w};
  EG_ON_CUDA(x, "adaptive_avg_pool2d", cuda::adaptive_avg_pool2d_forward(x, out));
  return cpu::adaptive_avg_pool2d_forward(x, out);
}

Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape) {
  check_float_input("adaptive_avg_pool2d backward", dy, "grad");
  ENGINE_CHECK(x_shape.size() == 4 && dy.dim() == 4 && dy.shape()[0] == x_shape[0] && dy.shape()[1] == x_shape[1],
               "adaptive_avg_pool2d backward: gradient ", shape_str(dy.shape()), " does not match input ",
               shape_str(x_shape));
  EG_ON_CUDA(dy, "adaptive_avg_pool2d backward", cuda::adaptive_avg_pool2d_backward(dy, x_shape));
  return cpu::adaptive_avg_pool2d_backward(dy, x_shape);
}

// ---- batch norm ----

BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                                   Tensor running_var, bool use_batch_stats, double momentum, double eps) {
  const char* op = "batch_norm";
  check_float_input(op, x, "input");
  ENGINE_CHECK(x.dim() >= 2, op, ": expected input [N, C, ...], got ", shape_str(x.shape()));
  const int64_t C = x.shape()[1], M = x.numel() / std::max<int64_t>(C, 1);
  check_per_channel(op, weight, "weight", x, "input", C);
  check_per_channel(op, bias, "bias", x, "input", C);
  check_per_channel(op, running_mean, "running_mean", x, "input", C);
  check_per_channel(op, running_var, "running_var", x, "input", C);
  ENGINE_CHECK(running_mean.defined() == running_var.defined(), op,
               ": running_mean and running_var must be both given or both undefined");
  ENGINE_CHECK(use_batch_stats || running_mean.defined(), op, ": eval mode needs running statistics");
  ENGINE_CHECK(!use_batch_stats || M > 1, op,
               ": expected more than 1 value per channel when using batch statistics, got input ", shape_str(x.shape()));
  ENGINE_CHECK(eps > 0 && momentum >= 0 && momentum <= 1, op, ": eps ", eps, " must be > 0 and momentum ", momentum,
               " in [0, 1]");
  EG_ON_CUDA(x, "batch_norm", cuda::batch_norm_forward(x, weight, bias, running_mean, running_var, use_batch_stats,
                                                       momentum, eps));
  return cpu::batch_norm_forward(x, weight, bias, running_mean, running_var, use_batch_stats, momentum, eps);
}

BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                   const Tensor& invstd, bool use_batch_stats, bool need_dx, bool need_dweight,
                                   bool need_dbias) {
  const char* op = "batch_norm backward";
  check_float_input(op, x, "input");
  check_grad_shape(op, dy, x.shape(), x);
  const int64_t C = x.shape()[1];
  check_per_channel(op, weight, "weight", x, "input", C);
  check_per_channel(op, mean, "saved mean", x, "input", C);
  check_per_channel(op, invstd, "saved invstd", x, "input", C);
  ENGINE_CHECK(mean.defined() && invstd.defined(), op, ": saved mean and invstd are required");
  EG_ON_CUDA(x, "batch_norm backward", cuda::batch_norm_backward(dy, x, weight, mean, invstd, use_batch_stats, need_dx,
                                                                 need_dweight, need_dbias));
  return cpu::batch_norm_backward(dy, x, weight, mean, invstd, use_batch_stats, need_dx, need_dweight, need_dbias);
}

// ---- dropout ----

Tensor dropout_mask(const Shape& shape, double p, Generator& gen, TensorOptions opt) {
  ENGINE_CHECK(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got ", p);
  ENGINE_CHECK(is_floating(opt.dtype), "dropout: mask dtype must be f32 or f64, got ", dtype_name(opt.dtype));
  Tensor mask = Tensor::empty(shape, {opt.dtype, Device::CPU});
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  EG_DISPATCH_FLOAT(opt.dtype, "dropout", [&] {
    scalar_t* m = mask.data<scalar_t>();
    for (int64_t i = 0; i < mask.numel(); ++i) m[i] = gen.uniform() < p ? scalar_t(0) : (scalar_t)scale;
  });
  return opt.device == Device::CPU ? mask : mask.to(opt.device);
}

}  // namespace eg::kernels
