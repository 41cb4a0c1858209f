// common.cpp — reductions and argument checks shared by the losses (see common.h).
#include "losses/common.h"

#include "autograd/ops.h"

namespace eg::losses {

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::BatchMean: return "batchmean";
  }
  return "?";
}

Reduction parse_reduction(const std::string& name) {
  if (name == "none") return Reduction::None;
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "batchmean") return Reduction::BatchMean;
  ENGINE_FAIL("parse_reduction: unknown reduction '", name, "' (expected none, mean, sum or batchmean)");
}

Tensor reduce(const Tensor& per, Reduction r) {
  switch (r) {
    case Reduction::None: return per;
    case Reduction::Sum: return sum(per);
    case Reduction::Mean: return mean(per);
    case Reduction::BatchMean:
      ENGINE_CHECK(per.dim() >= 1 && per.size(0) > 0, "reduce: batchmean needs a non-empty first dim, got ",
                   shape_str(per.shape()));
      return mul(sum(per), 1.0 / (double)per.size(0));
  }
  ENGINE_FAIL("reduce: bad reduction");
}

void check_logits(const char* loss, const Tensor& logits) {
  ENGINE_CHECK(logits.defined(), loss, ": logits are undefined");
  ENGINE_CHECK(is_floating(logits.dtype()), loss, ": logits must be f32 or f64, got ", dtype_name(logits.dtype()));
  ENGINE_CHECK(logits.dim() == 2, loss, ": logits must be [B, K], got ", shape_str(logits.shape()));
  ENGINE_CHECK(logits.size(0) >= 1 && logits.size(1) >= 1, loss, ": logits must have B >= 1 and K >= 1, got ",
               shape_str(logits.shape()));
}

void check_labels(const char* loss, const Tensor& labels, int64_t B, int64_t K) {
  ENGINE_CHECK(labels.defined(), loss, ": labels are undefined");
  ENGINE_CHECK(labels.dtype() == DType::I64, loss, ": labels must be i64, got ", dtype_name(labels.dtype()));
  ENGINE_CHECK(labels.shape() == Shape{B}, loss, ": labels must be [B] = [", B, "], got ", shape_str(labels.shape()));
  Tensor c = labels.to(Device::CPU);
  const int64_t* p = c.data<int64_t>();
  for (int64_t i = 0; i < B; ++i)
    ENGINE_CHECK(p[i] >= 0 && p[i] < K, loss, ": label ", p[i], " at position ", i, " is out of range [0, ", K, ")");
}

void check_float_shape(const char* loss, const Tensor& t, const char* arg, const Tensor& like, const Shape& shape) {
  ENGINE_CHECK(t.defined(), loss, ": ", arg, " is undefined");
  ENGINE_CHECK(t.dtype() == like.dtype(), loss, ": ", arg, " must be ", dtype_name(like.dtype()),
               " like the input, got ", dtype_name(t.dtype()));
  ENGINE_CHECK(t.shape() == shape, loss, ": ", arg, " must have shape ", shape_str(shape), ", got ",
               shape_str(t.shape()));
}

void check_class_weights(const char* loss, const Tensor& weight, const Tensor& like, int64_t K) {
  if (!weight.defined()) return;
  check_float_shape(loss, weight, "class weight", like, {K});
  ENGINE_CHECK(!weight.requires_grad(), loss, ": class weights are constants and must not require grad");
  for (double w : weight.to_vector<double>())
    ENGINE_CHECK(w >= 0, loss, ": class weights must be >= 0, got ", w);
}

Tensor zero_loss_like(const Tensor& x) { return mul(sum(x), 0.0); }

}  // namespace eg::losses
