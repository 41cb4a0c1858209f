// model_file.cpp — self-describing model files (see model_file.h).
#include "methods/train/model_file.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "nn/checkpoint.h"

namespace eg::train {

using Json = nlohmann::json;

static Json spec_json(const nn::ModelSpec& s) {
  return {{"name", s.name},           {"in_channels", s.in_channels}, {"num_classes", s.num_classes},
          {"stem", s.stem},           {"widths", s.widths},           {"leaky_slope", s.leaky_slope},
          {"fc_bias", s.fc_bias},     {"conv_bias", s.conv_bias},     {"pool", s.pool},
          {"head", s.head}};
}

static nn::ModelSpec spec_from_json(const Json& j) {
  nn::ModelSpec s;
  s.name = j.at("name").get<std::string>();
  s.in_channels = j.at("in_channels").get<int64_t>();
  s.num_classes = j.at("num_classes").get<int64_t>();
  s.stem = j.at("stem").get<std::string>();
  s.widths = j.at("widths").get<std::vector<int64_t>>();
  s.leaky_slope = j.at("leaky_slope").get<double>();
  s.fc_bias = j.at("fc_bias").get<bool>();
  s.conv_bias = j.at("conv_bias").get<bool>();
  s.pool = j.at("pool").get<int64_t>();
  s.head = j.value("head", std::string("linear"));  // files written before cosine heads existed
  return s;
}

// Floats as the shortest decimals that read back to the same float (0.286, not 0.28600001335144043).
static Json floats_json(const std::vector<float>& v) {
  Json a = Json::array();
  for (float x : v) {
    char buf[32];
    for (int p = 1; p <= 9; ++p) {
      std::snprintf(buf, sizeof buf, "%.*g", p, (double)x);
      if (std::strtof(buf, nullptr) == x) break;
    }
    a.push_back(std::strtod(buf, nullptr));
  }
  return a;
}

std::map<std::string, std::string> model_file_metadata(const ModelFileInfo& i) {
  return {{"eigengrad_model", "1"},
          {"model", i.spec.name},
          {"spec", spec_json(i.spec).dump()},
          {"input_shape", Json(i.input_shape).dump()},
          {"mean", floats_json(i.mean).dump()},
          {"std", floats_json(i.std).dump()},
          {"class_names", Json(i.class_names).dump()},
          {"dataset", i.dataset},
          {"trainer", i.trainer}};
}

bool has_model_info(const std::map<std::string, std::string>& m) { return m.count("eigengrad_model") > 0; }

ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& m, const std::string& path) {
  ENGINE_CHECK(has_model_info(m), "'", path,
               "' does not describe its model (no 'eigengrad_model' metadata: written by PyTorch or an older "
               "eigengrad); give the architecture by hand (infer --model ... --in-channels ... --num-classes ...)");
  auto get = [&](const std::string& k) -> Json {
    auto it = m.find(k);
    ENGINE_CHECK(it != m.end(), "'", path, "': model metadata lacks '", k, "'");
    try {
      return Json::parse(it->second);
    } catch (const std::exception& e) {
      ENGINE_FAIL("'", path, "': model metadata '", k, "' is not JSON: ", e.what());
    }
  };
  ModelFileInfo i;
  try {
    i.spec = spec_from_json(get("spec"));
    i.input_shape = get("input_shape").get<std::vector<int64_t>>();
    i.mean = get("mean").get<std::vector<float>>();
    i.std = get("std").get<std::vector<float>>();
    i.class_names = get("class_names").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    ENGINE_FAIL("'", path, "': malformed model metadata: ", e.what());
  }
  i.dataset = m.count("dataset") ? m.at("dataset") : "";
  i.trainer = m.count("trainer") ? m.at("trainer") : "";
  ENGINE_CHECK(i.input_shape.size() == 3 && i.input_shape[0] == i.spec.in_channels, "'", path, "': input_shape ",
               get("input_shape").dump(), " does not match in_channels ", i.spec.in_channels);
  ENGINE_CHECK(i.mean.size() == (size_t)i.spec.in_channels && i.std.size() == i.mean.size(), "'", path,
               "': mean/std need one value per channel (", i.spec.in_channels, ")");
  return i;
}

static nn::NamedTensors weights_only(const SafetensorsFile& f) {
  nn::NamedTensors w;
  for (auto& [n, t] : f.tensors)
    if (!nn::is_training_state(n)) w.emplace_back(n, t);
  return w;
}

static void load_into(const SafetensorsFile& f, nn::Module& m, const std::string& path) {
  try {
    m.load_state_dict(weights_only(f), true);
  } catch (const Error& e) {
    throw Error("weights '" + path + "': " + e.what());
  }
}

LoadedModel load_model_file(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  LoadedModel out;
  out.info = model_info_from_metadata(f.metadata, path);
  Generator g(0);
  out.model = nn::make_model(out.info.spec, g);
  load_into(f, *out.model, path);
  out.model->eval();
  return out;
}

// "\n  key: file A, this run B" for every field of the two specs that differs.
static std::string spec_differences(const nn::ModelSpec& file, const nn::ModelSpec& run) {
  Json stored = spec_json(file), now = spec_json(run);
  std::string diffs;
  for (auto& [k, v] : now.items())
    if (stored[k] != v) diffs += "\n  " + k + ": file " + stored[k].dump() + ", this run " + v.dump();
  return diffs;
}

void load_weights_from(const std::string& path, nn::Module& m, const nn::ModelSpec& spec) {
  SafetensorsFile f = load_safetensors(path);
  if (has_model_info(f.metadata)) {
    std::string diffs = spec_differences(model_info_from_metadata(f.metadata, path).spec, spec);
    ENGINE_CHECK(diffs.empty(), "--init-from '", path, "' holds another architecture:", diffs);
  }
  load_into(f, m, path);
}

void check_same_architecture(const std::map<std::string, std::string>& file, const std::map<std::string, std::string>& run,
                             const std::string& path) {
  if (!has_model_info(file) || !has_model_info(run)) return;
  std::string diffs =
      spec_differences(model_info_from_metadata(file, path).spec, model_info_from_metadata(run, "this run").spec);
  ENGINE_CHECK(diffs.empty(), "'", path, "' holds another architecture:", diffs);
}

}  // namespace eg::train
