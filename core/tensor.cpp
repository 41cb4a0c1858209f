// tensor.cpp — Tensor handle methods, creation functions, conversion and printing.
#include "core/tensor.h"

#include <cmath>
#include <cstring>
#include <ostream>

#include "core/generator.h"

namespace eg {

static TensorImpl& need(const std::shared_ptr<TensorImpl>& p) {
  ENGINE_CHECK(p, "Tensor: use of an undefined tensor");
  return *p;
}

Tensor Tensor::empty(const Shape& shape, TensorOptions opt) {
  for (auto d : shape) ENGINE_CHECK(d >= 0, "Tensor::empty: negative size in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>((size_t)shape_numel(shape) * dtype_size(opt.dtype), opt.device);
  impl->shape = shape;
  impl->dtype = opt.dtype;
  return Tensor(std::move(impl));
}

const Shape& Tensor::shape() const { return need(impl_).shape; }
int64_t Tensor::size(int64_t d) const { return shape()[(size_t)wrap_dim("Tensor::size", d, dim())]; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const { return need(impl_).dtype; }
Device Tensor::device() const { return need(impl_).storage->device(); }
void* Tensor::raw_data() const { return need(impl_).storage->data(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return need(impl_).storage; }

template <class T> std::vector<T> Tensor::to_vector() const {
  Tensor c = is_cpu() ? *this : to(Device::CPU);
  std::vector<T> out((size_t)numel());
  EG_DISPATCH_ALL(dtype(), "to_vector", [&] {
    const scalar_t* p = static_cast<const scalar_t*>(c.raw_data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = (T)p[i];
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

double Tensor::item() const {
  ENGINE_CHECK(numel() == 1, "item: expected a tensor with one element, got shape ", shape_str(shape()));
  return to_vector<double>()[0];
}

double Tensor::at(std::initializer_list<int64_t> idx) const {
  ENGINE_CHECK((int64_t)idx.size() == dim(), "at: got ", idx.size(), " indices for shape ", shape_str(shape()));
  ENGINE_CHECK(is_cpu(), "at: tensor is on ", device_name(device()), "; move it to cpu first");
  int64_t off = 0, i = 0;
  for (auto v : idx) {
    int64_t n = shape()[(size_t)i];
    ENGINE_CHECK(v >= 0 && v < n, "at: index ", v, " out of range for dim ", i, " of shape ", shape_str(shape()));
    off = off * n + v;
    ++i;
  }
  return EG_DISPATCH_ALL(dtype(), "at", [&] { return (double)static_cast<const scalar_t*>(raw_data())[off]; });
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  Tensor out = empty(shape(), {dtype(), d});
  copy_bytes(out.raw_data(), d, raw_data(), device(), (size_t)numel() * dtype_size(dtype()));
  return out;
}

Tensor Tensor::to(DType t) const {
  if (dtype() == t) return *this;
  if (!is_cpu()) return to(Device::CPU).to(t).to(device());
  Tensor out = empty(shape(), {t, Device::CPU});
  int64_t n = numel();
  EG_DISPATCH_ALL(dtype(), "to(dtype)", [&] {
    using src_t = scalar_t;
    const src_t* s = static_cast<const src_t*>(raw_data());
    EG_DISPATCH_ALL(t, "to(dtype)", [&] {
      scalar_t* d = static_cast<scalar_t*>(out.raw_data());
      for (int64_t i = 0; i < n; ++i) d[i] = (scalar_t)s[i];
    });
  });
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), options());
  copy_bytes(out.raw_data(), device(), raw_data(), device(), (size_t)numel() * dtype_size(dtype()));
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = need(impl_).storage;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::view_as_shape(const Shape& s) const {
  ENGINE_CHECK(shape_numel(s) == numel(), "view: cannot view shape ", shape_str(shape()), " (", numel(),
               " elements) as ", shape_str(s));
  Tensor out = detach();
  out.impl()->shape = s;
  return out;
}

void Tensor::set_data_(const Tensor& src) const {
  ENGINE_CHECK(src.defined(), "set_data_: source is undefined");
  need(impl_).storage = src.storage();
  impl_->shape = src.shape();
  impl_->dtype = src.dtype();
}

bool Tensor::requires_grad() const { return need(impl_).requires_grad; }
Tensor& Tensor::requires_grad_(bool on) {
  ENGINE_CHECK(!need(impl_).grad_fn, "requires_grad_: only leaf tensors can be flagged (this one has a grad_fn)");
  ENGINE_CHECK(!on || is_floating(dtype()), "requires_grad_: only floating tensors can require grad, got ",
               dtype_name(dtype()));
  impl_->requires_grad = on;
  return *this;
}
const Tensor& Tensor::grad() const { return need(impl_).grad; }
void Tensor::set_grad(const Tensor& g) const { need(impl_).grad = g; }
void Tensor::zero_grad() const { need(impl_).grad = Tensor(); }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return need(impl_).grad_fn; }

// ---- creation ----

Tensor full(const Shape& s, double value, TensorOptions opt) {
  Tensor cpu = Tensor::empty(s, {opt.dtype, Device::CPU});
  int64_t n = cpu.numel();
  EG_DISPATCH_ALL(opt.dtype, "full", [&] {
    scalar_t* p = cpu.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = (scalar_t)value;
  });
  return cpu.to(opt.device);
}

Tensor zeros(const Shape& s, TensorOptions opt) {
  Tensor t = Tensor::empty(s, opt);
  fill_zero_bytes(t.raw_data(), opt.device, (size_t)t.numel() * dtype_size(opt.dtype));
  return t;
}
Tensor ones(const Shape& s, TensorOptions opt) { return full(s, 1.0, opt); }
Tensor scalar_tensor(double value, TensorOptions opt) { return full({}, value, opt); }

Tensor arange(int64_t n, TensorOptions opt) {
  ENGINE_CHECK(n >= 0, "arange: negative length ", n);
  return arange(0.0, (double)n, 1.0, opt);
}

Tensor arange(double start, double end, double step, TensorOptions opt) {
  ENGINE_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end), "arange: bad range ", start, "..", end,
               " step ", step);
  int64_t n = std::max<int64_t>(0, (int64_t)std::ceil((end - start) / step));
  Tensor cpu = Tensor::empty({n}, {opt.dtype, Device::CPU});
  EG_DISPATCH_ALL(opt.dtype, "arange", [&] {
    scalar_t* p = cpu.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = (scalar_t)(start + (double)i * step);
  });
  return cpu.to(opt.device);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions opt) {
  ENGINE_CHECK(steps >= 1, "linspace: steps must be >= 1, got ", steps);
  std::vector<double> v((size_t)steps);
  for (int64_t i = 0; i < steps; ++i) v[(size_t)i] = steps == 1 ? start : start + (end - start) * (double)i / (double)(steps - 1);
  return from_vector(v, {steps}, {DType::F64}).to(opt.dtype).to(opt.device);
}

template <class F> static Tensor random_fill(const Shape& s, TensorOptions opt, const char* op, F draw) {
  Tensor cpu = Tensor::empty(s, {opt.dtype, Device::CPU});
  int64_t n = cpu.numel();
  EG_DISPATCH_FLOAT(opt.dtype, op, [&] {
    scalar_t* p = cpu.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = (scalar_t)draw();
  });
  return cpu.to(opt.device);
}

Tensor rand(const Shape& s, Generator& g, TensorOptions opt) {
  return random_fill(s, opt, "rand", [&] { return g.uniform(); });
}
Tensor randn(const Shape& s, Generator& g, TensorOptions opt) {
  return random_fill(s, opt, "randn", [&] { return g.normal(); });
}
Tensor randint(int64_t low, int64_t high, const Shape& s, Generator& g) {
  ENGINE_CHECK(high > low, "randint: empty range [", low, ", ", high, ")");
  Tensor t = Tensor::empty(s, {DType::I64});
  int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = low + g.randint(high - low);
  return t;
}

template <class T> static Tensor from_vec(const std::vector<T>& v, const Shape& s, TensorOptions opt) {
  ENGINE_CHECK((int64_t)v.size() == shape_numel(s), "from_vector: ", v.size(), " values for shape ", shape_str(s));
  Tensor t = Tensor::empty(s, {dtype_of<T>::value, Device::CPU});
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t.to(opt.dtype).to(opt.device);
}
Tensor from_vector(const std::vector<float>& v, const Shape& s, TensorOptions opt) { return from_vec(v, s, opt); }
Tensor from_vector(const std::vector<double>& v, const Shape& s, TensorOptions opt) { return from_vec(v, s, opt); }
Tensor from_vector(const std::vector<int64_t>& v, const Shape& s, TensorOptions opt) { return from_vec(v, s, opt); }

Tensor tensor(std::initializer_list<double> v, const Shape& s, TensorOptions opt) {
  return from_vector(std::vector<double>(v), s, {DType::F64}).to(opt.dtype).to(opt.device);
}
Tensor tensor(std::initializer_list<double> v) { return tensor(v, {(int64_t)v.size()}); }

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  os << "Tensor(shape=" << shape_str(t.shape()) << ", " << dtype_name(t.dtype()) << ", " << device_name(t.device());
  auto v = t.to_vector<double>();
  os << ", [";
  for (size_t i = 0; i < v.size() && i < 64; ++i) os << (i ? ", " : "") << v[i];
  if (v.size() > 64) os << ", ...";
  return os << "])";
}

void check_defined(const char* op, const Tensor& t, const char* arg) {
  ENGINE_CHECK(t.defined(), op, ": argument '", arg, "' is an undefined tensor");
}
void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  ENGINE_CHECK(a.device() == b.device(), op, ": tensors on different devices (", device_name(a.device()), " ",
               shape_str(a.shape()), " vs ", device_name(b.device()), " ", shape_str(b.shape()), ")");
}
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  ENGINE_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch (", dtype_name(a.dtype()), " ", shape_str(a.shape()),
               " vs ", dtype_name(b.dtype()), " ", shape_str(b.shape()), ")");
}

}  // namespace eg
