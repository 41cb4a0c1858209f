// op_kind.h — the registry of differentiable ops: one enum entry per graph-node kind, with a name table
// guarded by a static_assert. The gradcheck coverage test walks this list and fails when any kind
// has no gradcheck case (tests/gradcheck_registry.h). Each kind has a row in autograd/DERIVATIVES.md.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace eg::autograd {

// Core primitives (autograd/ops_elementwise|reduce|linalg|shape.cpp).
#define EG_OP_KINDS_CORE(X)                                                                      \
  X(Add) X(Sub) X(Mul) X(Div) X(Neg) X(Exp) X(Log) X(Sqrt) X(Abs) X(Relu) X(Sigmoid) X(Tanh)       \
  X(Log1p) X(Softplus) X(PowScalar) X(Clamp) X(Maximum) X(Minimum) X(Where) X(AddScalar)          \
  X(MulScalar) X(Sum) X(Mean) X(MaxDim) X(MinDim) X(Matmul) X(Reshape) X(Permute) X(Narrow)        \
  X(IndexSelect) X(Gather) X(ScatterAdd) X(Cat) X(Pad) X(Expand) X(Softmax) X(LogSoftmax) X(LeakyRelu)
// Neural-network layers' ops (autograd/ops_conv|pool|norm.cpp).
#define EG_OP_KINDS_NN(X) X(Linear) X(Conv2d) X(MaxPool2d) X(AvgPool2d) X(AdaptiveAvgPool2d) X(BatchNorm) X(Dropout)
// Fused losses (losses/*.cpp), each tested against its composed version.
#define EG_OP_KINDS_LOSS(X) X(CrossEntropy)
#define EG_OP_KINDS(X) EG_OP_KINDS_CORE(X) EG_OP_KINDS_NN(X) EG_OP_KINDS_LOSS(X)

enum class OpKind : uint16_t {
#define EG_ENUM(name) name,
  EG_OP_KINDS(EG_ENUM)
#undef EG_ENUM
};

inline constexpr std::array kOpNames = {
#define EG_NAME(name) std::string_view(#name),
    EG_OP_KINDS(EG_NAME)
#undef EG_NAME
};
inline constexpr size_t kNumOpKinds = kOpNames.size();


inline std::string_view op_name(OpKind k) { return kOpNames[(size_t)k]; }

}  // namespace eg::autograd
