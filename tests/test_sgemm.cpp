// test_sgemm.cpp — the packed float GEMM (core/cpu/sgemm.cpp) of every ISA this build has and this CPU runs,
// against a double-precision triple loop: sizes around the register tile (MR = 4 or 8 rows, NR = 24 or 48
// columns) and the depth chunk (384), all four transpose combinations, operands that are sub-blocks of
// larger arrays, C row-major, column-major (computed as Cᵀ = Bᵀ Aᵀ) and with no unit stride, overwrite and
// accumulate, K = 0; bitwise-equal results on 1, 2 and 3 threads; and matmul through gemm.h under each ISA.
// Letters: M, N, K the product's sizes.
#include <omp.h>

#include <random>

#include "core/cpu/sgemm.h"
#include "tests/isa_scope.h"
#include "tests/test_util.h"

using namespace eg;

namespace {

std::vector<cpu::SimdIsa> packed_isas() {
  std::vector<cpu::SimdIsa> out;
  for (cpu::SimdIsa isa : cpu::available_isas())
    if (cpu::sgemm_available(isa)) out.push_back(isa);
  return out;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

enum class CLayout { RowMajor, ColMajor, Strided };

struct Problem {
  int64_t M, N, K;
  bool ta, tb;  // A stored as Aᵀ (K rows of M), B as Bᵀ
  CLayout layout;
  bool accumulate;
};

// Runs one problem with the given ISA; returns the number of elements outside the error bound (and
// reports the first), so that a failure names the case.
int64_t run_case(cpu::SimdIsa isa, const Problem& p, uint32_t seed) {
  const int64_t M = p.M, N = p.N, K = p.K;
  // Operands live inside larger arrays (3 spare columns per row) so that the strides are not the widths.
  const int64_t lda = (p.ta ? M : K) + 3, ldb = (p.tb ? K : N) + 3;
  std::vector<float> a = random_floats((size_t)((p.ta ? K : M) * lda + 1), seed);
  std::vector<float> b = random_floats((size_t)((p.tb ? N : K) * ldb + 1), seed + 1);
  const cpu::SgemmOperand A = p.ta ? cpu::SgemmOperand{a.data(), 1, lda} : cpu::SgemmOperand{a.data(), lda, 1};
  const cpu::SgemmOperand B = p.tb ? cpu::SgemmOperand{b.data(), 1, ldb} : cpu::SgemmOperand{b.data(), ldb, 1};
  int64_t rsc = N + 2, csc = 1;  // row-major with spare columns
  if (p.layout == CLayout::ColMajor) rsc = 1, csc = M + 2;
  if (p.layout == CLayout::Strided) rsc = 2 * N + 1, csc = 2;
  std::vector<float> c = random_floats((size_t)(std::max(M * rsc, N * csc) + M + N + 8), seed + 2);
  const std::vector<float> c0 = c;
  cpu::sgemm(isa, M, N, K, A, B, c.data(), rsc, csc, p.accumulate);

  int64_t bad = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double ref = p.accumulate ? c0[(size_t)(i * rsc + j * csc)] : 0.0, mag = std::abs(ref);
      for (int64_t k = 0; k < K; ++k) {
        const double t = (double)A.p[i * A.rs + k * A.cs] * B.p[k * B.rs + j * B.cs];
        ref += t;
        mag += std::abs(t);
      }
      // A float sum of K + 1 terms in any order: |error| <= (K + 1)·2⁻²⁴·Σ|terms| (to first order).
      const double got = c[(size_t)(i * rsc + j * csc)], bound = (double)(K + 2) * 0x1p-24 * mag + 1e-30;
      if (std::abs(got - ref) > bound && bad++ == 0)
        MESSAGE("sgemm ", cpu::isa_name(isa), " M=", M, " N=", N, " K=", K, " ta=", p.ta, " tb=", p.tb,
                " layout=", (int)p.layout, " acc=", p.accumulate, ": C(", i, ",", j, ") = ", got, ", expected ", ref,
                " (bound ", bound, ")");
    }
  // Nothing outside C's elements was written.
  std::vector<char> in_c(c.size(), 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) in_c[(size_t)(i * rsc + j * csc)] = 1;
  for (size_t e = 0; e < c.size(); ++e)
    if (!in_c[e] && c[e] != c0[e] && bad++ == 0) MESSAGE("sgemm wrote outside C at offset ", e);
  return bad;
}

struct OmpThreads {
  int saved = omp_get_max_threads();
  explicit OmpThreads(int n) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved); }
};

}  // namespace

TEST_CASE("sgemm: every ISA's packed kernel equals a double triple loop on edge sizes, transposes and layouts" *
          doctest::skip(packed_isas().empty())) {
  // Around MR (4, 8), NR (24, 48), the depth chunk (384: K = 385 makes chunks of 193 and 192, 513 of 257
  // and 256) and the row block (128), plus shapes that take the threaded paths (row blocks; column groups
  // when M is small).
  const int64_t sizes[][3] = {{1, 1, 1},     {3, 5, 2},    {4, 24, 8},    {5, 25, 9},    {8, 48, 384},
                              {9, 49, 385},  {7, 47, 383}, {17, 95, 513}, {130, 100, 40}, {1, 130, 70},
                              {130, 1, 70},  {33, 1000, 64}, {200, 300, 40}, {8, 2000, 100}};
  uint32_t seed = 1;
  for (cpu::SimdIsa isa : packed_isas())
    for (const auto& s : sizes)
      for (int t = 0; t < 4; ++t)
        for (CLayout layout : {CLayout::RowMajor, CLayout::ColMajor, CLayout::Strided})
          for (bool acc : {false, true}) {
            const Problem p{s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, layout, acc};
            CHECK(run_case(isa, p, seed++) == 0);
          }
}

TEST_CASE("sgemm: K = 0 gives zeros, or leaves C as it was when accumulating" * doctest::skip(packed_isas().empty())) {
  for (cpu::SimdIsa isa : packed_isas()) {
    std::vector<float> c(6, 5.0f);
    const float dummy = 0.0f;
    cpu::sgemm(isa, 2, 3, 0, {&dummy, 0, 1}, {&dummy, 3, 1}, c.data(), 3, 1, /*accumulate=*/true);
    CHECK(c == std::vector<float>(6, 5.0f));
    cpu::sgemm(isa, 2, 3, 0, {&dummy, 0, 1}, {&dummy, 3, 1}, c.data(), 3, 1, /*accumulate=*/false);
    CHECK(c == std::vector<float>(6, 0.0f));
  }
}

TEST_CASE("sgemm: results are bitwise equal on 1, 2 and 3 threads" * doctest::skip(packed_isas().empty())) {
  // 300 × 200 × 600: row blocks split over threads, K in 2 chunks; 8 × 2000 × 300: one row block, its
  // column panels split over threads (column groups).
  const int64_t sizes[][3] = {{300, 200, 600}, {8, 2000, 300}};
  for (cpu::SimdIsa isa : packed_isas())
    for (const auto& s : sizes) {
      const int64_t M = s[0], N = s[1], K = s[2];
      const std::vector<float> a = random_floats((size_t)(M * K), 7), b = random_floats((size_t)(K * N), 8);
      std::vector<std::vector<float>> out;
      for (int threads : {1, 2, 3}) {
        OmpThreads scope(threads);
        std::vector<float> c((size_t)(M * N));
        cpu::sgemm(isa, M, N, K, {a.data(), K, 1}, {b.data(), N, 1}, c.data(), N, 1, false);
        out.push_back(c);
      }
      CHECK(out[0] == out[1]);
      CHECK(out[0] == out[2]);
    }
}

TEST_CASE("sgemm: matmul (gemm.h) agrees with float64 under every ISA, packed kernels and Eigen's alike") {
  Tensor a = test::rnd({70, 300}, 3, -1, 1, DType::F32), b = test::rnd({300, 90}, 4, -1, 1, DType::F32);
  const Tensor ref = matmul(a.to(DType::F64), b.to(DType::F64));
  for (cpu::SimdIsa isa : cpu::available_isas()) {
    test::IsaScope scope(isa);
    const Tensor c = matmul(a, b);
    // K = 300 terms of magnitude <= 1: the float error is far below 1e-4.
    CHECK_MESSAGE(test::compare(c.to(DType::F64), ref, 1e-4, 0).empty(), cpu::isa_name(isa));
  }
}
