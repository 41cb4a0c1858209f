// elementwise.cpp — CPU unary/binary/where kernels with NumPy broadcasting, templated on the scalar so
// gradchecks run the same code in double. Same-shape inputs take a flat (vectorizable) loop; broadcast
// inputs are walked with per-input strides (0 on broadcast dims) after merging contiguous dims. relu,
// maximum and minimum propagate NaN (as PyTorch): a diverging run must not hide behind a ReLU.
#include <array>
#include <cmath>

#include "core/cpu/cpu_kernels.h"

namespace eg::cpu {

namespace {

template <class T> inline T sigmoid(T x) {
  // Stable for both signs: never exponentiates a large positive number.
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}
template <class T> inline T softplus(T x) { return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x))); }

template <class T, class F> void flat_map(const T* x, T* y, int64_t n, F f) {
  if (n >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  }
}

template <class T> void unary_impl(UnaryOp op, const T* x, T* y, int64_t n, T a, T b) {
  switch (op) {
    case UnaryOp::Neg: return flat_map(x, y, n, [](T v) { return -v; });
    case UnaryOp::Exp: return flat_map(x, y, n, [](T v) { return std::exp(v); });
    case UnaryOp::Log: return flat_map(x, y, n, [](T v) { return std::log(v); });
    case UnaryOp::Sqrt: return flat_map(x, y, n, [](T v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt: return flat_map(x, y, n, [](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::Abs: return flat_map(x, y, n, [](T v) { return std::abs(v); });
    case UnaryOp::Sign: return flat_map(x, y, n, [](T v) { return T((v > 0) - (v < 0)); });
    case UnaryOp::Relu: return flat_map(x, y, n, [](T v) { return v <= 0 ? T(0) : v; });  // NaN <= 0 is false
    case UnaryOp::Sigmoid: return flat_map(x, y, n, [](T v) { return sigmoid(v); });
    case UnaryOp::Tanh: return flat_map(x, y, n, [](T v) { return std::tanh(v); });
    case UnaryOp::Log1p: return flat_map(x, y, n, [](T v) { return std::log1p(v); });
    case UnaryOp::Softplus: return flat_map(x, y, n, [](T v) { return softplus(v); });
    case UnaryOp::Square: return flat_map(x, y, n, [](T v) { return v * v; });
    case UnaryOp::Reciprocal: return flat_map(x, y, n, [](T v) { return T(1) / v; });
    case UnaryOp::PowScalar:
      if (a == T(2)) return flat_map(x, y, n, [](T v) { return v * v; });
      return flat_map(x, y, n, [a](T v) { return std::pow(v, a); });
    case UnaryOp::Clamp: return flat_map(x, y, n, [a, b](T v) { return v < a ? a : (v > b ? b : v); });
    case UnaryOp::AddScalar: return flat_map(x, y, n, [a](T v) { return v + a; });
    case UnaryOp::MulScalar: return flat_map(x, y, n, [a](T v) { return v * a; });
    case UnaryOp::RSubScalar: return flat_map(x, y, n, [a](T v) { return a - v; });
    case UnaryOp::FillLike: return flat_map(x, y, n, [a](T) { return a; });
    case UnaryOp::StepPositive: return flat_map(x, y, n, [](T v) { return v > 0 ? T(1) : T(0); });
    case UnaryOp::ClampMask: return flat_map(x, y, n, [a, b](T v) { return (v >= a && v <= b) ? T(1) : T(0); });
    case UnaryOp::LeakyRelu: return flat_map(x, y, n, [a](T v) { return v > 0 ? v : a * v; });
    case UnaryOp::LeakyReluGrad: return flat_map(x, y, n, [a](T v) { return v > 0 ? T(1) : a; });
  }
}

template <class T> struct BinaryFn {
  BinaryOp op;
  inline T operator()(T a, T b) const {
    switch (op) {
      case BinaryOp::Add: return a + b;
      case BinaryOp::Sub: return a - b;
      case BinaryOp::Mul: return a * b;
      case BinaryOp::Div: return a / b;
      case BinaryOp::Maximum: return a > b || std::isnan(a) ? a : b;  // NaN from either side propagates
      case BinaryOp::Minimum: return a < b || std::isnan(a) ? a : b;
      case BinaryOp::Pow: return std::pow(a, b);
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
};

// Broadcast geometry: output dims plus each input's element strides (0 where broadcast), with
// adjacent dims merged whenever every operand is contiguous across them.
struct Walk {
  Shape dims;
  std::vector<Shape> strides;  // one per input
};

Walk make_walk(const Shape& out, const std::vector<const Shape*>& ins) {
  size_t nd = out.size();
  Walk w;
  std::vector<Shape> full(ins.size(), Shape(nd, 0));
  for (size_t k = 0; k < ins.size(); ++k) {
    const Shape& s = *ins[k];
    int64_t acc = 1;
    for (size_t i = nd; i-- > 0;) {
      size_t j = i + s.size();
      if (j < nd) break;  // leading dims absent in this input: stride 0
      int64_t size = s[j - nd];
      full[k][i] = size == 1 ? 0 : acc;
      acc *= size;
    }
  }
  // Merge dim i into the previous kept dim when stride_prev == stride_i * size_i for every operand.
  w.strides.assign(ins.size(), {});
  for (size_t i = 0; i < nd; ++i) {
    if (out[i] == 1) continue;
    bool merge = !w.dims.empty();
    for (size_t k = 0; merge && k < ins.size(); ++k)
      merge = w.strides[k].back() == full[k][i] * out[i];
    if (merge) {
      w.dims.back() *= out[i];
      for (size_t k = 0; k < ins.size(); ++k) w.strides[k].back() = full[k][i];
    } else {
      w.dims.push_back(out[i]);
      for (size_t k = 0; k < ins.size(); ++k) w.strides[k].push_back(full[k][i]);
    }
  }
  if (w.dims.empty()) {
    w.dims.push_back(1);
    for (auto& s : w.strides) s.push_back(0);
  }
  return w;
}

// Calls body(row_offsets..., out_row_start, inner_len, inner_strides...) for every row of the walk.
template <size_t K, class Body> void for_each_row(const Walk& w, Body body) {
  size_t nd = w.dims.size();
  int64_t inner = w.dims[nd - 1];
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < nd; ++i) rows *= w.dims[i];
  auto run = [&](int64_t r) {
    std::array<int64_t, K> off{};
    int64_t rem = r;
    for (size_t i = nd - 1; i-- > 0;) {
      int64_t idx = rem % w.dims[i];
      rem /= w.dims[i];
      for (size_t k = 0; k < K; ++k) off[k] += idx * w.strides[k][i];
    }
    body(off, r * inner, inner);
  };
  if (rows * inner >= kParallelGrain && rows > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) run(r);
  } else {
    for (int64_t r = 0; r < rows; ++r) run(r);
  }
}

template <class T>
void binary_impl(BinaryOp op, const Tensor& A, const Tensor& B, Tensor& C) {
  const T* a = A.data<T>();
  const T* b = B.data<T>();
  T* c = C.data<T>();
  BinaryFn<T> f{op};
  int64_t n = C.numel();
  auto flat = [&](auto fn) {
    if (A.shape() == B.shape()) {
      if (n >= kParallelGrain) {
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < n; ++i) c[i] = fn(a[i], b[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) c[i] = fn(a[i], b[i]);
      }
      return true;
    }
    return false;
  };
  // Specialize the hot ops so the flat loop vectorizes without the switch inside.
  bool done = false;
  switch (op) {
    case BinaryOp::Add: done = flat([](T x, T y) { return x + y; }); break;
    case BinaryOp::Sub: done = flat([](T x, T y) { return x - y; }); break;
    case BinaryOp::Mul: done = flat([](T x, T y) { return x * y; }); break;
    case BinaryOp::ReluBackward: done = flat([](T x, T y) { return y > 0 ? x : T(0); }); break;
    default: done = flat(f);
  }
  if (done) return;
  Walk w = make_walk(C.shape(), {&A.shape(), &B.shape()});
  size_t last = w.dims.size() - 1;
  int64_t sa = w.strides[0][last], sb = w.strides[1][last];
  for_each_row<2>(w, [&](const std::array<int64_t, 2>& off, int64_t o, int64_t len) {
    const T* pa = a + off[0];
    const T* pb = b + off[1];
    T* pc = c + o;
    if (sa == 1 && sb == 1) for (int64_t i = 0; i < len; ++i) pc[i] = f(pa[i], pb[i]);
    else if (sa == 1 && sb == 0) { T vb = *pb; for (int64_t i = 0; i < len; ++i) pc[i] = f(pa[i], vb); }
    else if (sa == 0 && sb == 1) { T va = *pa; for (int64_t i = 0; i < len; ++i) pc[i] = f(va, pb[i]); }
    else for (int64_t i = 0; i < len; ++i) pc[i] = f(pa[i * sa], pb[i * sb]);
  });
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  Tensor y = Tensor::empty(x.shape(), x.options());
  EG_DISPATCH_FLOAT(x.dtype(), "unary", [&] {
    unary_impl<scalar_t>(op, x.data<scalar_t>(), y.data<scalar_t>(), x.numel(), (scalar_t)a, (scalar_t)b);
  });
  return y;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  if (c.numel() == 0) return c;
  EG_DISPATCH_FLOAT(a.dtype(), "binary", [&] { binary_impl<scalar_t>(op, a, b, c); });
  return c;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  if (c.numel() == 0) return c;
  Walk w = make_walk(out_shape, {&cond.shape(), &a.shape(), &b.shape()});
  size_t last = w.dims.size() - 1;
  EG_DISPATCH_FLOAT(a.dtype(), "where", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    const scalar_t* pb = b.data<scalar_t>();
    scalar_t* pc = c.data<scalar_t>();
    EG_DISPATCH_ALL(cond.dtype(), "where", [&] {
      using cond_t = scalar_t;
      const cond_t* pm = static_cast<const cond_t*>(cond.raw_data());
      for_each_row<3>(w, [&](const std::array<int64_t, 3>& off, int64_t o, int64_t len) {
        for (int64_t i = 0; i < len; ++i)
          pc[o + i] = pm[off[0] + i * w.strides[0][last]] != cond_t(0) ? pa[off[1] + i * w.strides[1][last]]
                                                                      : pb[off[2] + i * w.strides[2][last]];
      });
    });
  });
  return c;
}

void axpy_(Tensor& dst, const Tensor& src, double alpha) {
  int64_t n = dst.numel();
  EG_DISPATCH_FLOAT(dst.dtype(), "axpy_", [&] {
    scalar_t* d = dst.data<scalar_t>();
    const scalar_t* s = src.data<scalar_t>();
    scalar_t al = (scalar_t)alpha;
    parallel_for(n, [&](int64_t i) { d[i] += al * s[i]; });
  });
}

void fill_(Tensor& dst, double value) {
  int64_t n = dst.numel();
  EG_DISPATCH_ALL(dst.dtype(), "fill_", [&] {
    scalar_t* d = static_cast<scalar_t*>(dst.raw_data());
    scalar_t v = (scalar_t)value;
    for (int64_t i = 0; i < n; ++i) d[i] = v;
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor out = Tensor::empty(shape, x.options());
  if (out.numel() == 0) return out;
  Walk w = make_walk(shape, {&x.shape()});
  size_t last = w.dims.size() - 1;
  EG_DISPATCH_ALL(x.dtype(), "expand", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* po = static_cast<scalar_t*>(out.raw_data());
    int64_t s = w.strides[0][last];
    for_each_row<1>(w, [&](const std::array<int64_t, 1>& off, int64_t o, int64_t len) {
      for (int64_t i = 0; i < len; ++i) po[o + i] = px[off[0] + i * s];
    });
  });
  return out;
}

}  // namespace eg::cpu
