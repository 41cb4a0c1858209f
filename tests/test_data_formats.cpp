// test_data_formats.cpp — the dataset file readers: IDX (plain and gzip), CIFAR-10/100 binary records,
// CUB-200-2011 trees and list files of PNG/JPEG images. Each format is written into a temp folder by the
// test itself, read back and compared value by value; then each reader gets broken inputs (truncation at
// every length, wrong magic, absurd dims, trailing bytes, labels out of range, missing and corrupt files)
// and must throw an eg::Error saying what is wrong.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/check.h"
#include "methods/data/cifar.h"
#include "methods/data/idx.h"
#include "methods/data/image_folder.h"

// Static, so this test binary never clashes with an stb_image_write compiled elsewhere in the engine.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace fs = std::filesystem;
using namespace eg::data;
using Bytes = std::vector<uint8_t>;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "eg_data_formats_XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const Bytes& b) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), (std::streamsize)b.size());
  REQUIRE(out.good());
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_gz(const std::string& path, const Bytes& b) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, b.data(), (unsigned)b.size()) == (int)b.size());
  REQUIRE(gzclose(gz) == Z_OK);
}

// The message of the eg::Error thrown by f, or "" (and a failed CHECK) when it does not throw one.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const eg::Error& e) {
    return e.what();
  }
  FAIL_CHECK("expected an eg::Error");
  return "";
}
#define CHECK_ERROR(expr, substring)                               \
  do {                                                             \
    std::string msg_ = error_of([&] { (void)(expr); });            \
    CHECK_MESSAGE(msg_.find(substring) != std::string::npos, msg_); \
  } while (0)

Bytes be32(uint32_t v) { return {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v}; }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

IdxArray sample_images() {  // 3 images of 2 x 4
  IdxArray a{{3, 2, 4}, {}};
  for (int i = 0; i < 24; ++i) a.data.push_back((uint8_t)(i * 37 % 256));
  return a;
}
IdxArray sample_labels() { return IdxArray{{3}, {0, 9, 4}}; }

// A CIFAR record: label bytes then R, G, B planes with a pattern that depends on the record.
Bytes cifar_record(Bytes labels, int seed) {
  Bytes r = std::move(labels);
  for (int i = 0; i < 3072; ++i) r.push_back((uint8_t)((i * 7 + seed * 13) % 251));
  return r;
}

// A w x h RGB image whose pixel (x, y) is (10x + c, 20y + c, ...) with c = the channel.
Bytes rgb_pattern(int w, int h) {
  Bytes px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) px.push_back((uint8_t)(10 * x + 20 * y + 50 * c));
  return px;
}

void write_png(const std::string& path, int w, int h, int comp, const Bytes& px) {
  fs::create_directories(fs::path(path).parent_path());
  REQUIRE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp) != 0);
}
void write_jpg(const std::string& path, int w, int h, const Bytes& px) {
  fs::create_directories(fs::path(path).parent_path());
  REQUIRE(stbi_write_jpg(path.c_str(), w, h, 3, px.data(), 95) != 0);
}

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A CUB-style tree at `root`: 2 classes, 4 images (ids 1..4), ids 1 and 3 train; constant-colour pictures.
void write_cub(const std::string& root) {
  write_text(root + "/classes.txt", "1 001.Albatross\n2 002.Auklet\n");
  write_text(root + "/images.txt", "1 001.Albatross/a1.png\n2 001.Albatross/a2.jpg\n3 002.Auklet/b1.png\n"
                                   "4 002.Auklet/b2.png\n");
  write_text(root + "/image_class_labels.txt", "1 1\n2 1\n3 2\n4 2\n");
  write_text(root + "/train_test_split.txt", "1 1\n2 0\n3 1\n4 0\n");
  auto solid = [](int w, int h, uint8_t v) { return Bytes((size_t)(w * h * 3), v); };
  write_png(root + "/images/001.Albatross/a1.png", 6, 4, 3, solid(6, 4, 10));
  write_jpg(root + "/images/001.Albatross/a2.jpg", 8, 8, solid(8, 8, 128));
  write_png(root + "/images/002.Auklet/b1.png", 3, 5, 3, solid(3, 5, 200));
  write_png(root + "/images/002.Auklet/b2.png", 2, 2, 3, solid(2, 2, 250));
}

}  // namespace

// ---------------------------------------------------------------- IDX

TEST_CASE("data formats: IDX round trip, plain and gzip") {
  TempDir t;
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    std::string ip = t / (gz ? "img.gz" : "img"), lp = t / (gz ? "lab.gz" : "lab");
    write_idx(ip, sample_images(), gz);
    write_idx(lp, sample_labels(), gz);
    Bytes raw = read_bytes(ip);
    CHECK((raw[0] == 0x1f && raw[1] == 0x8b) == gz);
    if (!gz) CHECK(Bytes(raw.begin(), raw.begin() + 8) == cat({be32(0x803), be32(3)}));

    IdxArray back = read_idx(ip);
    CHECK(back.dims == std::vector<int64_t>{3, 2, 4});
    CHECK(back.data == sample_images().data);
    CHECK(read_idx(lp).dims == std::vector<int64_t>{3});

    ImageDataset ds = load_idx(ip, lp, 10);
    CHECK(ds.n == 3);
    CHECK(ds.c == 1);
    CHECK(ds.h == 2);
    CHECK(ds.w == 4);
    CHECK(ds.pixels == sample_images().data);
    CHECK(ds.labels == std::vector<int64_t>{0, 9, 4});
    CHECK(ds.num_classes == 10);
  }
}

TEST_CASE("data formats: IDX gzip detected by content, not by name") {
  TempDir t;
  write_idx(t / "named_plain", sample_labels(), true);
  write_idx(t / "named.gz", sample_labels(), false);
  CHECK(read_idx(t / "named_plain").data == sample_labels().data);
  CHECK(read_idx(t / "named.gz").data == sample_labels().data);
}

TEST_CASE("data formats: load_mnist_dir finds plain and .gz names and hints at fetch-data") {
  TempDir t;
  fs::create_directories(t.path / "m");
  write_idx(t / "m/train-images-idx3-ubyte.gz", sample_images(), true);
  write_idx(t / "m/train-labels-idx1-ubyte", sample_labels(), false);
  ImageDataset tr = load_mnist_dir(t / "m", true);
  CHECK(tr.n == 3);
  CHECK(tr.labels[1] == 9);
  CHECK_ERROR(load_mnist_dir(t / "m", false), "t10k-images-idx3-ubyte");
  CHECK_ERROR(load_mnist_dir(t / "m", false), "run tools/fetch-data fashion-mnist");
  CHECK_ERROR(load_mnist_dir(t / "nowhere", true), "run tools/fetch-data");
  CHECK(fashion_mnist_class_names().size() == 10);
}

TEST_CASE("data formats: IDX header errors") {
  TempDir t;
  const Bytes lab = {1, 2};
  auto check = [&](const Bytes& file, const char* substring) {
    CAPTURE(substring);
    write_bytes(t / "f", file);
    CHECK_ERROR(read_idx(t / "f"), substring);
    write_gz(t / "f.gz", file);  // the same mistakes behind gzip are reported the same way
    CHECK_ERROR(read_idx(t / "f.gz"), substring);
  };
  check({}, "truncated");
  check({0, 0, 8}, "truncated");
  check(cat({be32(0x12345678), be32(2), lab}), "not an IDX file");
  check(cat({be32(0x0D01), be32(2), lab}), "only unsigned byte");
  check(cat({be32(0x0802), be32(1), be32(2), lab}), "only 1 (labels");
  check(cat({be32(0x0803), be32(2), be32(3)}), "truncated inside its header");
  check(cat({be32(0x0803), be32(2), be32(0), be32(3)}), "dim 1 is 0");
  check(cat({be32(0x0803), be32(0xFFFFFFFF), be32(0xFFFF), be32(0xFFFF), lab}), "absurd dims");
  check(cat({be32(0x0803), be32(60000), be32(28), be32(28), lab}), "found only 2");
  check(cat({be32(0x0801), be32(2), lab, Bytes{7}}), "trailing bytes");
  CHECK_ERROR(read_idx(t / "missing"), "cannot open");
}

TEST_CASE("data formats: IDX truncated at every length, plain and gzip, always throws") {
  TempDir t;
  for (bool gz : {false, true}) {
    write_idx(t / "full", sample_images(), gz);
    Bytes full = read_bytes(t / "full");
    for (size_t len = 0; len < full.size(); ++len) {
      CAPTURE(gz);
      CAPTURE(len);
      write_bytes(t / "cut", Bytes(full.begin(), full.begin() + (std::ptrdiff_t)len));
      std::string msg = error_of([&] { read_idx(t / "cut"); });
      CHECK_MESSAGE((msg.find("truncated") != std::string::npos || msg.find("not an IDX") != std::string::npos), msg);
    }
  }
}

TEST_CASE("data formats: IDX corrupt gzip and trailing bytes after a gzip payload") {
  TempDir t;
  write_bytes(t / "junk.gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6});
  CHECK_ERROR(read_idx(t / "junk.gz"), "gzip");
  write_gz(t / "long.gz", cat({be32(0x0801), be32(2), Bytes{1, 2, 3}}));
  CHECK_ERROR(read_idx(t / "long.gz"), "trailing bytes");
}

TEST_CASE("data formats: load_idx checks counts, ranks and label range") {
  TempDir t;
  write_idx(t / "img", sample_images());
  write_idx(t / "lab", sample_labels());
  write_idx(t / "lab2", IdxArray{{2}, {0, 1}});
  CHECK_ERROR(load_idx(t / "img", t / "lab2", 10), "has 3 images but");
  CHECK_ERROR(load_idx(t / "img", t / "lab", 9), "label 9 of item 1 is outside [0, 9)");
  CHECK_ERROR(load_idx(t / "lab", t / "lab", 10), "an image file has 3");
  CHECK_ERROR(load_idx(t / "img", t / "img", 10), "a label file has 1");
  CHECK_ERROR(load_idx(t / "img", t / "lab", 0), "num_classes 0");
  CHECK_ERROR(write_idx(t / "bad", IdxArray{{2, 2}, {1, 2, 3, 4}}), "only 1 or 3");
  CHECK_ERROR(write_idx(t / "bad", IdxArray{{5}, {1, 2}}), "2 data bytes");
}

#ifdef EG_SOURCE_DIR
TEST_CASE("data formats: the fetched Fashion-MNIST, when present") {
  fs::path dir = fs::path(EG_SOURCE_DIR) / "data" / "fashion-mnist";
  if (!fs::exists(dir / "t10k-labels-idx1-ubyte")) {
    MESSAGE("data/fashion-mnist not installed (tools/fetch-data fashion-mnist); skipped");
    return;
  }
  ImageDataset test = load_mnist_dir(dir.string(), false);
  CHECK(test.n == 10000);
  CHECK(test.h == 28);
  CHECK(test.class_counts() == std::vector<int64_t>(10, 1000));
}
#endif

// ---------------------------------------------------------------- CIFAR

TEST_CASE("data formats: CIFAR-10 batches, values and order") {
  TempDir t;
  std::string d = t / "c10/cifar-10-batches-bin";  // loaders accept the untar target or this folder
  for (int b = 1; b <= 5; ++b) {
    Bytes f = cat({cifar_record({(uint8_t)(b - 1)}, 2 * b), cifar_record({(uint8_t)(b + 4)}, 2 * b + 1)});
    write_bytes(d + "/data_batch_" + std::to_string(b) + ".bin", f);
  }
  write_bytes(d + "/test_batch.bin", cat({cifar_record({3}, 100), cifar_record({9}, 101), cifar_record({0}, 102)}));

  ImageDataset tr = load_cifar10_dir(t / "c10", true);
  CHECK(tr.n == 10);
  CHECK(tr.c == 3);
  CHECK(tr.h == 32);
  CHECK(tr.w == 32);
  CHECK(tr.labels == std::vector<int64_t>{0, 5, 1, 6, 2, 7, 3, 8, 4, 9});
  CHECK(tr.class_names.size() == 10);
  CHECK(tr.class_names[0] == "airplane");
  // Record 3 is batch 2's second record (seed 5); plane c, row y, col x sits at 1024c + 32y + x.
  Bytes rec = cifar_record({}, 5);
  CHECK(std::memcmp(tr.image(3), rec.data(), 3072) == 0);
  CHECK(tr.image(3)[2 * 1024 + 31 * 32 + 7] == rec[2 * 1024 + 31 * 32 + 7]);

  ImageDataset te = load_cifar10_dir(d, false);
  CHECK(te.n == 3);
  CHECK(te.labels == std::vector<int64_t>{3, 9, 0});
}

TEST_CASE("data formats: CIFAR-100 fine and coarse labels, class names") {
  TempDir t;
  std::string d = t / "c100";
  write_bytes(d + "/train.bin", cat({cifar_record({19, 99}, 1), cifar_record({0, 4}, 2), cifar_record({7, 50}, 3)}));
  ImageDataset fine = load_cifar100_dir(d, true);
  CHECK(fine.n == 3);
  CHECK(fine.num_classes == 100);
  CHECK(fine.labels == std::vector<int64_t>{99, 4, 50});
  CHECK(fine.class_names.empty());
  CHECK(std::memcmp(fine.image(2), cifar_record({}, 3).data(), 3072) == 0);
  ImageDataset coarse = load_cifar100_dir(d, true, true);
  CHECK(coarse.num_classes == 20);
  CHECK(coarse.labels == std::vector<int64_t>{19, 0, 7});

  std::string names;
  for (int k = 0; k < 20; ++k) names += "super" + std::to_string(k) + "\n";
  write_text(d + "/coarse_label_names.txt", names + "\n");
  CHECK(load_cifar100_dir(d, true, true).class_names[19] == "super19");
  write_text(d + "/fine_label_names.txt", "apple\npear\n");
  CHECK_ERROR(load_cifar100_dir(d, true), "lists 2 class names, expected 100");
}

TEST_CASE("data formats: CIFAR errors") {
  TempDir t;
  write_bytes(t / "a/data_batch_1.bin", cat({cifar_record({1}, 0), Bytes{1, 2, 3}}));
  CHECK_ERROR(read_cifar_records(t / "a/data_batch_1.bin", 1, 0, 10), "not a positive multiple of the 3073-byte");
  write_bytes(t / "a/empty.bin", {});
  CHECK_ERROR(read_cifar_records(t / "a/empty.bin", 1, 0, 10), "is 0 bytes");
  write_bytes(t / "a/test_batch.bin", cat({cifar_record({2}, 0), cifar_record({10}, 1)}));
  CHECK_ERROR(load_cifar10_dir(t / "a", false), "label 10 of record 1 is outside [0, 10)");
  write_bytes(t / "b/train.bin", cifar_record({20, 3}, 0));
  CHECK_ERROR(load_cifar100_dir(t / "b", true, true), "label 20 of record 0");
  write_bytes(t / "b/test.bin", cifar_record({2}, 0));  // a CIFAR-10 record where CIFAR-100 is expected
  CHECK_ERROR(load_cifar100_dir(t / "b", false), "not a positive multiple of the 3074-byte");
  write_bytes(t / "c/data_batch_1.bin", cifar_record({1}, 0));
  CHECK_ERROR(load_cifar10_dir(t / "c", true), "missing '" + (t / "c/data_batch_2.bin"));
  CHECK_ERROR(load_cifar10_dir(t / "none", true), "cifar-10-binary.tar.gz");
  CHECK_ERROR(load_cifar100_dir(t / "none", true), "cifar-100-binary.tar.gz");
  CHECK_ERROR(read_cifar_records(t / "none.bin", 1, 0, 10), "no file");
  CHECK_ERROR(read_cifar_records(t / "b/train.bin", 2, 2, 10), "label_index 2");
}

// ---------------------------------------------------------------- images

TEST_CASE("data formats: resize_hwc keeps constants, averages when halving, is exact at scale 1") {
  Bytes flat(5 * 7 * 3, 77);
  for (auto [oh, ow] : {std::pair{2, 3}, std::pair{11, 13}, std::pair{1, 1}})
    CHECK(resize_hwc(flat.data(), 5, 7, 3, oh, ow) == Bytes((size_t)(oh * ow * 3), 77));
  Bytes quad = {0, 100, 50, 250};  // 2 x 2 gray
  CHECK(resize_hwc(quad.data(), 2, 2, 1, 1, 1) == Bytes{100});
  Bytes px = rgb_pattern(4, 3);
  CHECK(resize_hwc(px.data(), 3, 4, 3, 3, 4) == px);
  Bytes ramp = {0, 40, 80, 120, 160, 200, 240, 255};  // 1 x 8: shrinking keeps it increasing
  Bytes half = resize_hwc(ramp.data(), 1, 8, 1, 1, 4);
  CHECK(std::is_sorted(half.begin(), half.end()));
  CHECK(half.front() < 40);
  CHECK(half.back() > 200);
  // Shrinking by 3 a 0/255/0 stripe pattern: a point sampler would hit every 255; the widened filter
  // averages each stripe triple to about a third.
  Bytes stripes = {0, 255, 0, 0, 255, 0, 0, 255, 0};
  for (uint8_t v : resize_hwc(stripes.data(), 1, 9, 1, 1, 3)) CHECK(std::abs((int)v - 96) <= 20);
}

TEST_CASE("data formats: list file of PNG and JPEG images, RGB and gray") {
  TempDir t;
  write_png(t / "imgs/a.png", 4, 3, 3, rgb_pattern(4, 3));
  write_jpg(t / "imgs/sub dir/b b.jpg", 8, 8, Bytes(8 * 8 * 3, 90));
  Bytes gray = {0, 64, 128, 192, 255, 32, 96, 160, 224, 16, 80, 144};
  write_png(t / "imgs/g.png", 4, 3, 1, gray);
  write_text(t / "imgs/list.txt", "a.png 0\n\r\nsub dir/b b.jpg 2\r\ng.png 1\n");

  // a.png is 4 x 3, resized to 4 x 4: check the untouched case separately with a square image.
  write_png(t / "imgs/sq.png", 4, 4, 3, rgb_pattern(4, 4));
  write_text(t / "imgs/sq.txt", "sq.png 0\n");
  ImageDataset sq = load_image_list(t / "imgs/sq.txt", "", 4);
  Bytes want = rgb_pattern(4, 4);
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 16; ++p) CHECK(sq.image(0)[c * 16 + p] == want[(size_t)(p * 3 + c)]);

  ImageDataset ds = load_image_list(t / "imgs/list.txt", t / "imgs", 4);
  CHECK(ds.n == 3);
  CHECK(ds.c == 3);
  CHECK(ds.h == 4);
  CHECK(ds.w == 4);
  CHECK(ds.num_classes == 3);
  CHECK(ds.labels == std::vector<int64_t>{0, 2, 1});
  for (int i = 0; i < 48; ++i) CHECK(std::abs((int)ds.image(1)[i] - 90) <= 3);  // JPEG is lossy
  for (int i = 0; i < 48; ++i) CHECK(ds.image(2)[i] == ds.image(2)[i % 16]);    // gray -> R = G = B

  ImageDataset g = load_image_list(t / "imgs/list.txt", t / "imgs", 3, 1, 5);
  CHECK(g.c == 1);
  CHECK(g.num_classes == 5);
  // The JPEG is constant 90 in R, G and B, so its luminance is 90 too.
  for (int i = 0; i < 9; ++i) CHECK(std::abs((int)g.image(1)[i] - 90) <= 3);
}

TEST_CASE("data formats: CUB-200-2011 tree") {
  TempDir t;
  write_cub(t / "cub");
  ImageDataset tr = load_cub_dir(t / "cub", true, 5);
  CHECK(tr.n == 2);
  CHECK(tr.c == 3);
  CHECK(tr.h == 5);
  CHECK(tr.num_classes == 2);
  CHECK(tr.labels == std::vector<int64_t>{0, 1});
  CHECK(tr.class_names == std::vector<std::string>{"001.Albatross", "002.Auklet"});
  CHECK(tr.image(0)[0] == 10);
  CHECK(tr.image(1)[74] == 200);
  ImageDataset te = load_cub_dir(t / "cub", false, 3);
  CHECK(te.n == 2);
  CHECK(te.h == 3);
  CHECK(te.labels == std::vector<int64_t>{0, 1});
  for (int i = 0; i < 27; ++i) CHECK(std::abs((int)te.image(0)[i] - 128) <= 3);  // JPEG is lossy
  CHECK(te.image(1)[26] == 250);
  write_cub(t / "top/CUB_200_2011");  // the folder the official tarball unpacks to is found from its parent
  CHECK(load_cub_dir(t / "top", true, 2).n == 2);
}

TEST_CASE("data formats: image errors name the file and the reason") {
  TempDir t;
  write_text(t / "i/bad.png", "this is not an image at all");
  write_png(t / "i/ok.png", 16, 16, 3, rgb_pattern(16, 16));
  Bytes png = read_bytes(t / "i/ok.png");
  write_bytes(t / "i/cut.png", Bytes(png.begin(), png.begin() + (std::ptrdiff_t)png.size() / 2));
  Bytes wide = png;  // IHDR width at bytes 16..19 (stb_image does not check the CRC)
  std::memcpy(wide.data() + 16, be32(17000).data(), 4);
  write_bytes(t / "i/wide.png", wide);

  // A JPEG whose first Huffman table declares 16 x 255 codes (stb_image 2.27 would overrun its tables).
  write_jpg(t / "i/ok.jpg", 8, 8, rgb_pattern(8, 8));
  Bytes jpg = read_bytes(t / "i/ok.jpg");
  const uint8_t marker[2] = {0xFF, 0xC4};
  auto dht = std::search(jpg.begin(), jpg.end(), marker, marker + 2);
  REQUIRE(dht != jpg.end());
  std::fill(dht + 5, dht + 21, 255);
  write_bytes(t / "i/dht.jpg", jpg);
  CHECK_ERROR(load_image_chw(t / "i/dht.jpg", 4, 3), "dht.jpg' is a corrupt JPEG (a Huffman table declares 4080");

  CHECK_ERROR(load_image_chw(t / "i/bad.png", 4, 3), "bad.png' is not a decodable image (stb_image: ");
  CHECK_ERROR(load_image_chw(t / "i/cut.png", 4, 3), "cut.png");
  CHECK_ERROR(load_image_chw(t / "i/wide.png", 4, 3), "at most 16384 a side");
  CHECK_ERROR(load_image_chw(t / "i/none.png", 4, 3), "missing image file");
  CHECK_ERROR(load_image_chw(t / "i/ok.png", 4, 2), "channels 2");

  write_text(t / "i/list.txt", "ok.png 0\nbad.png 1\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 4), "bad.png");
  write_text(t / "i/list.txt", "ok.png 0\nok.png 2\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 4, 3, 2), "label '2' is not an integer in [0, 1]");
  write_text(t / "i/list.txt", "ok.png -1\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 4), "label '-1'");
  write_text(t / "i/list.txt", "ok.png\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 4), "is not \"path label\"");
  write_text(t / "i/list.txt", "\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 4), "lists no images");
  CHECK_ERROR(load_image_list(t / "i/nolist.txt", "", 4), "missing list file");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 0), "lists no images");
  write_text(t / "i/list.txt", "ok.png 0\n");
  CHECK_ERROR(load_image_list(t / "i/list.txt", "", 0), "size 0");
}

TEST_CASE("data formats: CUB index errors") {
  TempDir t;
  write_cub(t / "cub");
  const std::string labels = t / "cub/image_class_labels.txt", split = t / "cub/train_test_split.txt";
  write_text(labels, "1 1\n2 1\n3 2\n5 2\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "image id 4 of images.txt is missing from");
  write_text(labels, "1 1\n2 1\n3 2\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "has 3 ids but images.txt has 4");
  write_text(labels, "1 1\n2 1\n3 3\n4 2\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "value '3' of id 3 is not an integer in [1, 2]");
  write_text(labels, "1 1\n1 1\n3 2\n4 2\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "id 1 appears twice");
  write_text(labels, "1 1\n2 1\nx 2\n4 2\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "line 3: id 'x' is not a positive integer");
  write_text(labels, "1 1\n2 1\n3 2\n4 2\n");
  write_text(split, "1 1\n2 0\n3 2\n4 0\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "not an integer in [0, 1]");
  write_text(split, "1 1\n2 0\n3 1\n4 0\n");
  fs::remove(t / "cub/images/002.Auklet/b1.png");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "b1.png");
  write_text(t / "cub/classes.txt", "1 a\n3 c\n");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "are not 1..2");
  fs::remove(t / "cub/classes.txt");
  CHECK_ERROR(load_cub_dir(t / "cub", true, 4), "CUB-200-2011");
}

TEST_CASE("data formats: random byte flips give a decoded image or an eg::Error, never a crash") {
  TempDir t;
  write_png(t / "f.png", 12, 9, 3, rgb_pattern(12, 9));
  write_jpg(t / "f.jpg", 12, 9, rgb_pattern(12, 9));
  write_idx(t / "f.idx.gz", sample_images(), true);
  std::mt19937 rng(3);
  for (const char* name : {"f.png", "f.jpg", "f.idx.gz"}) {
    const Bytes good = read_bytes(t / name);
    int decoded = 0, refused = 0;
    for (int k = 0; k < 150; ++k) {
      Bytes m = good;
      for (int flips = 1 + (int)(rng() % 6); flips > 0; --flips) m[rng() % m.size()] = (uint8_t)rng();
      write_bytes(t / "m", m);
      try {
        if (std::string(name) == "f.idx.gz")
          read_idx(t / "m");
        else
          load_image_chw(t / "m", 5, 3);
        ++decoded;
      } catch (const eg::Error&) {
        ++refused;
      }
    }
    CAPTURE(name);
    CHECK(decoded + refused == 150);
    CHECK(refused > 0);
  }
}
