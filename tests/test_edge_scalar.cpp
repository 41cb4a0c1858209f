// test_edge_scalar.cpp — 0-d tensors (shape []) through every op family, forward and backward. As
// PyTorch: ops meaningful on a 0-d tensor work (elementwise, reductions over dim 0 / -1 / all, softmax,
// squeeze, unsqueeze, reshape, flatten, permute({}), expand, stack); ops that need a dim to index throw an
// error naming the op (they used to read shape[0] of an empty shape and crash).
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;

TEST_CASE("scalar: shape ops that need a dim throw naming the op instead of crashing") {
  Tensor s = scalar_tensor(1.0);
  Tensor i = from_vector(std::vector<int64_t>{0}, {1});
  CHECK_ERROR(s.size(0), "Tensor::size: dim 0 given for a 0-d tensor");
  CHECK_ERROR(s.size(-1), "Tensor::size");
  CHECK_ERROR(slice(s, 0, 0, 1), "slice");
  CHECK_ERROR(narrow(s, 0, 0, 1), "narrow");
  CHECK_ERROR(index_select(s, 0, i), "index_select");
  CHECK_ERROR(gather(s, 0, from_vector(std::vector<int64_t>{0}, {})), "gather");
  CHECK_ERROR(cat({s, s}, 0), "cat");
  CHECK_ERROR(transpose(s, 0, -1), "transpose");
  CHECK_ERROR(permute(s, {0}), "permute");
  CHECK_ERROR(pad(s, {1, 1}), "pad");
  CHECK_ERROR(matmul(s, s), "matmul");
  CHECK_ERROR(unsqueeze(s, 1), "unsqueeze");
}

TEST_CASE("scalar: ops meaningful on a 0-d tensor work") {
  Tensor s = scalar_tensor(2.5);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(squeeze(s, 0).shape() == Shape{});
  CHECK(squeeze(s, -1).item() == 2.5);
  CHECK(unsqueeze(s, 0).shape() == Shape{1});
  CHECK(unsqueeze(s, -1).shape() == Shape{1});
  CHECK(reshape(s, {1, 1}).shape() == Shape{1, 1});
  CHECK(reshape(reshape(s, {1}), {}).shape() == Shape{});
  CHECK(flatten(s).shape() == Shape{1});
  CHECK(permute(s, {}).item() == 2.5);
  CHECK(pad(s, {}).item() == 2.5);
  CHECK(expand(s, {2, 3}).shape() == Shape{2, 3});
  CHECK(stack({s, s}, 0).shape() == Shape{2});
  CHECK(sum(s).item() == 2.5);
  CHECK(sum(s, {0}).shape() == Shape{});
  CHECK(mean(s, {-1}, true).shape() == Shape{});
  CHECK(amax(s).item() == 2.5);
  CHECK(max(s, 0).item() == 2.5);
  CHECK(argmax(s, 0).item() == 0);
  CHECK(softmax(s, 0).item() == 1.0);
  CHECK(log_softmax(s, -1).item() == 0.0);
  CHECK(logsumexp(s, {0}).item() == doctest::Approx(2.5));
  CHECK(var(s, {}, false).item() == 0.0);
}

TEST_CASE("scalar: gradients through every op family on 0-d inputs") {
  auto s = [](uint64_t seed) { return rnd({}, seed, 0.5, 1.5); };
  check_grad([](auto& v) { return exp(v[0]) * log(v[0]) + sqrt(v[0]) - tanh(v[0]); }, {s(1)});
  check_grad([](auto& v) { return sigmoid(v[0]) * softplus(v[0]) + log1p(v[0]) + pow(v[0], 1.5); }, {s(2)});
  check_grad([](auto& v) { return relu(v[0]) + abs(v[0]) + leaky_relu(v[0]) + clamp(v[0], 0, 2) + square(v[0]); },
             {s(3)});
  check_grad([](auto& v) { return div(maximum(v[0], v[1]), minimum(v[0], v[1]) + 1.0) - v[0] * v[1]; }, {s(4), s(5)});
  check_grad([](auto& v) { return add(v[0], v[1]); }, {s(6), rnd({3}, 7)});  // 0-d broadcast against [3]
  check_grad([](auto& v) { return mul(v[1], v[0]); }, {s(8), rnd({2, 3}, 9)});
  check_grad([](auto& v) { return sum(v[0]) + mean(v[0], {0}) + amax(v[0]) + max(v[0], -1) + amin(v[0], {0}); },
             {s(10)});
  check_grad([](auto& v) { return logsumexp(v[0], {0}) + softmax(v[0], 0) + log_softmax(v[0], 0); }, {s(11)});
  check_grad([](auto& v) { return reshape(squeeze(unsqueeze(v[0], 0), 0), {1, 1}); }, {s(12)});
  check_grad([](auto& v) { return flatten(permute(v[0], {})); }, {s(13)});
  check_grad([](auto& v) { return expand(v[0], {2, 2}) * 3.0; }, {s(14)});
  check_grad([](auto& v) { return stack({v[0], v[1]}, 0); }, {s(15), s(16)});
  check_grad([](auto& v) { return where(scalar_tensor(1.0, {DType::F64}), v[0], v[1]); }, {s(17), s(18)});
}
