// cuda_kernels.h — CUDA implementations of the raw op set; same signatures as core/cpu/cpu_kernels.h.
// Only core/kernels.cpp calls these, after its argument checks. Ops without a CUDA kernel yet throw
// there with a message naming the op.
#pragma once
#include "core/kernels.h"

namespace eg::cuda {

using kernels::BinaryOp;
using kernels::UnaryOp;

Tensor unary(UnaryOp op, const Tensor& x, double a, double b);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape);
void axpy_(Tensor& dst, const Tensor& src, double alpha);
void fill_(Tensor& dst, double value);
void sgd_step_(Tensor& p, const Tensor& g, Tensor& buf, const kernels::SgdStep& s);
void adam_step_(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const kernels::AdamStep& s);

}  // namespace eg::cuda
