// layers.h — the standard layers, named and initialized as PyTorch's: Linear, CosineLinear, Conv2d, BatchNorm2d
// (also used for [N, C] inputs), ReLU, LeakyReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten,
// Dropout, Identity, and Sequential (children named "0", "1", ...).
// Shapes: N batch, C/I/O channels or features, H/W spatial.
#pragma once
#include <initializer_list>

#include "nn/module.h"

namespace eg::nn {

class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias, Generator& g);
  Tensor forward(const Tensor& x) override;  // [N, I] -> [N, O]
  void reset_parameters(Generator& g);
  Tensor weight, bias;  // [O, I], [O] (undefined without bias)
};

// The cosine classifier of LDAM-DRW and M2m's resnet32_norm (their NormedLinear): y = x̂ Ŵᵀ with every row
// of x and of W scaled to unit L2 norm, so logits are cosines in [−1, 1] (LDAM scales them by s). No bias.
// Initialised as NormedLinear: uniform(−1, 1), then each class vector rescaled to norm 1. NormedLinear
// stores W as [I, O]; here it is [O, I] like Linear's, so a Backbone's fc can be either.
class CosineLinear : public Linear {
 public:
  CosineLinear(int64_t in, int64_t out, Generator& g);
  Tensor forward(const Tensor& x) override;  // [N, I] -> [N, O]
};

struct Conv2dSpec {
  int64_t in, out, kernel, stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(const Conv2dSpec& spec, Generator& g);
  Tensor forward(const Tensor& x) override;  // [N, I, H, W] -> [N, O, OH, OW]
  void reset_parameters(Generator& g);
  Conv2dSpec spec;
  Tensor weight, bias;  // [O, I/groups, K, K], [O]
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1, bool affine = true);
  Tensor forward(const Tensor& x) override;  // [N, C, H, W] or [N, C]
  double eps, momentum;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;  // [C] ×4, i64 []
  // Set by a data-parallel run with --sync-bn (methods/train/distributed.h): training then normalizes with
  // the whole batch's statistics, summed over the replicas by this (sync_batch_norm). Unset: this batch's.
  ReplicaSum cross_replica_sum;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope); }
  double slope;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(int64_t kernel, int64_t stride, int64_t padding = 0) : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel, stride, padding); }
  int64_t kernel, stride, padding;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(int64_t kernel, int64_t stride, int64_t padding = 0) : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel, stride, padding); }
  int64_t kernel, stride, padding;
};

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(int64_t oh, int64_t ow) : oh(oh), ow(ow) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, oh, ow); }
  int64_t oh, ow;
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x, 1); }
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

class Dropout : public Module {
 public:
  Dropout(double p, uint64_t seed);
  Tensor forward(const Tensor& x) override { return dropout(x, p, is_training(), gen); }
  double p;
  Generator gen;
};

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::initializer_list<ModulePtr> mods);
  void push_back(ModulePtr m);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const { return *children()[i].second; }
};

}  // namespace eg::nn
