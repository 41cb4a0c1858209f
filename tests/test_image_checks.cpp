// test_image_checks.cpp — load_image's BMP size check (methods/data/image_checks.cpp): BMPs written here
// byte by byte, in every bit count stb_image decodes, both row orders and four header versions, each
// holding exactly the bytes stb reads (no padding after the last row). Each must decode to the pixels
// written; the same file one byte shorter must be refused, before decoding, with a message naming the file
// and the byte counts. So the check is neither too strict nor too lenient by a single byte (and top-down
// BMPs load: stbi_info reports their height negative). Then: a bit count stb cannot decode, RLE left to
// stb, and PNM / TGA, whose decoders stay compiled out.
// Shape letters: W x H pixels (square here, so the resize to W x W is exact), C = 3 (RGB).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "methods/data/image_folder.h"
#include "tests/test_util.h"

using namespace eg;
namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

void put16(Bytes& b, uint32_t v) {
  b.push_back((uint8_t)v), b.push_back((uint8_t)(v >> 8));
}
void put32(Bytes& b, uint32_t v) { put16(b, v & 0xffff), put16(b, v >> 16); }

// n bits widened to 8 by repeating them, as stb_image widens a BMP mask's bits (5 -> 8: v << 3 | v >> 2).
uint8_t widen(uint32_t v, int n) {
  uint32_t out = 0;
  for (int have = 0; have < 8; have += n) out = out << n | v;
  return (uint8_t)(out >> ((8 + n - 1) / n * n - 8));
}

// One BMP to write: header version (info header size), bit count, compression (0 BI_RGB, 3 BI_BITFIELDS).
struct BmpCase {
  uint32_t hsz;
  int bpp;
  uint32_t compression;
};

struct Bmp {
  Bytes file;  // the header, palette / masks and the rows, the last row without its padding
  Bytes rgb;   // what it decodes to: W x H x 3, top row first
  int64_t offset, pixel_bytes;
};

Bmp make_bmp(const BmpCase& k, int64_t side, bool top_down) {
  const int64_t w = side, h = side, bpp = k.bpp;
  const bool masks = k.compression == 3 && k.hsz == 40;  // V3 puts its masks after the header
  const int64_t colors = bpp <= 8 ? int64_t(1) << bpp : 0;
  Bmp b;
  b.offset = 14 + k.hsz + (masks ? 12 : 0) + colors * 4;
  const int64_t stride = (w * bpp + 31) / 32 * 4, last_row = (w * bpp + 7) / 8;
  b.pixel_bytes = (h - 1) * stride + last_row;
  Bytes& f = b.file;
  f = {'B', 'M'};
  put32(f, (uint32_t)(b.offset + b.pixel_bytes)), put32(f, 0), put32(f, (uint32_t)b.offset);
  put32(f, k.hsz);
  if (k.hsz == 12) {
    put16(f, (uint32_t)w), put16(f, (uint32_t)h), put16(f, 1), put16(f, (uint32_t)bpp);
  } else {
    put32(f, (uint32_t)w), put32(f, (uint32_t)(top_down ? -h : h)), put16(f, 1), put16(f, (uint32_t)bpp);
    put32(f, k.compression);
    while (f.size() < 14 + 40) f.push_back(0);  // image size, resolution, colours used / important
  }
  // 16 bits: 5-5-5 by default, 5-6-5 as bitfields; 32 bits as bitfields: 8-8-8 at non-default places.
  const uint32_t mr = bpp == 16 ? (k.compression == 3 ? 0xf800 : 0x7c00) : 0x0000ff00;
  const uint32_t mg = bpp == 16 ? (k.compression == 3 ? 0x07e0 : 0x03e0) : 0x00ff0000;
  const uint32_t mb = bpp == 16 ? 0x001f : 0xff000000;
  if (masks || k.hsz >= 108) put32(f, mr), put32(f, mg), put32(f, mb);
  if (k.hsz >= 108) put32(f, 0);  // alpha mask
  while (f.size() < 14 + (size_t)k.hsz + (masks ? 12 : 0)) f.push_back(0);
  for (int64_t i = 0; i < colors; ++i)  // palette entry i: B, G, R, 0
    f.push_back((uint8_t)(i * 29 + 3)), f.push_back((uint8_t)(i * 13 + 2)), f.push_back((uint8_t)(i * 7 + 1)),
        f.push_back(0);
  REQUIRE((int64_t)f.size() == b.offset);

  b.rgb.assign((size_t)(w * h * 3), 0);
  Bytes rows((size_t)(h * stride), 0);
  for (int64_t r = 0; r < h; ++r) {
    const int64_t y = top_down ? r : h - 1 - r;  // the image row stored r-th
    uint8_t* row = rows.data() + r * stride;
    for (int64_t x = 0; x < w; ++x) {
      const uint32_t v = (uint32_t)(x * 97 + y * 31 + 7) * 2654435761u >> 8;  // any bits
      uint8_t* px = b.rgb.data() + (y * w + x) * 3;
      if (bpp <= 8) {
        const uint32_t i = v & (uint32_t)(colors - 1);
        const int64_t bit = x * bpp;  // most significant bits first
        row[bit / 8] |= (uint8_t)(i << (8 - bpp - bit % 8));
        px[0] = (uint8_t)(i * 7 + 1), px[1] = (uint8_t)(i * 13 + 2), px[2] = (uint8_t)(i * 29 + 3);
      } else if (bpp == 24 || (bpp == 32 && k.compression == 0)) {  // B, G, R (, A)
        for (int c = 0; c < 3; ++c) row[x * (bpp / 8) + c] = px[2 - c] = (uint8_t)(v >> (8 * c));
      } else {  // a 16- or 32-bit little-endian word cut by the masks
        std::memcpy(row + x * (bpp / 8), &v, (size_t)(bpp / 8));
        const uint32_t word = bpp == 16 ? (v & 0xffff) : v;
        int c = 0;
        for (uint32_t m : {mr, mg, mb}) {
          const int shift = __builtin_ctz(m), bits = __builtin_popcount(m);
          px[c++] = widen((word & m) >> shift, bits);
        }
      }
    }
  }
  f.insert(f.end(), rows.begin(), rows.begin() + (std::ptrdiff_t)b.pixel_bytes);
  return b;
}

std::string write_file(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), (std::streamsize)bytes.size());
  return (dir / name).string();
}

}  // namespace

TEST_CASE("image checks: BMPs holding exactly their pixel bytes decode, one byte short they are refused") {
  const fs::path d = test::temp_dir("eg_image_checks");
  fs::create_directories(d);
  const BmpCase cases[] = {{40, 1, 0},  {40, 4, 0},  {40, 8, 0},  {40, 16, 0}, {40, 24, 0}, {40, 32, 0},
                           {40, 16, 3}, {40, 32, 3}, {12, 24, 0}, {108, 16, 3}, {124, 32, 3}};
  for (const BmpCase& k : cases)
    for (int64_t side : {1, 3, 5, 9})
      for (bool top_down : {false, true}) {
        if (top_down && k.hsz == 12) continue;  // OS/2 BMPs are always bottom-up
        CAPTURE(k.hsz);
        CAPTURE(k.bpp);
        CAPTURE(k.compression);
        CAPTURE(side);
        CAPTURE(top_down);
        const Bmp b = make_bmp(k, side, top_down);
        const std::vector<uint8_t> chw = data::load_image_chw(write_file(d, "ok.bmp", b.file), side, 3);
        const int64_t plane = side * side;
        bool same = true;
        for (int64_t p = 0; p < plane; ++p)
          for (int64_t c = 0; c < 3; ++c) same = same && chw[(size_t)(c * plane + p)] == b.rgb[(size_t)(p * 3 + c)];
        CHECK(same);
        const Bytes cut(b.file.begin(), b.file.end() - 1);
        const std::string want = "cut.bmp' is a truncated BMP: it declares " + std::to_string(side) + " x " +
                                 std::to_string(side) + " pixels" + (top_down ? " (top-down)" : "") + " at " +
                                 std::to_string(k.bpp) + " bits per pixel, " + std::to_string(b.pixel_bytes) +
                                 " bytes of pixel data from byte " + std::to_string(b.offset) + ", but the file has " +
                                 std::to_string(cut.size()) + " bytes";
        CHECK_ERROR(data::load_image_chw(write_file(d, "cut.bmp", cut), side, 3), want.c_str());
      }
  // The same numbers written out once: 5 rows of 16 bytes (15 of pixels, 1 of padding), the last unpadded.
  Bytes cut = make_bmp({40, 24, 0}, 5, false).file;
  cut.pop_back();
  CHECK_ERROR(data::load_image_chw(write_file(d, "x.bmp", cut), 4, 1),
              "x.bmp' is a truncated BMP: it declares 5 x 5 pixels at 24 bits per pixel, 79 bytes of pixel data from "
              "byte 54, but the file has 132 bytes");
  fs::remove_all(d);
}

TEST_CASE("image checks: a BMP of a bit count stb cannot decode is refused, RLE BMPs are left to stb") {
  const fs::path d = test::temp_dir("eg_image_checks");
  fs::create_directories(d);
  Bytes odd = make_bmp({40, 24, 0}, 3, false).file;
  odd[28] = 2;  // 2 bits per pixel (Windows CE): stb refuses it only after allocating the image
  CHECK_ERROR(data::load_image_chw(write_file(d, "odd.bmp", odd), 3, 3),
              "odd.bmp' is a BMP of 2 bits per pixel; only 1, 4, 8, 16, 24 and 32 can be decoded");
  // BI_RLE8 data has no size to check from the header: shorter than raw rows, it is not refused as
  // truncated; stb_image 2.27 does not decode RLE.
  Bytes rle = make_bmp({40, 8, 0}, 9, false).file;
  rle[30] = 1;
  rle.resize(rle.size() - 40);
  CHECK_ERROR(data::load_image_chw(write_file(d, "rle.bmp", rle), 3, 3), "rle.bmp' is not a decodable image (stb_image: ");
  fs::remove_all(d);
}

TEST_CASE("image checks: PNM and TGA are not decoded at all, so they need no size check") {
  // image_folder.cpp compiles only stb's JPEG, PNG and BMP decoders. Were PNM (P5 / P6; maxval > 255 means
  // 2 bytes a sample) or TGA (uncompressed types 1, 2, 3) ever enabled, this test fails: give them a
  // pixel-size check like BMP's first, or a tiny header can again declare megapixels.
  const fs::path d = test::temp_dir("eg_image_checks");
  fs::create_directories(d);
  const std::string ppm = "P6\n# a comment\n2 2\n255\n" + std::string(12, '\x80');
  // TGA type 2 (uncompressed true colour), 2 x 2 at 24 bits.
  const std::string tga = std::string("\0\0\2\0\0\0\0\0\0\0\0\0\2\0\2\0\x18\0", 18) + std::string(12, '\x80');
  CHECK_ERROR(data::load_image_chw(write_file(d, "a.ppm", Bytes(ppm.begin(), ppm.end())), 2, 3),
              "a.ppm' is not a decodable image (stb_image: unknown image type)");
  CHECK_ERROR(data::load_image_chw(write_file(d, "a.tga", Bytes(tga.begin(), tga.end())), 2, 3),
              "a.tga' is not a decodable image (stb_image: unknown image type)");
  fs::remove_all(d);
}
