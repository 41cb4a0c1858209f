// test_cuda_host.cpp — the CUDA kernels' per-thread bodies (core/cuda/bodies_*.h, gemm_tile.h,
// gemm_plan.h), compiled by the host compiler and run in loops over their grid, against the CPU kernels
// on random shapes with odd sizes. They run in every build, with or without nvcc or a GPU, and catch the
// index errors of the CUDA kernels here; tests/test_cuda.cpp runs the kernels themselves on a device.
#include <vector>

#include "core/cuda/bodies_elementwise.h"
#include "core/cuda/geometry.h"
#include "core/cuda/gemm_plan.h"
#include "tests/test_util.h"

using namespace eg;
using namespace eg::cuda::body;

namespace {

Tensor rn(const Shape& s, uint64_t seed, DType dt = DType::F64) {
  Generator g(seed);
  return randn(s, g, {dt});
}
template <class T> T* ptr(const Tensor& t) { return t.data<T>(); }
template <class F> void grid(int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) f(i);
}

// The GEMM kernel's blocks, one after another, each running its threads' phases in turn.
template <class T> void host_gemm(const GemmArgs<T>& g, int64_t batch) {
  struct Acc { T v[kMicro][kMicro]; };
  std::vector<Acc> acc(kGemmThreads);
  GemmSmem<T> s;
  const int64_t gx = (g.N + kTileN - 1) / kTileN, gy = (g.M + kTileM - 1) / kTileM;
  for (int64_t z = 0; z < batch; ++z)
    for (int64_t bm = 0; bm < gy; ++bm)
      for (int64_t bn = 0; bn < gx; ++bn) {
        for (auto& a : acc) a = Acc{};
        for (int64_t k0 = 0; k0 < g.K; k0 += kTileK) {
          for (int t = 0; t < kGemmThreads; ++t) gemm_load(g, bm, bn, z, k0, t, s);
          for (int t = 0; t < kGemmThreads; ++t) gemm_fma(t, s, acc[(size_t)t].v);
        }
        for (int t = 0; t < kGemmThreads; ++t) gemm_store(g, bm, bn, z, t, acc[(size_t)t].v);
      }
}

template <class T> Tensor host_matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  Tensor ref = kernels::matmul(a, b, ta, tb);  // also the output shape
  Tensor c = full(ref.shape(), 123.0, ref.options());
  const Shape& sc = c.shape();
  int64_t batch = 0;
  GemmArgs<T> g = matmul_gemm<T>(ptr<T>(a), a.shape(), ta, ptr<T>(b), b.shape(), tb, ptr<T>(c), sc[sc.size() - 2],
                                 sc.back(), batch);
  host_gemm(g, batch);
  return c;
}

}  // namespace

TEST_CASE("cuda_host: the tiled GEMM's phases match matmul (odd sizes, transposes, batch broadcast)") {
  struct Case { int64_t M, K, N; };
  int seed = 0;
  for (Case cs : {Case{1, 1, 1}, Case{7, 5, 3}, Case{65, 17, 70}, Case{130, 33, 1}, Case{64, 64, 64}})
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      Shape sa = ta ? Shape{cs.K, cs.M} : Shape{cs.M, cs.K}, sb = tb ? Shape{cs.N, cs.K} : Shape{cs.K, cs.N};
      Tensor a = rn(sa, ++seed), b = rn(sb, ++seed);
      CHECK_CLOSE(host_matmul<double>(a, b, ta, tb), kernels::matmul(a, b, ta, tb), 1e-12, 1e-12);
      Shape ba = sa, bb = sb;
      ba.insert(ba.begin(), 3);
      bb.insert(bb.begin(), {1});
      Tensor a3 = rn(ba, ++seed, DType::F32), b1 = rn(bb, ++seed, DType::F32);
      CHECK_CLOSE(host_matmul<float>(a3, b1, ta, tb), kernels::matmul(a3, b1, ta, tb), 1e-4, 1e-4);
      ba[0] = 1, bb[0] = 2;  // the other way round: A shared, B batched
      Tensor a1 = rn(ba, ++seed, DType::F32), b2 = rn(bb, ++seed, DType::F32);
      CHECK_CLOSE(host_matmul<float>(a1, b2, ta, tb), kernels::matmul(a1, b2, ta, tb), 1e-4, 1e-4);
    }
}

namespace {

// conv2d forward and backward exactly as core/cuda/nn.cu runs them, with host loops for the kernels.
template <class T> kernels::Conv2dGrads host_conv(const Tensor& x, const Tensor& w, const Tensor& dy,
                                                  const kernels::Conv2dParams& p, int64_t budget,
                                                  int64_t split_override, Tensor& y) {
  const ConvPlan c = plan_conv(x.shape(), w.shape(), p, dy.shape(), sizeof(T), budget);
  std::vector<T> col((size_t)(c.chunk * c.CKK * c.OHW));
  y = zeros(dy.shape(), x.options());
  kernels::Conv2dGrads r{zeros(x.shape(), x.options()), zeros(w.shape(), w.options()), Tensor()};
  auto columns = [&](int64_t n0, int64_t nc) -> const T* {
    const T* xn = ptr<T>(x) + n0 * c.g.C * c.HW;
    if (c.direct) return xn;
    grid(nc * c.CKK * c.OHW, [&](int64_t i) { col[(size_t)i] = im2col_value(xn, c.g, i); });
    return col.data();
  };
  for (int64_t n0 = 0; n0 < c.N; n0 += c.chunk) {
    const int64_t nc = std::min(c.chunk, c.N - n0);
    const T* cols = columns(n0, nc);
    for (int64_t gi = 0; gi < c.G; ++gi) host_gemm(conv_forward_gemm<T>(c, ptr<T>(w), cols, ptr<T>(y), n0, gi), nc);
    const DwSplit split = split_override > 0 ? DwSplit{split_override, (nc + split_override - 1) / split_override}
                                             : dw_split(c, nc);
    std::vector<T> partial((size_t)(split.splits * r.dw.numel()));
    conv_dw_gemms<T>(c, split, ptr<T>(dy), cols, partial.data(), n0, nc,
                     [](const GemmArgs<T>& g, int64_t b) { host_gemm(g, b); });
    grid(r.dw.numel(), [&](int64_t i) {
      ptr<T>(r.dw)[i] = dw_split_sum(partial.data(), split.splits, r.dw.numel(), i, ptr<T>(r.dw), n0 == 0);
    });
    T* dxn = ptr<T>(r.dx) + n0 * c.g.C * c.HW;
    T* dcol = c.direct ? dxn : col.data();
    for (int64_t gi = 0; gi < c.G; ++gi) host_gemm(conv_dcol_gemm<T>(c, ptr<T>(w), ptr<T>(dy), dcol, n0, gi), nc);
    if (!c.direct) grid(nc * c.g.C * c.HW, [&](int64_t i) { dxn[i] = col2im_value(dcol, c.g, i); });
  }
  return r;
}

}  // namespace

TEST_CASE("cuda_host: conv2d by im2col, the GEMM phases and col2im matches the CPU conv") {
  struct Case {
    Shape x, w;
    kernels::Conv2dParams p;
  };
  const std::vector<Case> cases = {
      {{3, 4, 7, 9}, {6, 2, 3, 3}, {2, 2, 1, 1, 1, 1, 2}},   // stride 2, padding, 2 groups
      {{2, 5, 6, 5}, {3, 5, 1, 1}, {}},                      // 1×1 stride 1: no im2col
      {{2, 3, 9, 8}, {4, 3, 2, 3}, {1, 2, 1, 0, 2, 1, 1}},   // dilation 2, rectangular kernel
      {{5, 3, 5, 5}, {6, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 3}},   // depthwise-like groups, odd batch
  };
  int seed = 100;
  for (const Case& cs : cases) {
    Tensor x = rn(cs.x, ++seed), w = rn(cs.w, ++seed);
    const Shape ys = kernels::conv2d_output_shape(x, w, Tensor(), cs.p);
    Tensor dy = rn(ys, ++seed);
    const kernels::Conv2dGrads ref = kernels::conv2d_backward(dy, x, w, cs.p, true, true, false);
    // A budget of one image's columns forces chunks (and the weight gradient's accumulation over them).
    const int64_t per_image = cs.x[1] * cs.w[2] * cs.w[3] * ys[2] * ys[3] * 8;
    // Budgets and weight-gradient splits: default, one image per chunk, two per chunk with two per split.
    for (auto [budget, per_split] : {std::pair<int64_t, int64_t>{kColBudget, 0}, {per_image, 0}, {2 * per_image, 2},
                                     {kColBudget, 2}}) {
      Tensor y;
      const kernels::Conv2dGrads got = host_conv<double>(x, w, dy, cs.p, budget, per_split, y);
      CHECK_CLOSE(y, kernels::conv2d_forward(x, w, Tensor(), cs.p), 1e-10, 1e-10);
      CHECK_CLOSE(got.dx, ref.dx, 1e-10, 1e-10);
      CHECK_CLOSE(got.dw, ref.dw, 1e-10, 1e-10);
    }
  }
}

TEST_CASE("cuda_host: layout bodies match permute, narrow, narrow_scatter_, expand, where and pad") {
  Tensor x = rn({3, 1, 5, 4}, 1);
  Strided pg = permute_strided(x.shape(), {2, 0, 3, 1});
  Tensor ref = kernels::permute(x, {2, 0, 3, 1}), got = zeros(ref.shape(), {DType::F64});
  grid(got.numel(), [&](int64_t i) { ptr<double>(got)[i] = ptr<double>(x)[strided_offset(pg, i)]; });
  CHECK_CLOSE(got, ref, 0, 0);

  for (int64_t dim = 0; dim < 4; ++dim) {
    const int64_t n = x.shape()[(size_t)dim], step = n > 2 ? 2 : 1, len = (n - 1) / step + 1;
    const Split d = split_around(x.shape(), dim);
    Strided sg = slice_geometry(d.outer, d.n, d.inner, 0, len, step);
    Tensor nr = kernels::narrow(x, dim, 0, len, step), mine = zeros(nr.shape(), {DType::F64});
    grid(mine.numel(), [&](int64_t i) { ptr<double>(mine)[i] = ptr<double>(x)[strided_offset(sg, i)]; });
    CHECK_CLOSE(mine, nr, 0, 0);
    Tensor dst = zeros(x.shape(), {DType::F64}), dref = zeros(x.shape(), {DType::F64});
    grid(nr.numel(), [&](int64_t i) { ptr<double>(dst)[strided_offset(sg, i)] = ptr<double>(nr)[i]; });
    kernels::narrow_scatter_(dref, nr, dim, 0, step);
    CHECK_CLOSE(dst, dref, 0, 0);
  }

  Tensor small = rn({5, 1}, 2);
  Shape big{2, 5, 3};
  Strided bg = broadcast_strided(big, small.shape());
  Tensor ex = zeros(big, {DType::F64});
  grid(ex.numel(), [&](int64_t i) { ptr<double>(ex)[i] = ptr<double>(small)[strided_offset(bg, i)]; });
  CHECK_CLOSE(ex, kernels::expand(small, big), 0, 0);

  Tensor cond = kernels::binary(kernels::BinaryOp::Gt, rn({2, 1, 3}, 3), zeros({1}, {DType::F64}));
  Tensor a = rn({5, 3}, 4), b = rn({2, 5, 1}, 5);
  Tensor wref = kernels::where(cond, a, b), wgot = zeros(wref.shape(), {DType::F64});
  Strided gc = broadcast_strided(wref.shape(), cond.shape()), ga = broadcast_strided(wref.shape(), a.shape()),
          gb = broadcast_strided(wref.shape(), b.shape());
  grid(wgot.numel(), [&](int64_t i) {
    ptr<double>(wgot)[i] = ptr<double>(cond)[strided_offset(gc, i)] != 0 ? ptr<double>(a)[strided_offset(ga, i)]
                                                                          : ptr<double>(b)[strided_offset(gb, i)];
  });
  CHECK_CLOSE(wgot, wref, 0, 0);

  const std::vector<int64_t> pads{1, 2, 0, 3, 2, 0};
  Shape os;
  PadGeom pdg = pad_geometry(x.shape(), pads, os);
  Tensor pref = kernels::pad(x, pads, -7.0), pgot = zeros(os, {DType::F64});
  grid(pgot.numel(), [&](int64_t i) {
    const int64_t s = pad_source(pdg, i);
    ptr<double>(pgot)[i] = s < 0 ? -7.0 : ptr<double>(x)[s];
  });
  CHECK_CLOSE(pgot, pref, 0, 0);
}

TEST_CASE("cuda_host: index bodies match index_select, index_add, gather and scatter_add") {
  Generator g(7);
  Tensor x = rn({3, 7, 5}, 8);
  for (int64_t dim = 0; dim < 3; ++dim) {
    const Split d = split_around(x.shape(), dim);
    Tensor idx = randint(0, d.n, {9}, g);  // repeats: index_add must sum them
    const int64_t k = idx.numel();
    Tensor sel = kernels::index_select(x, dim, idx), mine = zeros(sel.shape(), {DType::F64});
    grid(mine.numel(), [&](int64_t i) {
      ptr<double>(mine)[i] = ptr<double>(x)[index_offset(i, k, d.n, d.inner, ptr<int64_t>(idx))];
    });
    CHECK_CLOSE(mine, sel, 0, 0);
    Tensor src = rn(sel.shape(), 9 + dim), added = zeros(x.shape(), {DType::F64});
    grid(src.numel(), [&](int64_t i) {
      add_to(ptr<double>(added) + index_offset(i, k, d.n, d.inner, ptr<int64_t>(idx)), ptr<double>(src)[i]);
    });
    CHECK_CLOSE(added, kernels::index_add(x.shape(), dim, idx, src), 1e-12, 1e-12);

    Shape is = x.shape();
    is[(size_t)dim] = 4;
    Tensor gi = randint(0, d.n, is, g);
    const Split di = split_around(is, dim);
    Tensor gref = kernels::gather(x, dim, gi), ggot = zeros(is, {DType::F64});
    grid(ggot.numel(), [&](int64_t i) {
      ptr<double>(ggot)[i] = ptr<double>(x)[gather_offset(i, di.n, d.n, d.inner, ptr<int64_t>(gi))];
    });
    CHECK_CLOSE(ggot, gref, 0, 0);
    Tensor ssrc = rn(is, 20 + dim), sgot = x.clone();
    grid(ssrc.numel(), [&](int64_t i) {
      add_to(ptr<double>(sgot) + gather_offset(i, di.n, d.n, d.inner, ptr<int64_t>(gi)), ptr<double>(ssrc)[i]);
    });
    CHECK_CLOSE(sgot, kernels::scatter_add(x, dim, gi, ssrc), 1e-12, 1e-12);
  }
}

TEST_CASE("cuda_host: reduction and softmax bodies match the CPU (per thread and per block)") {
  Tensor x = rn({3, 301, 5}, 30);
  for (int64_t dim = 0; dim < 3; ++dim) {
    const Split d = split_around(x.shape(), dim);
    for (auto op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod}) {
      Tensor ref = kernels::reduce_dim(op, x, dim, false);
      Tensor one = zeros(ref.shape(), {DType::F64}), block = zeros(ref.shape(), {DType::F64});
      grid(d.outer * d.inner, [&](int64_t k) {
        ptr<double>(one)[k] = reduce_partial(op, ptr<double>(x), d, k, 0, 1);
        double acc = reduce_identity<double>(op);  // a block of 256 threads, combined
        for (int64_t t = 0; t < 256; ++t) acc = reduce_combine(op, acc, reduce_partial(op, ptr<double>(x), d, k, t, 256));
        ptr<double>(block)[k] = acc;
      });
      CHECK_CLOSE(one, ref, 1e-12, 1e-10);
      CHECK_CLOSE(block, ref, 1e-12, 1e-10);
    }
    for (bool is_max : {true, false}) {
      Tensor ref = kernels::arg_reduce_dim(is_max ? ReduceOp::Max : ReduceOp::Min, x, dim, false);
      Tensor got = zeros(ref.shape(), {DType::I64});
      grid(got.numel(), [&](int64_t k) { ptr<int64_t>(got)[k] = arg_reduce_one(is_max, ptr<double>(x), d, k); });
      CHECK(got.to_vector<int64_t>() == ref.to_vector<int64_t>());
    }
    Tensor gy = rn(x.shape(), 31);
    for (bool log_out : {false, true}) {
      Tensor ref = log_out ? kernels::log_softmax(x, dim) : kernels::softmax(x, dim);
      Tensor got = zeros(x.shape(), {DType::F64}), dgot = zeros(x.shape(), {DType::F64});
      grid(d.outer * d.inner, [&](int64_t k) { softmax_row(ptr<double>(x), ptr<double>(got), d, k, log_out); });
      CHECK_CLOSE(got, ref, 1e-12, 1e-12);
      Tensor dref = log_out ? kernels::log_softmax_backward(gy, ref, dim) : kernels::softmax_backward(gy, ref, dim);
      grid(d.outer * d.inner, [&](int64_t k) {
        softmax_backward_row(ptr<double>(gy), ptr<double>(ref), ptr<double>(dgot), d, k, log_out);
      });
      CHECK_CLOSE(dgot, dref, 1e-12, 1e-12);
    }
  }
}

TEST_CASE("cuda_host: batch norm bodies match the CPU (train and eval, forward and backward)") {
  for (const Shape& s : {Shape{5, 3, 7, 3}, Shape{9, 4}}) {
    Tensor x = add(rn(s, 40), 3.0), w = rn({s[1]}, 41), b = rn({s[1]}, 42), dy = rn(s, 43);
    const NCS l = ncs_of(s);
    for (bool train : {true, false}) {
      Tensor rm = rn({s[1]}, 44), rv = add(kernels::unary(kernels::UnaryOp::Abs, rn({s[1]}, 45)), 0.5);
      Tensor rm2 = rm.clone(), rv2 = rv.clone();
      kernels::BatchNormResult ref = kernels::batch_norm_forward(x, w, b, rm, rv, train, 0.1, 1e-5);
      Tensor mean = zeros({l.C}, {DType::F64}), invstd = zeros({l.C}, {DType::F64}), coef = zeros({2 * l.C}, {DType::F64});
      BnForward<double> a{ptr<double>(x), ptr<double>(w), ptr<double>(b), ptr<double>(rm2), ptr<double>(rv2),
                          ptr<double>(mean), ptr<double>(invstd), ptr<double>(coef), train, 0.1, 1e-5};
      for (int64_t c = 0; c < l.C; ++c) {
        double s_tot = 0, ss_tot = 0;
        for (int64_t t = 0; t < 256 && train; ++t) {
          double ps, pss;
          moments_partial(a.x, l, c, a.x[ncs_offset(l, c, 0)], t, 256, ps, pss);
          s_tot += ps, ss_tot += pss;
        }
        bn_forward_finish(a, l, c, s_tot, ss_tot);
      }
      Tensor y = zeros(s, {DType::F64});
      grid(y.numel(), [&](int64_t i) {
        const int64_t c = i / l.S % l.C;
        ptr<double>(y)[i] = ptr<double>(x)[i] * ptr<double>(coef)[c] + ptr<double>(coef)[l.C + c];
      });
      CHECK_CLOSE(y, ref.y, 1e-10, 1e-10);
      CHECK_CLOSE(mean, ref.mean, 1e-12, 1e-12);
      CHECK_CLOSE(invstd, ref.invstd, 1e-10, 1e-10);
      CHECK_CLOSE(rm2, rm, 1e-12, 1e-12);
      CHECK_CLOSE(rv2, rv, 1e-12, 1e-12);

      kernels::BatchNormGrads gref = kernels::batch_norm_backward(dy, x, w, ref.mean, ref.invstd, train, true, true, true);
      Tensor dw = zeros({l.C}, {DType::F64}), db = zeros({l.C}, {DType::F64}), bc = zeros({3 * l.C}, {DType::F64});
      BnBackward<double> bb{ptr<double>(w), ptr<double>(ref.mean), ptr<double>(ref.invstd), ptr<double>(dw),
                            ptr<double>(db), ptr<double>(bc), train};
      for (int64_t c = 0; c < l.C; ++c) {
        double sg = 0, sgx = 0;
        for (int64_t t = 0; t < 256; ++t) {
          double p1, p2;
          grad_sums_partial(ptr<double>(dy), ptr<double>(x), l, c, bb.mean[c], t, 256, p1, p2);
          sg += p1, sgx += p2;
        }
        bn_backward_finish(bb, l, c, sg, sgx);
      }
      Tensor dx = zeros(s, {DType::F64});
      const double *pg = ptr<double>(dy), *px = ptr<double>(x), *pc = ptr<double>(bc);
      grid(dx.numel(), [&](int64_t i) {
        const int64_t c = i / l.S % l.C;
        ptr<double>(dx)[i] = train ? pg[i] * pc[c] + px[i] * pc[l.C + c] + pc[2 * l.C + c] : pg[i] * pc[c];
      });
      CHECK_CLOSE(dx, gref.dx, 1e-10, 1e-10);
      CHECK_CLOSE(dw, gref.dweight, 1e-10, 1e-10);
      CHECK_CLOSE(db, gref.dbias, 1e-10, 1e-10);
    }
  }
}

TEST_CASE("cuda_host: pooling bodies match the CPU (max, avg with padding, adaptive)") {
  Tensor x = rn({2, 3, 9, 7}, 50);
  for (const kernels::Pool2dParams& p :
       {kernels::Pool2dParams{3, 3, 2, 2, 1, 1}, kernels::Pool2dParams{2, 3, 1, 2, 1, 0}, kernels::Pool2dParams{2, 2, 2, 2, 0, 0}}) {
    kernels::MaxPool2dResult ref = kernels::max_pool2d_forward(x, p);
    const Shape& ys = ref.y.shape();
    const PoolGeom g{9, 7, ys[2], ys[3], p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w};
    Tensor y = zeros(ys, {DType::F64}), idx = zeros(ys, {DType::I64});
    grid(y.numel(), [&](int64_t o) { max_pool_output(ptr<double>(x), ptr<double>(y), ptr<int64_t>(idx), g, o); });
    CHECK_CLOSE(y, ref.y, 0, 0);
    CHECK(idx.to_vector<int64_t>() == ref.indices.to_vector<int64_t>());
    Tensor dy = rn(ys, 51), dx = zeros(x.shape(), {DType::F64});
    const int64_t per_plane = g.OH * g.OW, plane = g.H * g.W;
    grid(dy.numel(), [&](int64_t o) {
      add_to(ptr<double>(dx) + o / per_plane * plane + ptr<int64_t>(idx)[o], ptr<double>(dy)[o]);
    });
    CHECK_CLOSE(dx, kernels::max_pool2d_backward(dy, ref.indices, x.shape()), 1e-12, 1e-12);

    Tensor aref = kernels::avg_pool2d_forward(x, p), ay = zeros(ys, {DType::F64}), adx = zeros(x.shape(), {DType::F64});
    grid(ay.numel(), [&](int64_t o) { ptr<double>(ay)[o] = avg_pool_output(ptr<double>(x), g, o); });
    CHECK_CLOSE(ay, aref, 1e-12, 1e-12);
    grid(adx.numel(), [&](int64_t i) { ptr<double>(adx)[i] = avg_pool_input_grad(ptr<double>(dy), g, i); });
    CHECK_CLOSE(adx, kernels::avg_pool2d_backward(dy, x.shape(), p), 1e-12, 1e-12);
  }
  for (auto [oh, ow] : {std::pair<int64_t, int64_t>{1, 1}, {4, 3}, {9, 7}, {5, 2}}) {
    const PoolGeom g{9, 7, oh, ow, 1, 1, 1, 1, 0, 0};
    Tensor ref = kernels::adaptive_avg_pool2d_forward(x, oh, ow), y = zeros(ref.shape(), {DType::F64});
    grid(y.numel(), [&](int64_t o) { ptr<double>(y)[o] = adaptive_avg_output(ptr<double>(x), g, o); });
    CHECK_CLOSE(y, ref, 1e-12, 1e-12);
    Tensor dy = rn(ref.shape(), 52), dx = zeros(x.shape(), {DType::F64});
    grid(dx.numel(), [&](int64_t i) { ptr<double>(dx)[i] = adaptive_avg_input_grad(ptr<double>(dy), g, i); });
    CHECK_CLOSE(dx, kernels::adaptive_avg_pool2d_backward(dy, x.shape()), 1e-12, 1e-12);
  }
}

TEST_CASE("cuda_host: elementwise bodies match the CPU unary and binary ops (broadcasting both ways)") {
  using kernels::BinaryOp;
  using kernels::UnaryOp;
  Tensor mixed = rn({3, 7, 5}, 60), pos = add(kernels::unary(UnaryOp::Abs, mixed), 0.1);
  for (int u = 0; u <= (int)UnaryOp::LeakyReluGrad; ++u) {
    const auto op = (UnaryOp)u;
    const bool needs_pos = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt ||
                           op == UnaryOp::Log1p || op == UnaryOp::PowScalar || op == UnaryOp::Reciprocal;
    const Tensor& x = needs_pos ? pos : mixed;
    const double a = op == UnaryOp::PowScalar ? 1.7 : -0.3, b = 0.4;
    Tensor ref = kernels::unary(op, x, a, b), got = zeros(x.shape(), {DType::F64});
    grid(x.numel(), [&](int64_t i) { ptr<double>(got)[i] = apply_unary(op, ptr<double>(x)[i], a, b); });
    const std::string rep = test::compare(got, ref, 1e-14, 1e-14);
    CHECK_MESSAGE(rep.empty(), "unary op ", u, ": ", rep);
  }
  Tensor p = rn({4, 1, 5}, 61), q = rn({3, 1}, 62);
  auto positive = [](const Tensor& t) { return add(kernels::unary(UnaryOp::Abs, t), 0.1); };
  for (int k = 0; k <= (int)BinaryOp::TanhBackward; ++k) {
    const auto op = (BinaryOp)k;
    const Tensor a = op == BinaryOp::Pow ? positive(p) : p, c = op == BinaryOp::Pow ? positive(q) : q;
    for (bool swap : {false, true}) {
      const Tensor &l = swap ? c : a, &r = swap ? a : c;
      Tensor ref = kernels::binary(op, l, r), got = zeros(ref.shape(), {DType::F64});
      const Strided gl = broadcast_strided(ref.shape(), l.shape()), gr = broadcast_strided(ref.shape(), r.shape());
      grid(got.numel(), [&](int64_t i) {
        ptr<double>(got)[i] = apply_binary(op, ptr<double>(l)[strided_offset(gl, i)], ptr<double>(r)[strided_offset(gr, i)]);
      });
      const std::string rep = test::compare(got, ref, 1e-14, 1e-14);
      CHECK_MESSAGE(rep.empty(), "binary op ", k, " swapped ", swap, ": ", rep);
    }
  }
}
