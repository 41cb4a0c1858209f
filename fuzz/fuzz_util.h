// fuzz_util.h — what the libFuzzer targets in fuzz/ share: the input as a file (the readers under test
// take paths), splitting one input into several files or words, and the rule every target enforces:
// a malformed input may only end in eg::Error (one clear line); any other exception, a crash, a leak or
// undefined behaviour is a finding. Built only with -DENGINE_FUZZ=ON (tools/fuzz).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "core/check.h"

namespace eg::fuzz {

// A scratch folder of this process ($TMPDIR or /tmp, removed at exit): the readers get real files.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* t = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(t && *t ? t : "/tmp") / ("eg-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
    return d;
  }();
  return dir;
}

inline std::string write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), (std::streamsize)size);
  f.close();
  if (!f) std::abort();  // the harness itself failed: not a finding about the reader
  return path.string();
}

inline std::string write_file(const std::filesystem::path& path, const std::string& bytes) {
  return write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// The input cut at every `sep` byte, at most `max_parts` parts (the last keeps the rest).
inline std::vector<std::string> split_input(const uint8_t* data, size_t size, char sep, size_t max_parts) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if ((char)data[i] == sep && parts.size() < max_parts) parts.emplace_back();
    else parts.back().push_back((char)data[i]);
  }
  return parts;
}

// Runs fn; eg::Error is the expected way to refuse bad input. Anything else escaping is reported and
// aborts, so libFuzzer saves the input.
template <class Fn>
void expect_only_eg_errors(const char* target, Fn&& fn) {
  try {
    fn();
  } catch (const eg::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: not an eg::Error but %s: %s\n", target, typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace eg::fuzz
