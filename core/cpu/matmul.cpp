// matmul.cpp — CPU (batched) matrix product through gemm.h (the packed float GEMM, or Eigen's) on row-major maps. A [..., M, K] and
// B [..., K, N] (either may be stored transposed); batch dims broadcast. One large GEMM is split over
// threads by gemm.h (in blocks fixed by the sizes); many small ones are spread over threads by batch.
#include "core/eigen.h"

#include "core/cpu/cpu_kernels.h"
#include "core/cpu/gemm.h"

namespace eg::cpu {

namespace {
template <class T> using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T> using UMap = Eigen::Map<const RowMat<T>>;

template <class T> void matmul_one(const T* a, const T* b, T* c, int64_t M, int64_t K, int64_t N, bool ta, bool tb) {
  Eigen::Map<RowMat<T>> C(c, M, N);
  UMap<T> A(a, ta ? K : M, ta ? M : K);
  UMap<T> B(b, tb ? N : K, tb ? K : N);
  if (!ta && !tb) cpu::gemm(C, A, B);
  else if (ta && !tb) cpu::gemm(C, A.transpose(), B);
  else if (!ta && tb) cpu::gemm(C, A, B.transpose());
  else cpu::gemm(C, A.transpose(), B.transpose());
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const Shape& out_shape) {
  Tensor c = Tensor::empty(out_shape, a.options());
  int64_t M = out_shape[out_shape.size() - 2], N = out_shape.back();
  int64_t K = ta ? a.shape()[a.shape().size() - 2] : a.shape().back();
  int64_t batch = shape_numel(out_shape) / std::max<int64_t>(M * N, 1);
  int64_t a_batch = a.numel() / std::max<int64_t>(M * K, 1), b_batch = b.numel() / std::max<int64_t>(K * N, 1);
  if (c.numel() == 0) return c;
  // Broadcast batches: with leading batch dims [..] flattened, an operand either has all batches or one.
  EG_DISPATCH_FLOAT(a.dtype(), "matmul", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    const scalar_t* pb = b.data<scalar_t>();
    scalar_t* pc = c.data<scalar_t>();
    auto one = [&](int64_t i) {
      matmul_one(pa + (a_batch == 1 ? 0 : i * M * K), pb + (b_batch == 1 ? 0 : i * K * N), pc + i * M * N, M, K, N, ta, tb);
    };
    if (batch == 1) one(0);
    else parallel_for(batch, one, M * N * K);
  });
  return c;
}

}  // namespace eg::cpu
