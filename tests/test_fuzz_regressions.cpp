// test_fuzz_regressions.cpp — every input the libFuzzer targets of fuzz/ found (a crash, a leak, a hang, an
// absurd allocation or undefined behaviour) as a regression test with the input inline (or read from
// fuzz/corpus where it stays as a seed), named after the target and what went wrong. The fixed code
// refuses each with eg::Error naming the file and the reason.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "methods/data/image_folder.h"
#include "tests/test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

// The bytes as a file in a fresh scratch folder; returns its path.
std::string as_file(const std::string& name, const std::string& bytes) {
  fs::path d = test::temp_dir("eg_fuzz_regr");
  fs::create_directories(d);
  std::ofstream(d / name, std::ios::binary) << bytes;
  return (d / name).string();
}

}  // namespace

TEST_CASE("fuzz regressions: fuzz_image, a 68-byte PNG whose IDAT declares 2 GB made stb_image allocate it") {
  // fuzz/corpus/image/rgb.png with the IDAT length set to 0x7a00001a (found after 12,791 runs).
  const std::string png(
      "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x04\x00\x00\x00\x03\x08\x02\x00\x00\x00\x3b\x96\x39\x91"
      "\x7a\x00\x00\x1aIDATx^cd`\xe7\x13\x85\x01\x96\x90\x90\x00\x00\x00\x00\x00\x00\x00\x4d\x0e\x00\x59\xbd\x05\x5c\xeb",
      68);
  const std::string path = as_file("idat.png", png);
  CHECK_ERROR(data::load_image_chw(path, 4, 3), "is a corrupt PNG (chunk 'IDAT' at byte 33 declares 2046820378 bytes, only 27 remain)");
  fs::remove_all(fs::path(path).parent_path());
}

TEST_CASE("fuzz regressions: fuzz_image, 0xFF fill bytes before a JPEG's SOI hid an overlong Huffman table from our check") {
  // stb_image 2.27 accepts FF FF ... FF D8 as the start of a JPEG; our table check looked for FF D8 at byte
  // 0 only, so a DHT with more than 256 codes reached stb and overran its arrays (UBSan: index 257 out of
  // bounds for stbi_uc[257], after 24,289 runs). Here: 3 fill bytes, SOI, a DHT declaring 16 x 17 codes.
  std::string jpeg("\xff\xff\xff\xff\xd8\xff\xc4", 7);
  const int codes = 16 * 17, len = 2 + 1 + 16 + codes;
  jpeg += (char)(len >> 8), jpeg += (char)(len & 0xff), jpeg += '\x00';  // length, class 0 / table 0
  jpeg += std::string(16, '\x11') + std::string((size_t)codes, '\x01');
  const std::string path = as_file("fill.jpg", jpeg);
  CHECK_ERROR(data::load_image_chw(path, 4, 3), "is a corrupt JPEG (a Huffman table declares 272 codes, at most 256 exist)");
  fs::remove_all(fs::path(path).parent_path());
}

TEST_CASE("fuzz regressions: fuzz_image, a 61-byte BMP declaring 8963 x 8963 pixels decoded and resized for seconds") {
  // fuzz/corpus/image/bmp-80mpx-in-61-bytes.bmp (found by CI's 20 s run; kept as a seed since): the target's
  // mode byte, then fuzz/corpus/image/rgb.bmp with both sides set to 8963. stb_image read the 241 MB of
  // missing pixel data as zeros and the resize walked all 80 Mpx: 44 s under ASan, seconds in release.
  std::ifstream in(std::string(EG_SOURCE_DIR) + "/fuzz/corpus/image/bmp-80mpx-in-61-bytes.bmp", std::ios::binary);
  const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(input.size() == 62);
  const std::string path = as_file("big.bmp", input.substr(1));
  const auto start = std::chrono::steady_clock::now();
  CHECK_ERROR(data::load_image_chw(path, 4, 3),
              "big.bmp' is a truncated BMP: it declares 8963 x 8963 pixels at 24 bits per pixel, 241032993 bytes of "
              "pixel data from byte 54, but the file has 61 bytes");
  // Refused from the header: milliseconds even in a sanitizer build (the bound allows for a loaded machine).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  fs::remove_all(fs::path(path).parent_path());
}
