// image_checks.h — what load_image refuses from an image file's bytes before stb_image 2.27 (Debian's)
// sees them: headers that would make stb overrun its tables, allocate gigabytes or decode megapixels that
// the file does not hold. Each check reads the format the way stb does and ignores files of other formats.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::data {

// `file` is the whole file read from `path`. Throws eg::Error naming the file and what is wrong with:
//   JPEG: a Huffman table with more than 256 codes (stb overruns its fixed arrays);
//   PNG:  a chunk longer than the rest of the file (stb allocates the declared length first);
//   BMP:  uncompressed pixel data that does not fit in the file (stb reads missing bytes as zeros, so a
//         61-byte file can declare 80 Mpx that decoding and the resize then walk), or a bit count stb
//         cannot decode. RLE-compressed BMPs cannot be checked by size; stb refuses BMP's JPEG/PNG modes.
// stb's PNM, TGA and other decoders are compiled out (image_folder.cpp), so nothing checks those formats.
void check_image_file(const std::vector<uint8_t>& file, const std::string& path);

}  // namespace eg::data
