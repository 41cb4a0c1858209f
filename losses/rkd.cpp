// rkd.cpp — RKD distance and angle losses, composed (see rkd.h).
#include "losses/rkd.h"

#include <algorithm>
#include <limits>

#include "autograd/ops.h"
#include "losses/common.h"
#include "losses/smooth_l1.h"

namespace eg::losses {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

void check_pair(const char* loss, const Tensor& s, const Tensor& t) {
  ENGINE_CHECK(s.defined() && is_floating(s.dtype()) && s.dim() == 2 && s.size(0) >= 1 && s.size(1) >= 1, loss,
               ": student must be a floating [N, Ds] tensor with N, Ds >= 1, got ",
               s.defined() ? shape_str(s.shape()) : "undefined");
  ENGINE_CHECK(t.defined() && t.dtype() == s.dtype() && t.dim() == 2 && t.size(0) == s.size(0) && t.size(1) >= 1,
               loss, ": teacher must be [N, Dt] with the student's N = ", s.size(0), " and dtype ",
               dtype_name(s.dtype()), ", got ", t.defined() ? shape_str(t.shape()) : "undefined");
}

// D[a, b, :] = x_b − x_a, [N, N, D].
Tensor differences(const Tensor& x) { return sub(unsqueeze(x, 0), unsqueeze(x, 1)); }

// ψ = d / max(mu, 1e-12) with mu the mean off-diagonal distance.
Tensor normalized_distances(const Tensor& x) {
  const int64_t n = x.size(0);
  Tensor d = rkd_pairwise_distances(x);
  double pairs = (double)std::max<int64_t>(n * (n - 1), 1);
  Tensor mu = clamp(mul(sum(d), 1.0 / pairs), 1e-12, kInf);
  return div(d, mu);
}

// A[a, b, c] = <E[a,b], E[a,c]>, [N, N, N].
Tensor angles(const Tensor& x) {
  Tensor diff = differences(x);
  Tensor sq = sum(square(diff), {2}, true);                   // [N, N, 1]
  Tensor norm = sqrt(clamp(sq, 1e-24, kInf));                 // = max(||D||, 1e-12)
  Tensor tiny = lt(sq, full({}, 1e-24, sq.options()));        // coincident points
  Tensor e = where(tiny, zeros({}, x.options()), div(diff, norm));
  return matmul(e, transpose(e, 1, 2));
}
}  // namespace

Tensor rkd_pairwise_distances(const Tensor& x) {
  ENGINE_CHECK(x.defined() && is_floating(x.dtype()) && x.dim() == 2,
               "rkd_pairwise_distances: x must be a floating [N, D] tensor");
  const int64_t n = x.size(0);
  Tensor d = sqrt(clamp(sum(square(differences(x)), {2}), 1e-12, kInf));
  Tensor off_diag = sub(ones({n, n}, x.options()), one_hot(arange(n), n, x.dtype()).to(x.device()));
  return mul(d, off_diag);
}

Tensor rkd_distance_loss(const Tensor& student, const Tensor& teacher) {
  check_pair("rkd_distance_loss", student, teacher);
  Tensor psi_t;
  {
    NoGradGuard ng;
    psi_t = normalized_distances(teacher.detach());
  }
  return mean(huber(sub(normalized_distances(student), psi_t)));
}

Tensor rkd_angle_loss(const Tensor& student, const Tensor& teacher) {
  check_pair("rkd_angle_loss", student, teacher);
  Tensor a_t;
  {
    NoGradGuard ng;
    a_t = angles(teacher.detach());
  }
  return mean(huber(sub(angles(student), a_t)));
}

}  // namespace eg::losses
