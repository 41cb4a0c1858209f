// geometry.h — host-side builders of the index geometry the CUDA kernels take (core/cuda/bodies_*.h):
// the [outer, n, inner] split around a dim, broadcast strides, permutation strides, pad geometry. Used
// by the .cu launchers and by the host loops of tests/test_cuda_host.cpp; plain C++.
#pragma once
#include <vector>

#include "core/check.h"
#include "core/cuda/bodies_layout.h"
#include "core/cuda/bodies_reduce.h"
#include "core/shape.h"

namespace eg::cuda::body {

inline Split split_around(const Shape& s, int64_t dim) {
  Split d{1, s.empty() ? 1 : s[(size_t)dim], 1};
  for (int64_t i = 0; i < dim; ++i) d.outer *= s[(size_t)i];
  for (size_t i = (size_t)dim + 1; i < s.size(); ++i) d.inner *= s[i];
  return d;
}

inline void check_rank(const char* op, const Shape& s) {
  ENGINE_CHECK(s.size() <= (size_t)kMaxDims, op, " (cuda): at most ", kMaxDims, " dims supported, got ", shape_str(s));
}

// Reading `in` broadcast to `out` (NumPy alignment from the right; stride 0 where broadcast).
inline Strided broadcast_strided(const Shape& out, const Shape& in) {
  check_rank("broadcast", out);
  Strided g;
  g.nd = (int)out.size();
  int64_t acc = 1;
  for (int i = g.nd - 1; i >= 0; --i) {
    g.dims[i] = out[(size_t)i];
    const int j = i - (g.nd - (int)in.size());
    if (j < 0) continue;
    g.st[i] = in[(size_t)j] == 1 ? 0 : acc;
    acc *= in[(size_t)j];
  }
  return g;
}

// Output element i of x permuted by perm reads x at strided_offset(g, i).
inline Strided permute_strided(const Shape& s, const std::vector<int64_t>& perm) {
  check_rank("permute", s);
  Shape st = contiguous_strides(s);
  Strided g;
  g.nd = (int)s.size();
  for (size_t i = 0; i < s.size(); ++i) g.dims[i] = s[(size_t)perm[i]], g.st[i] = st[(size_t)perm[i]];
  return g;
}

// pads as torch.nn.functional.pad: (before_last, after_last, before_second_last, ...).
inline PadGeom pad_geometry(const Shape& s, const std::vector<int64_t>& pads, Shape& out) {
  check_rank("pad", s);
  PadGeom g;
  g.nd = (int)s.size();
  out = s;
  for (size_t i = 0; i < s.size(); ++i) g.in_dims[i] = s[i];
  for (size_t k = 0; k < pads.size() / 2; ++k) {
    const size_t d = s.size() - 1 - k;
    g.before[d] = pads[2 * k];
    out[d] = s[d] + pads[2 * k] + pads[2 * k + 1];
  }
  for (size_t i = 0; i < s.size(); ++i) g.out_dims[i] = out[i];
  return g;
}

inline NCS ncs_of(const Shape& s) {
  NCS l{s[0], s[1], 1};
  for (size_t i = 2; i < s.size(); ++i) l.S *= s[i];
  return l;
}

}  // namespace eg::cuda::body
