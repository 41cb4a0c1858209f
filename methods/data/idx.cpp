// idx.cpp — IDX reading (plain or gzip, streamed in chunks so a lying header never makes us allocate
// more than the file really holds), writing, and the MNIST-style directory loader.
#include "methods/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

#include "core/check.h"

namespace eg::data {
namespace {

constexpr int64_t kMaxPayload = int64_t(1) << 31;  // bytes; larger than any real IDX file
constexpr size_t kChunk = size_t(1) << 20;

struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct GzClose {
  void operator()(gzFile_s* g) const { gzclose(g); }
};

std::string hex_str(uint32_t v, int digits = 8) {
  std::ostringstream os;
  os << "0x" << std::hex;
  os.width(digits);
  os.fill('0');
  os << v;
  return os.str();
}

// Sequential reader over a plain or gzip file (gzip recognised by its magic bytes 1f 8b).
class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path) {
    std::unique_ptr<std::FILE, FileClose> probe(std::fopen(path.c_str(), "rb"));
    ENGINE_CHECK(probe, "read_idx: cannot open '", path, "': ", std::strerror(errno));
    unsigned char m[2] = {0, 0};
    gzip_ = std::fread(m, 1, 2, probe.get()) == 2 && m[0] == 0x1f && m[1] == 0x8b;
    if (gzip_) {
      probe.reset();
      gz_.reset(gzopen(path.c_str(), "rb"));
      ENGINE_CHECK(gz_, "read_idx: cannot open '", path, "' as gzip");
      gzbuffer(gz_.get(), 1 << 17);
    } else {
      std::rewind(probe.get());
      file_ = std::move(probe);
    }
  }

  bool gzip() const { return gzip_; }

  // Reads up to n bytes into dst; returns fewer only at the end of the (decompressed) data.
  size_t read(uint8_t* dst, size_t n) {
    size_t total = 0;
    while (total < n) {
      size_t want = std::min(n - total, kChunk);
      size_t got = 0;
      if (gzip_) {
        int r = gzread(gz_.get(), dst + total, (unsigned)want);
        // A stream cut short (even only in its CRC trailer) is not an error to gzread, which returns what
        // it could inflate; gzerror then reports Z_BUF_ERROR, so check it on every short read.
        int errnum = Z_OK;
        const char* msg = gzerror(gz_.get(), &errnum);
        ENGINE_CHECK(r >= 0 && ((size_t)r == want || errnum == Z_OK), "read_idx: '", path_,
                     "': corrupt or truncated gzip data (zlib: ", msg, ")");
        got = (size_t)r;
      } else {
        got = std::fread(dst + total, 1, want, file_.get());
        ENGINE_CHECK(!std::ferror(file_.get()), "read_idx: error reading '", path_, "': ", std::strerror(errno));
      }
      if (got == 0) break;
      total += got;
    }
    return total;
  }

 private:
  std::string path_;
  bool gzip_ = false;
  std::unique_ptr<std::FILE, FileClose> file_;
  std::unique_ptr<gzFile_s, GzClose> gz_;
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back((uint8_t)(v >> s));
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? " x " : "") << dims[i];
  return os.str();
}

// dir/name or dir/name.gz, whichever exists; empty when neither does.
std::string find_plain_or_gz(const std::filesystem::path& dir, const std::string& name) {
  for (const auto& candidate : {dir / name, dir / (name + ".gz")})
    if (std::filesystem::is_regular_file(candidate)) return candidate.string();
  return {};
}

}  // namespace

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

IdxArray read_idx(const std::string& path) {
  ByteReader in(path);
  const char* kind = in.gzip() ? " (gzip)" : "";
  uint8_t head[4];
  size_t got = in.read(head, 4);
  ENGINE_CHECK(got == 4, "read_idx: '", path, "'", kind, " is truncated: ", got,
               " bytes, an IDX header needs at least 4");
  uint32_t magic = be32(head);
  ENGINE_CHECK(head[0] == 0 && head[1] == 0, "read_idx: '", path, "'", kind, " is not an IDX file: magic ",
               hex_str(magic), ", expected 0x00000801 (labels) or 0x00000803 (images)");
  ENGINE_CHECK(head[2] == 0x08, "read_idx: '", path, "'", kind, ": magic ", hex_str(magic), " has element type ",
               hex_str(head[2], 2), "; only unsigned byte (0x08) is supported");
  int ndims = head[3];
  ENGINE_CHECK(ndims == 1 || ndims == 3, "read_idx: '", path, "'", kind, ": magic ", hex_str(magic), " declares ",
               ndims, " dims; only 1 (labels, 0x00000801) and 3 (images, 0x00000803) are supported");

  uint8_t raw_dims[12];
  got = in.read(raw_dims, 4 * (size_t)ndims);
  ENGINE_CHECK(got == 4 * (size_t)ndims, "read_idx: '", path, "'", kind, " is truncated inside its header (",
               4 + got, " of ", 4 + 4 * ndims, " bytes)");
  IdxArray a;
  int64_t payload = 1;
  for (int d = 0; d < ndims; ++d) {
    int64_t v = be32(raw_dims + 4 * d);
    a.dims.push_back(v);
    ENGINE_CHECK(v > 0, "read_idx: '", path, "'", kind, ": dim ", d, " is 0");
    ENGINE_CHECK(payload <= kMaxPayload / v, "read_idx: '", path, "'", kind, ": absurd dims ", dims_str(a.dims),
                 "... (more than ", kMaxPayload, " bytes); the header is corrupt");
    payload *= v;
  }

  // Grow the buffer as data arrives rather than trusting the header with one big allocation: each step at
  // most doubles what was read, so a header that lies costs at most twice the file's real size (plus 1 MB).
  int64_t have = 0;
  while (have < payload) {
    int64_t step = std::min<int64_t>({payload - have, 64 * (int64_t)kChunk, std::max<int64_t>(have, (int64_t)kChunk)});
    a.data.resize((size_t)(have + step));
    size_t r = in.read(a.data.data() + have, (size_t)step);
    have += (int64_t)r;
    if ((int64_t)r < step) break;
  }
  ENGINE_CHECK(have == payload, "read_idx: '", path, "'", kind, " is truncated: dims ", dims_str(a.dims), " need ",
               payload, " payload bytes, found only ", have);
  uint8_t extra;
  ENGINE_CHECK(in.read(&extra, 1) == 0, "read_idx: '", path, "'", kind, " has trailing bytes after its ", payload,
               "-byte payload (dims ", dims_str(a.dims), "); the file is longer than its header says");
  return a;
}

void write_idx(const std::string& path, const IdxArray& a, bool gzip) {
  ENGINE_CHECK(a.dims.size() == 1 || a.dims.size() == 3, "write_idx: '", path, "': ", a.dims.size(),
               " dims, only 1 or 3 are supported");
  for (auto d : a.dims)
    ENGINE_CHECK(d > 0 && d <= 0xffffffffLL, "write_idx: '", path, "': bad dims ", dims_str(a.dims));
  ENGINE_CHECK((int64_t)a.data.size() == a.numel(), "write_idx: '", path, "': ", a.data.size(),
               " data bytes for dims ", dims_str(a.dims));
  std::vector<uint8_t> head;
  put_be32(head, 0x0800u | (uint32_t)a.dims.size());
  for (auto d : a.dims) put_be32(head, (uint32_t)d);

  if (gzip) {
    std::unique_ptr<gzFile_s, GzClose> gz(gzopen(path.c_str(), "wb"));
    ENGINE_CHECK(gz, "write_idx: cannot create '", path, "'");
    bool ok = gzwrite(gz.get(), head.data(), (unsigned)head.size()) == (int)head.size();
    for (size_t at = 0; ok && at < a.data.size(); at += kChunk) {
      unsigned n = (unsigned)std::min(kChunk, a.data.size() - at);
      ok = gzwrite(gz.get(), a.data.data() + at, n) == (int)n;
    }
    ENGINE_CHECK(ok && gzclose(gz.release()) == Z_OK, "write_idx: error writing '", path, "'");
  } else {
    std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "wb"));
    ENGINE_CHECK(f, "write_idx: cannot create '", path, "': ", std::strerror(errno));
    bool ok = std::fwrite(head.data(), 1, head.size(), f.get()) == head.size() &&
              std::fwrite(a.data.data(), 1, a.data.size(), f.get()) == a.data.size();
    ENGINE_CHECK(ok && std::fclose(f.release()) == 0, "write_idx: error writing '", path, "'");
  }
}

ImageDataset load_idx(const std::string& images_path, const std::string& labels_path, int64_t num_classes) {
  ENGINE_CHECK(num_classes > 0 && num_classes <= 256, "load_idx: num_classes ", num_classes,
               " is not in [1, 256] (IDX labels are bytes)");
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  ENGINE_CHECK(images.dims.size() == 3, "load_idx: '", images_path, "' holds ", images.dims.size(),
               " dims; an image file has 3 (magic 0x00000803)");
  ENGINE_CHECK(labels.dims.size() == 1, "load_idx: '", labels_path, "' holds ", labels.dims.size(),
               " dims; a label file has 1 (magic 0x00000801)");
  ENGINE_CHECK(images.dims[0] == labels.dims[0], "load_idx: '", images_path, "' has ", images.dims[0],
               " images but '", labels_path, "' has ", labels.dims[0], " labels");
  ImageDataset ds;
  ds.n = images.dims[0], ds.c = 1, ds.h = images.dims[1], ds.w = images.dims[2];
  ds.num_classes = num_classes;
  ds.pixels = std::move(images.data);
  ds.labels.resize((size_t)ds.n);
  for (int64_t i = 0; i < ds.n; ++i) {
    int64_t y = labels.data[(size_t)i];
    ENGINE_CHECK(y < num_classes, "load_idx: '", labels_path, "': label ", y, " of item ", i, " is outside [0, ",
                 num_classes, ")");
    ds.labels[(size_t)i] = y;
  }
  ds.validate("load_idx");
  return ds;
}

ImageDataset load_mnist_dir(const std::string& dir, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  std::string paths[2];
  const std::string names[2] = {prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"};
  for (int k = 0; k < 2; ++k) {
    paths[k] = find_plain_or_gz(dir, names[k]);
    ENGINE_CHECK(!paths[k].empty(), "load_mnist_dir: '", dir, "' has no ", names[k], " (or ", names[k],
                 ".gz); run tools/fetch-data fashion-mnist (or: tools/fetch-data mnist) to install it under data/");
  }
  return load_idx(paths[0], paths[1], 10);
}

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

}  // namespace eg::data
