// conv.cpp — CPU conv2d forward and backward by im2col + Eigen GEMM on row-major maps. Per image n and
// group g (Cg = C/G input and Og = O/G output channels, K = Cg·KH·KW, P = OH·OW):
//   col [K, P] = im2col(x[n, group g]),   y[n, group g] [Og, P] = W_g [Og, K] · col (+ b)
//   dW_g += dy[n, g] · colᵀ,   dcol = W_gᵀ · dy[n, g],   dx[n, group g] = col2im(dcol),   db = Σ dy.
// Images are spread over OpenMP threads, each with its own col buffer and its own partial dW/db (reduced
// in thread order at the end, so a fixed thread count gives fixed numbers); Eigen then runs single-
// threaded inside, which is what we want for many mid-size GEMMs. With fewer images than threads the
// loop runs serially and Eigen parallelizes each GEMM instead. A 1×1, stride-1, unpadded conv needs no
// im2col: x[n] already is col, and dx[n] = W_gᵀ · dy[n] directly.
// Float stride-1 convolutions (the 3×3 layers of every ResNet) skip im2col for y and dx: both go through
// the direct kernel of conv_direct.h (dx as the convolution of dy with the flipped, transposed weights);
// only dW still uses im2col + GEMM, whose depth OH·OW keeps it efficient.
#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/cpu/conv_direct.h"
#include "core/cpu/cpu_nn_kernels.h"

namespace eg::cpu {

namespace {

template <class T> using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T> using MatMap = Eigen::Map<RowMat<T>>;
template <class T> using ConstMatMap = Eigen::Map<const RowMat<T>>;
template <class T> using ColMatMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;

// The sizes every loop below works with.
struct Geom {
  int64_t N, C, H, W, O, KH, KW, OH, OW, G, Cg, Og, K, P;
  Conv2dParams p;
  bool pointwise;  // 1×1, stride 1, no padding (dilation is then irrelevant): col = x
};

Geom make_geom(const Shape& xs, const Shape& ws, const Conv2dParams& p) {
  Geom g{};
  g.N = xs[0], g.C = xs[1], g.H = xs[2], g.W = xs[3];
  g.O = ws[0], g.KH = ws[2], g.KW = ws[3];
  g.OH = (g.H + 2 * p.pad_h - p.dilation_h * (g.KH - 1) - 1) / p.stride_h + 1;
  g.OW = (g.W + 2 * p.pad_w - p.dilation_w * (g.KW - 1) - 1) / p.stride_w + 1;
  g.G = p.groups, g.Cg = g.C / g.G, g.Og = g.O / g.G;
  g.K = g.Cg * g.KH * g.KW, g.P = g.OH * g.OW;
  g.p = p;
  g.pointwise = g.KH == 1 && g.KW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  return g;
}

// Output positions o in [lo, hi) whose input index o·s + offset falls inside [0, n).
inline void valid_range(int64_t out, int64_t n, int64_t s, int64_t offset, int64_t& lo, int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + s - 1) / s;
  hi = n - 1 - offset < 0 ? 0 : (n - 1 - offset) / s + 1;
  hi = std::min(hi, out);
  lo = std::min(lo, hi);
}

// With stride 1 and OW == W, output rows [hlo, hhi) of one col row read the input plane at a constant
// shift delta = hoff·W + woff: one contiguous run instead of a loop per output row (whose overhead
// dominates at 8x8). Returns the positions [i0, i1) whose source lies inside the plane; the ones left
// out, and only those with ow outside [wlo, whi), belong to the padding.
struct Run {
  bool ok;
  int64_t delta, i0, i1;
};
inline Run contiguous_run(const Geom& g, int64_t hoff, int64_t woff, int64_t hlo, int64_t hhi) {
  if (g.p.stride_h != 1 || g.p.stride_w != 1 || g.OW != g.W) return {false, 0, 0, 0};
  const int64_t delta = hoff * g.W + woff, lo = hlo * g.OW, hi = hhi * g.OW;
  const int64_t i0 = std::min(std::max(lo, -delta), hi);
  return {true, delta, i0, std::max(std::min(hi, g.H * g.W - delta), i0)};
}

// Zeroes columns [0, wlo) and [whi, OW) of rows [hlo, hhi) (a handful each: plain loops beat fill calls).
template <class T>
inline void zero_padding_columns(T* row, int64_t OW, int64_t hlo, int64_t hhi, int64_t wlo, int64_t whi) {
  for (int64_t oh = hlo; oh < hhi; ++oh) {
    T* r = row + oh * OW;
    for (int64_t ow = 0; ow < wlo; ++ow) r[ow] = T(0);
    for (int64_t ow = whi; ow < OW; ++ow) r[ow] = T(0);
  }
}

// col [Cg·KH·KW, OH·OW] from the Cg input planes at x; padding reads as 0.
template <class T> void im2col(const T* x, const Geom& g, T* col) {
  const int64_t sh = g.p.stride_h, sw = g.p.stride_w;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        const T* plane = x + c * g.H * g.W;
        const int64_t hoff = kh * g.p.dilation_h - g.p.pad_h, woff = kw * g.p.dilation_w - g.p.pad_w;
        int64_t hlo, hhi, wlo, whi;
        valid_range(g.OH, g.H, sh, hoff, hlo, hhi);
        valid_range(g.OW, g.W, sw, woff, wlo, whi);
        std::fill(row, row + hlo * g.OW, T(0));
        std::fill(row + hhi * g.OW, row + g.P, T(0));
        if (Run r = contiguous_run(g, hoff, woff, hlo, hhi); r.ok) {
          std::fill(row + hlo * g.OW, row + r.i0, T(0));
          std::copy(plane + r.i0 + r.delta, plane + r.i1 + r.delta, row + r.i0);
          std::fill(row + r.i1, row + hhi * g.OW, T(0));
          zero_padding_columns(row, g.OW, hlo, hhi, wlo, whi);  // the run wrapped across rows there
          continue;
        }
        for (int64_t oh = hlo; oh < hhi; ++oh) {
          T* out = row + oh * g.OW;
          const T* xrow = plane + (oh * sh + hoff) * g.W;
          std::fill(out, out + wlo, T(0));
          if (sw == 1)
            for (int64_t ow = wlo; ow < whi; ++ow) out[ow] = xrow[ow + woff];
          else
            for (int64_t ow = wlo; ow < whi; ++ow) out[ow] = xrow[ow * sw + woff];
          std::fill(out + whi, out + g.OW, T(0));
        }
      }
}

// The adjoint of im2col: adds each col entry into the input position it was read from (dx pre-zeroed).
// Zeroes col's padding entries on the way (col is the caller's scratch), so a contiguous run adds them
// as exact zeros.
template <class T> void col2im(T* col, const Geom& g, T* dx) {
  const int64_t sh = g.p.stride_h, sw = g.p.stride_w;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        T* plane = dx + c * g.H * g.W;
        const int64_t hoff = kh * g.p.dilation_h - g.p.pad_h, woff = kw * g.p.dilation_w - g.p.pad_w;
        int64_t hlo, hhi, wlo, whi;
        valid_range(g.OH, g.H, sh, hoff, hlo, hhi);
        valid_range(g.OW, g.W, sw, woff, wlo, whi);
        if (Run r = contiguous_run(g, hoff, woff, hlo, hhi); r.ok) {
          zero_padding_columns(row, g.OW, hlo, hhi, wlo, whi);
          for (int64_t i = r.i0; i < r.i1; ++i) plane[i + r.delta] += row[i];
          continue;
        }
        for (int64_t oh = hlo; oh < hhi; ++oh) {
          const T* in = row + oh * g.OW;
          T* xrow = plane + (oh * sh + hoff) * g.W;
          if (sw == 1)
            for (int64_t ow = wlo; ow < whi; ++ow) xrow[ow + woff] += in[ow];
          else
            for (int64_t ow = wlo; ow < whi; ++ow) xrow[ow * sw + woff] += in[ow];
        }
      }
}

// Runs f(n, scratch, thread) for every image: over OpenMP threads (one scratch buffer of `scratch_size`
// each) when every thread gets an image and the work is worth it, else serially with Eigen free to
// parallelize each GEMM. Thread ids are below max_threads(). The scratch is left uninitialized (every
// user writes it whole before reading it).
template <class T, class F> void for_each_image(int64_t N, int64_t scratch_size, int64_t cost_per_image, F f) {
  if (max_threads() > 1 && N >= max_threads() && N * cost_per_image >= kParallelGrain) {
#pragma omp parallel
    {
      auto scratch = std::make_unique_for_overwrite<T[]>((size_t)scratch_size);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < N; ++n) f(n, scratch.get(), thread_id());
    }
  } else {
    auto scratch = std::make_unique_for_overwrite<T[]>((size_t)scratch_size);
    for (int64_t n = 0; n < N; ++n) f(n, scratch.get(), 0);
  }
}

template <class T> void conv_forward_impl(const T* x, const T* w, const T* b, T* y, const Geom& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (DirectConv::applies(g.p, g.KH, g.KW, g.OW)) {
      const DirectConv dc(w, b, g.C, g.O, g.H, g.W, g.KH, g.KW, g.p.pad_h, g.p.pad_w, /*adjoint=*/false);
      for_each_image<T>(g.N, dc.scratch_size(), g.O * g.K * g.P, [&](int64_t n, T* scratch, int) {
        dc.run(x + n * g.C * g.H * g.W, y + n * g.O * g.P, scratch);
      });
      return;
    }
  }
  const int64_t scratch = g.pointwise ? 0 : g.K * g.P;
  for_each_image<T>(g.N, scratch, g.O * g.K * g.P, [&](int64_t n, T* col, int) {
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const T* xg = x + (n * g.C + gi * g.Cg) * g.H * g.W;
      if (!g.pointwise) im2col(xg, g, col);
      ConstMatMap<T> Wg(w + gi * g.Og * g.K, g.Og, g.K);
      ConstMatMap<T> Col(g.pointwise ? xg : col, g.K, g.P);
      MatMap<T> Y(y + (n * g.O + gi * g.Og) * g.P, g.Og, g.P);
      Y.noalias() = Wg * Col;
      if (b)
        for (int64_t o = 0; o < g.Og; ++o) Y.row(o).array() += b[gi * g.Og + o];
    }
  });
}

// dx, dw, db are null where not wanted.
template <class T> void conv_backward_impl(const T* dy, const T* x, const T* w, T* dx, T* dw, T* db, const Geom& g) {
  if constexpr (std::is_same_v<T, float>) {
    // dx = the stride-1 convolution of dy [O, OH, OW] with w[c, o, KH−1−kh, KW−1−kw] and padding
    // KH−1−ph (output [C, H, W]); the loop below then only computes dW and db.
    if (dx && DirectConv::applies(g.p, g.KH, g.KW, g.W)) {
      const DirectConv dc(w, nullptr, g.O, g.C, g.OH, g.OW, g.KH, g.KW, g.KH - 1 - g.p.pad_h, g.KW - 1 - g.p.pad_w,
                          /*adjoint=*/true);
      for_each_image<T>(g.N, dc.scratch_size(), g.O * g.K * g.P, [&](int64_t n, T* scratch, int) {
        dc.run(dy + n * g.O * g.P, dx + n * g.C * g.H * g.W, scratch);
      });
      dx = nullptr;
      if (!dw && !db) return;
    }
  }
  const int64_t threads = max_threads(), wsize = g.O * g.K;
  std::vector<T> dw_part(dw ? (size_t)(threads * wsize) : 0, T(0));
  std::vector<double> db_part(db ? (size_t)(threads * g.O) : 0, 0.0);
  const bool need_col = !g.pointwise && (dw || dx);
  const int64_t cost = g.O * g.K * g.P * ((dw ? 1 : 0) + (dx ? 1 : 0)) + g.O * g.P;
  for_each_image<T>(g.N, need_col ? g.K * g.P : 0, cost, [&](int64_t n, T* col, int tid) {
    T* dxn = dx ? dx + n * g.C * g.H * g.W : nullptr;
    if (dxn && !g.pointwise) std::fill(dxn, dxn + g.C * g.H * g.W, T(0));
    for (int64_t gi = 0; gi < g.G; ++gi) {
      ConstMatMap<T> dY(dy + (n * g.O + gi * g.Og) * g.P, g.Og, g.P);
      ConstMatMap<T> Wg(w + gi * g.Og * g.K, g.Og, g.K);
      const T* xg = x + (n * g.C + gi * g.Cg) * g.H * g.W;
      if (dw) {
        if (!g.pointwise) im2col(xg, g, col);
        // Accumulated column-major (dW_gᵀ row-major): Eigen runs this product ~1.5x faster than into a
        // row-major [Og, K]; the reduction below transposes back.
        ColMatMap<T> dWg(dw_part.data() + tid * wsize + gi * g.Og * g.K, g.Og, g.K);
        dWg.noalias() += dY * ConstMatMap<T>(g.pointwise ? xg : col, g.K, g.P).transpose();
      }
      if (db)
        for (int64_t o = 0; o < g.Og; ++o) db_part[(size_t)(tid * g.O + gi * g.Og + o)] += (double)dY.row(o).sum();
      if (dxn) {
        T* dxg = dxn + gi * g.Cg * g.H * g.W;
        // The col buffer is free again once dW has used it: it now holds dcol.
        MatMap<T> dCol(g.pointwise ? dxg : col, g.K, g.P);
        dCol.noalias() = Wg.transpose() * dY;
        if (!g.pointwise) col2im(col, g, dxg);
      }
    }
  });
  if (dw)
    for (int64_t gi = 0; gi < g.G; ++gi)
      for (int64_t o = 0; o < g.Og; ++o)
        for (int64_t k = 0; k < g.K; ++k) {
          const int64_t at = gi * g.Og * g.K + k * g.Og + o;  // column-major within the group
          T s = 0;
          for (int64_t t = 0; t < threads; ++t) s += dw_part[(size_t)(t * wsize + at)];
          dw[(gi * g.Og + o) * g.K + k] = s;
        }
  if (db)
    for (int64_t o = 0; o < g.O; ++o) {
      double s = 0;
      for (int64_t t = 0; t < threads; ++t) s += db_part[(size_t)(t * g.O + o)];
      db[o] = (T)s;
    }
}

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p,
                      const Shape& out_shape) {
  Tensor y = Tensor::empty(out_shape, x.options());
  if (y.numel() == 0) return y;
  Geom g = make_geom(x.shape(), w.shape(), p);
  EG_DISPATCH_FLOAT(x.dtype(), "conv2d", [&] {
    conv_forward_impl<scalar_t>(x.data<scalar_t>(), w.data<scalar_t>(), b.defined() ? b.data<scalar_t>() : nullptr,
                                y.data<scalar_t>(), g);
  });
  return y;
}

Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dParams& p, bool need_dx,
                            bool need_dw, bool need_db) {
  Conv2dGrads r;
  // dx is written whole per image (zeroed there, near its use); dw/db are sums that may be empty.
  if (need_dx) r.dx = Tensor::empty(x.shape(), x.options());
  if (need_dw) r.dw = zeros(w.shape(), w.options());
  if (need_db) r.db = zeros({w.shape()[0]}, w.options());
  if (dy.numel() == 0) return r;
  Geom g = make_geom(x.shape(), w.shape(), p);
  EG_DISPATCH_FLOAT(x.dtype(), "conv2d backward", [&] {
    auto ptr = [](const Tensor& t) { return t.defined() ? t.data<scalar_t>() : nullptr; };
    conv_backward_impl<scalar_t>(dy.data<scalar_t>(), x.data<scalar_t>(), w.data<scalar_t>(), ptr(r.dx), ptr(r.dw),
                                 ptr(r.db), g);
  });
  return r;
}

}  // namespace eg::cpu
