// model.h — the compared methods (sla.md §2.3) and the network they train: a backbone whose fc is the
// main head, plus an auxiliary head on the same features where the method has one.
//   baseline, da:  fc F→N
//   mt:            fc F→N (class), aux F→M (which transformation was applied)
//   sla:           fc F→N·M (the joint head; column k·M + j = (class k, transformation j))
//   sla_sd:        fc F→N·M (joint), aux F→N (the self-distillation head u)
// Names: backbone.* (the backbone's own names, its fc included), aux.{weight,bias}.
// Shape letters: B images, F feature dims, N classes, M transformations.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/nn.h"

namespace eg::sla {

enum class Method { Baseline, DA, MT, SLA, SLA_SD };

// The run names of the issue: baseline, da, mt, sla, sla_sd (exact strings, not substrings).
const std::vector<std::string>& method_names();
Method parse_method(const std::string& name);
std::string method_name(Method m);
// Whether training expands each batch with the M transformations (all but the baseline).
bool uses_transformations(Method m);
// Whether the method's classifier is the joint N·M head (sla, sla_sd): then aggregated inference exists.
bool has_joint_head(Method m);

class SlaNet : public nn::Module {
 public:
  // backbone.num_classes is ignored: the heads are sized from the method, N and M.
  SlaNet(nn::ModelSpec backbone, Method method, int64_t num_classes, int64_t num_transformations, Generator& g);
  Tensor forward(const Tensor& x) override;  // the main head: [B, N] or, for the joint head, [B, N·M]
  Tensor features(const Tensor& x) { return backbone->features(x); }  // [B, F]

  std::shared_ptr<nn::Backbone> backbone;
  std::shared_ptr<nn::Linear> aux;  // null for baseline, da, sla
  Method method;
  int64_t N, M;
  nn::ModelSpec spec;  // the backbone as built (num_classes = the main head's width)
};

}  // namespace eg::sla
