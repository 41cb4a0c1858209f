// gemm.cu — the hand-written tiled GEMM (64×64 tiles of C per 256-thread block, K in slices of 16
// through shared memory, a 4×4 register block per thread; see core/cuda/gemm_tile.h, whose phases the
// kernel runs) for f32 and f64, and matmul on top of it: batch dims broadcast by batch stride 0,
// transposes by swapped strides. No vendor library.
#include "core/cuda/cuda_kernels.h"
#include "core/cuda/gemm.cuh"
#include "core/cuda/launch.cuh"

namespace eg::cuda {

namespace {
using namespace body;

template <class T> __global__ void __launch_bounds__(kGemmThreads) gemm_kernel(GemmArgs<T> g) {
  __shared__ GemmSmem<T> s;
  T acc[kMicro][kMicro];
#pragma unroll
  for (int i = 0; i < kMicro; ++i)
#pragma unroll
    for (int j = 0; j < kMicro; ++j) acc[i][j] = T(0);
  const int tid = threadIdx.x;
  const int64_t bm = blockIdx.y, bn = blockIdx.x, z = blockIdx.z;
  for (int64_t k0 = 0; k0 < g.K; k0 += kTileK) {
    gemm_load(g, bm, bn, z, k0, tid, s);
    __syncthreads();
    gemm_fma(tid, s, acc);
    __syncthreads();
  }
  gemm_store(g, bm, bn, z, tid, acc);
}
}  // namespace

template <class T> void gemm(const GemmArgs<T>& g, int64_t batch) {
  if (g.M == 0 || g.N == 0 || batch == 0) return;
  const int64_t gx = (g.N + kTileN - 1) / kTileN, gy = (g.M + kTileM - 1) / kTileM;
  ENGINE_CHECK(gy <= 65535 && batch <= 65535, "cuda gemm: ", g.M, " rows in ", batch,
               " batches exceed the grid (at most 65535 row tiles and batches)");
  // Batches beyond the grid's z limit would need a loop; 65535 is far above any batch here.
  gemm_kernel<T><<<dim3((unsigned)gx, (unsigned)gy, (unsigned)batch), kGemmThreads>>>(g);
  CUDA_CHECK_LAUNCH("gemm");
}
template void gemm<float>(const GemmArgs<float>&, int64_t);
template void gemm<double>(const GemmArgs<double>&, int64_t);

namespace {
template <class T> void matmul_impl(const Tensor& a, const Tensor& b, bool ta, bool tb, Tensor& c) {
  const Shape& sc = c.shape();
  int64_t batch = 0;
  gemm(matmul_gemm<T>(a.data<T>(), a.shape(), ta, b.data<T>(), b.shape(), tb, c.data<T>(), sc[sc.size() - 2],
                      sc.back(), batch),
       batch);
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  if (c.numel() == 0) return c;
  const int64_t K = ta ? a.shape()[a.shape().size() - 2] : a.shape().back();
  if (K == 0) {
    fill_(c, 0.0);
    return c;
  }
  EG_CUDA_FLOAT(a.dtype(), "matmul", matmul_impl, a, b, ta, tb, c);
  return c;
}

}  // namespace eg::cuda
