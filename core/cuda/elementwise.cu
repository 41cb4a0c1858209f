// elementwise.cu — CUDA unary/binary kernels with broadcasting (up to 8 dims), axpy and fill; f32 and
// f64. The math of each op mirrors core/cpu/elementwise.cpp, which is its oracle in the tests.
#include <cmath>

#include "core/cuda/cuda_check.h"
#include "core/cuda/cuda_kernels.h"

namespace eg::cuda {

namespace {

constexpr int kMaxDims = 8;
struct Geometry {
  int nd;
  long long dims[kMaxDims];
  long long sa[kMaxDims], sb[kMaxDims];
};

template <class T> __device__ T sigmoid_d(T x) {
  if (x >= 0) return T(1) / (T(1) + exp(-x));
  T e = exp(x);
  return e / (T(1) + e);
}

template <class T> __device__ T apply_unary(UnaryOp op, T v, T a, T b) {
  switch (op) {
    case UnaryOp::Neg: return -v;
    case UnaryOp::Exp: return exp(v);
    case UnaryOp::Log: return log(v);
    case UnaryOp::Sqrt: return sqrt(v);
    case UnaryOp::Rsqrt: return T(1) / sqrt(v);
    case UnaryOp::Abs: return fabs(v);
    case UnaryOp::Sign: return T((v > 0) - (v < 0));
    case UnaryOp::Relu: return v > 0 || isnan(v) ? v : T(0);  // NaN propagates, as on the CPU
    case UnaryOp::Sigmoid: return sigmoid_d(v);
    case UnaryOp::Tanh: return tanh(v);
    case UnaryOp::Log1p: return log1p(v);
    case UnaryOp::Softplus: return (v > 0 ? v : T(0)) + log1p(exp(-fabs(v)));
    case UnaryOp::Square: return v * v;
    case UnaryOp::Reciprocal: return T(1) / v;
    case UnaryOp::PowScalar: return a == T(2) ? v * v : pow(v, a);
    case UnaryOp::Clamp: return v < a ? a : (v > b ? b : v);
    case UnaryOp::AddScalar: return v + a;
    case UnaryOp::MulScalar: return v * a;
    case UnaryOp::RSubScalar: return a - v;
    case UnaryOp::FillLike: return a;
    case UnaryOp::StepPositive: return v > 0 ? T(1) : T(0);
    case UnaryOp::ClampMask: return (v >= a && v <= b) ? T(1) : T(0);
    case UnaryOp::LeakyRelu: return v > 0 ? v : a * v;
    case UnaryOp::LeakyReluGrad: return v > 0 ? T(1) : a;
  }
  return T(0);
}

template <class T> __device__ T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Maximum: return a > b || isnan(a) ? a : b;
    case BinaryOp::Minimum: return a < b || isnan(a) ? a : b;
    case BinaryOp::Pow: return pow(a, b);
    case BinaryOp::Eq: return T(a == b);
    case BinaryOp::Ne: return T(a != b);
    case BinaryOp::Lt: return T(a < b);
    case BinaryOp::Le: return T(a <= b);
    case BinaryOp::Gt: return T(a > b);
    case BinaryOp::Ge: return T(a >= b);
    case BinaryOp::ReluBackward: return b > 0 ? a : T(0);
    case BinaryOp::SigmoidBackward: return a * b * (T(1) - b);
    case BinaryOp::TanhBackward: return a * (T(1) - b * b);
  }
  return T(0);
}

template <class T> __global__ void unary_kernel(UnaryOp op, const T* x, T* y, long long n, T a, T b) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = apply_unary(op, x[i], a, b);
}

template <class T> __global__ void binary_same_kernel(BinaryOp op, const T* a, const T* b, T* c, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    c[i] = apply_binary(op, a[i], b[i]);
}

template <class T>
__global__ void binary_bcast_kernel(BinaryOp op, const T* a, const T* b, T* c, long long n, Geometry g) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    long long rem = i, oa = 0, ob = 0;
    for (int d = g.nd - 1; d >= 0; --d) {
      long long idx = rem % g.dims[d];
      rem /= g.dims[d];
      oa += idx * g.sa[d];
      ob += idx * g.sb[d];
    }
    c[i] = apply_binary(op, a[oa], b[ob]);
  }
}

template <class T> __global__ void axpy_kernel(T* d, const T* s, T alpha, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    d[i] += alpha * s[i];
}

template <class T> __global__ void fill_kernel(T* d, T v, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    d[i] = v;
}

Geometry make_geometry(const Shape& out, const Shape& sa, const Shape& sb) {
  Geometry g{};
  g.nd = (int)out.size();
  ENGINE_CHECK(g.nd <= kMaxDims, "cuda binary: at most ", kMaxDims, " dims supported, got ", shape_str(out));
  auto fill = [&](const Shape& s, long long* st) {
    long long acc = 1;
    for (int i = g.nd - 1; i >= 0; --i) {
      int j = i - (g.nd - (int)s.size());
      if (j < 0) { st[i] = 0; continue; }
      st[i] = s[(size_t)j] == 1 ? 0 : acc;
      acc *= s[(size_t)j];
    }
  };
  for (int i = 0; i < g.nd; ++i) g.dims[i] = out[(size_t)i];
  fill(sa, g.sa);
  fill(sb, g.sb);
  return g;
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  Tensor y = Tensor::empty(x.shape(), x.options());
  long long n = x.numel();
  if (n == 0) return y;
  EG_DISPATCH_FLOAT(x.dtype(), "cuda unary", [&] {
    unary_kernel<scalar_t><<<blocks_for(n), kThreads>>>(op, x.data<scalar_t>(), y.data<scalar_t>(), n,
                                                        (scalar_t)a, (scalar_t)b);
  });
  CUDA_CHECK_LAUNCH("unary");
  return y;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  long long n = c.numel();
  if (n == 0) return c;
  EG_DISPATCH_FLOAT(a.dtype(), "cuda binary", [&] {
    if (a.shape() == b.shape()) {
      binary_same_kernel<scalar_t><<<blocks_for(n), kThreads>>>(op, a.data<scalar_t>(), b.data<scalar_t>(),
                                                                c.data<scalar_t>(), n);
    } else {
      Geometry g = make_geometry(out_shape, a.shape(), b.shape());
      binary_bcast_kernel<scalar_t><<<blocks_for(n), kThreads>>>(op, a.data<scalar_t>(), b.data<scalar_t>(),
                                                                 c.data<scalar_t>(), n, g);
    }
  });
  CUDA_CHECK_LAUNCH("binary");
  return c;
}

void axpy_(Tensor& dst, const Tensor& src, double alpha) {
  long long n = dst.numel();
  if (n == 0) return;
  EG_DISPATCH_FLOAT(dst.dtype(), "cuda axpy_", [&] {
    axpy_kernel<scalar_t><<<blocks_for(n), kThreads>>>(dst.data<scalar_t>(), src.data<scalar_t>(), (scalar_t)alpha, n);
  });
  CUDA_CHECK_LAUNCH("axpy_");
}

void fill_(Tensor& dst, double value) {
  long long n = dst.numel();
  if (n == 0) return;
  EG_DISPATCH_ALL(dst.dtype(), "cuda fill_", [&] {
    fill_kernel<scalar_t><<<blocks_for(n), kThreads>>>(static_cast<scalar_t*>(dst.raw_data()), (scalar_t)value, n);
  });
  CUDA_CHECK_LAUNCH("fill_");
}

}  // namespace eg::cuda
