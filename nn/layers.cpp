// layers.cpp — layer constructors (PyTorch default initialization) and forwards (see layers.h).
#include "nn/layers.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "core/kernels.h"
#include "nn/init.h"

namespace eg::nn {

Linear::Linear(int64_t in, int64_t out, bool has_bias, Generator& g) {
  ENGINE_CHECK(in > 0 && out > 0, "Linear: sizes must be positive, got in=", in, " out=", out);
  weight = register_parameter("weight", zeros({out, in}));
  if (has_bias) bias = register_parameter("bias", zeros({out}));
  reset_parameters(g);
}

void Linear::reset_parameters(Generator& g) {
  init::kaiming_uniform_(weight, g);
  if (bias.defined()) {
    double b = 1.0 / std::sqrt((double)weight.size(1));
    init::uniform_(bias, -b, b, g);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

CosineLinear::CosineLinear(int64_t in, int64_t out, Generator& g) : Linear(in, out, /*bias=*/false, g) {
  init::uniform_(weight, -1, 1, g);
  NoGradGuard no_grad;
  kernels::copy_(weight, normalize(weight, 1));
}

Tensor CosineLinear::forward(const Tensor& x) {
  ENGINE_CHECK(x.dim() == 2, "CosineLinear: expected [N, I] features, got ", shape_str(x.shape()));
  return linear(normalize(x, 1), normalize(weight, 1));
}

Conv2d::Conv2d(const Conv2dSpec& s, Generator& g) : spec(s) {
  ENGINE_CHECK(s.in > 0 && s.out > 0 && s.kernel > 0 && s.stride > 0 && s.groups > 0 && s.in % s.groups == 0 &&
                   s.out % s.groups == 0,
               "Conv2d: bad spec in=", s.in, " out=", s.out, " kernel=", s.kernel, " stride=", s.stride, " groups=",
               s.groups);
  weight = register_parameter("weight", zeros({s.out, s.in / s.groups, s.kernel, s.kernel}));
  if (s.bias) bias = register_parameter("bias", zeros({s.out}));
  reset_parameters(g);
}

void Conv2d::reset_parameters(Generator& g) {
  init::kaiming_uniform_(weight, g);
  if (bias.defined()) {
    double b = 1.0 / std::sqrt((double)init::fan_in(weight));
    init::uniform_(bias, -b, b, g);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  Conv2dOptions o;
  o.stride_h = o.stride_w = spec.stride;
  o.pad_h = o.pad_w = spec.padding;
  o.dilation_h = o.dilation_w = spec.dilation;
  o.groups = spec.groups;
  return conv2d(x, weight, bias, o);
}

BatchNorm2d::BatchNorm2d(int64_t c, double eps, double momentum, bool affine) : eps(eps), momentum(momentum) {
  ENGINE_CHECK(c > 0, "BatchNorm2d: channels must be positive, got ", c);
  if (affine) {
    weight = register_parameter("weight", ones({c}));
    bias = register_parameter("bias", zeros({c}));
  }
  running_mean = register_buffer("running_mean", zeros({c}));
  running_var = register_buffer("running_var", ones({c}));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {DType::I64}));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training()) {
    // A host-side counter (as PyTorch's buffer); kept on the CPU copy when the module lives on a GPU.
    Tensor cpu = num_batches_tracked.to(Device::CPU);
    cpu.data<int64_t>()[0] += 1;
    if (!num_batches_tracked.is_cpu()) num_batches_tracked.set_data_(cpu.to(num_batches_tracked.device()));
    else if (!cpu.same(num_batches_tracked)) num_batches_tracked.set_data_(cpu);
  }
  if (is_training() && cross_replica_sum)
    return sync_batch_norm(x, weight, bias, running_mean, running_var, momentum, eps, cross_replica_sum);
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

Dropout::Dropout(double p, uint64_t seed) : p(p), gen(seed) {
  ENGINE_CHECK(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got ", p);
}

Sequential::Sequential(std::initializer_list<ModulePtr> mods) {
  for (auto& m : mods) push_back(m);
}

void Sequential::push_back(ModulePtr m) { register_module(std::to_string(size()), std::move(m)); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& [_, m] : children()) h = m->forward(h);
  return h;
}

}  // namespace eg::nn
