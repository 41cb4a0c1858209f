// cub_lists.cpp — fuzz target: the four CUB-200-2011 index files load_cub_dir parses (classes.txt "id name",
// images.txt "id path", image_class_labels.txt "id label", train_test_split.txt "id is_train"). The input
// is the four files cut at NUL bytes, in that order; images/ holds a.png and b.png (valid 4x3 images).
// Bit 0 of the first byte picks the train or the test half.
#include "fuzz/fuzz_util.h"
#include "fuzz/tiny_image.h"
#include "methods/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::filesystem::path dir = [] {
    auto d = eg::fuzz::scratch_dir() / "cub";
    eg::fuzz::write_file(d / "images" / "a.png", eg::fuzz::kTinyPng, sizeof eg::fuzz::kTinyPng);
    eg::fuzz::write_file(d / "images" / "b.png", eg::fuzz::kTinyPng, sizeof eg::fuzz::kTinyPng);
    return d;
  }();
  const char* names[4] = {"classes.txt", "images.txt", "image_class_labels.txt", "train_test_split.txt"};
  std::vector<std::string> parts = eg::fuzz::split_input(data + 1, size - 1, '\0', 4);
  for (size_t i = 0; i < 4; ++i) {
    std::error_code ec;
    std::filesystem::remove(dir / names[i], ec);
    if (i < parts.size()) eg::fuzz::write_file(dir / names[i], parts[i]);
  }
  eg::fuzz::expect_only_eg_errors("fuzz_cub_lists", [&] {
    eg::data::ImageDataset ds = eg::data::load_cub_dir(dir.string(), data[0] & 1, 4);
    ds.validate("fuzz_cub_lists");
  });
  return 0;
}
