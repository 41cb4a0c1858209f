// classification_kd.cpp — the classification KD step (see classification_kd.h).
#include "methods/rkd/classification_kd.h"

namespace eg::rkd {

void configure_classification_kd(train::ClassifyConfig& cfg, const KdWeights& w, std::shared_ptr<nn::Backbone> teacher) {
  ENGINE_CHECK(teacher, "configure_classification_kd: no teacher");
  teacher->to(cfg.device);
  teacher->eval();
  cfg.step = [w, teacher](nn::Backbone& student, const data::Batch& b, int64_t) {
    Tensor fs = student.features(b.x);
    Tensor zs = student.fc->forward(fs);
    Tensor ft, zt;
    {
      NoGradGuard ng;
      ft = teacher->features(b.x);
      zt = teacher->fc->forward(ft);
    }
    return std::make_pair(classification_kd_loss(zs, fs, b.y, zt.detach(), ft.detach(), w), zs);
  };
}

}  // namespace eg::rkd
