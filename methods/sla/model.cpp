// model.cpp — SLA's methods and network (see model.h).
#include "methods/sla/model.h"

namespace eg::sla {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> n = {"baseline", "da", "mt", "sla", "sla_sd"};
  return n;
}

Method parse_method(const std::string& name) {
  const auto& n = method_names();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == name) return (Method)i;
  ENGINE_FAIL("unknown SLA method '", name, "' (known: baseline, da, mt, sla, sla_sd)");
}

std::string method_name(Method m) { return method_names()[(size_t)m]; }

bool uses_transformations(Method m) { return m != Method::Baseline; }

bool has_joint_head(Method m) { return m == Method::SLA || m == Method::SLA_SD; }

SlaNet::SlaNet(nn::ModelSpec backbone_spec, Method m, int64_t num_classes, int64_t num_transformations, Generator& g)
    : method(m), N(num_classes), M(num_transformations), spec(std::move(backbone_spec)) {
  ENGINE_CHECK(N >= 2, "SlaNet: needs at least 2 classes, got ", N);
  ENGINE_CHECK(M >= 1, "SlaNet: needs at least 1 transformation, got ", M);
  spec.num_classes = has_joint_head(m) ? N * M : N;
  backbone = register_module("backbone", nn::make_model(spec, g));
  const int64_t F = backbone->feature_dim();
  if (m == Method::MT) aux = register_module("aux", std::make_shared<nn::Linear>(F, M, true, g));
  if (m == Method::SLA_SD) aux = register_module("aux", std::make_shared<nn::Linear>(F, N, true, g));
}

Tensor SlaNet::forward(const Tensor& x) { return backbone->forward(x); }

}  // namespace eg::sla
