// hd.h — what the per-element kernel bodies (core/cuda/bodies_*.h, gemm_tile.h) share: EG_HD marks a
// function __host__ __device__ under nvcc and plain inline otherwise, so the same body runs in a CUDA
// kernel and in a host loop over the grid (tests/test_cuda_host.cpp); strided index geometry; an add that
// is atomic on the device and plain on the host (the host loops run one thread at a time).
#pragma once
#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define EG_HD __host__ __device__ inline
#else
#define EG_HD inline
#endif

namespace eg::cuda::body {

constexpr int kMaxDims = 8;

// Element i of an output of `dims` (row-major) reads (or writes) base + Σ coord[d]·st[d] elsewhere.
struct Strided {
  int nd = 0;
  int64_t base = 0;
  int64_t dims[kMaxDims] = {};
  int64_t st[kMaxDims] = {};
};
EG_HD int64_t strided_offset(const Strided& g, int64_t i) {
  int64_t off = g.base;
  for (int d = g.nd - 1; d >= 0; --d) {
    const int64_t q = i / g.dims[d];
    off += (i - q * g.dims[d]) * g.st[d];
    i = q;
  }
  return off;
}

template <class T> EG_HD void add_to(T* p, T v) {
#ifdef __CUDA_ARCH__
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

template <class T> EG_HD bool is_nan(T v) { return v != v; }
template <class T> EG_HD T max_nan(T a, T b) { return (b > a || is_nan(b)) ? b : a; }
template <class T> EG_HD T min_nan(T a, T b) { return (b < a || is_nan(b)) ? b : a; }
EG_HD float hd_exp(float x) { return expf(x); }
EG_HD double hd_exp(double x) { return exp(x); }

}  // namespace eg::cuda::body
