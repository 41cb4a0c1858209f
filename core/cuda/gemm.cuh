// gemm.cuh — the device GEMM launcher (core/cuda/gemm.cu) that matmul and conv2d share:
// C[z] = alpha·A[z]·B[z] + beta·C[z] for z < batch, operands addressed as core/cuda/gemm_tile.h says.
#pragma once
#include "core/cuda/gemm_plan.h"

namespace eg::cuda {

template <class T> void gemm(const body::GemmArgs<T>& g, int64_t batch);

using body::gemm_args;

}  // namespace eg::cuda
