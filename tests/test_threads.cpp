// test_threads.cpp — results do not depend on the thread count: a small conv net (direct, im2col,
// Winograd and pointwise convolutions, batch norm, pooling, linear, cross-entropy), a large matmul and
// large reductions give bitwise-equal values and gradients on 1, 2, 3, 8 and 64 OpenMP threads. And
// gradient checks at sizes above the parallel grain (32768 elements), on 3 threads, so the
// multithreaded branches of reduce, softmax, permute, elementwise, matmul, batch norm and conv are
// differentiated too.
#include <omp.h>

#include <cstring>

#include "losses/losses.h"
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

namespace {

// Sets the OpenMP thread count for a scope.
struct OmpThreads {
  int saved = omp_get_max_threads();
  explicit OmpThreads(int n) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved); }
};

Tensor conv_weight(const Shape& s, uint64_t seed) { return rnd(s, seed, -0.2, 0.2, DType::F32); }

// Every value the step computes: the loss, then each input's and parameter's gradient, then the big ops.
std::vector<std::vector<float>> one_step() {
  std::vector<Tensor> p = {rnd({16, 8, 16, 16}, 1, -1, 1, DType::F32),
                           conv_weight({16, 8, 3, 3}, 2),   // 3x3 pad 1, width 16: the direct kernels
                           conv_weight({64, 16, 3, 3}, 3),  // stride 2: im2col + GEMM
                           conv_weight({64, 64, 3, 3}, 4),  // 64 -> 64 channels, batch 16: Winograd
                           conv_weight({32, 64, 1, 1}, 5),  // pointwise
                           rnd({64}, 6, 0.5, 1.5, DType::F32), rnd({64}, 7, -0.5, 0.5, DType::F32),
                           rnd({10, 512}, 8, -0.05, 0.05, DType::F32), rnd({10}, 9, -0.1, 0.1, DType::F32),
                           rnd({128, 400}, 10, -1, 1, DType::F32), rnd({400, 256}, 11, -1, 1, DType::F32),
                           rnd({300, 200}, 12, -3, 3, DType::F32),
                           // A batch of 32 small planes: the direct kernels' dW sums more than 8 blocks.
                           rnd({32, 2, 16, 16}, 13, -1, 1, DType::F32), conv_weight({4, 2, 3, 3}, 14)};
  Tensor h = relu(conv2d(p[0], p[1], {}, {1, 1, 1, 1}));
  h = conv2d(h, p[2], {}, {2, 2, 1, 1});
  h = relu(batch_norm(h, p[5], p[6], {}, {}, true));
  h = relu(conv2d(h, p[3], {}, {1, 1, 1, 1}));
  h = max_pool2d(conv2d(h, p[4]), 2, 2);
  Tensor logits = linear(flatten(h, 1), p[7], p[8]);
  Generator g(3);
  Tensor loss = losses::cross_entropy(logits, randint(0, 10, {16}, g));
  Tensor big = matmul(p[9], p[10]);
  Tensor s = log_softmax(p[11], 1) * 0.1;
  Tensor total = loss + mean(square(big)) * 1e-3 + mean(sum(s, {0})) + var(sum(softmax(p[11], 0), {1})) +
                 mean(square(conv2d(p[12], p[13], {}, {1, 1, 1, 1})));
  total.backward();
  std::vector<std::vector<float>> out = {total.to_vector<float>(), loss.to_vector<float>(), big.to_vector<float>()};
  for (auto& t : p) out.push_back(t.grad().to_vector<float>());
  return out;
}

}  // namespace

TEST_CASE("threads: the same step gives bitwise-equal numbers on 1, 2, 3, 8 and 64 threads") {
  std::vector<std::vector<float>> ref;
  {
    OmpThreads one(1);
    ref = one_step();
  }
  for (int t : {2, 3, 8, 64}) {
    CAPTURE(t);
    OmpThreads th(t);
    auto got = one_step();
    REQUIRE(got.size() == ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      CAPTURE(i);
      REQUIRE(got[i].size() == ref[i].size());
      size_t first = 0;
      while (first < ref[i].size() && std::memcmp(&got[i][first], &ref[i][first], sizeof(float)) == 0) ++first;
      CHECK_MESSAGE(first == ref[i].size(), "first difference at element ", first, ": ",
                    first < ref[i].size() ? got[i][first] : 0.f, " vs ", first < ref[i].size() ? ref[i][first] : 0.f);
    }
  }
}

GRADCHECK_TEST("above the parallel grain: sum, max, softmax, log_softmax, permute on 3 threads", OK::Sum, OK::MaxDim,
               OK::Softmax, OK::LogSoftmax, OK::Permute, OK::Mul, OK::Exp) {
  OmpThreads th(3);
  autograd::GradcheckOptions opt;
  opt.max_elements = 24;
  check_grad([](auto& v) { return sum(v[0], {1}); }, {rnd({200, 200}, 1)}, opt);      // inner == 1
  check_grad([](auto& v) { return sum(v[0], {1}); }, {rnd({50, 40, 20}, 2)}, opt);    // inner > 1
  check_grad([](auto& v) { return amax(v[0], {1}); }, {rnd({50, 40, 20}, 3)}, opt);
  check_grad([](auto& v) { return softmax(v[0], 1); }, {rnd({200, 200}, 4, -3, 3)}, opt);
  check_grad([](auto& v) { return log_softmax(v[0], 0); }, {rnd({200, 200}, 5, -3, 3)}, opt);
  check_grad([](auto& v) { return permute(v[0], {2, 0, 1}); }, {rnd({40, 50, 20}, 6)}, opt);
  check_grad([](auto& v) { return exp(v[0]) * v[1]; }, {rnd({40000}, 7), rnd({40000}, 8)}, opt);
}

GRADCHECK_TEST("above the parallel grain: matmul, batch norm, conv2d on 3 threads", OK::Matmul, OK::BatchNorm,
               OK::Conv2d) {
  OmpThreads th(3);
  autograd::GradcheckOptions opt;
  opt.max_elements = 24;
  check_grad([](auto& v) { return matmul(v[0], v[1]); }, {rnd({200, 180}, 1), rnd({180, 200}, 2)}, opt);
  check_grad([](auto& v) { return batch_norm(v[0], v[1], v[2], {}, {}, true); },
             {rnd({8, 16, 20, 20}, 3), rnd({16}, 4, 0.5, 1.5), rnd({16}, 5)}, opt);
  check_grad([](auto& v) { return conv2d(v[0], v[1], v[2], {2, 2, 1, 1}); },
             {rnd({16, 4, 24, 24}, 6), rnd({8, 4, 3, 3}, 7), rnd({8}, 8)}, opt);
}
