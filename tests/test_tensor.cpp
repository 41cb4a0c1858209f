// test_tensor.cpp — Tensor creation, dtypes, storage alignment, element access, RNG determinism,
// and loud errors for bad shapes and indices.
#include "tests/test_util.h"

#include <cstdint>
#include <sstream>

using namespace eg;

TEST_CASE("tensor: creation and access") {
  Tensor z = zeros({2, 3});
  CHECK(z.numel() == 6);
  CHECK(z.dtype() == DType::F32);
  CHECK(ones({2}).to_vector<float>() == std::vector<float>{1, 1});
  CHECK(full({2}, 7, {DType::I64}).to_vector<int64_t>() == std::vector<int64_t>{7, 7});
  CHECK(arange(4).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(arange(0, 1, 0.25).numel() == 4);
  CHECK(linspace(0, 1, 5).to_vector<float>() == std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1});
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.at({1, 2}) == 6);
  CHECK(t.size(-1) == 3);
  CHECK(scalar_tensor(2.5).item() == 2.5);
  CHECK(t.to(DType::F64).dtype() == DType::F64);
  CHECK(t.to(DType::I64).to_vector<int64_t>()[5] == 6);
  CHECK(reinterpret_cast<uintptr_t>(t.raw_data()) % 64 == 0);
  std::ostringstream os;
  os << t;
  CHECK(os.str().find("shape=[2, 3]") != std::string::npos);
}

TEST_CASE("tensor: clone is deep, detach shares storage") {
  Tensor t = tensor({1, 2});
  Tensor c = t.clone(), d = t.detach();
  t.data<float>()[0] = 9;
  CHECK(c.at({0}) == 1);
  CHECK(d.at({0}) == 9);
}

TEST_CASE("generator: seeded and reproducible, state round-trips") {
  Generator a(42), b(42), c(43);
  CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  auto st = a.state();
  double u1 = a.uniform(), n1 = a.normal();
  a.set_state(st);
  CHECK(a.uniform() == u1);
  CHECK(a.normal() == n1);
  Generator g(0);
  Tensor x = randn({10000}, g);
  CHECK(mean(x).item() == doctest::Approx(0).epsilon(0.03));
  CHECK(var(x).item() == doctest::Approx(1).epsilon(0.05));
  Tensor u = rand({10000}, g);
  CHECK(amin(u).item() >= 0);
  CHECK(amax(u).item() < 1);
  Tensor r = randint(0, 3, {1000}, g);
  CHECK(amax(r.to(DType::F32)).item() == 2);
}

TEST_CASE("tensor: errors") {
  CHECK_THROWS_WITH_AS(zeros({2, -1}), doctest::Contains("negative size"), eg::Error);
  Tensor t = zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.at({2, 0}), doctest::Contains("index 2 out of range for dim 0"), eg::Error);
  CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("expected a tensor with one element"), eg::Error);
  CHECK_THROWS_WITH_AS(t.data<double>(), doctest::Contains("tensor is f32, accessed as f64"), eg::Error);
  CHECK_THROWS_WITH_AS(from_vector(std::vector<float>{1, 2}, {3}), doctest::Contains("2 values for shape [3]"), eg::Error);
  CHECK_THROWS_WITH_AS(Tensor().shape(), doctest::Contains("undefined tensor"), eg::Error);
}
