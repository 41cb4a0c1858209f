// engine.cpp — the backward engine: a reverse topological walk from the output's Node, accumulating
// (+=) gradients per Node and into leaf .grad fields, then freeing each Node's closure and inputs.
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "core/kernels.h"

namespace eg {

static thread_local bool g_grad_enabled = true;
bool GradMode::enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool on) { g_grad_enabled = on; }

namespace autograd {

bool needs_graph(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::enabled()) return false;
  for (auto* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!GradMode::enabled()) return false;
  for (auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(OpKind kind, Tensor out, const std::vector<Tensor>& inputs, BackwardFn fn) {
  if (!needs_graph(inputs)) return out;
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->inputs.resize(inputs.size());
  node->need.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    bool n = inputs[i].defined() && inputs[i].requires_grad();
    node->need[i] = n;
    if (n) node->inputs[i] = inputs[i];
  }
  node->backward = std::move(fn);
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
  return out;
}

namespace {
// Moves out of `inputs` the Nodes that would die with them (the input is held only here and its Node
// only by that input), so that the caller frees them one at a time.
void take_sole_nodes(std::vector<Tensor>& inputs, std::vector<std::shared_ptr<Node>>& out) {
  for (Tensor& in : inputs)
    if (in.defined() && in.use_count() == 1 && in.impl()->grad_fn && in.impl()->grad_fn.use_count() == 1)
      out.push_back(std::move(in.impl()->grad_fn));
}
}  // namespace

Node::~Node() {
  std::vector<std::shared_ptr<Node>> pending;
  take_sole_nodes(inputs, pending);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    take_sole_nodes(n->inputs, pending);
  }  // n dies here with nothing left below it to recurse into
}

namespace {

// Post-order DFS without recursion (ResNet-110 graphs are thousands of nodes deep). Returns owning
// pointers: freeing a Node's inputs during the walk must not destroy Nodes still to be visited.
std::vector<std::shared_ptr<Node>> topo_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.second < top.first->inputs.size()) {
      const Tensor& in = top.first->inputs[top.second++];
      if (in.defined() && in.grad_fn() && seen.insert(in.grad_fn().get()).second) stack.push_back({in.grad_fn(), 0});
    } else {
      order.push_back(std::move(top.first));
      stack.pop_back();
    }
  }
  return order;  // children before parents
}

void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) slot = g;
  else slot = kernels::binary(kernels::BinaryOp::Add, slot, g);
}

// Runs the graph below `root`. With `wanted` non-null, the gradients of the wanted tensors go into
// *wanted_grads and no .grad is touched (autograd::grad): a wanted leaf's from the edges into it, a
// wanted non-leaf's as the total gradient reaching its Node, taken before that Node runs.
void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph,
                  const std::vector<Tensor>* wanted, std::vector<Tensor>* wanted_grads) {
  ENGINE_CHECK(root.defined(), "backward: undefined tensor");
  ENGINE_CHECK(root.requires_grad(), "backward: tensor ", shape_str(root.shape()),
               " does not require grad (no input of its graph had requires_grad)");
  Tensor g0 = grad_output;
  if (!g0.defined()) {
    ENGINE_CHECK(root.numel() == 1, "backward: implicit gradient only for one-element outputs, got shape ",
                 shape_str(root.shape()), "; pass grad_output");
    g0 = ones(root.shape(), root.options());
  }
  ENGINE_CHECK(g0.shape() == root.shape(), "backward: grad_output shape ", shape_str(g0.shape()),
               " differs from output shape ", shape_str(root.shape()));
  NoGradGuard no_grad;
  auto leaf_slot = [&](const Tensor& leaf, const Tensor& g) {
    if (wanted) {
      for (size_t i = 0; i < wanted->size(); ++i)
        if ((*wanted)[i].same(leaf)) accumulate((*wanted_grads)[i], g);
      return;
    }
    Tensor cur = leaf.grad();
    if (!cur.defined()) leaf.set_grad(g.clone());  // clone: g may be shared with other branches
    else kernels::axpy_(cur, g, 1.0);
  };
  if (!root.grad_fn()) {  // a leaf: its gradient is grad_output itself
    leaf_slot(root, g0);
    return;
  }
  std::vector<std::shared_ptr<Node>> order = topo_order(root.grad_fn());
  // autograd::grad runs only the Nodes with a wanted tensor below them (as torch.autograd.grad): the
  // rest of the graph is neither computed nor freed. on_path: a wanted Node or one with a wanted below.
  std::unordered_set<Node*> on_path, wanted_below;
  if (wanted)
    for (auto& n : order) {  // children first, so each input's answer is known
      bool below = false, is_wanted = false;
      for (auto& w : *wanted) is_wanted = is_wanted || (w.defined() && w.grad_fn().get() == n.get());
      for (auto& in : n->inputs) {
        if (!in.defined()) continue;
        if (in.grad_fn()) below = below || on_path.count(in.grad_fn().get());
        else
          for (auto& w : *wanted) below = below || w.same(in);
      }
      if (below) wanted_below.insert(n.get());
      if (below || is_wanted) on_path.insert(n.get());
    }
  std::unordered_map<Node*, Tensor> grads;
  grads[root.grad_fn().get()] = g0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    auto found = grads.find(node);
    if (found == grads.end()) continue;  // no gradient flowed here
    Tensor g = std::move(found->second);
    grads.erase(found);
    if (wanted) {
      for (size_t i = 0; i < wanted->size(); ++i)
        if ((*wanted)[i].defined() && (*wanted)[i].grad_fn().get() == node) accumulate((*wanted_grads)[i], g);
      if (!wanted_below.count(node)) continue;
    }
    ENGINE_CHECK(node->backward, "backward: the graph through ", op_name(node->kind),
                 " was already freed; call backward(grad, retain_graph=true) to run it twice");
    Grads gin = node->backward(g, node->need);
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || i >= gin.size() || !gin[i].defined()) continue;
      ENGINE_CHECK(gin[i].shape() == in.shape(), "backward of ", op_name(node->kind), ": gradient for input ", i,
                   " has shape ", shape_str(gin[i].shape()), ", expected ", shape_str(in.shape()));
      if (in.grad_fn()) accumulate(grads[in.grad_fn().get()], gin[i]);
      else leaf_slot(in, gin[i]);
    }
    if (!retain_graph) {
      node->backward = nullptr;
      node->inputs.clear();
    }
  }
}

}  // namespace

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output,
                         bool retain_graph) {
  std::vector<Tensor> out(inputs.size());
  run_backward(output, grad_output, retain_graph, &inputs, &out);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!out[i].defined()) out[i] = zeros(inputs[i].shape(), inputs[i].options());
  return out;
}

}  // namespace autograd

void Tensor::backward() const { autograd::run_backward(*this, Tensor(), false, nullptr, nullptr); }
void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  autograd::run_backward(*this, grad_output, retain_graph, nullptr, nullptr);
}

}  // namespace eg
