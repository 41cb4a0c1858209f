// embedding_model.cpp — embedding networks and their files (see embedding_model.h).
#include "methods/rkd/embedding_model.h"

#include <map>

#include "core/safetensors.h"
#include "methods/rkd/objective.h"
#include "methods/train/evaluate.h"
#include "nn/checkpoint.h"

namespace eg::rkd {

namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// The file's tensors under torchvision names; optimizer / generator entries of a checkpoint are skipped.
std::map<std::string, Tensor> torchvision_state(const SafetensorsFile& f) {
  std::map<std::string, Tensor> out;
  for (auto& [k, t] : f.tensors)
    if (!nn::is_training_state(k)) out[torchvision_key(k)] = t;
  return out;
}

// Loads state into m: every key of m must be there; extra keys are errors except BN's num_batches_tracked
// and, with skip_fc, the fc layer.
void load_mapped(std::map<std::string, Tensor> state, nn::Module& m, bool skip_fc, const std::string& path) {
  std::map<std::string, bool> wanted;
  for (auto& [k, t] : m.state_dict()) wanted[k] = true;
  for (auto it = state.begin(); it != state.end();) {
    bool drop = !wanted.count(it->first) &&
                (ends_with(it->first, "num_batches_tracked") || (skip_fc && starts_with(it->first, "fc.")));
    it = drop ? state.erase(it) : std::next(it);
  }
  if (skip_fc)
    for (auto& [k, t] : m.state_dict())
      if (starts_with(k, "fc.")) state[k] = t;  // keep the fresh embedding layer
  try {
    m.load_state_dict(state, true);
  } catch (const Error& e) {
    throw Error("weights '" + path + "' (read with torchvision ResNet names): " + e.what());
  }
}

// ResNet depth from the torchvision keys: Bottleneck blocks have conv3; layer3 holds 2 (18), 6 (34/50) blocks.
std::string resnet_name(const std::map<std::string, Tensor>& s, const std::string& path) {
  ENGINE_CHECK(s.count("conv1.weight") && s.count("layer4.0.conv1.weight"), "'", path,
               "' is neither an eigengrad model file nor a torchvision-named ResNet (no conv1.weight / layer4.0.conv1.weight)");
  bool bottleneck = s.count("layer4.0.conv3.weight") > 0;
  int64_t blocks3 = 0;
  while (s.count("layer3." + std::to_string(blocks3) + ".conv1.weight")) ++blocks3;
  if (!bottleneck && blocks3 == 2) return "resnet18";
  if (!bottleneck && blocks3 == 6) return "resnet34";
  ENGINE_CHECK(bottleneck && blocks3 == 6, "'", path, "': a ResNet with ", blocks3,
               " blocks in layer3 is not ResNet-18/34/50");
  return "resnet50";
}
}  // namespace

Tensor EmbeddingModel::embed(const Tensor& x) const {
  Tensor e = net->forward(x);
  return l2 ? l2_normalize(e) : e;
}

EmbeddingModel make_embedding_model(const train::ModelFileInfo& info, bool l2, uint64_t seed) {
  EmbeddingModel m;
  Generator g(seed);
  m.net = nn::make_model(info.spec, g);
  m.l2 = l2;
  m.info = info;
  return m;
}

void save_embedding_model(const std::string& path, const EmbeddingModel& m) {
  auto meta = train::model_file_metadata(m.info);
  meta["embedding_l2"] = m.l2 ? "true" : "false";
  nn::save_weights(path, *m.net, meta);
}

std::string torchvision_key(const std::string& key) {
  std::string k = key;
  for (const char* p : {"module.", "base."})
    if (starts_with(k, p)) k = k.substr(std::string(p).size());
  if (starts_with(k, "linear.")) k = "fc." + k.substr(7);
  return k;
}

EmbeddingModel load_embedding_model(const std::string& path, bool foreign_l2) {
  SafetensorsFile f = load_safetensors(path);
  EmbeddingModel m;
  if (train::has_model_info(f.metadata)) {
    train::LoadedModel lm = train::load_model_file(path);
    m.net = lm.model;
    m.info = lm.info;
    auto it = f.metadata.find("embedding_l2");
    m.l2 = it != f.metadata.end() && it->second == "true";
    return m;
  }
  auto state = torchvision_state(f);
  m.info.spec.name = resnet_name(state, path);
  ENGINE_CHECK(state.count("fc.weight") && state.at("fc.weight").dim() == 2, "'", path,
               "': a teacher needs its embedding layer (fc.weight or linear.weight, [D, features])");
  m.info.spec.stem = "imagenet";
  m.info.spec.in_channels = 3;
  m.info.spec.num_classes = state.at("fc.weight").size(0);
  m.info.spec.fc_bias = state.count("fc.bias") > 0;
  m.info.input_shape = {3, 224, 224};
  m.info.mean = {0.485f, 0.456f, 0.406f};
  m.info.std = {0.229f, 0.224f, 0.225f};
  m.info.dataset = "imagenet-normalized images";
  m.info.trainer = "torchvision";
  Generator g(0);
  m.net = nn::make_model(m.info.spec, g);
  load_mapped(std::move(state), *m.net, false, path);
  m.net->eval();
  m.l2 = foreign_l2;
  return m;
}

void load_backbone_weights(const std::string& path, nn::Backbone& m) {
  load_mapped(torchvision_state(load_safetensors(path)), m, true, path);
}

std::vector<float> embed_dataset(const EmbeddingModel& m, const data::ImageDataset& ds,
                                 std::shared_ptr<data::Transform> transform, Device device, int64_t batch_size) {
  bool was_training = m.net->is_training();
  m.net->eval();
  train::Predictions p = train::predict(ds, [&](const Tensor& x) { return m.embed(x); }, transform, batch_size, device);
  m.net->train(was_training);
  return p.logits;
}

}  // namespace eg::rkd
