// module.cpp — Module registry, recursion and state_dict loading (see module.h).
#include "nn/module.h"

#include <set>
#include <sstream>

#include "core/kernels.h"

namespace eg::nn {

Tensor Module::forward(const Tensor&) { ENGINE_FAIL("Module::forward: this module has no single-input forward"); }

static void check_name(const std::string& name, const char* what) {
  ENGINE_CHECK(!name.empty() && name.find('.') == std::string::npos, "Module::", what, ": bad name '", name,
               "' (must be non-empty without '.')");
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  check_name(name, "register_parameter");
  for (auto& [n, _] : params_) ENGINE_CHECK(n != name, "Module::register_parameter: '", name, "' registered twice");
  if (t.defined() && !t.requires_grad()) t.requires_grad_(true);
  params_.emplace_back(name, t);
  order_.push_back("p:" + name);
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_name(name, "register_buffer");
  for (auto& [n, _] : buffers_) ENGINE_CHECK(n != name, "Module::register_buffer: '", name, "' registered twice");
  buffers_.emplace_back(name, t);
  order_.push_back("b:" + name);
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_name(name, "register_module");
  ENGINE_CHECK(m, "Module::register_module: '", name, "' is null");
  for (auto& [n, _] : children_) ENGINE_CHECK(n != name, "Module::register_module: '", name, "' registered twice");
  children_.emplace_back(name, std::move(m));
  order_.push_back("m:" + name);
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> m) {
  ENGINE_CHECK(m, "Module::replace_module: '", name, "' is null");
  for (auto& [n, child] : children_)
    if (n == name) {
      child = std::move(m);
      return;
    }
  ENGINE_FAIL("Module::replace_module: no child module '", name, "'");
}

// PyTorch's state_dict order: a module's own parameters, then its own buffers, then each child.
void Module::collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const {
  if (params)
    for (auto& [n, t] : params_)
      if (t.defined()) out.emplace_back(prefix + n, t);
  if (buffers)
    for (auto& [n, t] : buffers_)
      if (t.defined()) out.emplace_back(prefix + n, t);
  for (auto& [n, m] : children_) m->collect(prefix + n + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}
NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}
std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters()) out.push_back(t);
  return out;
}
NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

std::string Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  NamedTensors own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> own_names;
  for (auto& [name, t] : own) {
    own_names.insert(name);
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& src = it->second;
    bool dtype_ok = src.dtype() == t.dtype() || (is_floating(src.dtype()) && is_floating(t.dtype()));
    if (src.shape() != t.shape() || !dtype_ok)
      mismatched.push_back(name + " (expected " + shape_str(t.shape()) + " " + dtype_name(t.dtype()) + ", got " +
                           shape_str(src.shape()) + " " + dtype_name(src.dtype()) + ")");
  }
  for (auto& [name, _] : state)
    if (!own_names.count(name)) unexpected.push_back(name);
  // At most 8 names per list: a file of another architecture would otherwise print hundreds.
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 8; ++i) s += (s.empty() ? "" : ", ") + v[i];
    if (v.size() > 8) s += ", ... (" + std::to_string(v.size()) + " in all)";
    return s;
  };
  std::ostringstream rep;
  if (!missing.empty()) rep << "missing keys: " << join(missing) << "; ";
  if (!unexpected.empty()) rep << "unexpected keys: " << join(unexpected) << "; ";
  if (!mismatched.empty()) rep << "mis-shaped keys: " << join(mismatched) << "; ";
  bool fail = !mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()));
  ENGINE_CHECK(!fail, "load_state_dict: ", rep.str());
  // Copy into the existing storage so every handle to a parameter sees the loaded values.
  for (auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    Tensor src = it->second.to(t.dtype()).to(t.device());
    Tensor dst = t;
    kernels::copy_(dst, src);
  }
  return rep.str();
}

std::string Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::map<std::string, Tensor> m;
  for (auto& [n, t] : state) {
    ENGINE_CHECK(!m.count(n), "load_state_dict: key '", n, "' appears twice");
    m[n] = t;
  }
  return load_state_dict(m, strict);
}

void Module::train(bool on) {
  training_ = on;
  on_train_mode(on);
  for (auto& [_, m] : children_) m->train(on);
}

void Module::zero_grad() {
  for (auto& t : parameters()) t.zero_grad();
}

void Module::to(Device d) {
  for (auto& [_, t] : state_dict())
    if (t.device() != d) t.set_data_(t.to(d));
}

void Module::to(DType dt) {
  ENGINE_CHECK(is_floating(dt), "Module::to: target dtype must be floating, got ", dtype_name(dt));
  for (auto& [_, t] : state_dict())
    if (is_floating(t.dtype()) && t.dtype() != dt) {
      t.zero_grad();
      t.set_data_(t.to(dt));
    }
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& t : parameters()) n += t.numel();
  return n;
}

}  // namespace eg::nn
