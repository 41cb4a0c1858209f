// image_set_file.cpp — ImageDataset <-> safetensors (see image_set_file.h).
#include "methods/data/image_set_file.h"

#include <nlohmann/json.hpp>

#include "core/safetensors.h"

namespace eg::data {

void save_image_set(const std::string& path, const ImageDataset& ds, std::map<std::string, std::string> metadata) {
  ds.validate(("image set for " + path).c_str());
  std::vector<float> px((size_t)(ds.n * ds.image_size()));
  for (int64_t i = 0; i < ds.n; ++i) ds.image_to_float(i, px.data() + i * ds.image_size());
  Tensor x = from_vector(px, {ds.n, ds.c, ds.h, ds.w});
  Tensor y = from_vector(ds.labels, {ds.n});
  metadata["num_classes"] = std::to_string(ds.num_classes);
  if (!ds.class_names.empty()) metadata["class_names"] = nlohmann::json(ds.class_names).dump();
  save_safetensors(path, {{"x", x}, {"y", y}}, metadata);
}

ImageDataset load_image_set(const std::string& path, std::map<std::string, std::string>* metadata) {
  SafetensorsFile f = load_safetensors(path);
  const Tensor* x = f.find("x");
  const Tensor* y = f.find("y");
  ENGINE_CHECK(x && y, "image set '", path, "' needs tensors 'x' [N, C, H, W] and 'y' [N]");
  ENGINE_CHECK(x->dim() == 4 && y->dim() == 1 && y->size(0) == x->size(0), "image set '", path, "': x is ",
               shape_str(x->shape()), " and y ", shape_str(y->shape()), "; expected [N, C, H, W] and [N]");
  ImageDataset ds;
  ds.n = x->size(0), ds.c = x->size(1), ds.h = x->size(2), ds.w = x->size(3);
  ds.labels = y->to_vector<int64_t>();
  if (x->dtype() == DType::F32 || x->dtype() == DType::F64) {
    ds.float_pixels = x->to_vector<float>();
    for (float v : ds.float_pixels)
      ENGINE_CHECK(v >= 0 && v <= 1, "image set '", path, "': float pixel ", v, " is outside [0, 1]");
  } else {  // U8 / integers: the reader widens them to i64
    for (int64_t v : x->to_vector<int64_t>()) {
      ENGINE_CHECK(v >= 0 && v <= 255, "image set '", path, "': integer pixel ", v, " is outside [0, 255]");
      ds.pixels.push_back((uint8_t)v);
    }
  }
  int64_t k = 0;
  for (int64_t v : ds.labels) k = std::max(k, v + 1);
  auto it = f.metadata.find("num_classes");
  ds.num_classes = it != f.metadata.end() ? std::stoll(it->second) : k;
  auto names = f.metadata.find("class_names");
  if (names != f.metadata.end()) ds.class_names = nlohmann::json::parse(names->second).get<std::vector<std::string>>();
  ds.validate(("image set '" + path + "'").c_str());
  if (metadata) *metadata = f.metadata;
  return ds;
}

}  // namespace eg::data
