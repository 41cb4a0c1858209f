// image_set_file.h — an ImageDataset as a safetensors file: `x` [N, C, H, W] and `y` [N] i64, with
// "num_classes" and "class_names" (JSON list) in the metadata. Float sets (train_robust's constructed
// D_R, D_NR, D_rand, D_det) are written as F32 pixels in [0, 1], never re-quantised; uint8 sets as F32 of
// pixel/255 too (exact). Reading accepts F32/F64 pixels in [0, 1] (kept as floats) and integer 0-255 pixels
// (U8, as tools/images-to-safetensors writes them; kept as bytes).
#pragma once
#include <map>
#include <string>

#include "methods/data/dataset.h"

namespace eg::data {

void save_image_set(const std::string& path, const ImageDataset& ds, std::map<std::string, std::string> metadata = {});
// Throws naming the file and what is wrong (missing tensor, shapes, pixel range, labels).
// num_classes: the file's "num_classes" entry, else 1 + the largest label.
ImageDataset load_image_set(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

}  // namespace eg::data
