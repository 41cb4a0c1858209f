// rkd.h — Relational Knowledge Distillation losses (Park et al., CVPR 2019; spec rkd.md §2.1–2.3):
// distance-wise L_D and angle-wise L_A between a student batch and a teacher batch.
// Shapes: student S [N, Ds], teacher T [N, Dt] (Ds and Dt may differ); distances [N, N]; angles [N, N, N].
//
// Both losses are composed from primitives (sub, square, sum, clamp, sqrt, div, matmul, where, mean):
// the graph is small (N ≤ 128) and autograd gives the gradient of rkd.md §2.3, which the tests check
// against that hand-derived formula. The teacher side is computed under NoGradGuard from T.detach(),
// so no gradient ever reaches the teacher (its mean distance mu_T included); mu_S is not detached.
#pragma once
#include "core/tensor.h"

namespace eg::losses {

// d_ij = sqrt(max(||x_i − x_j||², 1e-12)) for i ≠ j, d_ii = 0, differences formed directly (not via the
// Gram expansion); zero gradient where the clamp is active. [N, D] -> [N, N].
Tensor rkd_pairwise_distances(const Tensor& x);

// RKD-D (the paper's ψ_D and L_RKD-D, §3.2; rkd.md §2.1):
//   mu = Σ_{i≠j} d_ij / (N(N−1)) (guarded to ≥ 1e-12), ψ = d / mu, per network;
//   L_D = (1/N²) Σ_{i,j} huber(ψS_ij − ψT_ij)   — the official 1/N² (diagonal zeros included).
// N = 1 has no pair: L_D = 0 (finite, gradient 0).
Tensor rkd_distance_loss(const Tensor& student, const Tensor& teacher);

// RKD-A (the paper's ψ_A and L_RKD-A, §3.2; rkd.md §2.2), all N³ triples, vertex first:
//   E[a,b] = (x_b − x_a)/||x_b − x_a|| (0 where the norm < 1e-12, with zero gradient),
//   A[a,b,c] = <E[a,b], E[a,c]>,  L_A = (1/N³) Σ huber(A_S − A_T).
// O(N³) time and O(N²·D) memory; degenerate entries (b = a, c = a, b = c) count in the 1/N³.
Tensor rkd_angle_loss(const Tensor& student, const Tensor& teacher);

}  // namespace eg::losses
