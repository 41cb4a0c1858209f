// shape.h — shapes as vectors of int64 sizes, row-major strides, NumPy broadcasting and dim wrapping.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);          // "[2, 3]"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);       // in elements
// The broadcast of a and b (NumPy rules); throws naming `op` and both shapes when incompatible.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);
// Sorted, unique, wrapped dims; an empty list means "all dims".
std::vector<int64_t> wrap_dims(const char* op, std::vector<int64_t> dims, int64_t ndim);

}  // namespace eg
