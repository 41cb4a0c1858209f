// cifar.cpp — CIFAR-10/100 binary records to ImageDataset, and the directory loaders.
#include "methods/data/cifar.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/check.h"

namespace eg::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixels = 3 * 32 * 32;
constexpr int64_t kMaxFileBytes = int64_t(1) << 31;  // CIFAR-100 train.bin is 154 MB

constexpr const char* kCifar10Hint =
    "get the CIFAR-10 binary version, https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, "
    "and untar it there (it unpacks to cifar-10-batches-bin/)";
constexpr const char* kCifar100Hint =
    "get the CIFAR-100 binary version, https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, "
    "and untar it there (it unpacks to cifar-100-binary/)";

// `dir`, or `dir`/`sub` when that is where `probe` lives (users point at either the untar target or the folder).
fs::path resolve_dir(const std::string& dir, const char* sub, const char* probe) {
  fs::path d(dir);
  if (!fs::exists(d / probe) && fs::exists(d / sub / probe)) return d / sub;
  return d;
}

void append(ImageDataset& all, ImageDataset&& part) {
  if (all.n == 0) {
    all = std::move(part);
    return;
  }
  all.pixels.insert(all.pixels.end(), part.pixels.begin(), part.pixels.end());
  all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
  all.n += part.n;
}

// Non-empty lines of a label-names file; empty when the file does not exist.
std::vector<std::string> read_names(const fs::path& path, int64_t expected) {
  std::vector<std::string> names;
  std::ifstream in(path);
  if (!in) return names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  ENGINE_CHECK((int64_t)names.size() == expected, "load_cifar100_dir: '", path.string(), "' lists ", names.size(),
               " class names, expected ", expected);
  return names;
}

}  // namespace

ImageDataset read_cifar_records(const std::string& path, int label_bytes, int label_index, int64_t num_classes) {
  ENGINE_CHECK(label_bytes >= 1 && label_bytes <= 2 && label_index >= 0 && label_index < label_bytes,
               "read_cifar_records: label_index ", label_index, " with ", label_bytes,
               " label bytes per record (CIFAR-10: 1 and 0; CIFAR-100: 2 and 0 coarse / 1 fine)");
  ENGINE_CHECK(num_classes > 0 && num_classes <= 256, "read_cifar_records: num_classes ", num_classes,
               " is not in [1, 256]");
  std::error_code ec;
  ENGINE_CHECK(fs::is_regular_file(path, ec), "read_cifar_records: no file '", path, "'");
  const int64_t record = label_bytes + kPixels;
  const int64_t size = (int64_t)fs::file_size(path, ec);
  ENGINE_CHECK(!ec, "read_cifar_records: cannot stat '", path, "': ", ec.message());
  ENGINE_CHECK(size > 0 && size % record == 0, "read_cifar_records: '", path, "' is ", size,
               " bytes, not a positive multiple of the ", record, "-byte record (", label_bytes,
               " label byte(s) + 3072 pixels): truncated, or not a CIFAR-", label_bytes == 1 ? "10" : "100", " file");
  ENGINE_CHECK(size <= kMaxFileBytes, "read_cifar_records: '", path, "' is ", size, " bytes, more than any CIFAR file");

  std::vector<uint8_t> buf((size_t)size);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(buf.data()), size);
  ENGINE_CHECK(in.gcount() == size, "read_cifar_records: read only ", in.gcount(), " of ", size, " bytes of '", path,
               "'");

  ImageDataset ds;
  ds.n = size / record, ds.c = 3, ds.h = 32, ds.w = 32;
  ds.num_classes = num_classes;
  ds.pixels.resize((size_t)(ds.n * kPixels));
  ds.labels.resize((size_t)ds.n);
  for (int64_t i = 0; i < ds.n; ++i) {
    const uint8_t* rec = buf.data() + i * record;
    int64_t y = rec[label_index];
    ENGINE_CHECK(y < num_classes, "read_cifar_records: '", path, "': label ", y, " of record ", i,
                 " is outside [0, ", num_classes, ")", label_bytes == 1 ? "" : " (is it a CIFAR-100 file?)");
    ds.labels[(size_t)i] = y;
    std::memcpy(ds.pixels.data() + i * kPixels, rec + label_bytes, kPixels);
  }
  return ds;
}

ImageDataset load_cifar10_dir(const std::string& dir, bool train) {
  fs::path d = resolve_dir(dir, "cifar-10-batches-bin", train ? "data_batch_1.bin" : "test_batch.bin");
  std::vector<std::string> files;
  if (train)
    for (int b = 1; b <= 5; ++b) files.push_back("data_batch_" + std::to_string(b) + ".bin");
  else
    files.push_back("test_batch.bin");
  ImageDataset all;
  for (const auto& f : files) {
    fs::path p = d / f;
    ENGINE_CHECK(fs::is_regular_file(p), "load_cifar10_dir: missing '", p.string(), "'; ", kCifar10Hint);
    append(all, read_cifar_records(p.string(), 1, 0, 10));
  }
  all.class_names = cifar10_class_names();
  all.validate("load_cifar10_dir");
  return all;
}

ImageDataset load_cifar100_dir(const std::string& dir, bool train, bool coarse) {
  const char* file = train ? "train.bin" : "test.bin";
  fs::path d = resolve_dir(dir, "cifar-100-binary", file);
  fs::path p = d / file;
  ENGINE_CHECK(fs::is_regular_file(p), "load_cifar100_dir: missing '", p.string(), "'; ", kCifar100Hint);
  const int64_t k = coarse ? 20 : 100;
  ImageDataset ds = read_cifar_records(p.string(), 2, coarse ? 0 : 1, k);
  ds.class_names = read_names(d / (coarse ? "coarse_label_names.txt" : "fine_label_names.txt"), k);
  ds.validate("load_cifar100_dir");
  return ds;
}

std::vector<std::string> cifar10_class_names() {
  return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

}  // namespace eg::data
