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
// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range. A 0-d tensor has
// no dim to name, so it throws there too, unless `scalar_ok`: reductions, softmax and squeeze treat a
// 0-d tensor as one element along dim 0 (or -1), as PyTorch does, and handle that case themselves.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim, bool scalar_ok = false);
// Sorted, unique, wrapped dims (scalar_ok as above, for reductions); an empty list means "all dims".
std::vector<int64_t> wrap_dims(const char* op, std::vector<int64_t> dims, int64_t ndim);
// s with (wrapped) dim reduced: kept as 1 or dropped; a 0-d shape stays 0-d.
Shape reduced_shape(const Shape& s, int64_t dim, bool keepdim);

}  // namespace eg
