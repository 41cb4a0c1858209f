// train_test_util.h — helpers for the trainer tests: a tiny synthetic Fashion-MNIST-shaped dataset on disk
// (class-dependent blobs, learnable in a few steps), running a trainer binary (and capturing what it
// prints), raw uint8 images as safetensors, and reading metrics.json.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/generator.h"
#include "methods/data/idx.h"

namespace eg::test {

// Writes DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte with n_train / n_test 28x28
// images of `classes` classes: class c is a bright 8x8 square at a class-specific place, plus noise.
inline void write_tiny_mnist(const std::string& dir, int64_t n_train, int64_t n_test, int64_t classes, uint64_t seed) {
  namespace fs = std::filesystem;
  fs::create_directories(dir + "/fashion-mnist");
  Generator g(seed);
  auto make = [&](int64_t n, const std::string& img, const std::string& lab) {
    data::IdxArray x{{n, 28, 28}, std::vector<uint8_t>((size_t)(n * 784))}, y{{n}, std::vector<uint8_t>((size_t)n)};
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = i % classes;
      y.data[(size_t)i] = (uint8_t)c;
      int64_t oy = 2 + (c * 7) % 18, ox = 2 + (c * 11) % 18;
      for (int64_t p = 0; p < 784; ++p) x.data[(size_t)(i * 784 + p)] = (uint8_t)(g.uniform() * 60);
      for (int64_t yy = 0; yy < 8; ++yy)
        for (int64_t xx = 0; xx < 8; ++xx) x.data[(size_t)(i * 784 + (oy + yy) * 28 + ox + xx)] = (uint8_t)(180 + g.uniform() * 75);
    }
    data::write_idx(dir + "/fashion-mnist/" + img, x);
    data::write_idx(dir + "/fashion-mnist/" + lab, y);
  };
  make(n_train, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  make(n_test, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
}

inline std::string bin(const std::string& name) { return std::string(EG_BIN_DIR) + "/" + name; }

// Runs a command line; returns its exit status (-1 when it did not exit normally, e.g. killed).
inline int run_cmd(const std::string& cmd) {
  int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

// Runs a command line; returns its exit status (as run_cmd) and what it printed (stdout and stderr).
inline std::pair<int, std::string> run_capture(const std::string& cmd) {
  namespace fs = std::filesystem;
  fs::path out = fs::temp_directory_path() / ("eg_test_out_" + std::to_string(::getpid()) + ".txt");
  int rc = std::system((cmd + " > " + out.string() + " 2>&1").c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(out);
  return {(rc == -1 || !WIFEXITED(rc)) ? -1 : WEXITSTATUS(rc), text};
}

// A safetensors file with a U8 tensor `x` (the images, as a user would export raw pixels) and an I64 `y`;
// written by hand because the engine's writer emits F32/F64/I64 only.
inline void write_u8_images(const std::string& path, const std::vector<int64_t>& shape, const std::vector<uint8_t>& x,
                            const std::vector<int64_t>& y) {
  size_t yb = y.size() * 8;
  nlohmann::json h = {{"x", {{"dtype", "U8"}, {"shape", shape}, {"data_offsets", {0, x.size()}}}},
                      {"y", {{"dtype", "I64"}, {"shape", {y.size()}}, {"data_offsets", {x.size(), x.size() + yb}}}}};
  std::string hs = h.dump();
  hs.append((8 - hs.size() % 8) % 8, ' ');
  std::ofstream f(path, std::ios::binary);
  uint64_t n = hs.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << hs;
  f.write(reinterpret_cast<const char*>(x.data()), (std::streamsize)x.size());
  f.write(reinterpret_cast<const char*>(y.data()), (std::streamsize)yb);
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace eg::test
