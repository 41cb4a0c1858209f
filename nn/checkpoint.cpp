// checkpoint.cpp — weights and training checkpoints over safetensors (see checkpoint.h).
#include "nn/checkpoint.h"

#include <cstring>

#include "core/safetensors.h"

namespace eg::nn {

void save_weights(const std::string& path, const Module& m, const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, m.state_dict(), metadata);
}

std::string load_weights(const std::string& path, Module& m, bool strict) {
  SafetensorsFile f = load_safetensors(path);
  try {
    return m.load_state_dict(f.tensors, strict);
  } catch (const Error& e) {
    throw Error(std::string("weights '") + path + "': " + e.what());
  }
}

bool is_training_state(const std::string& name) { return name.rfind("optim.", 0) == 0 || name.rfind("rng.", 0) == 0; }

Tensor generator_state_tensor(const Generator& g) {
  auto s = g.state();
  int64_t cached;
  std::memcpy(&cached, &s.cached, sizeof(cached));
  return from_vector(std::vector<int64_t>{(int64_t)s.state, (int64_t)s.inc, cached, s.has_cached ? 1 : 0}, {4});
}

void set_generator_state(Generator& g, const Tensor& t, const std::string& what) {
  ENGINE_CHECK(t.dtype() == DType::I64 && t.numel() == 4, what, ": generator state must be 4 i64 values, got ",
               dtype_name(t.dtype()), " ", shape_str(t.shape()));
  auto v = t.to_vector<int64_t>();
  Generator::State s;
  s.state = (uint64_t)v[0];
  s.inc = (uint64_t)v[1];
  std::memcpy(&s.cached, &v[2], sizeof(double));
  s.has_cached = v[3] != 0;
  g.set_state(s);
}

void save_checkpoint(const std::string& path, const Module& m, const Optimizer& opt, const TrainingCheckpoint& ck) {
  NamedTensors all = m.state_dict();
  for (auto& [n, t] : opt.state()) all.emplace_back("optim." + n, t);
  for (auto& [n, g] : ck.generators) all.emplace_back("rng." + n, generator_state_tensor(*g));
  save_safetensors(path, all, ck.metadata);
}

std::map<std::string, std::string> load_checkpoint(const std::string& path, Module& m, Optimizer& opt,
                                                   const std::map<std::string, Generator*>& generators) {
  SafetensorsFile f = load_safetensors(path);
  NamedTensors model, optim;
  std::map<std::string, Tensor> rng;
  for (auto& [n, t] : f.tensors) {
    if (n.rfind("optim.", 0) == 0) optim.emplace_back(n.substr(6), t);
    else if (n.rfind("rng.", 0) == 0) rng[n.substr(4)] = t;
    else if (!is_training_state(n)) model.emplace_back(n, t);
  }
  try {
    m.load_state_dict(model, true);
    opt.load_state(optim);
    for (auto& [name, g] : generators) {
      auto it = rng.find(name);
      ENGINE_CHECK(it != rng.end(), "no generator state 'rng.", name, "'");
      set_generator_state(*g, it->second, "rng." + name);
    }
  } catch (const Error& e) {
    throw Error(std::string("checkpoint '") + path + "': " + e.what());
  }
  return f.metadata;
}

}  // namespace eg::nn
