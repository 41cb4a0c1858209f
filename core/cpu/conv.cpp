// conv.cpp — CPU conv2d forward and backward. Two paths:
// - Float stride-1 convolutions (the 3×3 layers of every ResNet) use Winograd F(2×2, 3×3)
//   (conv_winograd.h: 3×3, padding 1, ≥ 64 channels, batches of ≥ 8) or else, for rows wider than 4, the
//   direct kernels of conv_direct.h: y, dx (as the convolution of dy with the flipped, transposed
//   weights) and dW, with no im2col and no GEMM.
// - Everything else (f64 for gradchecks, strides, dilation, groups, small planes) uses im2col + Eigen
//   GEMM on row-major maps, per block of B images and group g (Cg = C/G input and Og = O/G output
//   channels, K = Cg·KH·KW, P = OH·OW; B·P ≈ 256 so that small planes still make wide GEMMs):
//     col [K, B·P] = im2col(x[block, group g]),   y[block, group g] [Og, B·P] = W_g [Og, K] · col (+ b)
//     dW_g += dy[block, g] · colᵀ,   dcol = W_gᵀ · dy[block, g],   dx[block, group g] = col2im(dcol),
//     db = Σ dy.
//   A 1×1, stride-1, unpadded conv with B = 1 needs no im2col: x[n] already is col, dx[n] = W_gᵀ · dy[n].
// Blocks are spread over OpenMP threads, each with its own scratch; dW sums go through chunked_sum, whose
// chunks are fixed by the sizes, so the numbers do not depend on the thread count. With fewer blocks than
// threads the loop runs serially and gemm.h splits each GEMM over the threads instead.
#include "core/eigen.h"
#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/allocator.h"
#include "core/cpu/conv_direct.h"
#include "core/cpu/conv_winograd.h"
#include "core/cpu/gemm.h"
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

// col [Cg·KH·KW, OH·OW] (rows ld apart) from the Cg input planes at x; padding reads as 0.
template <class T> void im2col(const T* x, const Geom& g, T* col, int64_t ld) {
  const int64_t sh = g.p.stride_h, sw = g.p.stride_w;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = col + ((c * g.KH + kh) * g.KW + kw) * ld;
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

// The adjoint of im2col: adds each col entry (rows ld apart) into the input position it was read from
// (dx pre-zeroed). Zeroes col's padding entries on the way (col is the caller's scratch), so a
// contiguous run adds them as exact zeros.
template <class T> void col2im(T* col, const Geom& g, T* dx, int64_t ld) {
  const int64_t sh = g.p.stride_h, sw = g.p.stride_w;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = col + ((c * g.KH + kh) * g.KW + kw) * ld;
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
// each) when every thread gets an image and the work is worth it, else serially with gemm.h free to
// split each GEMM over the threads. Thread ids are below max_threads(). The scratch is left uninitialized (every
// user writes it whole before reading it). Schedule::Dynamic hands out images one at a time, so a thread
// the OS preempts (the cores are shared) does not hold up the others: only for an f whose result does not
// depend on which thread ran which image.
enum class Schedule { Static, Dynamic };
template <class T, class F>
void for_each_image(int64_t N, int64_t scratch_size, int64_t cost_per_image, F f, Schedule sched = Schedule::Static) {
  if (max_threads() > 1 && N >= max_threads() && N * cost_per_image >= kParallelGrain) {
#pragma omp parallel
    {
      auto scratch = memory::scratch<T>((size_t)scratch_size);
      if (sched == Schedule::Dynamic) {
#pragma omp for schedule(dynamic, 1)
        for (int64_t n = 0; n < N; ++n) f(n, scratch.get(), thread_id());
      } else {
#pragma omp for schedule(static)
        for (int64_t n = 0; n < N; ++n) f(n, scratch.get(), thread_id());
      }
    }
  } else {
    auto scratch = memory::scratch<T>((size_t)scratch_size);
    for (int64_t n = 0; n < N; ++n) f(n, scratch.get(), 0);
  }
}

// total [size] = Σ_i acc(i, part, scratch) over items i in [0, items), where acc adds item i's
// contribution into `part` (zeroed here). The items are split into a fixed number of contiguous chunks,
// each summed in order into its own partial, and the partials are added in chunk order: the numbers do
// not depend on which thread ran which chunk, so the chunks can be handed out dynamically (see
// for_each_image). Up to 8 chunks, fewer when the partials would pass 16 MB: a count fixed by the sizes,
// never by the threads, since it decides the order of the sums.
template <class T, class F>
void chunked_sum(int64_t items, int64_t size, int64_t scratch_size, int64_t cost_per_item, F acc, T* total) {
  const int64_t cap = std::max<int64_t>(1, (int64_t{16} << 20) / (size * (int64_t)sizeof(T)));
  const int64_t chunks = std::min({items, int64_t{8}, cap});
  auto parts = memory::scratch<T>((size_t)(chunks * size));
  std::fill_n(parts.get(), chunks * size, T(0));
  for_each_image<T>(chunks, scratch_size, items / chunks * cost_per_item, [&](int64_t k, T* scratch, int) {
    for (int64_t i = k * items / chunks; i < (k + 1) * items / chunks; ++i) acc(i, parts.get() + k * size, scratch);
  }, Schedule::Dynamic);
  parallel_for(size, [&](int64_t i) {
    T s = 0;
    for (int64_t k = 0; k < chunks; ++k) s += parts[(size_t)(k * size + i)];
    total[i] = s;
  }, chunks);
}

// db[o] = Σ_{n, p} dy[n, o, p], accumulated in double: in 8 interleaved partial sums (a fixed order, so
// the compiler can keep them in vector registers; one running sum was a serial chain of adds).
template <class T> void bias_grad(const T* dy, const Geom& g, T* db) {
  parallel_for(g.O, [&](int64_t o) {
    double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t n = 0; n < g.N; ++n) {
      const T* row = dy + (n * g.O + o) * g.P;
      int64_t i = 0;
      for (; i + 8 <= g.P; i += 8)
        for (int k = 0; k < 8; ++k) part[k] += (double)row[i + k];
      for (; i < g.P; ++i) part[i % 8] += (double)row[i];
    }
    double s = 0;
    for (double v : part) s += v;
    db[o] = (T)s;
  }, g.N * g.P);
}

// Images per GEMM on the im2col path: enough that a block's B·OH·OW columns reach ~256. With one image
// per GEMM, small planes (ResNet-18's 4×4 layer4, the strided convs) would re-read and repack the whole
// weight matrix for a product only OH·OW columns wide.
int64_t gemm_block(const Geom& g) { return std::clamp<int64_t>(256 / std::max<int64_t>(g.P, 1), 1, g.N); }

template <class T> void conv_forward_impl(const T* x, const T* w, const T* b, T* y, const Geom& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (WinogradConv::applies(g.p, g.N, g.C, g.O, g.H, g.W, g.KH, g.KW)) {
      const WinogradConv wc(w, b, g.N, g.C, g.O, g.H, g.W, /*adjoint=*/false);
      const int64_t L = wc.lanes();
      for_each_image<T>((g.N + L - 1) / L, wc.scratch_size(), L * g.O * g.K * g.P, [&](int64_t grp, T* scratch, int) {
        const int64_t n0 = grp * L;
        wc.run(x + n0 * g.C * g.H * g.W, std::min(L, g.N - n0), y + n0 * g.O * g.P, scratch);
      }, Schedule::Dynamic);
      return;
    }
    if (DirectConv::applies(g.p, g.KH, g.KW, g.OW)) {
      const DirectConv dc(w, b, g.C, g.O, g.H, g.W, g.KH, g.KW, g.p.pad_h, g.p.pad_w, /*adjoint=*/false);
      for_each_image<T>(g.N, dc.scratch_size(), g.O * g.K * g.P, [&](int64_t n, T* scratch, int) {
        dc.run(x + n * g.C * g.H * g.W, y + n * g.O * g.P, scratch);
      }, Schedule::Dynamic);
      return;
    }
  }
  // im2col + GEMM over blocks of B images: Y_B [Og, B·P] = W_g · col_B [K, B·P], then each image's
  // rows are copied out (with B = 1, Y is the output itself and a pointwise conv reads x as col).
  const int64_t B = gemm_block(g), blocks = (g.N + B - 1) / B;
  const bool x_is_col = g.pointwise && B == 1;
  const int64_t col_size = x_is_col ? 0 : g.K * B * g.P;
  for_each_image<T>(blocks, col_size + (B > 1 ? g.Og * B * g.P : 0), B * g.O * g.K * g.P,
                    [&](int64_t blk, T* scratch, int) {
    const int64_t n0 = blk * B, nb = std::min(B, g.N - n0), ld = nb * g.P;
    T* col = scratch;
    T* ybuf = scratch + col_size;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const T* xg = x + (n0 * g.C + gi * g.Cg) * g.H * g.W;
      if (!x_is_col)
        for (int64_t i = 0; i < nb; ++i) im2col(xg + i * g.C * g.H * g.W, g, col + i * g.P, ld);
      ConstMatMap<T> Wg(w + gi * g.Og * g.K, g.Og, g.K);
      ConstMatMap<T> Col(x_is_col ? xg : col, g.K, ld);
      T* y0 = y + (n0 * g.O + gi * g.Og) * g.P;
      MatMap<T> Y(nb == 1 ? y0 : ybuf, g.Og, ld);
      gemm(Y, Wg, Col);
      for (int64_t i = 0; i < nb; ++i)
        for (int64_t o = 0; o < g.Og; ++o) {
          T* dst = y0 + (i * g.O + o) * g.P;
          if (nb > 1) std::copy_n(ybuf + o * ld + i * g.P, g.P, dst);
          if (b) {
            const T bo = b[gi * g.Og + o];
            for (int64_t k = 0; k < g.P; ++k) dst[k] += bo;
          }
        }
    }
  }, Schedule::Dynamic);
}

// dx, dw, db are null where not wanted.
template <class T> void conv_backward_impl(const T* dy, const T* x, const T* w, T* dx, T* dw, T* db, const Geom& g) {
  if constexpr (std::is_same_v<T, float>) {
    // dx = the stride-1 convolution of dy [O, OH, OW] with w[c, o, KH−1−kh, KW−1−kw] and padding
    // KH−1−ph (output [C, H, W]); the loop below then only computes dW and db.
    if (dx && WinogradConv::applies(g.p, g.N, g.O, g.C, g.OH, g.OW, g.KH, g.KW)) {
      const WinogradConv wc(w, nullptr, g.N, g.O, g.C, g.OH, g.OW, /*adjoint=*/true);
      const int64_t L = wc.lanes();
      for_each_image<T>((g.N + L - 1) / L, wc.scratch_size(), L * g.O * g.K * g.P, [&](int64_t grp, T* scratch, int) {
        const int64_t n0 = grp * L;
        wc.run(dy + n0 * g.O * g.P, std::min(L, g.N - n0), dx + n0 * g.C * g.H * g.W, scratch);
      }, Schedule::Dynamic);
      dx = nullptr;
      if (!dw && !db) return;
    }
    if (dx && DirectConv::applies(g.p, g.KH, g.KW, g.W)) {
      const DirectConv dc(w, nullptr, g.O, g.C, g.OH, g.OW, g.KH, g.KW, g.KH - 1 - g.p.pad_h, g.KW - 1 - g.p.pad_w,
                          /*adjoint=*/true);
      for_each_image<T>(g.N, dc.scratch_size(), g.O * g.K * g.P, [&](int64_t n, T* scratch, int) {
        dc.run(dy + n * g.O * g.P, dx + n * g.C * g.H * g.W, scratch);
      }, Schedule::Dynamic);
      dx = nullptr;
      if (!dw && !db) return;
    }
    // dW (and db) without im2col: by Winograd where it applies, else by the direct kernel, from blocks
    // of images accumulated by chunked_sum.
    if (!dx && (dw || db) && WinogradWeightGrad::applies(g.p, g.N, g.C, g.O, g.H, g.W, g.KH, g.KW)) {
      if (dw) {
        const WinogradWeightGrad gw(g.N, g.C, g.O, g.H, g.W);
        const int64_t L = gw.lanes();
        auto ghat = memory::scratch<T>((size_t)gw.ghat_size());
        chunked_sum<T>((g.N + L - 1) / L, gw.ghat_size(), gw.scratch_size(), L * g.O * g.K * g.P,
                       [&](int64_t grp, T* part, T* scratch) {
                         const int64_t n0 = grp * L;
                         gw.accumulate(x + n0 * g.C * g.H * g.W, dy + n0 * g.O * g.P, std::min(L, g.N - n0), part,
                                       scratch);
                       }, ghat.get());
        gw.finish(ghat.get(), dw);
      }
      if (db) bias_grad(dy, g, db);
      return;
    }
    if (!dx && (dw || db) && DirectConv::applies(g.p, g.KH, g.KW, g.OW)) {
      if (dw) {
        const DirectConvWeightGrad gw(g.C, g.O, g.H, g.W, g.KH, g.KW, g.p.pad_h, g.p.pad_w);
        const int64_t B = gw.block();
        chunked_sum<T>((g.N + B - 1) / B, g.O * g.K, gw.scratch_size(), B * g.O * g.K * g.P,
                       [&](int64_t blk, T* part, T* scratch) {
                         const int64_t n0 = blk * B;
                         gw.accumulate(x + n0 * g.C * g.H * g.W, dy + n0 * g.O * g.P, std::min(B, g.N - n0), part,
                                       scratch);
                       }, dw);
      }
      if (db) bias_grad(dy, g, db);
      return;
    }
  }
  // im2col + GEMM over blocks of B images, as the forward: dY_B [Og, B·P] gathers the block's dy rows
  // (dy itself when B = 1), dW_g += dY_B · col_Bᵀ, dcol_B = W_gᵀ · dY_B is scattered back per image.
  // dW is summed over the blocks by chunked_sum (see dw_rows for its layout); db is
  // bias_grad's fixed-order sum.
  const int64_t wsize = g.O * g.K;
  // dW_g is accumulated row-major [Og, K] by the packed GEMM (rows of C = output channels: whole register
  // tiles), column-major (dW_gᵀ, transposed back at the end) by Eigen, which runs that product ~1.5x faster.
  const bool dw_rows = gemm_is_packed<T>();
  const int64_t B = gemm_block(g), blocks = (g.N + B - 1) / B;
  const bool x_is_col = g.pointwise && B == 1;
  const int64_t col_size = !x_is_col && (dw || dx) ? g.K * B * g.P : 0;
  const int64_t cost = B * g.O * g.K * g.P * ((dw ? 1 : 0) + (dx ? 1 : 0));
  auto block = [&](int64_t blk, T* dw_part, T* scratch) {
    const int64_t n0 = blk * B, nb = std::min(B, g.N - n0), ld = nb * g.P;
    T* col = scratch;
    T* dybuf = scratch + col_size;
    if (dx && !x_is_col) std::fill(dx + n0 * g.C * g.H * g.W, dx + (n0 + nb) * g.C * g.H * g.W, T(0));
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const T* dy0 = dy + (n0 * g.O + gi * g.Og) * g.P;
      if (nb > 1)
        for (int64_t o = 0; o < g.Og; ++o)
          for (int64_t i = 0; i < nb; ++i) std::copy_n(dy0 + (i * g.O + o) * g.P, g.P, dybuf + o * ld + i * g.P);
      ConstMatMap<T> dY(nb > 1 ? dybuf : dy0, g.Og, ld);
      ConstMatMap<T> Wg(w + gi * g.Og * g.K, g.Og, g.K);
      const T* xg = x + (n0 * g.C + gi * g.Cg) * g.H * g.W;
      if (dw_part) {
        if (!x_is_col)
          for (int64_t i = 0; i < nb; ++i) im2col(xg + i * g.C * g.H * g.W, g, col + i * g.P, ld);
        const auto colT = ConstMatMap<T>(x_is_col ? xg : col, g.K, ld).transpose();
        if (dw_rows) gemm(MatMap<T>(dw_part + gi * g.Og * g.K, g.Og, g.K), dY, colT, /*accumulate=*/true);
        else gemm(ColMatMap<T>(dw_part + gi * g.Og * g.K, g.Og, g.K), dY, colT, /*accumulate=*/true);
      }
      if (dx) {
        T* dxg = dx + (n0 * g.C + gi * g.Cg) * g.H * g.W;
        // The col buffer is free again once dW has used it: it now holds dcol.
        gemm(MatMap<T>(x_is_col ? dxg : col, g.K, ld), Wg.transpose(), dY);
        if (!x_is_col)
          for (int64_t i = 0; i < nb; ++i) col2im(col + i * g.P, g, dxg + i * g.C * g.H * g.W, ld);
      }
    }
  };
  const int64_t scratch_size = col_size + (B > 1 ? g.Og * B * g.P : 0);
  if (dw && dw_rows) {
    chunked_sum<T>(blocks, wsize, scratch_size, cost, block, dw);
  } else if (dw) {
    auto dw_t = memory::scratch<T>((size_t)wsize);
    chunked_sum<T>(blocks, wsize, scratch_size, cost, block, dw_t.get());
    for (int64_t gi = 0; gi < g.G; ++gi)
      for (int64_t o = 0; o < g.Og; ++o)
        for (int64_t k = 0; k < g.K; ++k) dw[(gi * g.Og + o) * g.K + k] = dw_t[(size_t)(gi * g.Og * g.K + k * g.Og + o)];
  } else if (dx) {
    for_each_image<T>(blocks, scratch_size, cost, [&](int64_t blk, T* scratch, int) { block(blk, nullptr, scratch); },
                      Schedule::Dynamic);
  }
  if (db) bias_grad(dy, g, db);
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
