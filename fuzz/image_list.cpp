// image_list.cpp — fuzz target: the "relative/path label" list files of load_image_list (--dataset folder's
// train.txt / test.txt, the Cars196-style splits, RPL's tiny-imagenet lists). The input is the list; its
// folder holds a.png and b.png (valid 4x3 images) and the folder c/. Bit 0 of the first byte: with a
// class count (3) or without (max label + 1).
#include "fuzz/fuzz_util.h"
#include "fuzz/tiny_image.h"
#include "methods/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::filesystem::path dir = [] {
    auto d = eg::fuzz::scratch_dir() / "list";
    eg::fuzz::write_file(d / "a.png", eg::fuzz::kTinyPng, sizeof eg::fuzz::kTinyPng);
    eg::fuzz::write_file(d / "b.png", eg::fuzz::kTinyPng, sizeof eg::fuzz::kTinyPng);
    std::filesystem::create_directories(d / "c");
    return d;
  }();
  const std::string list = eg::fuzz::write_file(dir / "list.txt", data + 1, size - 1);
  eg::fuzz::expect_only_eg_errors("fuzz_image_list", [&] {
    eg::data::ImageDataset ds = eg::data::load_image_list(list, "", 4, 3, (data[0] & 1) ? 3 : 0);
    ds.validate("fuzz_image_list");
  });
  return 0;
}
