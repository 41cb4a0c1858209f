// image_checks.cpp — the checks of image_checks.h: each walks one format's header as stb_image 2.27 reads
// it (bytes past the end read as zero, as stb reads them) and throws before stb sees a file it would
// mishandle. Files of other formats pass through untouched.
#include "methods/data/image_checks.h"

#include <algorithm>
#include <cstdlib>

#include "core/check.h"
#include "methods/data/image_folder.h"

namespace eg::data {
namespace {

// stb_image 2.27 (Debian's) trusts a JPEG DHT segment's 16 code counts; more than 256 codes in one table
// overrun its fixed arrays (later stb versions reject them). Walk the markers the way stb reads them and
// refuse such a table before stb sees the file.
void check_jpeg_huffman_tables(const std::vector<uint8_t>& f, const std::string& path) {
  const size_t n = f.size();
  auto at = [&](size_t i) -> int { return i < n ? f[i] : 0; };  // stb reads zeros past the end
  // stb reads a marker as 0xFF, any number of 0xFF fill bytes, then the code: so does this walk, from the
  // start on (a file of 0xFF bytes and then D8 is a JPEG to stb; fuzz/image.cpp found that way past us).
  size_t p = 0;
  if (n < 2 || f[0] != 0xFF) return;
  while (p < n && f[p] == 0xFF) ++p;
  if (p == n || f[p] != 0xD8) return;
  ++p;
  while (p + 4 <= n) {
    if (f[p] != 0xFF) {  // entropy-coded data between scans: markers are FF followed by non-0, non-RST
      ++p;
      continue;
    }
    const int m = f[p + 1];
    if (m == 0xFF) {
      ++p;
      continue;
    }
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      p += 2;
      continue;
    }
    if (m == 0xD9) return;
    const int64_t seg = at(p + 2) << 8 | at(p + 3);
    if (m == 0xC4) {
      int64_t left = seg - 2;
      size_t q = p + 4;
      while (left > 0) {
        int64_t codes = 0;
        for (size_t i = 1; i <= 16; ++i) codes += at(q + i);
        ENGINE_CHECK(codes <= 256, "load_image: '", path, "' is a corrupt JPEG (a Huffman table declares ", codes,
                     " codes, at most 256 exist)");
        q += 17 + (size_t)codes;
        left -= 17 + codes;
      }
    }
    if (seg < 2) return;  // stb rejects this itself
    p += 2 + (size_t)seg;
  }
}

// stb_image grows its buffer to a PNG IDAT chunk's declared length (up to 1 GiB, doubled: 2 GB) before it
// reads the chunk, so a 68-byte file can cost a 2 GB allocation (found by fuzz/image.cpp). Every chunk must
// fit in the file; walk them and refuse a length that does not before stb sees the file.
void check_png_chunks(const std::vector<uint8_t>& f, const std::string& path) {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (f.size() < 8 || !std::equal(kSig, kSig + 8, f.begin())) return;
  size_t p = 8;
  while (p + 8 <= f.size()) {
    const uint64_t len = (uint64_t)f[p] << 24 | (uint64_t)f[p + 1] << 16 | (uint64_t)f[p + 2] << 8 | f[p + 3];
    std::string type(f.begin() + (std::ptrdiff_t)p + 4, f.begin() + (std::ptrdiff_t)p + 8);
    for (char& ch : type)
      if (ch < 0x20 || ch > 0x7e) ch = '?';  // a corrupt type is printed, not its raw bytes
    const uint64_t left = f.size() - p - 8;  // bytes after the chunk's length and type
    ENGINE_CHECK(len <= left, "load_image: '", path, "' is a corrupt PNG (chunk '", type, "' at byte ", p, " declares ",
                 len, " bytes, only ", left, " remain)");
    if (type == "IEND") return;
    p += 12 + (size_t)len;  // length, type, data, CRC
  }
}

// Little-endian fields, zero past the end of the file (stb's reader returns 0 there too).
uint32_t le16(const std::vector<uint8_t>& f, size_t i) {
  auto at = [&](size_t k) -> uint32_t { return k < f.size() ? f[k] : 0; };
  return at(i) | at(i + 1) << 8;
}
uint32_t le32(const std::vector<uint8_t>& f, size_t i) { return le16(f, i) | le16(f, i + 2) << 16; }

// stb_image decodes an uncompressed BMP of any declared size and reads the bytes the file lacks as zeros:
// fuzz_image found a 61-byte file declaring 8963 x 8963 pixels (inside load_image's limits) that cost 44 s
// under ASan in decoding and resizing. Refuse pixel data that cannot fit before stb allocates or reads it.
void check_bmp_pixel_bytes(const std::vector<uint8_t>& f, const std::string& path) {
  if (f.size() < 2 || f[0] != 'B' || f[1] != 'M') return;
  const uint32_t hsz = le32(f, 14);  // the info header's size names its version; stb knows these five
  if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124) return;
  const int64_t offset = le32(f, 10);  // bfOffBits: where the pixel rows start
  int64_t w = 0, h = 0, bpp = 0;
  bool top_down = false;
  if (hsz == 12) {  // OS/2 core header: 16-bit unsigned sides, always bottom-up, never compressed
    w = le16(f, 18), h = le16(f, 20), bpp = le16(f, 24);
  } else {
    // stb reads the compression as a signed int and decodes 0 (BI_RGB), 3 (BI_BITFIELDS) and every
    // negative value as raw pixels; RLE (1, 2) is not checkable by size, 4 and up stb refuses itself.
    const auto compression = (int32_t)le32(f, 30);
    if (compression > 0 && compression != 3) return;
    w = le32(f, 18), bpp = le16(f, 28);
    const auto height = (int32_t)le32(f, 22);  // negative: rows stored top-down
    top_down = height < 0, h = std::abs((int64_t)height);
  }
  // Sides the size check after stbi_info refuses anyway stay out of this arithmetic.
  if (w == 0 || h == 0 || w > kMaxImageSide || h > kMaxImageSide) return;
  ENGINE_CHECK(bpp == 1 || bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32, "load_image: '", path,
               "' is a BMP of ", bpp, " bits per pixel; only 1, 4, 8, 16, 24 and 32 can be decoded");
  // Rows are padded to 4 bytes; stb never needs the last row's padding, so neither does this check.
  const int64_t stride = (w * bpp + 31) / 32 * 4, last_row = (w * bpp + 7) / 8;
  const int64_t pixel_bytes = (h - 1) * stride + last_row;
  ENGINE_CHECK(offset + pixel_bytes <= (int64_t)f.size(), "load_image: '", path, "' is a truncated BMP: it declares ",
               w, " x ", h, " pixels", top_down ? " (top-down)" : "", " at ", bpp, " bits per pixel, ", pixel_bytes,
               " bytes of pixel data from byte ", offset, ", but the file has ", f.size(), " bytes");
}

}  // namespace

void check_image_file(const std::vector<uint8_t>& file, const std::string& path) {
  check_jpeg_huffman_tables(file, path);
  check_png_chunks(file, path);
  check_bmp_pixel_bytes(file, path);
}

}  // namespace eg::data
