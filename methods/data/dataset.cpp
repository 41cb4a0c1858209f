// dataset.cpp — ImageDataset validation, subsetting and counting.
#include "methods/data/dataset.h"

#include <cmath>
#include <cstring>

#include "core/check.h"

namespace eg::data {

void ImageDataset::validate(const char* what) const {
  ENGINE_CHECK(n >= 0 && c > 0 && h > 0 && w > 0, what, ": bad image geometry n=", n, " c=", c, " h=", h, " w=", w);
  if (is_float())
    ENGINE_CHECK(pixels.empty() && (int64_t)float_pixels.size() == n * image_size(), what, ": ", float_pixels.size(),
                 " float pixels (and ", pixels.size(), " bytes) for ", n, " images of ", c, "x", h, "x", w);
  else
    ENGINE_CHECK((int64_t)pixels.size() == n * image_size(), what, ": ", pixels.size(), " pixel bytes for ", n,
                 " images of ", c, "x", h, "x", w);
  ENGINE_CHECK((int64_t)labels.size() == n, what, ": ", labels.size(), " labels for ", n, " images");
  for (size_t k = 0; k < float_pixels.size(); ++k)
    if (!std::isfinite(float_pixels[k])) {
      const int64_t i = (int64_t)k / image_size(), r = (int64_t)k % image_size();
      ENGINE_FAIL(what, ": pixel ", float_pixels[k], " of image ", i, " (channel ", r / (h * w), ", row ", r % (h * w) / w,
                  ", column ", r % w, ") is not a finite number");
    }
  ENGINE_CHECK(class_names.empty() || (int64_t)class_names.size() == num_classes, what, ": ", class_names.size(),
               " class names for ", num_classes, " classes");
  for (int64_t i = 0; i < n; ++i)
    ENGINE_CHECK(labels[(size_t)i] >= 0 && labels[(size_t)i] < num_classes, what, ": label ", labels[(size_t)i],
                 " of image ", i, " is outside [0, ", num_classes, ")");
}

ImageDataset ImageDataset::subset(const std::vector<int64_t>& indices) const {
  ImageDataset out;
  out.n = (int64_t)indices.size();
  out.c = c, out.h = h, out.w = w;
  out.num_classes = num_classes;
  out.class_names = class_names;
  if (is_float()) out.float_pixels.resize((size_t)(out.n * image_size()));
  else out.pixels.resize((size_t)(out.n * image_size()));
  out.labels.resize(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    int64_t i = indices[k];
    ENGINE_CHECK(i >= 0 && i < n, "ImageDataset::subset: index ", i, " outside [0, ", n, ")");
    if (is_float())
      std::memcpy(out.float_pixels.data() + (int64_t)k * image_size(), float_pixels.data() + i * image_size(),
                  (size_t)image_size() * sizeof(float));
    else
      std::memcpy(out.pixels.data() + (int64_t)k * image_size(), image(i), (size_t)image_size());
    out.labels[k] = labels[(size_t)i];
  }
  return out;
}

void ImageDataset::image_to_float(int64_t i, float* out) const {
  const int64_t m = image_size();
  if (is_float()) {
    std::memcpy(out, float_pixels.data() + i * m, (size_t)m * sizeof(float));
    return;
  }
  const uint8_t* src = image(i);
  for (int64_t k = 0; k < m; ++k) out[k] = (float)src[k] / 255.0f;
}

std::vector<int64_t> ImageDataset::class_counts() const {
  std::vector<int64_t> counts((size_t)num_classes, 0);
  for (auto y : labels) counts[(size_t)y]++;
  return counts;
}

}  // namespace eg::data
