// dataset.h — an in-memory labelled image set, stored as uint8 NCHW pixels (compact: all of CIFAR-10 is
// 180 MB instead of 720 MB as f32); batches are converted to f32 by the loader/transforms. A constructed
// set (train_robust's D_R, D_det, ...) holds f32 pixels in [0, 1] instead, so that perturbations smaller than
// 1/255 survive: then float_pixels is filled and pixels is empty.
// Shape letters: N images, C channels, H height, W width.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::data {

struct ImageDataset {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;        // n*c*h*w, image i at pixels[i*c*h*w], NCHW
  std::vector<float> float_pixels;    // or these (same layout, values in [0, 1]); exactly one is non-empty when n > 0
  std::vector<int64_t> labels;        // n, in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // optional, num_classes entries when present

  int64_t image_size() const { return c * h * w; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_size(); }
  bool is_float() const { return !float_pixels.empty(); }
  // Image i as f32 in [0, 1] (uint8 / 255, or the stored floats) into out[0 .. image_size()).
  void image_to_float(int64_t i, float* out) const;
  // Throws (naming `what`) unless sizes agree, every float pixel is finite and every label is in [0, num_classes).
  void validate(const char* what) const;
  // The images at `indices`, in that order (labels and class names carried along).
  ImageDataset subset(const std::vector<int64_t>& indices) const;
  // Per-class counts (num_classes entries).
  std::vector<int64_t> class_counts() const;
};

}  // namespace eg::data
