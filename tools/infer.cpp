// infer.cpp — build/bin/infer: runs a saved model on images stored in a safetensors file, in eval mode,
// and prints the accuracy when the file also holds labels. A model written by a trainer (model.safetensors
// or checkpoint.safetensors) describes itself (methods/train/model_file.h): architecture, input shape,
// normalization and class names come from the file, so
//   infer --weights runs/erm/model.safetensors --input test.safetensors [--output out.safetensors]
// needs nothing else. Input: raw pixels, uint8 0-255 or float in [0, 1], [N, C, H, W] (or [N, H, W] for
// one channel); the stored normalization is applied (--no-normalize for already normalized floats).
// Output (--output): logits [N, K], features [N, D], pred [N] (i64). A PyTorch state_dict without our
// metadata runs with the architecture given by hand (--model, --in-channels, --num-classes, ...).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/cpu/isa.h"
#include "core/safetensors.h"
#include "core/storage.h"
#include "methods/train/cli.h"
#include "methods/train/model_file.h"

using namespace eg;
using namespace eg::train;

namespace {

// The input as floats ready for the model: [N, C, H, W] checked against the model, scaled to [0, 1] and
// normalized with the model's mean/std (unless `normalized`).
std::vector<float> prepare_input(const Tensor& x_in, const std::string& key, const ModelFileInfo& info, bool normalized,
                                 Shape& shape) {
  shape = x_in.shape();
  const int64_t c = info.spec.in_channels;
  if (shape.size() == 3 && c == 1) shape = {shape[0], 1, shape[1], shape[2]};
  std::string want = "[N, " + std::to_string(c) + ", " +
                     (info.input_shape.size() == 3 ? std::to_string(info.input_shape[1]) + ", " + std::to_string(info.input_shape[2])
                                                   : std::string("H, W")) + "]";
  ENGINE_CHECK(shape.size() == 4 && shape[1] == c, "input '", key, "' is ", shape_str(x_in.shape()), "; the model takes ", want);
  if (info.input_shape.size() == 3)
    ENGINE_CHECK(shape[2] == info.input_shape[1] && shape[3] == info.input_shape[2], "input '", key, "' is ",
                 shape_str(x_in.shape()), "; the model was trained on ", want, " (resize the images)");
  std::vector<float> v = x_in.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i)
    ENGINE_CHECK(std::isfinite(v[i]), "input '", key, "': value ", v[i], " at element ", i, " of image ",
                 (int64_t)i / (shape[1] * shape[2] * shape[3]), " is not a finite number");
  bool integer = x_in.dtype() == DType::I64;  // uint8 (and int32) files are read as i64
  if (!normalized) {
    float lo = v.empty() ? 0 : *std::min_element(v.begin(), v.end()), hi = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
    if (integer)
      ENGINE_CHECK(lo >= 0 && hi <= 255, "input '", key, "' holds integers in [", lo, ", ", hi, "]; expected uint8 pixels 0-255");
    else
      ENGINE_CHECK(lo >= -1e-6f && hi <= 1 + 1e-6f, "input '", key, "' holds floats in [", lo, ", ", hi,
                   "]; expected raw pixels in [0, 1] (or uint8 0-255); pass --no-normalize if they are already normalized");
    int64_t plane = shape[2] * shape[3];
    for (size_t i = 0; i < v.size(); ++i) {
      size_t ch = (size_t)(((int64_t)i / plane) % c);
      float p = integer ? v[i] / 255.0f : v[i];
      v[i] = (p - info.mean[ch]) / info.std[ch];
    }
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"infer: run a saved model on images (eval mode); prints the accuracy when labels are given", "infer"};
  std::string weights, input, key = "x", label_key = "y", output, device = "cpu";
  int threads = 0;
  int64_t batch = 256;
  bool no_normalize = false;
  nn::ModelSpec spec;
  std::vector<float> mean, stdev;
  app.add_option("--weights", weights, "model.safetensors or checkpoint.safetensors of a trainer (or a PyTorch state_dict "
                 "with the architecture flags below)")->required()->check(CLI::ExistingFile);
  app.add_option("--input", input, "safetensors file with images: uint8 0-255 or float in [0, 1], [N, C, H, W] or "
                 "[N, H, W]; the model's stored normalization is applied")->required()->check(CLI::ExistingFile);
  app.add_option("--input-key", key, "name of the image tensor")->capture_default_str();
  app.add_option("--label-key", label_key, "name of the [N] label tensor; when present the accuracy is printed")
      ->capture_default_str();
  app.add_option("--output", output, "write logits [N, K], features [N, D] and pred [N] here (.safetensors)");
  app.add_flag("--no-normalize", no_normalize, "the input is already normalized: use it as it is");
  app.add_option("--batch-size", batch, "images per forward pass")->capture_default_str()->check(positive());
  app.add_option("--device", device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", threads, "CPU threads (0 = all cores)")->check(in_range(0, kMaxThreads));
  auto* g = app.add_option_group("without model metadata", "only for weights that do not describe their model");
  std::string models;
  for (auto& n : nn::model_names()) models += (models.empty() ? "" : ", ") + n;
  g->add_option("--model", spec.name, "backbone: " + models)->check(CLI::IsMember(nn::model_names()));
  g->add_option("--in-channels", spec.in_channels, "input channels")->check(positive());
  g->add_option("--num-classes", spec.num_classes, "classes of the fc head")->check(positive());
  g->add_option("--stem", spec.stem, "resnet18/34/50 stem: cifar or imagenet")->check(CLI::IsMember({"cifar", "imagenet"}));
  g->add_option("--widths", spec.widths, "convnet widths");
  g->add_option("--pool", spec.pool, "convnet pooled map size")->check(positive());
  g->add_option("--mean", mean, "per-channel mean of [0, 1] pixels");
  g->add_option("--std", stdev, "per-channel std of [0, 1] pixels");
  app.failure_message(one_line_failure);
  CLI11_PARSE(app, argc, argv);
  try {
    cpu::check_cpu_supports_build();
    if (threads > 0) omp_set_num_threads(threads);
    Device dev = device == "cuda" ? Device::CUDA : Device::CPU;
    ENGINE_CHECK(dev == Device::CPU || cuda_available(), "--device cuda: no CUDA device in this build or machine");
    SafetensorsFile wf = load_safetensors(weights);
    LoadedModel m;
    bool by_hand = g->count_all() > 0;
    if (has_model_info(wf.metadata)) {
      ENGINE_CHECK(!by_hand, "'", weights, "' describes its model; drop the architecture/normalization flags");
      m = load_model_file(weights);
    } else {
      ENGINE_CHECK(app.count("--model") && app.count("--in-channels") && app.count("--num-classes"), "'", weights,
                   "' does not describe its model: give --model, --in-channels and --num-classes");
      ENGINE_CHECK(no_normalize || (mean.size() == (size_t)spec.in_channels && stdev.size() == mean.size()),
                   "give --mean and --std (one value per channel) or --no-normalize");
      if (spec.name == "convnet" && spec.widths.empty()) spec.widths = {16, 32, 64};
      m.info.spec = spec;
      m.info.mean = mean, m.info.std = stdev;
      Generator gen(0);
      m.model = nn::make_model(spec, gen);
      load_weights_from(weights, *m.model, spec);
    }
    m.model->to(dev);
    m.model->eval();
    SafetensorsFile in = load_safetensors(input);
    const Tensor* x = in.find(key);
    ENGINE_CHECK(x, "input '", input, "' has no tensor '", key, "' (use --input-key)");
    Shape shape;
    std::vector<float> xs = prepare_input(*x, key, m.info, no_normalize, shape);
    const int64_t n = shape[0], per = shape[1] * shape[2] * shape[3];
    std::vector<float> logits, feats;
    int64_t k = 0, d = 0;
    NoGradGuard ng;
    for (int64_t i = 0; i < n; i += batch) {
      int64_t b = std::min(batch, n - i);
      Tensor xb = from_vector(std::vector<float>(xs.begin() + i * per, xs.begin() + (i + b) * per), {b, shape[1], shape[2], shape[3]})
                      .to(dev);
      Tensor f = m.model->features(xb), l = m.model->fc->forward(f);
      auto fv = f.to_vector<float>(), lv = l.to_vector<float>();
      d = f.size(1), k = l.size(1);
      feats.insert(feats.end(), fv.begin(), fv.end());
      logits.insert(logits.end(), lv.begin(), lv.end());
    }
    std::vector<int64_t> pred((size_t)n);
    for (int64_t i = 0; i < n; ++i)
      pred[(size_t)i] = std::max_element(logits.begin() + i * k, logits.begin() + (i + 1) * k) - (logits.begin() + i * k);
    std::printf("infer: %s (%s) on %ld images of %s\n", m.info.spec.name.c_str(),
                m.info.dataset.empty() ? "no dataset recorded" : m.info.dataset.c_str(), (long)n, input.c_str());
    if (const Tensor* y = in.find(label_key)) {
      auto yv = y->to_vector<int64_t>();
      ENGINE_CHECK((int64_t)yv.size() == n, "labels '", label_key, "' hold ", yv.size(), " values for ", n, " images");
      for (int64_t i = 0; i < n; ++i)
        ENGINE_CHECK(yv[(size_t)i] >= 0 && yv[(size_t)i] < k, "labels '", label_key, "': label ", yv[(size_t)i],
                     " of image ", i, " is outside the model's ", k, " classes [0, ", k, ")",
                     m.info.dataset.empty() ? "" : " (it was trained on " + m.info.dataset + ")");
      int64_t correct = 0;
      for (int64_t i = 0; i < n; ++i) correct += pred[(size_t)i] == yv[(size_t)i];
      std::printf("infer: accuracy %.4f (%ld of %ld, labels '%s')\n", n ? (double)correct / (double)n : 0.0, (long)correct,
                  (long)n, label_key.c_str());
    }
    if (!output.empty()) {
      save_safetensors(output,
                       {{"logits", from_vector(logits, {n, k})}, {"features", from_vector(feats, {n, d})},
                        {"pred", from_vector(pred, {n})}},
                       {{"model", m.info.spec.name}, {"weights", weights}});
      std::printf("infer: wrote logits [%ld, %ld], features [%ld, %ld], pred [%ld] to %s\n", (long)n, (long)k, (long)n,
                  (long)d, (long)n, output.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
