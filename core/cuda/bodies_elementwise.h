// bodies_elementwise.h — the per-element math of the CUDA unary and binary kernels (core/cuda/
// elementwise.cu), mirroring core/cpu/elementwise.cpp, its oracle: the host-loop tests run these very
// functions against it. Plain C++ without nvcc (see hd.h).
#pragma once
#include "core/cuda/hd.h"
#include "core/kernels.h"

namespace eg::cuda::body {

using kernels::BinaryOp;
using kernels::UnaryOp;

template <class T> EG_HD T sigmoid_of(T x) {
  if (x >= 0) return T(1) / (T(1) + exp(-x));
  T e = exp(x);
  return e / (T(1) + e);
}

template <class T> EG_HD T apply_unary(UnaryOp op, T v, T a, T b) {
  switch (op) {
    case UnaryOp::Neg: return -v;
    case UnaryOp::Exp: return exp(v);
    case UnaryOp::Log: return log(v);
    case UnaryOp::Sqrt: return sqrt(v);
    case UnaryOp::Rsqrt: return T(1) / sqrt(v);
    case UnaryOp::Abs: return fabs(v);
    case UnaryOp::Sign: return T((v > 0) - (v < 0));
    case UnaryOp::Relu: return v > 0 || is_nan(v) ? v : T(0);  // NaN propagates, as on the CPU
    case UnaryOp::Sigmoid: return sigmoid_of(v);
    case UnaryOp::Tanh: return tanh(v);
    case UnaryOp::Log1p: return log1p(v);
    case UnaryOp::Softplus: return (v > 0 ? v : T(0)) + log1p(exp(-fabs(v)));
    case UnaryOp::Square: return v * v;
    case UnaryOp::Reciprocal: return T(1) / v;
    case UnaryOp::PowScalar: return a == T(2) ? v * v : pow(v, a);
    case UnaryOp::Clamp: return v < a ? a : (v > b ? b : v);
    case UnaryOp::AddScalar: return v + a;
    case UnaryOp::MulScalar: return v * a;
    case UnaryOp::RSubScalar: return a - v;
    case UnaryOp::FillLike: return a;
    case UnaryOp::StepPositive: return v > 0 ? T(1) : T(0);
    case UnaryOp::ClampMask: return (v >= a && v <= b) ? T(1) : T(0);
    case UnaryOp::LeakyRelu: return v > 0 ? v : a * v;
    case UnaryOp::LeakyReluGrad: return v > 0 ? T(1) : a;
  }
  return T(0);
}

template <class T> EG_HD T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Maximum: return a > b || is_nan(a) ? a : b;
    case BinaryOp::Minimum: return a < b || is_nan(a) ? a : b;
    case BinaryOp::Pow: return pow(a, b);
    case BinaryOp::Eq: return T(a == b);
    case BinaryOp::Ne: return T(a != b);
    case BinaryOp::Lt: return T(a < b);
    case BinaryOp::Le: return T(a <= b);
    case BinaryOp::Gt: return T(a > b);
    case BinaryOp::Ge: return T(a >= b);
    case BinaryOp::ReluBackward: return b > 0 ? a : T(0);
    case BinaryOp::SigmoidBackward: return a * b * (T(1) - b);
    case BinaryOp::TanhBackward: return a * (T(1) - b * b);
  }
  return T(0);
}

}  // namespace eg::cuda::body
