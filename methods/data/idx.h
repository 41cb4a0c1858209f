// idx.h — the IDX format of MNIST / Fashion-MNIST (big-endian header: magic 0x000008DD with DD the number
// of dims, then DD uint32 dims, then the uint8 payload), read plain or gzip-compressed.
// Only unsigned-byte arrays of 1 dim (labels, magic 0x00000801) or 3 dims (images, 0x00000803) are accepted.
// Shape letters: N images, H height, W width (IDX images are N x H x W, loaded as N x 1 x H x W).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::data {

struct IdxArray {
  std::vector<int64_t> dims;   // {N} or {N, H, W}
  std::vector<uint8_t> data;   // product(dims) bytes, row-major
  int64_t numel() const;
};

// Reads an IDX file, plain or .gz (recognised by its first bytes 1f 8b, not by its name). Throws eg::Error
// naming the file on a wrong magic, a type other than unsigned byte, a zero or absurd dimension (more than
// 2^31 bytes), a truncated payload or trailing bytes.
IdxArray read_idx(const std::string& path);

// Writes `a` (1 or 3 dims) as IDX; gzip-compressed when `gzip`. Used by tests and converters.
void write_idx(const std::string& path, const IdxArray& a, bool gzip = false);

// An image file (N x H x W) and a label file (N) as an ImageDataset with C = 1 and labels checked
// against num_classes. Class names are left empty.
ImageDataset load_idx(const std::string& images_path, const std::string& labels_path, int64_t num_classes);

// The standard four files in `dir` ({train,t10k}-{images-idx3,labels-idx1}-ubyte, each plain or .gz),
// 10 classes. Throws with a hint to run tools/fetch-data when they are missing.
ImageDataset load_mnist_dir(const std::string& dir, bool train);

// Fashion-MNIST's class names in label order (assign to ImageDataset::class_names when wanted).
std::vector<std::string> fashion_mnist_class_names();

}  // namespace eg::data
