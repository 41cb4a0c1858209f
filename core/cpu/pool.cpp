// pool.cpp — CPU 2-D pooling over x [N, C, H, W], forward and backward: max (with argmax indices kept
// for the backward), average (count_include_pad) and adaptive average (PyTorch's bins; global pooling
// to 1×1 takes a fast path). Every plane (n, c) is independent, so the loops run in parallel over the
// N·C planes and a backward never has two threads writing one element.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/cpu/cpu_nn_kernels.h"
#include "core/intrinsics.h"

namespace eg::cpu {

namespace {

struct Planes {
  int64_t count, H, W, OH, OW;
};
Planes planes_of(const Shape& x, const Shape& y) { return {x[0] * x[1], x[2], x[3], y[2], y[3]}; }

// The 2×2, stride-2, unpadded window of every ConvNet here: the same scan order and rules as the general
// loop below (strictly greater wins, a NaN wins), without its bounds logic and written branch-free, since
// which element wins is data-dependent (mispredicted branches made this ~15% of a ConvNet step), and for
// float with AVX2 eight outputs at a time (GCC turned the scalar selects back into branches: still 13%).
#if defined(__AVX2__)
// 8 outputs of one output row from input rows r0, r1 (16 floats each from column 2·ow): the window's
// four values as four vectors (even and odd columns of each row), then the scalar loop's rule with
// vector compares and blends; the winners' offsets in the window (0, 1, W, W + 1) become int64 indices.
inline void max_pool_2x2_8(const float* r0, const float* r1, int64_t ow, int64_t W, int64_t a0, float* y,
                           int64_t* idx) {
  auto split = [](const float* p, __m256& even, __m256& odd) {
    const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    // shuffle_ps pairs 128-bit halves: [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; permute4x64 restores the order.
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
  };
  __m256 v[4];
  split(r0 + 2 * ow, v[0], v[1]);
  split(r1 + 2 * ow, v[2], v[3]);
  const int32_t w = (int32_t)W;
  const __m256i offs[4] = {_mm256_setzero_si256(), _mm256_set1_epi32(1), _mm256_set1_epi32(w),
                           _mm256_set1_epi32(w + 1)};
  __m256 best = v[0];
  __m256i off = offs[0];
  for (int k = 1; k < 4; ++k) {
    const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v[k], best, _CMP_GT_OQ), _mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q));
    best = _mm256_blendv_ps(best, v[k], take);
    off = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(off), _mm256_castsi256_ps(offs[k]), take));
  }
  _mm256_storeu_ps(y + ow, best);
  // index = a0 + 2·(ow + lane) + offset
  const __m256i rel = _mm256_add_epi32(off, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
  const __m256i base = _mm256_set1_epi64x(a0 + 2 * ow);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + ow),
                      _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(rel))));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + ow + 4),
                      _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(rel, 1))));
}

// The same for 4 outputs (8 input columns): rows of 4 to 7 outputs (Fashion-MNIST's 14 -> 7).
inline void max_pool_2x2_4(const float* r0, const float* r1, int64_t ow, int64_t W, int64_t a0, float* y,
                           int64_t* idx) {
  auto split = [](const float* p, __m128& even, __m128& odd) {
    const __m128 lo = _mm_loadu_ps(p), hi = _mm_loadu_ps(p + 4);
    even = _mm_shuffle_ps(lo, hi, 0x88);
    odd = _mm_shuffle_ps(lo, hi, 0xDD);
  };
  __m128 v[4];
  split(r0 + 2 * ow, v[0], v[1]);
  split(r1 + 2 * ow, v[2], v[3]);
  const int32_t w = (int32_t)W;
  const __m128i offs[4] = {_mm_setzero_si128(), _mm_set1_epi32(1), _mm_set1_epi32(w), _mm_set1_epi32(w + 1)};
  __m128 best = v[0];
  __m128i off = offs[0];
  for (int k = 1; k < 4; ++k) {
    const __m128 take = _mm_or_ps(_mm_cmpgt_ps(v[k], best), _mm_cmpunord_ps(v[k], v[k]));
    best = _mm_blendv_ps(best, v[k], take);
    off = _mm_castps_si128(_mm_blendv_ps(_mm_castsi128_ps(off), _mm_castsi128_ps(offs[k]), take));
  }
  _mm_storeu_ps(y + ow, best);
  const __m256i idx64 = _mm256_add_epi64(_mm256_set1_epi64x(a0 + 2 * ow),
                                         _mm256_cvtepi32_epi64(_mm_add_epi32(off, _mm_setr_epi32(0, 2, 4, 6))));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + ow), idx64);
}
#endif

template <class T> void max_pool_2x2(const T* x, T* y, int64_t* idx, const Planes& d) {
  parallel_for(d.count, [&](int64_t pl) {
    const T* xp = x + pl * d.H * d.W;
    T* yp = y + pl * d.OH * d.OW;
    int64_t* ip = idx + pl * d.OH * d.OW;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const T* r0 = xp + 2 * oh * d.W;
      const T* r1 = r0 + d.W;
      int64_t ow = 0;
#if defined(__AVX2__)
      // Whole vectors, the last one ending at the row's end (overlapping the one before: outputs are
      // independent, the overlap is computed twice alike). 2·OW ≤ W, so every read is inside the row.
      if constexpr (std::is_same_v<T, float>) {
        float* yr = yp + oh * d.OW;
        int64_t* ir = ip + oh * d.OW;
        const int64_t a0 = 2 * oh * d.W, step = d.OW >= 8 ? 8 : 4;
        if (d.OW >= 4) {
          for (; ow + step <= d.OW; ow += step)
            (step == 8 ? max_pool_2x2_8 : max_pool_2x2_4)(r0, r1, ow, d.W, a0, yr, ir);
          if (ow < d.OW) (step == 8 ? max_pool_2x2_8 : max_pool_2x2_4)(r0, r1, d.OW - step, d.W, a0, yr, ir);
          ow = d.OW;
        }
      }
#endif
      for (; ow < d.OW; ++ow) {
        const int64_t a = 2 * oh * d.W + 2 * ow;
        T best = r0[2 * ow];
        int64_t arg = a;
        const T v[3] = {r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
        const int64_t at[3] = {a + 1, a + d.W, a + d.W + 1};
        for (int k = 0; k < 3; ++k) {
          const bool take = v[k] > best || v[k] != v[k];
          best = take ? v[k] : best;
          arg = take ? at[k] : arg;
        }
        yp[oh * d.OW + ow] = best;
        ip[oh * d.OW + ow] = arg;
      }
    }
  }, d.H * d.W);
}

template <class T> void max_pool_impl(const T* x, T* y, int64_t* idx, const Planes& d, const Pool2dParams& p) {
  if (p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_h == 0 && p.pad_w == 0)
    return max_pool_2x2(x, y, idx, d);
  parallel_for(d.count, [&](int64_t pl) {
    const T* xp = x + pl * d.H * d.W;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const int64_t h0 = oh * p.stride_h - p.pad_h, h1 = std::min(h0 + p.kernel_h, d.H);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const int64_t w0 = ow * p.stride_w - p.pad_w, w1 = std::min(w0 + p.kernel_w, d.W);
        T best = -std::numeric_limits<T>::infinity();
        int64_t arg = std::max<int64_t>(h0, 0) * d.W + std::max<int64_t>(w0, 0);
        for (int64_t h = std::max<int64_t>(h0, 0); h < h1; ++h)
          for (int64_t w = std::max<int64_t>(w0, 0); w < w1; ++w) {
            const T v = xp[h * d.W + w];
            // Strictly greater: ties keep the first maximum. NaN propagates, as in PyTorch.
            if (v > best || std::isnan(v)) best = v, arg = h * d.W + w;
          }
        const int64_t o = (pl * d.OH + oh) * d.OW + ow;
        y[o] = best;
        idx[o] = arg;
      }
    }
  }, d.H * d.W);
}

template <class T> void max_pool_backward_impl(const T* dy, const int64_t* idx, T* dx, const Planes& d) {
  parallel_for(d.count, [&](int64_t pl) {
    T* dxp = dx + pl * d.H * d.W;
    std::fill(dxp, dxp + d.H * d.W, T(0));
    const int64_t base = pl * d.OH * d.OW;
    for (int64_t o = 0; o < d.OH * d.OW; ++o) dxp[idx[base + o]] += dy[base + o];
  }, d.H * d.W);
}

// The window of output (oh, ow), clipped to the input, and the divisor counting the padding inside it.
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};
inline Window avg_window(int64_t oh, int64_t ow, const Planes& d, const Pool2dParams& p) {
  int64_t h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
  int64_t h1 = std::min(h0 + p.kernel_h, d.H + p.pad_h), w1 = std::min(w0 + p.kernel_w, d.W + p.pad_w);
  const int64_t divisor = (h1 - h0) * (w1 - w0);
  return {std::max<int64_t>(h0, 0), std::min(h1, d.H), std::max<int64_t>(w0, 0), std::min(w1, d.W), divisor};
}

template <class T> void avg_pool_impl(const T* x, T* y, const Planes& d, const Pool2dParams& p) {
  parallel_for(d.count, [&](int64_t pl) {
    const T* xp = x + pl * d.H * d.W;
    for (int64_t oh = 0; oh < d.OH; ++oh)
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const Window wd = avg_window(oh, ow, d, p);
        T s = 0;
        for (int64_t h = wd.h0; h < wd.h1; ++h)
          for (int64_t w = wd.w0; w < wd.w1; ++w) s += xp[h * d.W + w];
        y[(pl * d.OH + oh) * d.OW + ow] = s / T(wd.divisor);
      }
  }, d.H * d.W);
}

template <class T> void avg_pool_backward_impl(const T* dy, T* dx, const Planes& d, const Pool2dParams& p) {
  parallel_for(d.count, [&](int64_t pl) {
    T* dxp = dx + pl * d.H * d.W;
    std::fill(dxp, dxp + d.H * d.W, T(0));
    for (int64_t oh = 0; oh < d.OH; ++oh)
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const Window wd = avg_window(oh, ow, d, p);
        const T g = dy[(pl * d.OH + oh) * d.OW + ow] / T(wd.divisor);
        for (int64_t h = wd.h0; h < wd.h1; ++h)
          for (int64_t w = wd.w0; w < wd.w1; ++w) dxp[h * d.W + w] += g;
      }
  }, d.H * d.W);
}

// PyTorch's adaptive bin [floor(i·n/out), ceil((i+1)·n/out)).
inline int64_t bin_start(int64_t i, int64_t n, int64_t out) { return (i * n) / out; }
inline int64_t bin_end(int64_t i, int64_t n, int64_t out) { return ((i + 1) * n + out - 1) / out; }

template <class T> void adaptive_avg_impl(const T* x, T* y, const Planes& d) {
  if (d.OH == d.H && d.OW == d.W) {  // one element per bin: a copy (the ConvNet's 7×7 head on 7×7 maps)
    parallel_for(d.count, [&](int64_t pl) { std::copy_n(x + pl * d.H * d.W, d.H * d.W, y + pl * d.H * d.W); },
                 d.H * d.W);
    return;
  }
  if (d.OH == 1 && d.OW == 1) {  // global average pooling (every ResNet head)
    const int64_t n = d.H * d.W;
    parallel_for(d.count, [&](int64_t pl) {
      const T* xp = x + pl * n;
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += xp[i];
      y[pl] = T(s / double(n));
    }, n);
    return;
  }
  parallel_for(d.count, [&](int64_t pl) {
    const T* xp = x + pl * d.H * d.W;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const int64_t h0 = bin_start(oh, d.H, d.OH), h1 = bin_end(oh, d.H, d.OH);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const int64_t w0 = bin_start(ow, d.W, d.OW), w1 = bin_end(ow, d.W, d.OW);
        T s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += xp[h * d.W + w];
        y[(pl * d.OH + oh) * d.OW + ow] = s / T((h1 - h0) * (w1 - w0));
      }
    }
  }, d.H * d.W);
}

template <class T> void adaptive_avg_backward_impl(const T* dy, T* dx, const Planes& d) {
  parallel_for(d.count, [&](int64_t pl) {
    T* dxp = dx + pl * d.H * d.W;
    if (d.OH == d.H && d.OW == d.W) {
      std::copy_n(dy + pl * d.H * d.W, d.H * d.W, dxp);
      return;
    }
    if (d.OH == 1 && d.OW == 1) {
      std::fill(dxp, dxp + d.H * d.W, dy[pl] / T(d.H * d.W));
      return;
    }
    std::fill(dxp, dxp + d.H * d.W, T(0));
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const int64_t h0 = bin_start(oh, d.H, d.OH), h1 = bin_end(oh, d.H, d.OH);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const int64_t w0 = bin_start(ow, d.W, d.OW), w1 = bin_end(ow, d.W, d.OW);
        const T g = dy[(pl * d.OH + oh) * d.OW + ow] / T((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) dxp[h * d.W + w] += g;
      }
    }
  }, d.H * d.W);
}

}  // namespace

MaxPool2dResult max_pool2d_forward(const Tensor& x, const Pool2dParams& p, const Shape& out_shape) {
  MaxPool2dResult r{Tensor::empty(out_shape, x.options()), Tensor::empty(out_shape, {DType::I64})};
  const Planes d = planes_of(x.shape(), out_shape);
  EG_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
    max_pool_impl(x.data<scalar_t>(), r.y.data<scalar_t>(), r.indices.data<int64_t>(), d, p);
  });
  return r;
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape) {
  Tensor dx = Tensor::empty(x_shape, dy.options());
  const Planes d = planes_of(x_shape, dy.shape());
  EG_DISPATCH_FLOAT(dy.dtype(), "max_pool2d backward", [&] {
    max_pool_backward_impl(dy.data<scalar_t>(), indices.data<int64_t>(), dx.data<scalar_t>(), d);
  });
  return dx;
}

Tensor avg_pool2d_forward(const Tensor& x, const Pool2dParams& p, const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  const Planes d = planes_of(x.shape(), out_shape);
  EG_DISPATCH_FLOAT(x.dtype(), "avg_pool2d", [&] { avg_pool_impl(x.data<scalar_t>(), y.data<scalar_t>(), d, p); });
  return y;
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& x_shape, const Pool2dParams& p) {
  Tensor dx = Tensor::empty(x_shape, dy.options());
  const Planes d = planes_of(x_shape, dy.shape());
  EG_DISPATCH_FLOAT(dy.dtype(), "avg_pool2d backward", [&] {
    avg_pool_backward_impl(dy.data<scalar_t>(), dx.data<scalar_t>(), d, p);
  });
  return dx;
}

Tensor adaptive_avg_pool2d_forward(const Tensor& x, const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  const Planes d = planes_of(x.shape(), out_shape);
  EG_DISPATCH_FLOAT(x.dtype(), "adaptive_avg_pool2d", [&] {
    adaptive_avg_impl(x.data<scalar_t>(), y.data<scalar_t>(), d);
  });
  return y;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const Shape& x_shape) {
  Tensor dx = Tensor::empty(x_shape, dy.options());
  const Planes d = planes_of(x_shape, dy.shape());
  EG_DISPATCH_FLOAT(dy.dtype(), "adaptive_avg_pool2d backward", [&] {
    adaptive_avg_backward_impl(dy.data<scalar_t>(), dx.data<scalar_t>(), d);
  });
  return dx;
}

}  // namespace eg::cpu
