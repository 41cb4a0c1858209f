// optim.h — optimizers with PyTorch's exact update rules (SGD with momentum/dampening/nesterov/weight
// decay, Adam, AdamW) over parameter groups (per-group lr and weight decay, e.g. no decay on a bias).
// The per-element updates are core kernels (kernels::sgd_step_, adam_step_). State (momentum buffers,
// Adam moments, step counts) is saved and restored by name: "state.<i>.<buffer>" with i the flat
// parameter index across groups, as PyTorch's optimizer state_dict numbers them.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "nn/module.h"

namespace eg::nn {

struct ParamGroup {
  std::vector<Tensor> params;
  double lr = 0.1;
  double weight_decay = 0;
  double base_lr = -1;  // set from lr at construction; LR schedules scale it (lr = base_lr · factor)
};

class Optimizer {
 public:
  explicit Optimizer(std::vector<ParamGroup> groups);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();
  // Sets every group's lr to base_lr · factor.
  void set_lr_factor(double factor);
  std::vector<ParamGroup>& groups() { return groups_; }
  virtual NamedTensors state() const = 0;
  virtual void load_state(const NamedTensors& state) = 0;

 protected:
  std::vector<ParamGroup> groups_;
};

struct SgdOptions {
  double lr = 0.1, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, SgdOptions opt);
  SGD(const std::vector<Tensor>& params, SgdOptions opt);
  void step() override;
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;
  SgdOptions opt;

 private:
  std::vector<Tensor> buffers_;  // one per parameter (flat), undefined until the first step
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // true = AdamW
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, AdamOptions opt);
  Adam(const std::vector<Tensor>& params, AdamOptions opt);
  void step() override;
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;
  AdamOptions opt;

 private:
  std::vector<Tensor> m_, v_;
  std::vector<int64_t> steps_;
};

// AdamW(params, {lr, ..., weight_decay}) = Adam with decoupled decay.
inline AdamOptions adamw(AdamOptions o) {
  o.decoupled = true;
  return o;
}

// Splits a module's parameters into {decayed, not decayed} groups; `no_decay(name, tensor)` picks the
// second (e.g. biases and BN parameters).
std::vector<ParamGroup> split_weight_decay(const Module& m, double lr, double weight_decay,
                                           const std::function<bool(const std::string&, const Tensor&)>& no_decay);

}  // namespace eg::nn
