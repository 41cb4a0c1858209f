// module.h — nn::Module: named parameters, buffers and child modules whose dotted names are exactly
// PyTorch's state_dict keys (`layer1.0.conv1.weight`, `bn1.running_mean`), recursive train()/eval(),
// zero_grad(), to(device), and state_dict()/load_state_dict() that reject missing, unexpected or
// mis-shaped keys with a message listing them.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.h"
#include "core/generator.h"

namespace eg::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-input forward every layer and backbone implements (Sequential chains these).
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  NamedTensors named_parameters() const;         // recursive, dotted names, registration order
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  NamedTensors state_dict() const;               // parameters and buffers, as PyTorch orders them per module
  // strict: missing, unexpected and mis-shaped keys all throw, listing every offender. Non-strict: only
  // mis-shaped keys throw; the returned report lists missing and unexpected keys.
  std::string load_state_dict(const NamedTensors& state, bool strict = true);
  std::string load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  void to(Device d);
  void to(DType t);  // floating parameters and buffers only (integer counters stay i64)
  int64_t num_parameters() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 protected:
  // Registered tensors are shared handles: the member a layer keeps and the registry see one tensor.
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M> std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  // Swaps the child registered as `name` for m, keeping its place in the state_dict order (a backbone
  // trading its linear classifier for a cosine one). Throws when there is no such child.
  template <class M> std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> m) {
    replace_child(name, m);
    return m;
  }
  virtual void on_train_mode(bool) {}

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void replace_child(const std::string& name, std::shared_ptr<Module> m);
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  std::vector<std::pair<std::string, Tensor>> params_, buffers_;
  std::vector<std::string> order_;  // "p:name", "b:name" or "m:name" in registration order
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

using ModulePtr = std::shared_ptr<Module>;

}  // namespace eg::nn
