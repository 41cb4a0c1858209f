// image.cpp — fuzz target: the image-decoding path of methods/data/image_folder (load_image_chw: our
// size checks and methods/data/image_checks, then stb_image, then the antialiased resize). The first
// input byte picks the output: bit 7 = RGB or gray, bits 0-4 = size - 1 (1 to 32); the rest is the file.
#include "fuzz/fuzz_util.h"
#include "methods/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int64_t channels = (data[0] & 0x80) ? 3 : 1, side = 1 + (data[0] & 31);
  const std::string path = eg::fuzz::write_file(eg::fuzz::scratch_dir() / "img", data + 1, size - 1);
  eg::fuzz::expect_only_eg_errors("fuzz_image", [&] {
    std::vector<uint8_t> chw = eg::data::load_image_chw(path, side, channels);
    if ((int64_t)chw.size() != channels * side * side) std::abort();
  });
  return 0;
}
