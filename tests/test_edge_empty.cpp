// test_edge_empty.cpp — every op on tensors with a size-0 dim, forward and backward: reductions over an
// empty dim (sum 0, no read past the buffer), broadcasting into a non-empty operand, softmax over an
// empty dim, shape ops, linear algebra and nn ops; and the ops that cannot reduce nothing fail loudly.
#include "tests/test_util.h"

using namespace eg;
using eg::test::rnd;

namespace {

bool all_zero(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (v != 0) return false;
  return true;
}

// Runs f on the inputs, checks the output's shape, then backpropagates sum(out): every input gets a
// gradient of its own shape, all zeros when the output is empty (a sum over nothing).
void check_op(const char* name, const std::function<Tensor(const std::vector<Tensor>&)>& f,
              std::vector<Tensor> inputs, const Shape& expect) {
  CAPTURE(name);
  for (auto& x : inputs) x.zero_grad();
  Tensor out = f(inputs);
  REQUIRE(out.shape() == expect);
  sum(out).backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    CAPTURE(i);
    if (!inputs[i].requires_grad()) continue;
    REQUIRE(inputs[i].grad().defined());
    CHECK(inputs[i].grad().shape() == inputs[i].shape());
    if (out.numel() == 0) CHECK(all_zero(inputs[i].grad()));
  }
}

Tensor idx(std::vector<int64_t> v, Shape s) { return from_vector(v, s); }

}  // namespace

TEST_CASE("empty: sum over an empty dim is 0 and reads nothing (was garbage past the buffer)") {
  Tensor s = sum(zeros({0, 4000}), {0});  // the [outer, n, inner] path with inner > 1
  REQUIRE(s.shape() == Shape{4000});
  CHECK(all_zero(s));
  CHECK(all_zero(sum(zeros({4000, 0}), {1})));  // inner == 1
  CHECK(all_zero(sum(zeros({3, 0, 500}), {1})));
  CHECK(sum(zeros({0})).item() == 0);
  Tensor p = kernels::reduce_dim(kernels::ReduceOp::Prod, zeros({0, 700}), 0, false);
  for (float v : p.to_vector<float>()) CHECK(v == 1.0f);  // an empty product is 1
}

TEST_CASE("empty: broadcasting an empty batch into b gives b a zero gradient") {
  for (int64_t n : {16, 4000}) {  // the sum back to b's shape reduced an empty dim (it read garbage)
    Tensor b = full({n}, 1.0).requires_grad_(true);
    sum(add(zeros({0, n}), b)).backward();
    CHECK(b.grad().shape() == Shape{n});
    CHECK(all_zero(b.grad()));
  }
}

TEST_CASE("empty: softmax and log_softmax over an empty dim, and over an empty batch") {
  for (int log = 0; log < 2; ++log) {
    CAPTURE(log);
    auto sm = [log](const std::vector<Tensor>& v) { return log ? log_softmax(v[0], 1) : softmax(v[0], 1); };
    check_op("softmax [5000, 0]", sm, {rnd({5000, 0}, 1)}, {5000, 0});
    check_op("softmax [0, 7]", sm, {rnd({0, 7}, 2)}, {0, 7});
  }
}

TEST_CASE("empty: elementwise ops forward and backward") {
  Tensor x = rnd({0, 3}, 1, 0.5, 1.5), b = rnd({3}, 2, 0.5, 1.5);
  using F = std::function<Tensor(const Tensor&)>;
  std::vector<std::pair<const char*, F>> unary = {
      {"neg", [](auto& t) { return neg(t); }},        {"exp", [](auto& t) { return exp(t); }},
      {"log", [](auto& t) { return log(t); }},        {"sqrt", [](auto& t) { return sqrt(t); }},
      {"abs", [](auto& t) { return abs(t); }},        {"relu", [](auto& t) { return relu(t); }},
      {"leaky_relu", [](auto& t) { return leaky_relu(t); }}, {"sigmoid", [](auto& t) { return sigmoid(t); }},
      {"tanh", [](auto& t) { return tanh(t); }},      {"log1p", [](auto& t) { return log1p(t); }},
      {"softplus", [](auto& t) { return softplus(t); }}, {"pow", [](auto& t) { return pow(t, 3.0); }},
      {"square", [](auto& t) { return square(t); }},  {"clamp", [](auto& t) { return clamp(t, 0.7, 1.2); }},
      {"add scalar", [](auto& t) { return t + 1.0; }}, {"mul scalar", [](auto& t) { return t * 2.0; }}};
  for (auto& [name, f] : unary) check_op(name, [&](auto& v) { return f(v[0]); }, {x}, {0, 3});
  using G = std::function<Tensor(const Tensor&, const Tensor&)>;
  std::vector<std::pair<const char*, G>> binary = {
      {"add", [](auto& p, auto& q) { return add(p, q); }},         {"sub", [](auto& p, auto& q) { return sub(p, q); }},
      {"mul", [](auto& p, auto& q) { return mul(p, q); }},         {"div", [](auto& p, auto& q) { return div(p, q); }},
      {"maximum", [](auto& p, auto& q) { return maximum(p, q); }}, {"minimum", [](auto& p, auto& q) { return minimum(p, q); }},
      {"where", [](auto& p, auto& q) { return where(zeros({0, 3}, {DType::F64}), p, q); }}};
  for (auto& [name, f] : binary) {
    check_op(name, [&](auto& v) { return f(v[0], v[1]); }, {x, b}, {0, 3});
    check_op(name, [&](auto& v) { return f(v[1], v[0]); }, {x, b}, {0, 3});
  }
}

TEST_CASE("empty: reductions over a non-empty dim of an empty tensor, and over an empty dim") {
  Tensor x = rnd({0, 3}, 1);
  check_op("sum all", [](auto& v) { return sum(v[0]); }, {x}, {});
  check_op("sum dim 0", [](auto& v) { return sum(v[0], {0}); }, {x}, {3});
  check_op("sum dim 1", [](auto& v) { return sum(v[0], {1}, true); }, {x}, {0, 1});
  check_op("mean dim 1", [](auto& v) { return mean(v[0], {1}); }, {x}, {0});
  check_op("amax dim 1", [](auto& v) { return amax(v[0], {1}); }, {x}, {0});
  check_op("max dim 1", [](auto& v) { return max(v[0], 1); }, {x}, {0});
  check_op("min dim 1", [](auto& v) { return min(v[0], 1); }, {x}, {0});
  check_op("logsumexp dim 1", [](auto& v) { return logsumexp(v[0], {1}); }, {x}, {0});
  check_op("var dim 1", [](auto& v) { return var(v[0], {1}); }, {x}, {0});
  CHECK(argmax(x, 1).shape() == Shape{0});
  // Nothing to take the mean, max or variance of: loud errors, as PyTorch (which raises for max).
  CHECK_ERROR(mean(x, {0}), "mean");
  CHECK_ERROR(amax(x, {0}), "max");
  CHECK_ERROR(max(x, 0), "max");
  CHECK_ERROR(amin(x), "min");
  CHECK_ERROR(argmax(x, 0), "argmax");
  CHECK_ERROR(var(x, {0}), "var");
  CHECK_ERROR(logsumexp(x, {0}), "max");
}

TEST_CASE("empty: matmul and linear with an empty batch or an empty inner dim") {
  check_op("matmul empty rows", [](auto& v) { return matmul(v[0], v[1]); }, {rnd({0, 3}, 1), rnd({3, 4}, 2)}, {0, 4});
  check_op("matmul empty inner", [](auto& v) { return matmul(v[0], v[1]); }, {rnd({2, 0}, 1), rnd({0, 3}, 2)}, {2, 3});
  Tensor z = matmul(zeros({2, 0}), zeros({0, 3}));
  CHECK(all_zero(z));  // a sum over an empty inner dim
  check_op("batched matmul", [](auto& v) { return matmul(v[0], v[1]); }, {rnd({0, 2, 3}, 1), rnd({3, 4}, 2)}, {0, 2, 4});
  check_op("linear", [](auto& v) { return linear(v[0], v[1], v[2]); }, {rnd({0, 4}, 1), rnd({5, 4}, 2), rnd({5}, 3)},
           {0, 5});
}

TEST_CASE("empty: shape and indexing ops") {
  Tensor x = rnd({0, 3}, 1), y = rnd({4, 3}, 2);
  check_op("reshape", [](auto& v) { return reshape(v[0], {3, 0}); }, {x}, {3, 0});
  check_op("reshape -1", [](auto& v) { return reshape(v[0], {-1, 3}); }, {rnd({0, 6}, 3)}, {0, 3});
  CHECK_ERROR(reshape(x, {0, -1, 3}), "cannot infer -1");  // any size fits: ambiguous, as PyTorch says
  check_op("flatten", [](auto& v) { return flatten(v[0]); }, {x}, {0});
  check_op("unsqueeze", [](auto& v) { return unsqueeze(v[0], 0); }, {x}, {1, 0, 3});
  check_op("squeeze", [](auto& v) { return squeeze(unsqueeze(v[0], 2), 2); }, {x}, {0, 3});
  check_op("permute", [](auto& v) { return permute(v[0], {1, 0}); }, {x}, {3, 0});
  check_op("transpose", [](auto& v) { return transpose(v[0], 0, 1); }, {x}, {3, 0});
  check_op("narrow", [](auto& v) { return narrow(v[0], 1, 1, 2); }, {x}, {0, 2});
  check_op("slice", [](auto& v) { return slice(v[0], 1, 0, 3, 2); }, {x}, {0, 2});
  check_op("empty slice", [](auto& v) { return slice(v[0], 0, 2, 2); }, {y}, {0, 3});
  check_op("index_select empty index", [](auto& v) { return index_select(v[0], 0, idx({}, {0})); }, {y}, {0, 3});
  check_op("index_select from empty", [](auto& v) { return index_select(v[0], 1, idx({2, 0}, {2})); }, {x}, {0, 2});
  check_op("gather", [](auto& v) { return gather(v[0], 1, idx({}, {0, 2})); }, {x}, {0, 2});
  check_op("scatter_add", [](auto& v) { return scatter_add(v[0], 1, idx({}, {0, 2}), v[1]); }, {x, rnd({0, 2}, 4)},
           {0, 3});
  check_op("cat with an empty piece", [](auto& v) { return cat({v[0], v[1]}, 0); }, {x, y}, {4, 3});
  check_op("cat of empties", [](auto& v) { return cat({v[0], v[0]}, 1); }, {x}, {0, 6});
  check_op("stack", [](auto& v) { return stack({v[0], v[0]}, 1); }, {x}, {0, 2, 3});
  check_op("pad", [](auto& v) { return pad(v[0], {1, 1}); }, {x}, {0, 5});
  check_op("pad into a non-empty tensor", [](auto& v) { return pad(v[0], {0, 0, 1, 1}, 2.0); }, {x}, {2, 3});
  check_op("expand", [](auto& v) { return expand(v[0], {0, 3}); }, {rnd({1, 3}, 5)}, {0, 3});
  CHECK(one_hot(idx({}, {0}), 4).shape() == Shape{0, 4});
}

TEST_CASE("empty: conv, pooling, batch norm (eval) and dropout on an empty batch") {
  Tensor x = rnd({0, 2, 5, 5}, 1);
  check_op("conv2d", [](auto& v) { return conv2d(v[0], v[1], v[2]); }, {x, rnd({3, 2, 3, 3}, 2), rnd({3}, 3)},
           {0, 3, 3, 3});
  check_op("conv2d f32", [](auto& v) { return conv2d(v[0], v[1], {}, {1, 1, 1, 1}); },
           {rnd({0, 4, 8, 8}, 4, -1, 1, DType::F32), rnd({4, 4, 3, 3}, 5, -1, 1, DType::F32)}, {0, 4, 8, 8});
  check_op("max_pool2d", [](auto& v) { return max_pool2d(v[0], 2, 2); }, {x}, {0, 2, 2, 2});
  check_op("avg_pool2d", [](auto& v) { return avg_pool2d(v[0], 2, 2); }, {x}, {0, 2, 2, 2});
  check_op("adaptive_avg_pool2d", [](auto& v) { return adaptive_avg_pool2d(v[0], 1, 1); }, {x}, {0, 2, 1, 1});
  Tensor rm = zeros({2}, {DType::F64}), rv = ones({2}, {DType::F64});
  check_op("batch_norm eval", [&](auto& v) { return batch_norm(v[0], v[1], v[2], rm, rv, false); },
           {x, rnd({2}, 6), rnd({2}, 7)}, {0, 2, 5, 5});
  CHECK_ERROR(batch_norm(x, {}, {}, rm, rv, true), "batch_norm");  // no batch statistics of nothing
  Generator g(0);
  check_op("dropout", [&](auto& v) { return dropout(v[0], 0.5, true, g); }, {x}, {0, 2, 5, 5});
}
