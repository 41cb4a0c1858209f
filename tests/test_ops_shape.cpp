// test_ops_shape.cpp — gradchecks and values for matmul and the shape/indexing ops, and their errors
// (out-of-range indices are caught before any read).
#include "tests/test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;

static Tensor idx(std::vector<int64_t> v, Shape s) { return from_vector(v, s); }

GRADCHECK_TEST("matmul 2-D and batched with broadcast batch", OK::Matmul) {
  check_grad([](auto& v) { return matmul(v[0], v[1]); }, {rnd({3, 4}, 1), rnd({4, 2}, 2)});
  check_grad([](auto& v) { return matmul(v[0], v[1]); }, {rnd({2, 3, 4}, 3), rnd({2, 4, 5}, 4)});
  check_grad([](auto& v) { return matmul(v[0], v[1]); }, {rnd({2, 3, 4}, 5), rnd({4, 2}, 6)});
}

GRADCHECK_TEST("reshape, flatten, squeeze, unsqueeze", OK::Reshape) {
  check_grad([](auto& v) { return mul(reshape(v[0], {3, -1}), v[1]); }, {rnd({2, 6}, 1), rnd({3, 4}, 2)});
  check_grad([](auto& v) { return exp(unsqueeze(squeeze(flatten(v[0], 1), 0), 1)); }, {rnd({1, 2, 3}, 3)});
}

GRADCHECK_TEST("permute and transpose", OK::Permute) {
  check_grad([](auto& v) { return permute(v[0], {2, 0, 1}); }, {rnd({2, 3, 4}, 1)});
  check_grad([](auto& v) { return matmul(transpose(v[0], 0, 1), v[0]); }, {rnd({3, 2}, 2)});
}

GRADCHECK_TEST("narrow and strided slice", OK::Narrow) {
  check_grad([](auto& v) { return narrow(v[0], 1, 1, 2); }, {rnd({3, 4}, 1)});
  check_grad([](auto& v) { return slice(v[0], -1, 0, 5, 2); }, {rnd({2, 2, 5}, 2)});
}

GRADCHECK_TEST("index_select with repeated indices", OK::IndexSelect) {
  Tensor i = idx({2, 0, 2}, {3});
  check_grad([i](auto& v) { return index_select(v[0], 0, i); }, {rnd({3, 2}, 1)});
  check_grad([i](auto& v) { return index_select(v[0], 1, i); }, {rnd({2, 3, 2}, 2)});
}

GRADCHECK_TEST("gather and scatter_add", OK::Gather, OK::ScatterAdd) {
  Tensor i = idx({0, 2, 1, 1, 0, 0}, {3, 2});
  check_grad([i](auto& v) { return gather(v[0], 1, i); }, {rnd({3, 3}, 1)});
  check_grad([i](auto& v) { return scatter_add(v[0], 1, i, v[1]); }, {rnd({3, 3}, 2), rnd({3, 2}, 3)});
}

GRADCHECK_TEST("cat and stack", OK::Cat) {
  check_grad([](auto& v) { return cat({v[0], v[1]}, 1); }, {rnd({2, 1}, 1), rnd({2, 3}, 2)});
  check_grad([](auto& v) { return stack({v[0], v[1], v[0]}, 0); }, {rnd({2, 2}, 3), rnd({2, 2}, 4)});
}

GRADCHECK_TEST("pad", OK::Pad) {
  check_grad([](auto& v) { return pad(v[0], {1, 2, 0, 1}); }, {rnd({2, 2, 3}, 1)});
  check_grad([](auto& v) { return pad(v[0], {0, 0, 0, 0, 2, 2}); }, {rnd({1, 2, 2, 2}, 2)});
}

GRADCHECK_TEST("expand", OK::Expand) {
  check_grad([](auto& v) { return expand(v[0], {2, 3, 4}); }, {rnd({3, 1}, 1)});
}

TEST_CASE("shape ops: values") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(transpose(a, 0, 1).to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(slice(a, 1, 0, 3, 2).to_vector<float>() == std::vector<float>{1, 3, 4, 6});
  CHECK(index_select(a, 1, idx({2, 2}, {2})).to_vector<float>() == std::vector<float>{3, 3, 6, 6});
  CHECK(gather(a, 1, idx({2, 0}, {2, 1})).to_vector<float>() == std::vector<float>{3, 4});
  CHECK(cat({a, a}, 0).shape() == Shape{4, 3});
  CHECK(stack({a, a}, 2).shape() == Shape{2, 3, 2});
  CHECK(pad(tensor({1, 2}), {1, 1}, -1).to_vector<float>() == std::vector<float>{-1, 1, 2, -1});
  CHECK(one_hot(idx({2, 0}, {2}), 3).to_vector<float>() == std::vector<float>{0, 0, 1, 1, 0, 0});
  CHECK(matmul(a, transpose(a, 0, 1)).to_vector<float>() == std::vector<float>{14, 32, 32, 77});
  CHECK(reshape(a, {-1}).shape() == Shape{6});
  // Option-A shortcut pieces: x[:, :, ::2, ::2] then channel zero-pad.
  Tensor x = arange(0, 16, 1).view_as_shape({1, 1, 4, 4});
  Tensor s = slice(slice(x, 2, 0, 4, 2), 3, 0, 4, 2);
  CHECK(s.to_vector<float>() == std::vector<float>{0, 2, 8, 10});
  CHECK(pad(s, {0, 0, 0, 0, 1, 1}).shape() == Shape{1, 3, 2, 2});
}

TEST_CASE("shape ops: errors catch bad shapes and out-of-range indices") {
  Tensor a = zeros({2, 3});
  CHECK_THROWS_WITH_AS(reshape(a, {4, 2}), doctest::Contains("cannot reshape [2, 3]"), eg::Error);
  CHECK_THROWS_WITH_AS(index_select(a, 0, idx({0, 2}, {2})), doctest::Contains("index 2 at position 1 is out of range [0, 2)"), eg::Error);
  CHECK_THROWS_WITH_AS(index_select(a, 0, idx({-1}, {1})), doctest::Contains("out of range"), eg::Error);
  CHECK_THROWS_WITH_AS(gather(a, 1, idx({3, 0}, {2, 1})), doctest::Contains("gather: index 3"), eg::Error);
  CHECK_THROWS_WITH_AS(one_hot(idx({0, 5}, {2}), 3), doctest::Contains("one_hot: index 5"), eg::Error);
  CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({2, 3})), doctest::Contains("inner dims differ"), eg::Error);
  CHECK_THROWS_WITH_AS(cat({zeros({2, 3}), zeros({3, 2})}, 0), doctest::Contains("cat: tensor 1 shape [3, 2]"), eg::Error);
  CHECK_THROWS_WITH_AS(narrow(a, 1, 2, 2), doctest::Contains("narrow: slice start 2 length 2"), eg::Error);
  CHECK_THROWS_WITH_AS(permute(a, {0, 0}), doctest::Contains("repeated"), eg::Error);
  CHECK_THROWS_WITH_AS(index_select(a, 0, zeros({1})), doctest::Contains("index must be i64"), eg::Error);
}
