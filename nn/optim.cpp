// optim.cpp — SGD and Adam(W) over parameter groups (see optim.h).
#include "nn/optim.h"

#include <map>

#include "core/kernels.h"

namespace eg::nn {

Optimizer::Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {
  for (auto& g : groups_) {
    ENGINE_CHECK(g.lr >= 0 && g.weight_decay >= 0, "Optimizer: lr and weight_decay must be >= 0, got lr=", g.lr,
                 " wd=", g.weight_decay);
    if (g.base_lr < 0) g.base_lr = g.lr;
    for (auto& p : g.params)
      ENGINE_CHECK(p.defined() && p.requires_grad(), "Optimizer: every parameter must be defined and require grad");
  }
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad();
}

void Optimizer::set_lr_factor(double factor) {
  for (auto& g : groups_) g.lr = g.base_lr * factor;
}

static std::vector<ParamGroup> one_group(const std::vector<Tensor>& params, double lr, double wd) {
  ParamGroup g;
  g.params = params;
  g.lr = lr;
  g.weight_decay = wd;
  return {g};
}

static size_t count_params(const std::vector<ParamGroup>& gs) {
  size_t n = 0;
  for (auto& g : gs) n += g.params.size();
  return n;
}

// Reads "state.<i>.<name>" entries into a map keyed by (i, name), checking indices and shapes.
static std::map<std::pair<size_t, std::string>, Tensor> parse_state(const NamedTensors& state, size_t n,
                                                                    const char* who) {
  std::map<std::pair<size_t, std::string>, Tensor> out;
  for (auto& [key, t] : state) {
    auto dot1 = key.find('.'), dot2 = key.find('.', dot1 + 1);
    ENGINE_CHECK(key.rfind("state.", 0) == 0 && dot2 != std::string::npos, who, ": bad optimizer state key '", key, "'");
    size_t i = std::stoul(key.substr(dot1 + 1, dot2 - dot1 - 1));
    ENGINE_CHECK(i < n, who, ": state for parameter ", i, " but the optimizer has ", n);
    out[{i, key.substr(dot2 + 1)}] = t;
  }
  return out;
}

SGD::SGD(std::vector<ParamGroup> groups, SgdOptions o) : Optimizer(std::move(groups)), opt(o) {
  ENGINE_CHECK(o.momentum >= 0, "SGD: momentum must be >= 0, got ", o.momentum);
  ENGINE_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "SGD: nesterov needs momentum > 0 and dampening 0");
  buffers_.resize(count_params(groups_));
}
SGD::SGD(const std::vector<Tensor>& params, SgdOptions o) : SGD(one_group(params, o.lr, o.weight_decay), o) {}

void SGD::step() {
  NoGradGuard ng;
  size_t k = 0;
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      Tensor& buf = buffers_[k++];
      if (!p.grad().defined()) continue;
      kernels::SgdStep s{g.lr, opt.momentum, opt.dampening, g.weight_decay, opt.nesterov, !buf.defined()};
      if (opt.momentum != 0 && !buf.defined()) buf = Tensor::empty(p.shape(), p.options());
      Tensor pp = p;
      kernels::sgd_step_(pp, p.grad(), buf, s);
    }
  }
}

NamedTensors SGD::state() const {
  NamedTensors out;
  for (size_t i = 0; i < buffers_.size(); ++i)
    if (buffers_[i].defined()) out.emplace_back("state." + std::to_string(i) + ".momentum_buffer", buffers_[i]);
  return out;
}

void SGD::load_state(const NamedTensors& state) {
  auto parsed = parse_state(state, buffers_.size(), "SGD::load_state");
  std::vector<Tensor> flat;
  for (auto& g : groups_)
    for (auto& p : g.params) flat.push_back(p);
  for (size_t i = 0; i < buffers_.size(); ++i) {
    auto it = parsed.find({i, "momentum_buffer"});
    if (it == parsed.end()) {
      buffers_[i] = Tensor();
      continue;
    }
    ENGINE_CHECK(it->second.shape() == flat[i].shape(), "SGD::load_state: momentum buffer ", i, " has shape ",
                 shape_str(it->second.shape()), ", parameter has ", shape_str(flat[i].shape()));
    buffers_[i] = it->second.to(flat[i].dtype()).to(flat[i].device()).clone();
  }
}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions o) : Optimizer(std::move(groups)), opt(o) {
  ENGINE_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.eps > 0, "Adam: bad betas/eps");
  size_t n = count_params(groups_);
  m_.resize(n);
  v_.resize(n);
  steps_.assign(n, 0);
}
Adam::Adam(const std::vector<Tensor>& params, AdamOptions o) : Adam(one_group(params, o.lr, o.weight_decay), o) {}

void Adam::step() {
  NoGradGuard ng;
  size_t k = 0;
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      size_t i = k++;
      if (!p.grad().defined()) continue;
      if (!m_[i].defined()) {
        m_[i] = zeros(p.shape(), p.options());
        v_[i] = zeros(p.shape(), p.options());
      }
      kernels::AdamStep s{g.lr, opt.beta1, opt.beta2, opt.eps, g.weight_decay, opt.decoupled, ++steps_[i]};
      Tensor pp = p;
      kernels::adam_step_(pp, p.grad(), m_[i], v_[i], s);
    }
  }
}

NamedTensors Adam::state() const {
  NamedTensors out;
  for (size_t i = 0; i < m_.size(); ++i) {
    if (!m_[i].defined()) continue;
    std::string pre = "state." + std::to_string(i) + ".";
    out.emplace_back(pre + "step", full({}, (double)steps_[i], {DType::I64}));
    out.emplace_back(pre + "exp_avg", m_[i]);
    out.emplace_back(pre + "exp_avg_sq", v_[i]);
  }
  return out;
}

void Adam::load_state(const NamedTensors& state) {
  auto parsed = parse_state(state, m_.size(), "Adam::load_state");
  std::vector<Tensor> flat;
  for (auto& g : groups_)
    for (auto& p : g.params) flat.push_back(p);
  for (size_t i = 0; i < m_.size(); ++i) {
    auto s = parsed.find({i, "step"}), m = parsed.find({i, "exp_avg"}), v = parsed.find({i, "exp_avg_sq"});
    if (s == parsed.end()) {
      m_[i] = v_[i] = Tensor();
      steps_[i] = 0;
      continue;
    }
    ENGINE_CHECK(m != parsed.end() && v != parsed.end(), "Adam::load_state: parameter ", i, " lacks exp_avg/exp_avg_sq");
    ENGINE_CHECK(m->second.shape() == flat[i].shape() && v->second.shape() == flat[i].shape(),
                 "Adam::load_state: moment shapes differ from parameter ", i, " ", shape_str(flat[i].shape()));
    steps_[i] = (int64_t)s->second.item();
    m_[i] = m->second.to(flat[i].dtype()).to(flat[i].device()).clone();
    v_[i] = v->second.to(flat[i].dtype()).to(flat[i].device()).clone();
  }
}

std::vector<ParamGroup> split_weight_decay(const Module& m, double lr, double weight_decay,
                                           const std::function<bool(const std::string&, const Tensor&)>& no_decay) {
  ParamGroup decay, plain;
  decay.lr = plain.lr = lr;
  decay.weight_decay = weight_decay;
  plain.weight_decay = 0;
  for (auto& [name, t] : m.named_parameters()) (no_decay(name, t) ? plain : decay).params.push_back(t);
  std::vector<ParamGroup> out;
  if (!decay.params.empty()) out.push_back(decay);
  if (!plain.params.empty()) out.push_back(plain);
  return out;
}

}  // namespace eg::nn
