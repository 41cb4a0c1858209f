// test_nan.cpp — NaN propagates through every op that selects or clips values (relu, maximum/minimum,
// max/amax/amin, argmax, clamp, softmax, max_pool2d), as PyTorch: a diverging run must show NaN in its
// loss, not hide behind a ReLU or a max.
#include <cmath>
#include <limits>

#include "tests/test_util.h"

using namespace eg;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
bool is_nan(double v) { return std::isnan(v); }
}  // namespace

TEST_CASE("nan: relu, leaky_relu and clamp keep NaN") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor x = tensor({kNaN, -1, 2}, {3}, {dt});
    auto r = relu(x).to_vector<double>();
    CHECK(is_nan(r[0]));
    CHECK(r[1] == 0);
    CHECK(r[2] == 2);
    CHECK(is_nan(leaky_relu(x).to_vector<double>()[0]));
    CHECK(is_nan(clamp(x, 0, 1).to_vector<double>()[0]));
  }
  // Above the parallel grain too (the OpenMP loop).
  Tensor big = zeros({40000});
  big = add(big, tensor({kNaN}));
  auto r = relu(big).to_vector<float>();
  CHECK(std::all_of(r.begin(), r.end(), [](float v) { return std::isnan(v); }));
}

TEST_CASE("nan: maximum and minimum propagate NaN from either side") {
  Tensor n = tensor({kNaN}), one = tensor({1});
  CHECK(is_nan(maximum(n, one).item()));
  CHECK(is_nan(maximum(one, n).item()));
  CHECK(is_nan(minimum(n, one).item()));
  CHECK(is_nan(minimum(one, n).item()));
  Tensor row = tensor({1, kNaN, 3, 0}, {2, 2});  // broadcast path
  auto m = maximum(row, tensor({2, 2}, {1, 2})).to_vector<float>();
  CHECK(m[0] == 2);
  CHECK(std::isnan(m[1]));
  CHECK(m[2] == 3);
  CHECK(m[3] == 2);
}

TEST_CASE("nan: max, amax, amin and argmax see a NaN anywhere in the reduced dims") {
  Tensor x = tensor({1, kNaN, 2});
  CHECK(is_nan(amax(x).item()));
  CHECK(is_nan(amin(x).item()));
  CHECK(is_nan(max(x, 0).item()));
  CHECK(is_nan(amax(tensor({kNaN, 1, 2})).item()));  // NaN first, then numbers
  CHECK(argmax(x, 0).item() == 1);                     // PyTorch: the NaN's index
  CHECK(argmin(tensor({3, 1, kNaN, 0}), 0).item() == 2);
  Tensor m = tensor({1, 2, kNaN, 4, 5, 6}, {2, 3});   // over dim 0: the [outer, n, inner > 1] path
  auto v = amax(m, {0}).to_vector<float>();
  CHECK(v[0] == 4);
  CHECK(v[1] == 5);
  CHECK(std::isnan(v[2]));
  auto w = amin(m, {1}).to_vector<float>();
  CHECK(std::isnan(w[0]));
  CHECK(w[1] == 4);
}

TEST_CASE("nan: softmax, logsumexp and max_pool2d of a row with NaN are NaN") {
  auto s = softmax(tensor({1, kNaN, 2}), 0).to_vector<float>();
  for (float v : s) CHECK(std::isnan(v));
  CHECK(is_nan(logsumexp(tensor({1, kNaN, 2}), {0}).item()));
  Tensor x = reshape(tensor({1, kNaN, 3, 4}), {1, 1, 2, 2});
  CHECK(is_nan(max_pool2d(x, 2, 2).item()));
}
