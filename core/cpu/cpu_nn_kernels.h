// cpu_nn_kernels.h — CPU implementations of the neural-network kernels of core/kernels_nn.h (conv.cpp,
// pool.cpp, norm.cpp). core/kernels_nn.cpp is the only caller; it has already checked the arguments and
// computed the output shapes. Shape letters as in kernels_nn.h.
#pragma once
#include "core/cpu/cpu_kernels.h"
#include "core/kernels_nn.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace eg::cpu {

using kernels::BatchNormGrads;
using kernels::BatchNormResult;
using kernels::Conv2dGrads;
using kernels::Conv2dParams;
using kernels::MaxPool2dResult;
using kernels::Pool2dParams;

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p,
                      const Shape& out_shape);
Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dParams& p, bool need_dx,
                            bool need_dw, bool need_db);

MaxPool2dResult max_pool2d_forward(const Tensor& x, const Pool2dParams& p, const Shape& out_shape);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape);
Tensor avg_pool2d_forward(const Tensor& x, const Pool2dParams& p, const Shape& out_shape);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const Pool2dParams& p);
Tensor adaptive_avg_pool2d_forward(const Tensor& x, const Shape& out_shape);
Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape);

BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                                   Tensor& running_var, bool use_batch_stats, double momentum, double eps);
BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                   const Tensor& invstd, bool use_batch_stats, bool need_dx, bool need_dweight,
                                   bool need_dbias);

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace eg::cpu
