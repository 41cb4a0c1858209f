// dtype.h — element types and devices. f32 is the compute type, f64 exists so gradchecks run the same
// templated kernels in double, i64 holds labels and indices (as PyTorch's int64 label tensors).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace eg {

enum class DType : uint8_t { F32, F64, I64 };
enum class Device : uint8_t { CPU, CUDA };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::I64: return "i64";
  }
  return "?";
}
inline bool is_floating(DType t) { return t == DType::F32 || t == DType::F64; }
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::F32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::F64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::I64; };

}  // namespace eg

// Runs BODY with `scalar_t` bound to the C++ type of a floating dtype; other dtypes throw, naming OP.
#define EG_DISPATCH_FLOAT(DT, OP, ...)                                                      \
  [&] {                                                                                     \
    switch (DT) {                                                                           \
      case ::eg::DType::F32: { using scalar_t = float; return __VA_ARGS__(); }              \
      case ::eg::DType::F64: { using scalar_t = double; return __VA_ARGS__(); }             \
      default: ENGINE_FAIL(OP, ": expected a floating dtype (f32/f64), got ", ::eg::dtype_name(DT)); \
    }                                                                                       \
  }()

#define EG_DISPATCH_ALL(DT, OP, ...)                                                        \
  [&] {                                                                                     \
    switch (DT) {                                                                           \
      case ::eg::DType::F32: { using scalar_t = float; return __VA_ARGS__(); }              \
      case ::eg::DType::F64: { using scalar_t = double; return __VA_ARGS__(); }             \
      case ::eg::DType::I64: { using scalar_t = int64_t; return __VA_ARGS__(); }            \
    }                                                                                       \
    ENGINE_FAIL(OP, ": unknown dtype");                                                     \
  }()
