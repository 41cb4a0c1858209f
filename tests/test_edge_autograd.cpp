// test_edge_autograd.cpp — the engine at its edges: autograd::grad with respect to non-leaf tensors
// (as torch.autograd.grad), and dropping a graph a million ops deep without backward (freed by a loop,
// not by recursion that overflows the stack).
#include <pthread.h>

#include <cmath>

#include "tests/test_util.h"

using namespace eg;

TEST_CASE("autograd::grad: gradients with respect to a non-leaf input, alone and with a leaf") {
  Tensor x = tensor({1, 2}, {2}, {DType::F64}).requires_grad_(true);
  Tensor y = mul(x, 2.0);
  Tensor z = sum(mul(y, 3.0));
  auto g = autograd::grad(z, {y, x}, {}, /*retain_graph=*/true);
  CHECK(g[0].to_vector<double>() == std::vector<double>{3, 3});  // dz/dy
  CHECK(g[1].to_vector<double>() == std::vector<double>{6, 6});  // dz/dx
  CHECK(!x.grad().defined());                                    // .grad untouched
  // y used twice: both paths add up at y.
  Tensor w = sum(mul(y, y));
  CHECK(autograd::grad(w, {y})[0].to_vector<double>() == std::vector<double>{4, 8});
  // The output itself: its gradient is grad_output (ones).
  CHECK(autograd::grad(z, {z})[0].item() == 1);
}

TEST_CASE("autograd::grad: a non-leaf inside a deeper graph, compared with the leaf chain rule") {
  Tensor x = tensor({0.5, -1, 2}, {3}, {DType::F64}).requires_grad_(true);
  Tensor h = tanh(x);
  Tensor out = sum(mul(exp(h), h));
  auto g = autograd::grad(out, {h, x});
  auto gh = g[0].to_vector<double>(), gx = g[1].to_vector<double>(), xv = x.to_vector<double>();
  for (size_t i = 0; i < 3; ++i) {
    double t = std::tanh(xv[i]), dh = std::exp(t) * (1 + t);
    CHECK(gh[i] == doctest::Approx(dh));
    CHECK(gx[i] == doctest::Approx(dh * (1 - t * t)));
  }
}

namespace {
// Builds and drops a chain of n ops on a thread with a 1 MB stack (the default is 8 MB: a recursive
// teardown needs a few hundred bytes per node, so 1e6 nodes overflow either).
void* build_and_drop(void* arg) {
  const int64_t n = *static_cast<int64_t*>(arg);
  Tensor x = scalar_tensor(1.0).requires_grad_(true);
  Tensor y = x;
  for (int64_t i = 0; i < n; ++i) y = add(y, 1.0);
  y = Tensor();  // the whole chain goes here
  return nullptr;
}
}  // namespace

TEST_CASE("autograd: dropping a 1e6-node graph without backward does not overflow the stack") {
  int64_t n = 1000000;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t th;
  REQUIRE(pthread_create(&th, &attr, build_and_drop, &n) == 0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  // A graph shared with a live handle must survive the teardown of another branch.
  Tensor x = scalar_tensor(2.0, {DType::F64}).requires_grad_(true);
  Tensor keep = mul(x, 3.0);
  { Tensor drop = add(keep, 1.0); }
  keep.backward();
  CHECK(x.grad().item() == 3);
}
