// infer.cpp — build/bin/infer: runs a backbone from a weights file on a batch of images stored in a
// safetensors file and writes `logits` [N, K] and `features` [N, D] (eval mode, no grad).
//   infer --model resnet32 --in-channels 1 --num-classes 10 [--stem cifar|imagenet]
//         --weights W.safetensors --input X.safetensors [--input-key x] --output Y.safetensors
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/safetensors.h"
#include "nn/nn.h"

using namespace eg;

int main(int argc, char** argv) {
  CLI::App app{"Run a model from a checkpoint on a batch of images (eval mode); writes logits and features"};
  nn::ModelSpec spec;
  spec.name = "resnet32";
  std::string weights, input, key = "x", output, device = "cpu";
  int threads = 0;
  std::string models;
  for (auto& n : nn::model_names()) models += (models.empty() ? "" : ", ") + n;
  app.add_option("--model", spec.name, "backbone: " + models)->capture_default_str();
  app.add_option("--in-channels", spec.in_channels, "input channels")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--num-classes", spec.num_classes, "classes of the fc head")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--stem", spec.stem, "resnet18/34/50 stem: cifar or imagenet")->capture_default_str()
      ->check(CLI::IsMember({"cifar", "imagenet"}));
  app.add_option("--widths", spec.widths, "convnet widths (default 16 32 64)");
  app.add_option("--weights", weights, "weights (.safetensors, PyTorch state_dict names)")->required()->check(CLI::ExistingFile);
  app.add_option("--input", input, "input batch (.safetensors) holding an [N, C, H, W] f32 tensor")->required()->check(CLI::ExistingFile);
  app.add_option("--input-key", key, "name of the input tensor")->capture_default_str();
  app.add_option("--output", output, "output file (.safetensors)")->required();
  app.add_option("--device", device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", threads, "CPU threads (0 = OpenMP default)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) omp_set_num_threads(threads);
    Device dev = device == "cuda" ? Device::CUDA : Device::CPU;
    Generator g(0);
    auto model = nn::make_model(spec, g);
    nn::load_weights(weights, *model);
    model->to(dev);
    model->eval();
    SafetensorsFile in = load_safetensors(input);
    const Tensor* x = in.find(key);
    ENGINE_CHECK(x, "input '", input, "' has no tensor '", key, "' (use --input-key)");
    ENGINE_CHECK(x->dim() == 4 && x->size(1) == spec.in_channels, "input '", key, "' must be [N, ", spec.in_channels,
                 ", H, W], got ", shape_str(x->shape()));
    NoGradGuard ng;
    Tensor xf = x->to(DType::F32).to(dev);
    Tensor feats = model->features(xf);
    Tensor logits = model->fc->forward(feats);
    save_safetensors(output, {{"logits", logits.to(Device::CPU)}, {"features", feats.to(Device::CPU)}},
                     {{"model", spec.name}, {"weights", weights}});
    std::printf("infer: %s on %ld images -> %s (logits %s, features %s)\n", spec.name.c_str(), (long)x->size(0),
                output.c_str(), shape_str(logits.shape()).c_str(), shape_str(feats.shape()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
