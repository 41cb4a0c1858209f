// kernels_nn.h — the raw (non-differentiable) neural-network kernels: conv2d, pooling, batch norm and
// the dropout mask, each as a forward/backward pair. Like core/kernels.h, each function is the one
// dispatch point of its kernel: it checks arguments (naming the op and the shapes), then calls
// core/cpu/{conv,pool,norm}.cpp. Autograd ops (autograd/ops_conv|pool|norm.cpp) are built on these.
// Shape letters: N batch, C input channels, O output channels, H/W input and OH/OW output height/width,
// KH/KW kernel height/width, S the product of the spatial dims after C (1 for [N, C]).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace eg {
class Generator;
}

namespace eg::kernels {

// ---- conv2d: y[n, o, oh, ow] = b[o] + Σ_{c ∈ group(o), kh, kw} w[o, c, kh, kw] · x[n, c, ih, iw] with
// ih = oh·sh − ph + kh·dh and iw = ow·sw − pw + kw·dw (stride s, padding p, dilation d).
struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
};
struct Conv2dGrads { Tensor dx, dw, db; };  // undefined where not asked for

// Checks x [N, C, H, W], w [O, C/groups, KH, KW] and b [O] (or undefined); returns [N, O, OH, OW].
Shape conv2d_output_shape(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);
// dy [N, O, OH, OW]. Skipping dx saves the Wᵀ·dy GEMM and the col2im (the first layer's input needs none).
Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dParams& p, bool need_dx,
                            bool need_dw, bool need_db);

// ---- 2-D pooling over x [N, C, H, W] (floor mode; padding at most half the kernel, as PyTorch) ----
struct Pool2dParams {
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
};
// indices: i64 [N, C, OH, OW], the flat position h·W + w of each window's first maximum in its input plane.
struct MaxPool2dResult { Tensor y, indices; };

MaxPool2dResult max_pool2d_forward(const Tensor& x, const Pool2dParams& p);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape);
// Divisor kernel_h·kernel_w (count_include_pad = true).
Tensor avg_pool2d_forward(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const Pool2dParams& p);
// Bin i of OH covers rows [floor(i·H/OH), ceil((i+1)·H/OH)).
Tensor adaptive_avg_pool2d_forward(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape);

// ---- batch norm over x [N, C, ...]: y = (x − mean[c]) · invstd[c] · weight[c] + bias[c] ----
// weight/bias [C] or undefined (1 and 0). use_batch_stats: normalize with this batch's mean and biased
// variance and, when running stats are defined, update them in place: running = (1−momentum)·running +
// momentum·batch (unbiased variance). Otherwise normalize with the running stats (then required).
struct BatchNormResult { Tensor y, mean, invstd; };  // mean/invstd [C]: what was used to normalize
struct BatchNormGrads { Tensor dx, dweight, dbias; };

BatchNormResult batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                                   Tensor running_var, bool use_batch_stats, double momentum, double eps);
// With batch stats the statistics depend on x: dx = (w·invstd/M)·(M·dy − Σdy − x̂·Σ(dy·x̂)), M = N·S.
// Without: dx = dy·w·invstd. Always dweight = Σ dy·x̂, dbias = Σ dy.
BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                   const Tensor& invstd, bool use_batch_stats, bool need_dx, bool need_dweight,
                                   bool need_dbias);

// ---- dropout: a mask of 0 (probability p) and 1/(1−p) of the given shape, drawn on the host from gen in
// element order (so a seed gives the same mask whatever the thread count), then moved to opt.device.
Tensor dropout_mask(const Shape& shape, double p, Generator& gen, TensorOptions opt);

}  // namespace eg::kernels
