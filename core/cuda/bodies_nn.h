// bodies_nn.h — per-element bodies of conv2d's im2col / col2im and of 2-D pooling (core/cuda/nn.cu).
// col holds, per image of a chunk, [C·KH·KW, OH·OW]; col2im gathers (each input element sums what its
// col entries received), so no two threads write one element. Pool bodies read one plane (n, c) of
// H×W. Shape letters as in core/kernels_nn.h. Plain C++ without nvcc (see hd.h).
#pragma once
#include "core/cuda/hd.h"

namespace eg::cuda::body {

struct ConvGeom {
  int64_t C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw;
};

// col element i of a chunk of images: x at (ih, iw) of its (n, c), or 0 in the padding.
template <class T> EG_HD T im2col_value(const T* x, const ConvGeom& g, int64_t i) {
  const int64_t ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
  const int64_t p = i % ohw, r = (i / ohw) % ckk, n = i / (ohw * ckk);
  const int64_t kw = r % g.KW, kh = (r / g.KW) % g.KH, c = r / (g.KH * g.KW);
  const int64_t ih = p / g.OW * g.sh - g.ph + kh * g.dh, iw = p % g.OW * g.sw - g.pw + kw * g.dw;
  if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return T(0);
  return x[((n * g.C + c) * g.H + ih) * g.W + iw];
}

// dx element i ([n, c, h, w] of a chunk): the sum of the dcol entries im2col read it into.
template <class T> EG_HD T col2im_value(const T* dcol, const ConvGeom& g, int64_t i) {
  const int64_t w = i % g.W, h = (i / g.W) % g.H, c = (i / (g.H * g.W)) % g.C, n = i / (g.C * g.H * g.W);
  const int64_t ohw = g.OH * g.OW;
  const T* base = dcol + (n * g.C + c) * g.KH * g.KW * ohw;
  T s = 0;
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    const int64_t th = h + g.ph - kh * g.dh;
    if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const int64_t tw = w + g.pw - kw * g.dw;
      if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.OW) continue;
      s += base[(kh * g.KW + kw) * ohw + th / g.sh * g.OW + tw / g.sw];
    }
  }
  return s;
}

// ---- pooling: output o = (plane, oh, ow); input i = (plane, h, w) ----
struct PoolGeom {
  int64_t H, W, OH, OW, kh, kw, sh, sw, ph, pw;
};

template <class T> EG_HD void max_pool_output(const T* x, T* y, int64_t* idx, const PoolGeom& g, int64_t o) {
  const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH, pl = o / (g.OW * g.OH);
  const T* xp = x + pl * g.H * g.W;
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  const int64_t h1 = h0 + g.kh < g.H ? h0 + g.kh : g.H, w1 = w0 + g.kw < g.W ? w0 + g.kw : g.W;
  const int64_t hs = h0 > 0 ? h0 : 0, ws = w0 > 0 ? w0 : 0;
  T best = -INFINITY;
  int64_t arg = hs * g.W + ws;
  for (int64_t h = hs; h < h1; ++h)
    for (int64_t w = ws; w < w1; ++w) {
      const T v = xp[h * g.W + w];
      if (v > best || is_nan(v)) best = v, arg = h * g.W + w;
    }
  y[o] = best;
  idx[o] = arg;
}

// The window of output (oh, ow) clipped to the input, and its count_include_pad divisor.
struct PoolWindow {
  int64_t h0, h1, w0, w1, divisor;
};
EG_HD PoolWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  const int64_t h1 = h0 + g.kh < g.H + g.ph ? h0 + g.kh : g.H + g.ph;
  const int64_t w1 = w0 + g.kw < g.W + g.pw ? w0 + g.kw : g.W + g.pw;
  return {h0 > 0 ? h0 : 0, h1 < g.H ? h1 : g.H, w0 > 0 ? w0 : 0, w1 < g.W ? w1 : g.W, (h1 - h0) * (w1 - w0)};
}

template <class T> EG_HD T avg_pool_output(const T* x, const PoolGeom& g, int64_t o) {
  const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH, pl = o / (g.OW * g.OH);
  const T* xp = x + pl * g.H * g.W;
  const PoolWindow wd = avg_window(g, oh, ow);
  T s = 0;
  for (int64_t h = wd.h0; h < wd.h1; ++h)
    for (int64_t w = wd.w0; w < wd.w1; ++w) s += xp[h * g.W + w];
  return s / T(wd.divisor);
}

// The outputs whose window [o·s − p, o·s − p + k) covers input row (or column) h: [lo, hi).
EG_HD void covering(int64_t h, int64_t k, int64_t s, int64_t p, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t t = h + p - k;
  lo = t < 0 ? 0 : t / s + 1;
  hi = (h + p) / s + 1;
  hi = hi < out ? hi : out;
}

template <class T> EG_HD T avg_pool_input_grad(const T* dy, const PoolGeom& g, int64_t i) {
  const int64_t w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
  int64_t oh0, oh1, ow0, ow1;
  covering(h, g.kh, g.sh, g.ph, g.OH, oh0, oh1);
  covering(w, g.kw, g.sw, g.pw, g.OW, ow0, ow1);
  T s = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow)
      s += dy[(pl * g.OH + oh) * g.OW + ow] / T(avg_window(g, oh, ow).divisor);
  return s;
}

// PyTorch's adaptive bin [floor(i·n/out), ceil((i+1)·n/out)).
EG_HD int64_t bin_start(int64_t i, int64_t n, int64_t out) { return (i * n) / out; }
EG_HD int64_t bin_end(int64_t i, int64_t n, int64_t out) { return ((i + 1) * n + out - 1) / out; }

template <class T> EG_HD T adaptive_avg_output(const T* x, const PoolGeom& g, int64_t o) {
  const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH, pl = o / (g.OW * g.OH);
  const T* xp = x + pl * g.H * g.W;
  const int64_t h0 = bin_start(oh, g.H, g.OH), h1 = bin_end(oh, g.H, g.OH);
  const int64_t w0 = bin_start(ow, g.W, g.OW), w1 = bin_end(ow, g.W, g.OW);
  double s = 0;  // double, as the CPU's global-pool path: a 1×1 output sums a whole plane
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
  return T(s / double((h1 - h0) * (w1 - w0)));
}

template <class T> EG_HD T adaptive_avg_input_grad(const T* dy, const PoolGeom& g, int64_t i) {
  const int64_t w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
  T s = 0;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int64_t h0 = bin_start(oh, g.H, g.OH), h1 = bin_end(oh, g.H, g.OH);
    if (h < h0 || h >= h1) continue;
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int64_t w0 = bin_start(ow, g.W, g.OW), w1 = bin_end(ow, g.W, g.OW);
      if (w < w0 || w >= w1) continue;
      s += dy[(pl * g.OH + oh) * g.OW + ow] / T((h1 - h0) * (w1 - w0));
    }
  }
  return s;
}

}  // namespace eg::cuda::body
