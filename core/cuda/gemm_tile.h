// gemm_tile.h — the tiled GEMM of core/cuda/gemm.cu as three per-thread phases, so a host loop can run
// the very code the kernel runs (tests/test_cuda_host.cpp): a block of kGemmThreads threads owns a
// kTileM×kTileN tile of C; per kTileK slice of K every thread loads its share of A's and B's slices into
// shared memory (gemm_load), then accumulates its kMicro×kMicro register block (gemm_fma); at the end it
// writes that block (gemm_store). Thread (ty, tx) owns rows ty + 16·i and columns tx + 16·j, so a warp
// reads B's shared row without bank conflicts and writes C rows 16 wide.
//
// Every operand is addressed by strides, which expresses the transposes, batch broadcasting (batch
// stride 0) and conv's weight gradient, whose K runs over (image, pixel): k → (k / kseg)·outer + (k %
// kseg)·stride. C = alpha·A·B + beta·C (beta 0: C is not read). Plain C++ without nvcc (see hd.h).
#pragma once
#include "core/cuda/hd.h"

namespace eg::cuda::body {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kGemmThreads = 256, kMicro = 4, kTilePad = 4;

template <class T> struct GemmArgs {
  const T* a;
  const T* b;
  T* c;
  int64_t M, N, K, kseg;
  int64_t a_m, a_k, a_kouter, a_batch;  // A(m, k) of batch z
  int64_t b_k, b_n, b_kouter, b_batch;  // B(k, n)
  int64_t c_m, c_n, c_batch;            // C(m, n)
  T alpha, beta;
};

template <class T> struct GemmSmem {
  T a[kTileK][kTileM + kTilePad];
  T b[kTileK][kTileN + kTilePad];
};

// Loads K slice [k0, k0 + kTileK) of block (bm, bn, z); zeros outside the matrices.
template <class T> EG_HD void gemm_load(const GemmArgs<T>& g, int64_t bm, int64_t bn, int64_t z, int64_t k0, int tid,
                                        GemmSmem<T>& s) {
  const bool a_k_fast = g.a_k == 1, b_n_fast = g.b_n == 1;
  for (int e = tid; e < kTileM * kTileK; e += kGemmThreads) {
    // Consecutive threads walk A's unit-stride direction, so global reads coalesce.
    const int mm = a_k_fast ? e / kTileK : e % kTileM, kk = a_k_fast ? e % kTileK : e / kTileM;
    const int64_t m = bm * kTileM + mm, k = k0 + kk;
    s.a[kk][mm] = (m < g.M && k < g.K)
                      ? g.a[z * g.a_batch + m * g.a_m + (k / g.kseg) * g.a_kouter + (k % g.kseg) * g.a_k]
                      : T(0);
  }
  for (int e = tid; e < kTileN * kTileK; e += kGemmThreads) {
    const int nn = b_n_fast ? e % kTileN : e / kTileK, kk = b_n_fast ? e / kTileN : e % kTileK;
    const int64_t n = bn * kTileN + nn, k = k0 + kk;
    s.b[kk][nn] = (n < g.N && k < g.K)
                      ? g.b[z * g.b_batch + n * g.b_n + (k / g.kseg) * g.b_kouter + (k % g.kseg) * g.b_k]
                      : T(0);
  }
}

template <class T> EG_HD void gemm_fma(int tid, const GemmSmem<T>& s, T (&acc)[kMicro][kMicro]) {
  const int tx = tid % 16, ty = tid / 16;
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
  for (int kk = 0; kk < kTileK; ++kk) {
    T av[kMicro], bv[kMicro];
    for (int i = 0; i < kMicro; ++i) av[i] = s.a[kk][ty + 16 * i];
    for (int j = 0; j < kMicro; ++j) bv[j] = s.b[kk][tx + 16 * j];
    for (int i = 0; i < kMicro; ++i)
      for (int j = 0; j < kMicro; ++j) acc[i][j] += av[i] * bv[j];
  }
}

template <class T> EG_HD void gemm_store(const GemmArgs<T>& g, int64_t bm, int64_t bn, int64_t z, int tid,
                                         const T (&acc)[kMicro][kMicro]) {
  const int tx = tid % 16, ty = tid / 16;
  for (int i = 0; i < kMicro; ++i) {
    const int64_t m = bm * kTileM + ty + 16 * i;
    if (m >= g.M) continue;
    for (int j = 0; j < kMicro; ++j) {
      const int64_t n = bn * kTileN + tx + 16 * j;
      if (n >= g.N) continue;
      T* c = g.c + z * g.c_batch + m * g.c_m + n * g.c_n;
      *c = g.beta == T(0) ? g.alpha * acc[i][j] : g.alpha * acc[i][j] + g.beta * *c;
    }
  }
}

}  // namespace eg::cuda::body
