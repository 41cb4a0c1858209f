// dataset.h — an in-memory labelled image set, stored as uint8 NCHW pixels (compact: all of CIFAR-10 is
// 180 MB instead of 720 MB as f32); batches are converted to f32 by the loader/transforms.
// Shape letters: N images, C channels, H height, W width.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::data {

struct ImageDataset {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;        // n*c*h*w, image i at pixels[i*c*h*w], NCHW
  std::vector<int64_t> labels;        // n, in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // optional, num_classes entries when present

  int64_t image_size() const { return c * h * w; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_size(); }
  // Throws (naming `what`) unless sizes agree and every label is in [0, num_classes).
  void validate(const char* what) const;
  // The images at `indices`, in that order (labels and class names carried along).
  ImageDataset subset(const std::vector<int64_t>& indices) const;
  // Per-class counts (num_classes entries).
  std::vector<int64_t> class_counts() const;
};

}  // namespace eg::data
