// tensor.h — Tensor: a shape, a dtype, a device and shared contiguous row-major storage, plus the
// autograd fields (requires_grad, grad, grad_fn) that autograd/ fills in. Copying a Tensor copies a
// handle (like PyTorch); clone() copies the data. Shape letters used in comments across the engine:
// N batch, C channels, H/W height/width, K classes, D feature dims, B batch of a loss.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <vector>

#include "core/check.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace eg {

namespace autograd { struct Node; }
struct TensorImpl;

struct TensorOptions {
  DType dtype = DType::F32;
  Device device = Device::CPU;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // Uninitialized tensor of the given shape.
  static Tensor empty(const Shape& shape, TensorOptions opt = {});

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return (int64_t)shape().size(); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  TensorOptions options() const { return {dtype(), device()}; }
  bool is_cpu() const { return device() == Device::CPU; }

  // Typed pointer to the elements; checks dtype (and nothing else: device pointers are returned too).
  template <class T> T* data() const {
    ENGINE_CHECK(dtype() == dtype_of<T>::value, "Tensor::data: tensor is ", dtype_name(dtype()),
                 ", accessed as ", dtype_name(dtype_of<T>::value));
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;
  const std::shared_ptr<Storage>& storage() const;

  // Element access for tests and small host-side code (CPU only; indices checked).
  double item() const;                               // a one-element tensor as double
  double at(std::initializer_list<int64_t> idx) const;
  template <class T> std::vector<T> to_vector() const;  // converts from any dtype, copies from any device

  Tensor to(Device d) const;
  Tensor to(DType t) const;
  Tensor clone() const;        // deep copy, detached from the graph
  Tensor detach() const;       // shares storage, no grad_fn, requires_grad false
  // Shares storage under a new shape of the same numel (no autograd; see autograd reshape for that).
  Tensor view_as_shape(const Shape& s) const;
  // Makes this handle (and every copy of it) use src's storage, shape and dtype, keeping the autograd
  // flags: how modules move parameters between devices or load weights without replacing handles.
  void set_data_(const Tensor& src) const;

  // Autograd fields (the engine lives in autograd/engine.cpp).
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // only on leaves
  const Tensor& grad() const;              // undefined until a backward reaches this leaf
  void set_grad(const Tensor& g) const;
  void zero_grad() const;                  // drops the grad (lazily re-created with += semantics)
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  void backward() const;                                   // of a one-element tensor
  void backward(const Tensor& grad_output, bool retain_graph = false) const;

  TensorImpl* impl() const { return impl_.get(); }
  long use_count() const { return impl_.use_count(); }  // handles sharing this tensor (graph teardown)
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
};

// Creation. All take TensorOptions {dtype, device}; the random ones take an explicit Generator.
class Generator;
Tensor zeros(const Shape& s, TensorOptions opt = {});
Tensor ones(const Shape& s, TensorOptions opt = {});
Tensor full(const Shape& s, double value, TensorOptions opt = {});
Tensor scalar_tensor(double value, TensorOptions opt = {});     // shape []
Tensor arange(int64_t n, TensorOptions opt = {DType::I64});      // 0..n-1
Tensor arange(double start, double end, double step, TensorOptions opt = {});
Tensor linspace(double start, double end, int64_t steps, TensorOptions opt = {});
Tensor rand(const Shape& s, Generator& g, TensorOptions opt = {});   // U[0, 1)
Tensor randn(const Shape& s, Generator& g, TensorOptions opt = {});  // N(0, 1)
Tensor randint(int64_t low, int64_t high, const Shape& s, Generator& g);  // i64 in [low, high)
Tensor from_vector(const std::vector<float>& v, const Shape& s, TensorOptions opt = {});
Tensor from_vector(const std::vector<double>& v, const Shape& s, TensorOptions opt = {DType::F64});
Tensor from_vector(const std::vector<int64_t>& v, const Shape& s, TensorOptions opt = {DType::I64});
// tensor({1, 2, 3, 4}, {2, 2}): values given as doubles, stored in opt.dtype.
Tensor tensor(std::initializer_list<double> v, const Shape& s, TensorOptions opt = {});
Tensor tensor(std::initializer_list<double> v);  // 1-D f32

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Throws naming `op` unless t is defined and has the wanted dtype / device / rank.
void check_defined(const char* op, const Tensor& t, const char* arg);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);

}  // namespace eg
