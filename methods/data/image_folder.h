// image_folder.h — image sets stored as ordinary image files (JPEG, PNG or BMP, decoded by stb_image)
// plus text files saying which image has which label and which split it belongs to:
//   CUB-200-2011: root/{images.txt "id path", image_class_labels.txt "id label" (1-based),
//                 train_test_split.txt "id is_train", classes.txt "id name"}, pictures under root/images/.
//   A list file:  one "relative/path label" per line (0-based labels; the path may contain spaces, the
//                 label is the last field). Cars196-style splits are written in this form.
// Every image is resized to size x size without cropping (aspect ratio not kept), with an antialiased
// bilinear filter (a triangle filter widened by the scale factor when shrinking, like PIL's BILINEAR),
// and stored as RGB (C = 3) or gray (C = 1) uint8. Decoding runs in parallel over images (OpenMP).
// Shape letters: N images, C channels, H = W = size; resize_hwc works on H x W x C (stb's layout).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::data {

// Largest image accepted, checked from the header before decoding.
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = 100'000'000;

// The train or test half of CUB-200-2011 at `root` (or `root`/CUB_200_2011), 200 classes named from
// classes.txt, images in id order.
ImageDataset load_cub_dir(const std::string& root, bool train, int64_t size);

// The images of a list file; paths are relative to `root` (the list file's folder when root is empty).
// num_classes = 0 takes max label + 1; otherwise every label must be below it.
ImageDataset load_image_list(const std::string& list_path, const std::string& root, int64_t size,
                             int64_t channels = 3, int64_t num_classes = 0);

// One image file decoded to channels (1 or 3) and resized: C x size x size. Throws naming the file when it
// is missing, too large or not decodable (with stb_image's reason).
std::vector<uint8_t> load_image_chw(const std::string& path, int64_t size, int64_t channels);

// Antialiased bilinear resize of an H x W x C image to out_h x out_w x C.
std::vector<uint8_t> resize_hwc(const uint8_t* src, int64_t h, int64_t w, int64_t c, int64_t out_h, int64_t out_w);

}  // namespace eg::data
