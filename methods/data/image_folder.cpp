// image_folder.cpp — CUB-200-2011 and list-file image sets: parse the index files, decode every image
// with stb_image (the one translation unit that compiles stb_image's implementation), resize, store CHW.
#include "methods/data/image_folder.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "core/check.h"
#include "methods/data/image_checks.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG  // the formats image datasets use; fewer decoders, less untrusted-input surface
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
// stb's internal asserts are compiled out in every release build (NDEBUG); keep them out in debug and
// sanitizer builds too, so that those test what users run. Corrupt JPEG entropy data trips one in
// stbi__jpeg_huff_decode (found by fuzz_image): stb then decodes garbage pixels, which ASan / UBSan watch.
#define STBI_ASSERT(x) ((void)0)
#pragma GCC diagnostic push  // third-party code: some stb versions warn under -Wextra
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace eg::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxFileBytes = int64_t(1) << 29;  // 512 MB: far above any sane encoded image
constexpr int64_t kMaxOutputSide = 4096;

struct StbiFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_int(const std::string& s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// A whitespace-split line: its number (1-based) and the text before / after the first separator.
struct Row {
  int64_t line;
  std::string head, rest;
};

std::vector<Row> read_rows(const fs::path& path, const char* what, const char* hint) {
  std::ifstream in(path);
  ENGINE_CHECK(in, what, ": missing '", path.string(), "'", hint);
  std::vector<Row> rows;
  int64_t no = 0;
  for (std::string line; std::getline(in, line);) {
    ++no;
    line = trim(line);
    if (line.empty()) continue;
    size_t sep = line.find_first_of(" \t");
    ENGINE_CHECK(sep != std::string::npos, what, ": '", path.string(), "' line ", no, " \"", line,
                 "\" has one field, expected two");
    rows.push_back({no, line.substr(0, sep), trim(line.substr(sep))});
  }
  return rows;
}

// "id value" rows as id -> value, ids positive integers, each once.
std::map<int64_t, std::string> read_id_table(const fs::path& path, const char* what, const char* hint) {
  std::map<int64_t, std::string> table;
  for (const Row& r : read_rows(path, what, hint)) {
    int64_t id = 0;
    ENGINE_CHECK(parse_int(r.head, id) && id > 0, what, ": '", path.string(), "' line ", r.line, ": id '", r.head,
                 "' is not a positive integer");
    ENGINE_CHECK(table.emplace(id, r.rest).second, what, ": '", path.string(), "' line ", r.line, ": id ", id,
                 " appears twice");
  }
  ENGINE_CHECK(!table.empty(), what, ": '", path.string(), "' is empty");
  return table;
}

// The integer value of `table` at every id of `ids`, in [lo, hi]; each table must cover the same ids.
std::vector<int64_t> lookup_ints(const std::map<int64_t, std::string>& table, const fs::path& path,
                                 const std::map<int64_t, std::string>& ids, int64_t lo, int64_t hi, const char* what) {
  ENGINE_CHECK(table.size() == ids.size(), what, ": '", path.string(), "' has ", table.size(),
               " ids but images.txt has ", ids.size());
  std::vector<int64_t> out;
  for (const auto& [id, _] : ids) {
    auto it = table.find(id);
    ENGINE_CHECK(it != table.end(), what, ": image id ", id, " of images.txt is missing from '", path.string(), "'");
    int64_t v = 0;
    ENGINE_CHECK(parse_int(it->second, v) && v >= lo && v <= hi, what, ": '", path.string(), "': value '",
                 it->second, "' of id ", id, " is not an integer in [", lo, ", ", hi, "]");
    out.push_back(v);
  }
  return out;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  ENGINE_CHECK(fs::is_regular_file(path, ec), "load_image: missing image file '", path, "'");
  int64_t size = (int64_t)fs::file_size(path, ec);
  ENGINE_CHECK(!ec && size > 0 && size <= kMaxFileBytes, "load_image: '", path, "' is ", size,
               " bytes; expected 1 to ", kMaxFileBytes);
  std::vector<uint8_t> buf((size_t)size);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(buf.data()), size);
  ENGINE_CHECK(in.gcount() == size, "load_image: read only ", in.gcount(), " of ", size, " bytes of '", path, "'");
  return buf;
}

// For one axis: output i reads inputs [first[i], first[i] + weights[i].size()) with those weights.
struct AxisFilter {
  std::vector<int64_t> first;
  std::vector<std::vector<float>> weights;
};

AxisFilter make_filter(int64_t in, int64_t out) {
  AxisFilter f;
  const double scale = (double)in / (double)out;
  const double support = std::max(scale, 1.0);  // widen the triangle when shrinking: antialiasing
  for (int64_t i = 0; i < out; ++i) {
    const double center = ((double)i + 0.5) * scale;
    int64_t lo = std::max<int64_t>(0, (int64_t)std::floor(center - support));
    int64_t hi = std::min<int64_t>(in, (int64_t)std::ceil(center + support));
    std::vector<float> w;
    double sum = 0;
    for (int64_t j = lo; j < hi; ++j) {
      double t = 1.0 - std::abs(((double)j + 0.5 - center) / support);
      w.push_back((float)std::max(t, 0.0));
      sum += std::max(t, 0.0);
    }
    for (auto& x : w) x = (float)(x / sum);
    f.first.push_back(lo);
    f.weights.push_back(std::move(w));
  }
  return f;
}

ImageDataset decode_all(const std::vector<std::string>& paths, std::vector<int64_t> labels, int64_t num_classes,
                        int64_t size, int64_t channels, const char* what) {
  ENGINE_CHECK(size > 0 && size <= kMaxOutputSide, what, ": size ", size, " is not in [1, ", kMaxOutputSide, "]");
  ENGINE_CHECK(channels == 1 || channels == 3, what, ": channels ", channels, " must be 1 (gray) or 3 (RGB)");
  const int64_t kMaxBytes = int64_t(1) << 36;  // 64 GiB of uint8 pixels: surely a wrong size argument
  const int64_t bytes = (int64_t)paths.size() * channels * size * size;
  ENGINE_CHECK(bytes <= kMaxBytes, what, ": ", paths.size(), " images of ", channels, "x", size, "x", size, " need ",
               bytes, " bytes, more than ", kMaxBytes, "; choose a smaller size");
  ImageDataset ds;
  ds.n = (int64_t)paths.size(), ds.c = channels, ds.h = size, ds.w = size;
  ds.num_classes = num_classes;
  ds.labels = std::move(labels);
  ds.pixels.resize((size_t)(ds.n * ds.image_size()));
  // Exceptions must not leave an OpenMP region: keep each, rethrow the first in file order afterwards.
  std::vector<std::exception_ptr> errors((size_t)ds.n);
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t i = 0; i < ds.n; ++i) {
    try {
      std::vector<uint8_t> img = load_image_chw(paths[(size_t)i], size, channels);
      std::copy(img.begin(), img.end(), ds.pixels.begin() + i * ds.image_size());
    } catch (...) {
      errors[(size_t)i] = std::current_exception();
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  ds.validate(what);
  return ds;
}

}  // namespace

std::vector<uint8_t> resize_hwc(const uint8_t* src, int64_t h, int64_t w, int64_t c, int64_t out_h, int64_t out_w) {
  ENGINE_CHECK(h > 0 && w > 0 && c > 0 && out_h > 0 && out_w > 0, "resize_hwc: bad sizes ", h, "x", w, "x", c,
               " -> ", out_h, "x", out_w);
  const AxisFilter fx = make_filter(w, out_w), fy = make_filter(h, out_h);
  std::vector<float> rows((size_t)(h * out_w * c));  // horizontal pass: h x out_w x c
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < out_w; ++x)
      for (int64_t ch = 0; ch < c; ++ch) {
        float acc = 0;
        const auto& wt = fx.weights[(size_t)x];
        for (size_t k = 0; k < wt.size(); ++k) acc += wt[k] * src[(y * w + fx.first[(size_t)x] + (int64_t)k) * c + ch];
        rows[(size_t)((y * out_w + x) * c + ch)] = acc;
      }
  std::vector<uint8_t> out((size_t)(out_h * out_w * c));
  for (int64_t y = 0; y < out_h; ++y)
    for (int64_t x = 0; x < out_w; ++x)
      for (int64_t ch = 0; ch < c; ++ch) {
        float acc = 0;
        const auto& wt = fy.weights[(size_t)y];
        for (size_t k = 0; k < wt.size(); ++k)
          acc += wt[k] * rows[(size_t)(((fy.first[(size_t)y] + (int64_t)k) * out_w + x) * c + ch)];
        out[(size_t)((y * out_w + x) * c + ch)] = (uint8_t)std::clamp(std::lround(acc), 0L, 255L);
      }
  return out;
}

std::vector<uint8_t> load_image_chw(const std::string& path, int64_t size, int64_t channels) {
  ENGINE_CHECK(channels == 1 || channels == 3, "load_image: channels ", channels, " must be 1 or 3");
  std::vector<uint8_t> file = read_file(path);
  check_image_file(file, path);  // before stb parses even the header
  int w = 0, h = 0, comp = 0;
  // Header first: a bad or huge image is refused before any pixel memory is allocated.
  ENGINE_CHECK(stbi_info_from_memory(file.data(), (int)file.size(), &w, &h, &comp), "load_image: '", path,
               "' is not a decodable image (stb_image: ", stbi_failure_reason(), ")");
  // stb_image 2.27 reports a top-down BMP's height as stored, negative; its decoder takes the magnitude.
  if (h < 0 && h >= -kMaxImageSide) h = -h;
  ENGINE_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide && (int64_t)w * h <= kMaxImagePixels,
               "load_image: '", path, "' is ", w, "x", h, " pixels; at most ", kMaxImageSide, " a side and ",
               kMaxImagePixels, " pixels are accepted");
  int dw = 0, dh = 0;
  std::unique_ptr<stbi_uc, StbiFree> px(
      stbi_load_from_memory(file.data(), (int)file.size(), &dw, &dh, &comp, (int)channels));
  ENGINE_CHECK(px, "load_image: cannot decode '", path, "' (stb_image: ", stbi_failure_reason(), ")");
  ENGINE_CHECK(dw == w && dh == h, "load_image: '", path, "' decoded to ", dw, "x", dh, " but its header says ", w,
               "x", h);
  std::vector<uint8_t> hwc = resize_hwc(px.get(), h, w, channels, size, size);
  std::vector<uint8_t> chw(hwc.size());
  const int64_t plane = size * size;
  for (int64_t p = 0; p < plane; ++p)
    for (int64_t ch = 0; ch < channels; ++ch) chw[(size_t)(ch * plane + p)] = hwc[(size_t)(p * channels + ch)];
  return chw;
}

ImageDataset load_cub_dir(const std::string& root_arg, bool train, int64_t size) {
  const char* what = "load_cub_dir";
  const char* hint = "; download CUB-200-2011 (CUB_200_2011.tgz, https://www.vision.caltech.edu/datasets/cub_200_2011/)"
                     " and pass its CUB_200_2011 folder";
  fs::path root(root_arg);
  if (!fs::exists(root / "images.txt") && fs::exists(root / "CUB_200_2011" / "images.txt"))
    root = root / "CUB_200_2011";
  auto classes = read_id_table(root / "classes.txt", what, hint);
  const int64_t k = (int64_t)classes.size();
  ENGINE_CHECK(classes.rbegin()->first == k, what, ": class ids of '", (root / "classes.txt").string(),
               "' are not 1..", k, " (largest is ", classes.rbegin()->first, ")");
  auto images = read_id_table(root / "images.txt", what, hint);
  auto labels_path = root / "image_class_labels.txt", split_path = root / "train_test_split.txt";
  auto labels = lookup_ints(read_id_table(labels_path, what, hint), labels_path, images, 1, k, what);
  auto is_train = lookup_ints(read_id_table(split_path, what, hint), split_path, images, 0, 1, what);

  std::vector<std::string> paths;
  std::vector<int64_t> ys;
  size_t i = 0;
  for (const auto& [id, rel] : images) {
    if ((is_train[i] == 1) == train) {
      paths.push_back((root / "images" / rel).string());
      ys.push_back(labels[i] - 1);
    }
    ++i;
  }
  ENGINE_CHECK(!paths.empty(), what, ": '", root.string(), "' has no ", train ? "train" : "test", " images");
  ImageDataset ds = decode_all(paths, std::move(ys), k, size, 3, what);
  for (const auto& [id, name] : classes) ds.class_names.push_back(name);
  ds.validate(what);
  return ds;
}

ImageDataset load_image_list(const std::string& list_path, const std::string& root, int64_t size, int64_t channels,
                             int64_t num_classes) {
  const char* what = "load_image_list";
  const int64_t kMaxClasses = 1'000'000;
  ENGINE_CHECK(num_classes >= 0 && num_classes <= kMaxClasses, what, ": num_classes ", num_classes,
               " is not in [0, ", kMaxClasses, "]");
  fs::path base = root.empty() ? fs::path(list_path).parent_path() : fs::path(root);
  std::ifstream in(list_path);
  ENGINE_CHECK(in, what, ": missing list file '", list_path, "'");
  std::vector<std::string> paths;
  std::vector<int64_t> ys;
  int64_t no = 0, max_label = -1;
  for (std::string line; std::getline(in, line);) {
    ++no;
    line = trim(line);
    if (line.empty()) continue;
    size_t sep = line.find_last_of(" \t");
    ENGINE_CHECK(sep != std::string::npos, what, ": '", list_path, "' line ", no, " \"", line,
                 "\" is not \"path label\"");
    std::string label_text = line.substr(sep + 1);
    int64_t y = 0;
    const int64_t hi = num_classes > 0 ? num_classes - 1 : kMaxClasses - 1;
    ENGINE_CHECK(parse_int(label_text, y) && y >= 0 && y <= hi, what, ": '", list_path, "' line ", no, ": label '",
                 label_text, "' is not an integer in [0, ", hi, "]");
    paths.push_back((base / trim(line.substr(0, sep))).string());
    ys.push_back(y);
    max_label = std::max(max_label, y);
  }
  ENGINE_CHECK(!paths.empty(), what, ": '", list_path, "' lists no images");
  return decode_all(paths, std::move(ys), num_classes > 0 ? num_classes : max_label + 1, size, channels, what);
}

}  // namespace eg::data
