// test_cuda.cpp — every CUDA kernel against its CPU twin (the oracle). Skips (ctest: "Skipped") when the
// build has no CUDA or no device is present.
#include "tests/test_util.h"

using namespace eg;

// Under ctest a CUDA test without a device is reported as Skipped, not Passed (see test::skip_test).
static bool skip_cuda() {
  if (cuda_available()) return false;
  return test::skip_test(std::string("no CUDA device (compiled with CUDA: ") + (cuda_compiled() ? "yes" : "no") + ")");
}

TEST_CASE("cuda: without a device, moving a tensor fails loudly" * doctest::test_suite("cuda")) {
  if (cuda_available()) return;
  CHECK_THROWS_AS(zeros({2}).to(Device::CUDA), eg::Error);
}

TEST_CASE("cuda: unary kernels match the CPU" * doctest::test_suite("cuda")) {
  if (skip_cuda()) return;
  using kernels::UnaryOp;
  Generator g(1);
  Tensor x = randn({1000}, g), xd = x.to(Device::CUDA);
  for (auto op : {UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Abs, UnaryOp::Relu, UnaryOp::Sigmoid, UnaryOp::Tanh,
                  UnaryOp::Softplus, UnaryOp::Square, UnaryOp::Clamp, UnaryOp::AddScalar, UnaryOp::MulScalar,
                  UnaryOp::StepPositive, UnaryOp::LeakyRelu, UnaryOp::LeakyReluGrad}) {
    Tensor c = kernels::unary(op, x, -0.5, 0.5), d = kernels::unary(op, xd, -0.5, 0.5).to(Device::CPU);
    CHECK_CLOSE(d, c, 1e-6, 1e-5);
  }
  Tensor p = kernels::unary(UnaryOp::AddScalar, kernels::unary(UnaryOp::Abs, x), 0.1);
  for (auto op : {UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Rsqrt, UnaryOp::Log1p, UnaryOp::Reciprocal}) {
    Tensor c = kernels::unary(op, p), d = kernels::unary(op, p.to(Device::CUDA)).to(Device::CPU);
    CHECK_CLOSE(d, c, 1e-6, 1e-5);
  }
}

TEST_CASE("cuda: binary kernels with broadcasting match the CPU" * doctest::test_suite("cuda")) {
  if (skip_cuda()) return;
  using kernels::BinaryOp;
  Generator g(2);
  Tensor a = randn({4, 1, 5}, g), b = randn({3, 1}, g), c = randn({4, 3, 5}, g);
  for (auto op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum, BinaryOp::Minimum,
                  BinaryOp::Gt, BinaryOp::ReluBackward, BinaryOp::SigmoidBackward, BinaryOp::TanhBackward}) {
    CHECK_CLOSE(kernels::binary(op, a.to(Device::CUDA), b.to(Device::CUDA)).to(Device::CPU), kernels::binary(op, a, b), 1e-6, 1e-5);
    CHECK_CLOSE(kernels::binary(op, c.to(Device::CUDA), a.to(Device::CUDA)).to(Device::CPU), kernels::binary(op, c, a), 1e-6, 1e-5);
  }
  Tensor d = c.to(Device::CUDA);
  kernels::axpy_(d, c.to(Device::CUDA), 2.0);
  CHECK_CLOSE(d.to(Device::CPU), mul(c, 3.0), 1e-6, 1e-6);
  kernels::fill_(d, 1.5);
  CHECK(amin(d.to(Device::CPU)).item() == 1.5);
  // Autograd on the device goes through the same kernels.
  Tensor x = a.to(Device::CUDA).requires_grad_(true);
  mul(x, x).backward(ones(a.shape(), {DType::F32, Device::CUDA}));
  CHECK_CLOSE(x.grad().to(Device::CPU), mul(a, 2.0), 1e-6, 1e-6);
}
