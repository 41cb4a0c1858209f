// bodies_layout.h — per-element bodies of the layout and indexing kernels (core/cuda/layout.cu): where
// each output element reads from (permute, narrow, expand, where, pad, index_select, gather) or where
// each source element adds to (narrow_scatter_, index_add, scatter_add). [outer, n, inner] is the view
// of a shape around the indexed dim, k the index length. Plain C++ without nvcc (see hd.h).
#pragma once
#include "core/cuda/hd.h"

namespace eg::cuda::body {

// A [outer, n, inner] slice geometry: the elements [start, start + step·len) along the middle dim.
EG_HD Strided slice_geometry(int64_t outer, int64_t n, int64_t inner, int64_t start, int64_t len, int64_t step) {
  Strided g;
  g.nd = 3;
  g.base = start * inner;
  g.dims[0] = outer, g.dims[1] = len, g.dims[2] = inner;
  g.st[0] = n * inner, g.st[1] = step * inner, g.st[2] = 1;
  return g;
}

// Output dims and `before` pads per dim; -1 where output element i lies in the padding.
struct PadGeom {
  int nd = 0;
  int64_t out_dims[kMaxDims] = {}, in_dims[kMaxDims] = {}, before[kMaxDims] = {};
};
EG_HD int64_t pad_source(const PadGeom& g, int64_t i) {
  int64_t off = 0, acc = 1;
  for (int d = g.nd - 1; d >= 0; --d) {
    const int64_t q = i / g.out_dims[d];
    const int64_t c = i - q * g.out_dims[d] - g.before[d];
    if (c < 0 || c >= g.in_dims[d]) return -1;
    off += c * acc;
    acc *= g.in_dims[d];
    i = q;
  }
  return off;
}

// index_select's source of output i ([outer, k, inner]) in x ([outer, n, inner]); also index_add's
// destination of source element i.
EG_HD int64_t index_offset(int64_t i, int64_t k, int64_t n, int64_t inner, const int64_t* idx) {
  const int64_t j = i % inner, t = i / inner;
  return (t / k * n + idx[t % k]) * inner + j;
}

// gather's source of output `at` (shaped like index: [outer, ni, inner]) in x ([outer, nx, inner]); also
// scatter_add's destination of source element `at`.
EG_HD int64_t gather_offset(int64_t at, int64_t ni, int64_t nx, int64_t inner, const int64_t* idx) {
  const int64_t j = at % inner, o = at / (inner * ni);
  return (o * nx + idx[at]) * inner + j;
}

}  // namespace eg::cuda::body
