// ops_elementwise.cpp — differentiable elementwise ops. Each forward is followed by its backward
// (VJP rows in DERIVATIVES.md). Backward closures run with grad mode off, so they may call these same
// ops freely; broadcasting inputs get their gradient summed back to their shape (kernels::sum_to).
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace eg {

using autograd::Grads;
using autograd::Need;
using autograd::OpKind;
using autograd::record;
using kernels::BinaryOp;
using kernels::UnaryOp;
using kernels::sum_to;

static void check_float(const char* op, const Tensor& t) {
  check_defined(op, t, "input");
  ENGINE_CHECK(is_floating(t.dtype()), op, ": expected a floating tensor, got ", dtype_name(t.dtype()), " ",
               shape_str(t.shape()));
}
static void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  check_float(op, a);
  check_float(op, b);
  check_same_dtype(op, a, b);
  check_same_device(op, a, b);
}

// Row "add": da = g, db = g (summed to shape).
Tensor add(const Tensor& a, const Tensor& b) {
  check_pair("add", a, b);
  Tensor out = kernels::binary(BinaryOp::Add, a, b);
  return record(OpKind::Add, out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const Need& need) -> Grads {
    return {need[0] ? sum_to(g, sa) : Tensor(), need[1] ? sum_to(g, sb) : Tensor()};
  });
}

// Row "sub": da = g, db = -g.
Tensor sub(const Tensor& a, const Tensor& b) {
  check_pair("sub", a, b);
  Tensor out = kernels::binary(BinaryOp::Sub, a, b);
  return record(OpKind::Sub, out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const Need& need) -> Grads {
    return {need[0] ? sum_to(g, sa) : Tensor(), need[1] ? sum_to(neg(g), sb) : Tensor()};
  });
}

// Row "mul": da = g·b, db = g·a.
Tensor mul(const Tensor& a, const Tensor& b) {
  check_pair("mul", a, b);
  Tensor out = kernels::binary(BinaryOp::Mul, a, b);
  return record(OpKind::Mul, out, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Need& need) -> Grads {
    return {need[0] ? sum_to(mul(g, b), a.shape()) : Tensor(), need[1] ? sum_to(mul(g, a), b.shape()) : Tensor()};
  });
}

// Row "div": da = g/b, db = -g·a/b².
Tensor div(const Tensor& a, const Tensor& b) {
  check_pair("div", a, b);
  Tensor out = kernels::binary(BinaryOp::Div, a, b);
  return record(OpKind::Div, out, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Need& need) -> Grads {
    Tensor ga, gb;
    if (need[0]) ga = sum_to(div(g, b), a.shape());
    if (need[1]) gb = sum_to(neg(div(mul(g, a), mul(b, b))), b.shape());
    return {ga, gb};
  });
}

// Rows "maximum"/"minimum": the gradient goes to the selected side; ties split it in half.
static Tensor select_binary(OpKind kind, BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_pair(name, a, b);
  Tensor out = kernels::binary(op, a, b);
  return record(kind, out, {a, b}, [a = a.detach(), b = b.detach(), op](const Tensor& g, const Need& need) -> Grads {
    BinaryOp wins = op == BinaryOp::Maximum ? BinaryOp::Gt : BinaryOp::Lt;
    Tensor tie = mul(kernels::binary(BinaryOp::Eq, a, b), 0.5);
    Tensor wa = add(kernels::binary(wins, a, b), tie);
    Tensor wb = add(kernels::binary(wins, b, a), tie);
    return {need[0] ? sum_to(mul(g, wa), a.shape()) : Tensor(), need[1] ? sum_to(mul(g, wb), b.shape()) : Tensor()};
  });
}
Tensor maximum(const Tensor& a, const Tensor& b) { return select_binary(OpKind::Maximum, BinaryOp::Maximum, "maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return select_binary(OpKind::Minimum, BinaryOp::Minimum, "minimum", a, b); }

// Row "add_scalar": dx = g.
Tensor add(const Tensor& a, double s) {
  check_float("add(scalar)", a);
  Tensor out = kernels::unary(UnaryOp::AddScalar, a, s);
  return record(OpKind::AddScalar, out, {a}, [](const Tensor& g, const Need&) -> Grads { return {g}; });
}

// Row "mul_scalar": dx = g·s.
Tensor mul(const Tensor& a, double s) {
  check_float("mul(scalar)", a);
  Tensor out = kernels::unary(UnaryOp::MulScalar, a, s);
  return record(OpKind::MulScalar, out, {a}, [s](const Tensor& g, const Need&) -> Grads {
    return {kernels::unary(UnaryOp::MulScalar, g, s)};
  });
}

// Row "neg": dx = -g.
Tensor neg(const Tensor& x) {
  check_float("neg", x);
  Tensor out = kernels::unary(UnaryOp::Neg, x);
  return record(OpKind::Neg, out, {x}, [](const Tensor& g, const Need&) -> Grads {
    return {kernels::unary(UnaryOp::Neg, g)};
  });
}

// Row "exp": dx = g·y.
Tensor exp(const Tensor& x) {
  check_float("exp", x);
  Tensor out = kernels::unary(UnaryOp::Exp, x);
  return record(OpKind::Exp, out, {x}, [y = out.detach()](const Tensor& g, const Need&) -> Grads { return {mul(g, y)}; });
}

// Row "log": dx = g/x.
Tensor log(const Tensor& x) {
  check_float("log", x);
  Tensor out = kernels::unary(UnaryOp::Log, x);
  return record(OpKind::Log, out, {x}, [x = x.detach()](const Tensor& g, const Need&) -> Grads { return {div(g, x)}; });
}

// Row "sqrt": dx = g/(2y).
Tensor sqrt(const Tensor& x) {
  check_float("sqrt", x);
  Tensor out = kernels::unary(UnaryOp::Sqrt, x);
  return record(OpKind::Sqrt, out, {x}, [y = out.detach()](const Tensor& g, const Need&) -> Grads {
    return {div(mul(g, 0.5), y)};
  });
}

// Row "abs": dx = g·sign(x).
Tensor abs(const Tensor& x) {
  check_float("abs", x);
  Tensor out = kernels::unary(UnaryOp::Abs, x);
  return record(OpKind::Abs, out, {x}, [x = x.detach()](const Tensor& g, const Need&) -> Grads {
    return {mul(g, kernels::unary(UnaryOp::Sign, x))};
  });
}

// Row "relu": dx = g·[x > 0] (fused kernel).
Tensor relu(const Tensor& x) {
  check_float("relu", x);
  Tensor out = kernels::unary(UnaryOp::Relu, x);
  return record(OpKind::Relu, out, {x}, [y = out.detach()](const Tensor& g, const Need&) -> Grads {
    return {kernels::binary(BinaryOp::ReluBackward, g, y)};
  });
}

// Row "leaky_relu": dx = g·(x > 0 ? 1 : slope).
Tensor leaky_relu(const Tensor& x, double slope) {
  check_float("leaky_relu", x);
  Tensor out = kernels::unary(UnaryOp::LeakyRelu, x, slope);
  return record(OpKind::LeakyRelu, out, {x}, [x = x.detach(), slope](const Tensor& g, const Need&) -> Grads {
    return {mul(g, kernels::unary(UnaryOp::LeakyReluGrad, x, slope))};
  });
}

// Row "sigmoid": dx = g·y·(1−y).
Tensor sigmoid(const Tensor& x) {
  check_float("sigmoid", x);
  Tensor out = kernels::unary(UnaryOp::Sigmoid, x);
  return record(OpKind::Sigmoid, out, {x}, [y = out.detach()](const Tensor& g, const Need&) -> Grads {
    return {kernels::binary(BinaryOp::SigmoidBackward, g, y)};
  });
}

// Row "tanh": dx = g·(1−y²).
Tensor tanh(const Tensor& x) {
  check_float("tanh", x);
  Tensor out = kernels::unary(UnaryOp::Tanh, x);
  return record(OpKind::Tanh, out, {x}, [y = out.detach()](const Tensor& g, const Need&) -> Grads {
    return {kernels::binary(BinaryOp::TanhBackward, g, y)};
  });
}

// Row "log1p": dx = g/(1+x).
Tensor log1p(const Tensor& x) {
  check_float("log1p", x);
  Tensor out = kernels::unary(UnaryOp::Log1p, x);
  return record(OpKind::Log1p, out, {x}, [x = x.detach()](const Tensor& g, const Need&) -> Grads {
    return {div(g, kernels::unary(UnaryOp::AddScalar, x, 1.0))};
  });
}

// Row "softplus": dx = g·sigmoid(x).
Tensor softplus(const Tensor& x) {
  check_float("softplus", x);
  Tensor out = kernels::unary(UnaryOp::Softplus, x);
  return record(OpKind::Softplus, out, {x}, [x = x.detach()](const Tensor& g, const Need&) -> Grads {
    return {mul(g, kernels::unary(UnaryOp::Sigmoid, x))};
  });
}

// Row "pow_scalar": dx = g·p·x^(p−1), and 0 for p = 0 (x⁰ is constant; p·x^(p−1) would be 0·∞ at 0).
Tensor pow(const Tensor& x, double p) {
  check_float("pow", x);
  Tensor out = kernels::unary(UnaryOp::PowScalar, x, p);
  return record(OpKind::PowScalar, out, {x}, [x = x.detach(), p](const Tensor& g, const Need&) -> Grads {
    if (p == 0.0) return {zeros(x.shape(), g.options())};
    if (p == 2.0) return {mul(g, kernels::unary(UnaryOp::MulScalar, x, 2.0))};
    return {mul(g, kernels::unary(UnaryOp::MulScalar, kernels::unary(UnaryOp::PowScalar, x, p - 1.0), p))};
  });
}

Tensor square(const Tensor& x) { return pow(x, 2.0); }

// Row "clamp": dx = g·[lo ≤ x ≤ hi].
Tensor clamp(const Tensor& x, double lo, double hi) {
  check_float("clamp", x);
  ENGINE_CHECK(lo <= hi, "clamp: lo ", lo, " > hi ", hi);
  Tensor out = kernels::unary(UnaryOp::Clamp, x, lo, hi);
  return record(OpKind::Clamp, out, {x}, [x = x.detach(), lo, hi](const Tensor& g, const Need&) -> Grads {
    return {mul(g, kernels::unary(UnaryOp::ClampMask, x, lo, hi))};
  });
}

// Row "where": da = g·[c≠0], db = g·[c=0]; the condition gets no gradient.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined("where", cond, "cond");
  check_pair("where", a, b);
  Tensor out = kernels::where(cond, a, b);
  return record(OpKind::Where, out, {a, b}, [c = cond.detach(), sa = a.shape(), sb = b.shape()](
                                               const Tensor& g, const Need& need) -> Grads {
    Tensor z = zeros({}, g.options());
    return {need[0] ? sum_to(kernels::where(c, g, z), sa) : Tensor(),
            need[1] ? sum_to(kernels::where(c, z, g), sb) : Tensor()};
  });
}

static Tensor compare(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_pair(name, a, b);
  return kernels::binary(op, a, b);
}
Tensor eq(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Eq, "eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ne, "ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Lt, "lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Le, "le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Gt, "gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ge, "ge", a, b); }

}  // namespace eg
