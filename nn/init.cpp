// init.cpp — initializers (see init.h).
#include "nn/init.h"

#include <cmath>

#include "core/kernels.h"

namespace eg::nn::init {

int64_t fan_in(const Tensor& w) {
  ENGINE_CHECK(w.dim() >= 2, "init: fan_in needs a weight with >= 2 dims, got ", shape_str(w.shape()));
  return w.numel() / w.size(0);
}
int64_t fan_out(const Tensor& w) {
  ENGINE_CHECK(w.dim() >= 2, "init: fan_out needs a weight with >= 2 dims, got ", shape_str(w.shape()));
  return w.numel() / w.size(1);
}

// Fills on the host in element order, so the same seed gives the same weights on every device.
template <class F> static void fill_host(Tensor& t, F draw) {
  Tensor h = Tensor::empty(t.shape(), {t.dtype(), Device::CPU});
  EG_DISPATCH_FLOAT(t.dtype(), "init", [&] {
    auto* p = h.data<scalar_t>();
    for (int64_t i = 0; i < h.numel(); ++i) p[i] = (scalar_t)draw();
  });
  kernels::copy_(t, h);
}

void uniform_(Tensor& t, double lo, double hi, Generator& g) { fill_host(t, [&] { return lo + (hi - lo) * g.uniform(); }); }
void normal_(Tensor& t, double mean, double std, Generator& g) { fill_host(t, [&] { return mean + std * g.normal(); }); }
void constant_(Tensor& t, double value) { kernels::fill_(t, value); }

void kaiming_normal_(Tensor& t, Generator& g, bool fan_out_mode, double a) {
  double gain = std::sqrt(2.0 / (1.0 + a * a));
  normal_(t, 0.0, gain / std::sqrt((double)(fan_out_mode ? fan_out(t) : fan_in(t))), g);
}

void kaiming_uniform_(Tensor& t, Generator& g, double a, bool fan_out_mode) {
  double gain = std::sqrt(2.0 / (1.0 + a * a));
  double bound = std::sqrt(3.0) * gain / std::sqrt((double)(fan_out_mode ? fan_out(t) : fan_in(t)));
  uniform_(t, -bound, bound, g);
}

void xavier_uniform_(Tensor& t, Generator& g) {
  double bound = std::sqrt(6.0 / (double)(fan_in(t) + fan_out(t)));
  uniform_(t, -bound, bound, g);
}

}  // namespace eg::nn::init
