// test_cuda_kernels.cpp — every CUDA kernel against its CPU twin (the oracle) on random shapes with odd
// sizes, and a whole ResNet-32 train step CPU vs CUDA. Labelled `cuda` (ctest -L cuda; no commas in these
// names: doctest's ctest discovery drops the label of a name with a comma); each skips
// (ctest: "Skipped") when the build has no CUDA or no device is present. The host-loop tests of the
// same kernels' bodies, which run everywhere, are in tests/test_cuda_host.cpp.
#include "losses/cross_entropy.h"
#include "core/kernels_nn.h"
#include "nn/nn.h"
#include "tests/test_util.h"

using namespace eg;

namespace {

bool no_gpu() {
  if (cuda_available()) return false;
  return test::skip_test(std::string("no CUDA device (compiled with CUDA: ") + (cuda_compiled() ? "yes" : "no") + ")");
}
Tensor dev(const Tensor& t) { return t.to(Device::CUDA); }
Tensor host(const Tensor& t) { return t.to(Device::CPU); }
Tensor rn(const Shape& s, uint64_t seed, DType dt = DType::F32) {
  Generator g(seed);
  return randn(s, g, {dt});
}
// f32 results of different summation orders: relative 1e-4 of the values' scale.
constexpr double kTol = 1e-4;

}  // namespace

TEST_CASE("cuda: matmul matches the CPU (odd sizes and transposes and batch broadcast in f32 and f64)" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  int seed = 0;
  for (auto [M, K, N] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 5, 3}, {65, 129, 66}, {300, 17, 1},
                         {256, 256, 256}})
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      Shape sa = ta ? Shape{3, K, M} : Shape{3, M, K}, sb = tb ? Shape{N, K} : Shape{K, N};
      for (DType dt : {DType::F32, DType::F64}) {
        Tensor a = rn(sa, ++seed, dt), b = rn(sb, ++seed, dt);
        const double tol = dt == DType::F32 ? kTol : 1e-10;
        CHECK_CLOSE(host(kernels::matmul(dev(a), dev(b), ta, tb)), kernels::matmul(a, b, ta, tb), tol, tol);
      }
    }
  Tensor a = rn({0, 4}, 1), b = rn({4, 3}, 2), z = rn({2, 0}, 3), w = rn({0, 3}, 4);
  CHECK(kernels::matmul(dev(a), dev(b)).shape() == Shape{0, 3});
  CHECK(amax(abs(host(kernels::matmul(dev(z), dev(w))))).item() == 0);  // K = 0: zeros
}

TEST_CASE("cuda: layout and index kernels match the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  Tensor x = rn({3, 1, 5, 7}, 10), xd = dev(x);
  CHECK_CLOSE(host(kernels::permute(xd, {3, 0, 2, 1})), kernels::permute(x, {3, 0, 2, 1}), 0, 0);
  CHECK_CLOSE(host(kernels::narrow(xd, 3, 1, 3, 2)), kernels::narrow(x, 3, 1, 3, 2), 0, 0);
  CHECK_CLOSE(host(kernels::expand(dev(rn({5, 1}, 11)), {2, 5, 3})), kernels::expand(rn({5, 1}, 11), {2, 5, 3}), 0, 0);
  Tensor dst = zeros(x.shape()), dst_d = dev(dst), part = kernels::narrow(x, 2, 0, 2, 2);
  kernels::narrow_scatter_(dst, part, 2, 0, 2);
  kernels::narrow_scatter_(dst_d, dev(part), 2, 0, 2);
  CHECK_CLOSE(host(dst_d), dst, 0, 0);
  CHECK_CLOSE(host(kernels::cat({xd, dev(rn({3, 1, 2, 7}, 12))}, 2)), kernels::cat({x, rn({3, 1, 2, 7}, 12)}, 2), 0, 0);
  CHECK_CLOSE(host(kernels::pad(xd, {1, 2, 0, 3}, -1.5)), kernels::pad(x, {1, 2, 0, 3}, -1.5), 0, 0);
  Tensor cond = kernels::binary(kernels::BinaryOp::Gt, rn({3, 1, 1, 7}, 13), zeros({1}));
  Tensor b = rn({5, 1}, 14);
  CHECK_CLOSE(host(kernels::where(dev(cond), xd, dev(b))), kernels::where(cond, x, b), 0, 0);

  Generator g(15);
  for (int64_t dim = 0; dim < 4; ++dim) {
    Tensor idx = randint(0, x.shape()[(size_t)dim], {6}, g);
    CHECK_CLOSE(host(kernels::index_select(xd, dim, dev(idx))), kernels::index_select(x, dim, idx), 0, 0);
    Tensor src = rn(kernels::index_select(x, dim, idx).shape(), 16 + dim);
    CHECK_CLOSE(host(kernels::index_add(x.shape(), dim, dev(idx), dev(src))), kernels::index_add(x.shape(), dim, idx, src),
                1e-6, 1e-6);
    Shape is = x.shape();
    is[(size_t)dim] = 2;
    Tensor gi = randint(0, x.shape()[(size_t)dim], is, g), gs = rn(is, 20 + dim);
    CHECK_CLOSE(host(kernels::gather(xd, dim, dev(gi))), kernels::gather(x, dim, gi), 0, 0);
    CHECK_CLOSE(host(kernels::scatter_add(xd, dim, dev(gi), dev(gs))), kernels::scatter_add(x, dim, gi, gs), 1e-6, 1e-6);
  }
  Tensor labels = randint(0, 7, {9}, g);
  CHECK_CLOSE(host(kernels::one_hot(dev(labels), 7)), kernels::one_hot(labels, 7), 0, 0);
  Tensor i64 = randint(0, 100, {4, 5}, g);
  CHECK(host(kernels::permute(dev(i64), {1, 0})).to_vector<int64_t>() == kernels::permute(i64, {1, 0}).to_vector<int64_t>());
  // A host index follows the data to the device; mixed data devices are refused, naming the op.
  Tensor hidx = randint(0, 3, {2}, g);
  CHECK_CLOSE(host(kernels::index_select(xd, 0, hidx)), kernels::index_select(x, 0, hidx), 0, 0);
  CHECK_ERROR(kernels::binary(kernels::BinaryOp::Add, xd, x), "binary");
}

TEST_CASE("cuda: reductions and sum_to and the softmax family match the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  using kernels::ReduceOp;
  // {3, 5001, 5}: few outputs over a long dim (block per output); {700, 9, 11}: thread per output.
  for (const Shape& s : {Shape{3, 5001, 5}, Shape{700, 9, 11}, Shape{20000}})
    for (int64_t dim = 0; dim < (int64_t)s.size(); ++dim) {
      Tensor x = rn(s, 30 + dim), xd = dev(x);
      for (auto op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min})
        CHECK_CLOSE(host(kernels::reduce_dim(op, xd, dim, dim == 0)), kernels::reduce_dim(op, x, dim, dim == 0), kTol,
                    kTol);
      Tensor small = mul(x, 0.01);
      CHECK_CLOSE(host(kernels::reduce_dim(ReduceOp::Prod, dev(add(small, 1.0)), dim, false)),
                  kernels::reduce_dim(ReduceOp::Prod, add(small, 1.0), dim, false), kTol, kTol);
      for (auto op : {ReduceOp::Max, ReduceOp::Min})
        CHECK(host(kernels::arg_reduce_dim(op, xd, dim, false)).to_vector<int64_t>() ==
              kernels::arg_reduce_dim(op, x, dim, false).to_vector<int64_t>());
      Tensor y = kernels::softmax(x, dim), ly = kernels::log_softmax(x, dim), gy = rn(s, 40);
      CHECK_CLOSE(host(kernels::softmax(xd, dim)), y, 1e-6, kTol);
      CHECK_CLOSE(host(kernels::log_softmax(xd, dim)), ly, kTol, kTol);
      CHECK_CLOSE(host(kernels::softmax_backward(dev(gy), dev(y), dim)), kernels::softmax_backward(gy, y, dim), kTol, kTol);
      CHECK_CLOSE(host(kernels::log_softmax_backward(dev(gy), dev(ly), dim)), kernels::log_softmax_backward(gy, ly, dim),
                  kTol, kTol);
    }
  Tensor x = rn({4, 3, 5}, 50);
  CHECK_CLOSE(host(kernels::sum_to(dev(x), {3, 1})), kernels::sum_to(x, {3, 1}), kTol, kTol);
  Generator gi(51);
  Tensor i = randint(0, 9, {6, 7}, gi);
  CHECK(host(kernels::reduce_dim(ReduceOp::Sum, dev(i), 1, false)).to_vector<int64_t>() ==
        kernels::reduce_dim(ReduceOp::Sum, i, 1, false).to_vector<int64_t>());
}

TEST_CASE("cuda: conv2d forward and both backwards match the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  struct Case {
    Shape x, w;
    kernels::Conv2dParams p;
  };
  const std::vector<Case> cases = {
      {{3, 4, 7, 9}, {6, 2, 3, 3}, {2, 2, 1, 1, 1, 1, 2}},      {{2, 5, 6, 5}, {3, 5, 1, 1}, {}},
      {{2, 3, 9, 8}, {4, 3, 2, 3}, {1, 2, 1, 0, 2, 1, 1}},      {{5, 3, 5, 5}, {6, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 3}},
      {{16, 16, 32, 32}, {32, 16, 3, 3}, {2, 2, 1, 1, 1, 1, 1}}, {{8, 3, 32, 32}, {16, 3, 3, 3}, {1, 1, 1, 1, 1, 1, 1}},
  };
  int seed = 60;
  for (const Case& cs : cases)
    for (DType dt : {DType::F32, DType::F64}) {
      Tensor x = rn(cs.x, ++seed, dt), w = rn(cs.w, ++seed, dt), b = rn({cs.w[0]}, ++seed, dt);
      Tensor y = kernels::conv2d_forward(x, w, b, cs.p);
      const double tol = dt == DType::F32 ? 1e-3 : 1e-10;  // f32 sums of up to 144·1024 products
      CHECK_CLOSE(host(kernels::conv2d_forward(dev(x), dev(w), dev(b), cs.p)), y, tol, tol);
      Tensor dy = rn(y.shape(), ++seed, dt);
      kernels::Conv2dGrads ref = kernels::conv2d_backward(dy, x, w, cs.p, true, true, true);
      kernels::Conv2dGrads got = kernels::conv2d_backward(dev(dy), dev(x), dev(w), cs.p, true, true, true);
      CHECK_CLOSE(host(got.dx), ref.dx, tol, tol);
      CHECK_CLOSE(host(got.dw), ref.dw, tol, tol);
      CHECK_CLOSE(host(got.db), ref.db, tol, tol);
      kernels::Conv2dGrads only_dw = kernels::conv2d_backward(dev(dy), dev(x), dev(w), cs.p, false, true, false);
      CHECK(!only_dw.dx.defined());
      CHECK_CLOSE(host(only_dw.dw), ref.dw, tol, tol);
    }
}

TEST_CASE("cuda: pooling and batch norm match the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  Tensor x = rn({3, 5, 11, 9}, 80), xd = dev(x);
  for (const kernels::Pool2dParams& p : {kernels::Pool2dParams{3, 3, 2, 2, 1, 1}, kernels::Pool2dParams{2, 2, 2, 2, 0, 0}}) {
    kernels::MaxPool2dResult ref = kernels::max_pool2d_forward(x, p), got = kernels::max_pool2d_forward(xd, p);
    CHECK_CLOSE(host(got.y), ref.y, 0, 0);
    CHECK(host(got.indices).to_vector<int64_t>() == ref.indices.to_vector<int64_t>());
    Tensor dy = rn(ref.y.shape(), 81);
    CHECK_CLOSE(host(kernels::max_pool2d_backward(dev(dy), got.indices, x.shape())),
                kernels::max_pool2d_backward(dy, ref.indices, x.shape()), 1e-6, 1e-6);
    CHECK_CLOSE(host(kernels::avg_pool2d_forward(xd, p)), kernels::avg_pool2d_forward(x, p), 1e-6, 1e-5);
    CHECK_CLOSE(host(kernels::avg_pool2d_backward(dev(dy), x.shape(), p)), kernels::avg_pool2d_backward(dy, x.shape(), p),
                1e-6, 1e-5);
  }
  for (auto [oh, ow] : {std::pair<int64_t, int64_t>{1, 1}, {4, 5}}) {
    Tensor dy = rn({3, 5, oh, ow}, 82);
    CHECK_CLOSE(host(kernels::adaptive_avg_pool2d_forward(xd, oh, ow)), kernels::adaptive_avg_pool2d_forward(x, oh, ow),
                1e-6, 1e-5);
    CHECK_CLOSE(host(kernels::adaptive_avg_pool2d_backward(dev(dy), x.shape())),
                kernels::adaptive_avg_pool2d_backward(dy, x.shape()), 1e-6, 1e-5);
  }
  Tensor bx = add(rn({6, 5, 7, 3}, 83), 2.0), w = rn({5}, 84), b = rn({5}, 85), dy = rn(bx.shape(), 86);
  for (bool train : {true, false}) {
    Tensor rm = rn({5}, 87), rv = add(abs(rn({5}, 88)), 0.5), rmd = dev(rm), rvd = dev(rv);
    kernels::BatchNormResult ref = kernels::batch_norm_forward(bx, w, b, rm, rv, train, 0.1, 1e-5);
    kernels::BatchNormResult got = kernels::batch_norm_forward(dev(bx), dev(w), dev(b), rmd, rvd, train, 0.1, 1e-5);
    CHECK_CLOSE(host(got.y), ref.y, kTol, kTol);
    CHECK_CLOSE(host(got.mean), ref.mean, kTol, kTol);
    CHECK_CLOSE(host(got.invstd), ref.invstd, kTol, kTol);
    CHECK_CLOSE(host(rmd), rm, kTol, kTol);
    CHECK_CLOSE(host(rvd), rv, kTol, kTol);
    kernels::BatchNormGrads gr = kernels::batch_norm_backward(dy, bx, w, ref.mean, ref.invstd, train, true, true, true);
    kernels::BatchNormGrads gg =
        kernels::batch_norm_backward(dev(dy), dev(bx), dev(w), got.mean, got.invstd, train, true, true, true);
    CHECK_CLOSE(host(gg.dx), gr.dx, kTol, kTol);
    CHECK_CLOSE(host(gg.dweight), gr.dweight, kTol, kTol);
    CHECK_CLOSE(host(gg.dbias), gr.dbias, kTol, kTol);
  }
  Generator g1(3), g2(3);
  CHECK_CLOSE(host(kernels::dropout_mask({7, 9}, 0.3, g1, {DType::F32, Device::CUDA})),
              kernels::dropout_mask({7, 9}, 0.3, g2, {}), 0, 0);
}

TEST_CASE("cuda: optimizer steps match the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  Tensor p = rn({1001}, 90), g = rn({1001}, 91), buf = rn({1001}, 92);
  Tensor pd = dev(p), gd = dev(g), bd = dev(buf);
  kernels::SgdStep s{0.1, 0.9, 0.1, 5e-4, true, false};
  kernels::sgd_step_(p, g, buf, s);
  kernels::sgd_step_(pd, gd, bd, s);
  CHECK_CLOSE(host(pd), p, 1e-6, 1e-6);
  CHECK_CLOSE(host(bd), buf, 1e-6, 1e-6);
  Tensor m = zeros({1001}), v = zeros({1001}), md = dev(m), vd = dev(v);
  for (bool decoupled : {false, true}) {
    kernels::AdamStep a{1e-3, 0.9, 0.999, 1e-8, 1e-2, decoupled, 3};
    kernels::adam_step_(p, g, m, v, a);
    kernels::adam_step_(pd, gd, md, vd, a);
    CHECK_CLOSE(host(pd), p, 1e-6, 1e-5);
    CHECK_CLOSE(host(vd), v, 1e-7, 1e-5);
  }
}

TEST_CASE("cuda: a ResNet-32 train step on CUDA matches the CPU" * doctest::test_suite("cuda")) {
  if (no_gpu()) return;
  Generator g1(7), g2(7), gd(8);
  auto cpu_model = nn::make_model({"resnet32", 3, 10}, g1), gpu_model = nn::make_model({"resnet32", 3, 10}, g2);
  gpu_model->to(Device::CUDA);
  Tensor x = randn({8, 3, 32, 32}, gd), y = randint(0, 10, {8}, gd);
  nn::SGD cpu_opt(cpu_model->parameters(), {0.1, 0.9, 0, 5e-4}), gpu_opt(gpu_model->parameters(), {0.1, 0.9, 0, 5e-4});
  for (int step = 0; step < 2; ++step) {
    cpu_opt.zero_grad();
    gpu_opt.zero_grad();
    Tensor lc = losses::cross_entropy(cpu_model->forward(x), y);
    Tensor lg = losses::cross_entropy(gpu_model->forward(dev(x)), dev(y));
    CHECK(lg.device() == Device::CUDA);
    CHECK(host(lg).item() == doctest::Approx(lc.item()).epsilon(1e-3));
    lc.backward();
    lg.backward();
    auto pc = cpu_model->parameters(), pg = gpu_model->parameters();
    REQUIRE(pc.size() == pg.size());
    for (size_t i = 0; i < pc.size(); ++i) CHECK_CLOSE(host(pg[i].grad()), pc[i].grad(), 2e-3, 2e-2);
    cpu_opt.step();
    gpu_opt.step();
    for (size_t i = 0; i < pc.size(); ++i) CHECK_CLOSE(host(pg[i]), pc[i], 1e-4, 1e-3);
  }
}
