// gemm_plan.h — how matmul (core/cuda/gemm.cu) and conv2d (core/cuda/nn.cu) map onto the tiled GEMM:
// matmul's strides and batch strides; conv's geometry, the chunk of images whose column matrix fits
// kColBudget, and the GEMM operands per group for the forward, the input gradient and the weight
// gradient. Host code (plain C++), shared with the host-loop tests (tests/test_cuda_host.cpp), which
// run these very GEMMs through the kernel's phases.
#pragma once
#include <algorithm>

#include "core/cuda/bodies_nn.h"
#include "core/cuda/gemm_tile.h"
#include "core/kernels_nn.h"
#include "core/shape.h"

namespace eg::cuda::body {

constexpr int64_t kColBudget = int64_t{256} << 20;  // bytes of column buffer per conv call

// Plain row-major operands: A (m, k) at a + m·lda + k, or transposed (k, m) when ta; likewise B.
template <class T>
GemmArgs<T> gemm_args(const T* a, bool ta, int64_t lda, const T* b, bool tb, int64_t ldb, T* c, int64_t ldc,
                      int64_t M, int64_t N, int64_t K) {
  GemmArgs<T> g{};
  g.a = a, g.b = b, g.c = c, g.M = M, g.N = N, g.K = K, g.kseg = K > 0 ? K : 1;
  g.a_m = ta ? 1 : lda, g.a_k = ta ? lda : 1;
  g.b_k = tb ? 1 : ldb, g.b_n = tb ? ldb : 1;
  g.c_m = ldc, g.c_n = 1;
  g.alpha = T(1), g.beta = T(0);
  return g;
}

// matmul of a [..., M, K] (or [..., K, M] when ta) and b likewise into c [batch..., M, N]; an operand
// whose batch dims are all ones is shared by every batch (stride 0), as core/kernels.cpp allows.
template <class T> GemmArgs<T> matmul_gemm(const T* a, const Shape& sa, bool ta, const T* b, const Shape& sb, bool tb,
                                           T* c, int64_t M, int64_t N, int64_t& batch) {
  const int64_t K = ta ? sa[sa.size() - 2] : sa.back();
  const int64_t a_mat = sa[sa.size() - 2] * sa.back(), b_mat = sb[sb.size() - 2] * sb.back();
  GemmArgs<T> g = gemm_args<T>(a, ta, sa.back(), b, tb, sb.back(), c, N, M, N, K);
  const int64_t a_batches = shape_numel(sa) / std::max<int64_t>(a_mat, 1);
  const int64_t b_batches = shape_numel(sb) / std::max<int64_t>(b_mat, 1);
  g.a_batch = a_batches == 1 ? 0 : a_mat;
  g.b_batch = b_batches == 1 ? 0 : b_mat;
  g.c_batch = M * N;
  batch = std::max(a_batches, b_batches);
  return g;
}

struct ConvPlan {
  ConvGeom g;
  int64_t N, O, G, Og, Cg, CKK, CgKK, OHW, HW, chunk;
  bool direct;         // 1×1, stride 1, no padding: the input is its own column matrix
  int64_t col_image;   // elements of one image's column matrix (C·HW when direct)
};

inline ConvPlan plan_conv(const Shape& xs, const Shape& ws, const kernels::Conv2dParams& p, const Shape& ys,
                          size_t esz, int64_t budget = kColBudget) {
  ConvPlan c;
  c.g = {xs[1], xs[2], xs[3], ws[2], ws[3], ys[2], ys[3], p.stride_h, p.stride_w, p.pad_h, p.pad_w,
         p.dilation_h, p.dilation_w};
  c.N = xs[0], c.O = ws[0], c.G = p.groups, c.Og = c.O / c.G, c.Cg = ws[1];
  c.CKK = xs[1] * ws[2] * ws[3], c.CgKK = ws[1] * ws[2] * ws[3], c.OHW = ys[2] * ys[3], c.HW = xs[2] * xs[3];
  c.direct = ws[2] == 1 && ws[3] == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  c.col_image = c.direct ? c.g.C * c.HW : c.CKK * c.OHW;
  const int64_t per_image = std::max<int64_t>(c.CKK * c.OHW * (int64_t)esz, 1);
  c.chunk = std::max<int64_t>(1, std::min<int64_t>(c.N, budget / per_image));
  return c;
}

// y[n0 + z, g·Og + o, p] = Σ_j w[g·Og + o, j] · cols[z, g·CgKK + j, p], batched over the chunk's images z.
template <class T> GemmArgs<T> conv_forward_gemm(const ConvPlan& c, const T* w, const T* cols, T* y, int64_t n0,
                                                 int64_t gi) {
  GemmArgs<T> g = gemm_args<T>(w + gi * c.Og * c.CgKK, false, c.CgKK, cols + gi * c.CgKK * c.OHW, false, c.OHW,
                               y + (n0 * c.O + gi * c.Og) * c.OHW, c.OHW, c.Og, c.OHW, c.CgKK);
  g.b_batch = c.col_image, g.c_batch = c.O * c.OHW;
  return g;
}

// dcol[z, g·CgKK + j, p] = Σ_o w[g·Og + o, j] · dy[n0 + z, g·Og + o, p], batched over z.
template <class T> GemmArgs<T> conv_dcol_gemm(const ConvPlan& c, const T* w, const T* dy, T* dcol, int64_t n0,
                                              int64_t gi) {
  GemmArgs<T> g = gemm_args<T>(w + gi * c.Og * c.CgKK, true, c.CgKK, dy + (n0 * c.O + gi * c.Og) * c.OHW, false,
                               c.OHW, dcol + gi * c.CgKK * c.OHW, c.OHW, c.CgKK, c.OHW, c.Og);
  g.b_batch = c.O * c.OHW, g.c_batch = c.col_image;
  return g;
}

// The weight gradient sums over (image, pixel) pairs: a K of N·OH·OW against a small Og×CgKK output,
// too few tiles to fill a GPU. So it is split over the images: split s sums `per` images (the last one
// fewer) into partial[s] (shaped like dw), and dw_split_sum adds the splits. ~256 blocks in all.
struct DwSplit {
  int64_t per, splits;
};
inline DwSplit dw_split(const ConvPlan& c, int64_t nc) {
  const int64_t tiles = ((c.Og + kTileM - 1) / kTileM) * ((c.CgKK + kTileN - 1) / kTileN);
  const int64_t want = std::min<int64_t>(std::max<int64_t>((256 + tiles - 1) / tiles, 1), nc);
  const int64_t per = (nc + want - 1) / want;
  return {per, (nc + per - 1) / per};
}

// partial[s][g·Og + o, j] = Σ_(z in split s, p) dy[n0 + z, g·Og + o, p] · cols[z, g·CgKK + j, p], for the
// splits [s0, s0 + count) of `per` images each (batched over s).
template <class T> GemmArgs<T> conv_dw_gemm(const ConvPlan& c, const T* dy, const T* cols, T* partial, int64_t n0,
                                            int64_t gi, int64_t s0, int64_t per) {
  const int64_t z0 = s0 * per;  // first image of split s0, within the chunk
  GemmArgs<T> g = gemm_args<T>(dy + ((n0 + z0) * c.O + gi * c.Og) * c.OHW, false, c.OHW,
                               cols + z0 * c.col_image + gi * c.CgKK * c.OHW, true, c.OHW,
                               partial + s0 * c.O * c.CgKK + gi * c.Og * c.CgKK, c.CgKK, c.Og, c.CgKK, per * c.OHW);
  g.kseg = c.OHW, g.a_kouter = c.O * c.OHW, g.b_kouter = c.col_image;
  g.a_batch = per * c.O * c.OHW, g.b_batch = per * c.col_image, g.c_batch = c.O * c.CgKK;
  return g;
}

// Every GEMM of the weight gradient of chunk [n0, n0 + nc): run(args, batch) for each.
template <class T, class Run> void conv_dw_gemms(const ConvPlan& c, const DwSplit& s, const T* dy, const T* cols,
                                                 T* partial, int64_t n0, int64_t nc, Run run) {
  const int64_t full = nc / s.per, tail = nc % s.per;
  for (int64_t gi = 0; gi < c.G; ++gi) {
    if (full > 0) run(conv_dw_gemm<T>(c, dy, cols, partial, n0, gi, 0, s.per), full);
    if (tail > 0) {
      GemmArgs<T> g = conv_dw_gemm<T>(c, dy, cols, partial, n0, gi, full, s.per);
      g.K = tail * c.OHW;
      run(g, 1);
    }
  }
}

// dw element i after a chunk: the splits' sum, added to what earlier chunks left unless first.
template <class T> EG_HD T dw_split_sum(const T* partial, int64_t splits, int64_t size, int64_t i, const T* dw, bool first) {
  T s = first ? T(0) : dw[i];
  for (int64_t k = 0; k < splits; ++k) s += partial[k * size + i];
  return s;
}

}  // namespace eg::cuda::body
