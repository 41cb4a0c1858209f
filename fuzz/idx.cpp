// idx.cpp — fuzz target: methods/data/idx's reader (read_idx) on arbitrary files, plain and gzip. The
// first input byte picks the form: odd = the rest is gzip-compressed here first (so mutations reach the
// IDX parser behind a valid gzip stream), even = the rest is the file as it is (plain IDX, or corrupt gzip
// when it starts with 1f 8b). Every array read is then loaded as labels or images (load_idx's checks).
#include <zlib.h>

#include "fuzz/fuzz_util.h"
#include "methods/data/idx.h"

namespace {

std::string gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, size) + 32, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = (uInt)size;
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = (uInt)out.size();
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto dir = eg::fuzz::scratch_dir();
  const std::string path = (data[0] & 1) ? eg::fuzz::write_file(dir / "a.idx", gzip(data + 1, size - 1))
                                         : eg::fuzz::write_file(dir / "a.idx", data + 1, size - 1);
  eg::fuzz::expect_only_eg_errors("fuzz_idx", [&] {
    eg::data::IdxArray a = eg::data::read_idx(path);
    if ((int64_t)a.data.size() != a.numel()) std::abort();
    // The same file as both images and labels: load_idx refuses the pair unless dims agree.
    eg::data::load_idx(path, path, 1 + data[0] / 2);
  });
  return 0;
}
