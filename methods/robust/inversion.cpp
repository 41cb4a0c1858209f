// inversion.cpp — representation inversion by normalised gradient descent (see inversion.h).
#include "methods/robust/inversion.h"

#include "autograd/node.h"
#include "methods/robust/pgd.h"

namespace eg::robust {

Tensor relative_representation_error(const PixelModel& m, const Tensor& z, const Tensor& r, bool fake) {
  // 1e-12: an all-zero target (every unit dead) gives the absolute error instead of a division by 0; the
  // 1e-20 keeps sqrt's gradient finite where z already matches exactly.
  Tensor rn = sqrt(sum(square(r), {1})) + 1e-12;
  return sqrt(sum(square(m.representation(z, fake) - r), {1}) + 1e-20) / rn;
}

Tensor invert_representation(const PixelModel& m, const Tensor& x, const Tensor& start, const InversionConfig& c,
                             std::vector<float>* rel_error) {
  ENGINE_CHECK(x.shape() == start.shape(), "invert_representation: targets ", shape_str(x.shape()), " and starts ",
               shape_str(start.shape()), " differ in shape");
  ENGINE_CHECK(c.step > 0 && c.steps >= 0, "invert_representation: need step > 0 and steps >= 0, got ", c.step, " and ",
               c.steps);
  AttackMode am(m.module());
  Tensor r;
  {
    NoGradGuard ng;
    r = m.representation(x, false).detach();
  }
  const int64_t d = x.numel() / std::max<int64_t>(x.size(0), 1);
  std::vector<float> z = start.to(DType::F32).to_vector<float>();
  for (int64_t it = 0; it < c.steps; ++it) {
    EnableGradGuard on;
    Tensor zt = from_vector(z, x.shape());
    zt.requires_grad_(true);
    Tensor g = autograd::grad(sum(relative_representation_error(m, zt, r, c.fake_relu)), {zt})[0];
    l2_step(z, g.to_vector<float>(), d, c.step, -1.0);
    for (float& v : z) v = std::min(1.0f, std::max(0.0f, v));
  }
  Tensor out = from_vector(z, x.shape());
  if (rel_error) {
    NoGradGuard ng;
    *rel_error = relative_representation_error(m, out, r, false).to_vector<float>();
  }
  return out;
}

}  // namespace eg::robust
