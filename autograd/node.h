// node.h — a recorded op in the define-by-run graph. A Node holds the inputs that need a gradient
// and the backward closure that maps the output gradient to one gradient per input (undefined where
// `need[i]` is false). The output tensor owns its Node (grad_fn); Nodes own their inputs, never their
// outputs, so the graph has no cycles and is freed when the last output handle goes away.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "autograd/op_kind.h"
#include "core/tensor.h"

namespace eg::autograd {

using Grads = std::vector<Tensor>;
using Need = std::vector<bool>;
using BackwardFn = std::function<Grads(const Tensor& grad_out, const Need& need)>;

struct Node {
  OpKind kind;
  std::vector<Tensor> inputs;  // one per op input; undefined where that input needs no grad
  Need need;
  BackwardFn backward;         // reset to null once run (unless the graph is retained)
  // Frees the chain of Nodes only this one keeps alive with a loop, not by recursion: a graph a million
  // ops deep, dropped without backward, would otherwise overflow the stack.
  ~Node();
};

// True when grad mode is on and any of the tensors requires grad.
bool needs_graph(std::initializer_list<const Tensor*> inputs);
bool needs_graph(const std::vector<Tensor>& inputs);
// Attaches a Node of `kind` to `out` when needs_graph(inputs); returns out either way.
Tensor record(OpKind kind, Tensor out, const std::vector<Tensor>& inputs, BackwardFn fn);
// Gradients of `output` with respect to `inputs` only (leaf .grad fields untouched), as torch.autograd.grad.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output = {},
                         bool retain_graph = false);

}  // namespace eg::autograd
