// safetensors.h — checkpoint I/O in the safetensors format, so weights round-trip with PyTorch.
// Layout: u64 little-endian header length N, N bytes of JSON header (padded with spaces), raw data.
// Header: {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}}
// with [b, e) relative to the start of the data. No shape letters: tensors of any shape are stored.
//
// Written dtypes: F32, F64, I64 (ours). Read dtypes: those, plus I32 -> i64, F16/BF16 -> f32 and
// BOOL/U8 -> i64, because PyTorch checkpoints carry them (half weights, int32 counters, bool masks).
// Every malformed input throws eg::Error naming the file (or `what` for in-memory bytes) and the tensor.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace eg {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order (ascending data offset); all on CPU
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;  // nullptr when absent
};

// Writes atomically: a temporary file next to `path` is written, fsynced and renamed over `path`, so
// a crash or an error never leaves a half-written file under the final name (a temp file left by a killed
// writer is removed by the next save to the same path once its process is gone). Names must be unique,
// non-empty and not "__metadata__"; CUDA tensors are copied to the host; data starts 8-byte aligned.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
SafetensorsFile load_safetensors(const std::string& path);

// In-memory twins of the above (the file functions share their code); `what` names the bytes in errors.
std::string safetensors_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata = {});
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& what);

// IEEE binary16 and bfloat16 bit patterns to float (exact: every such value is a float).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

}  // namespace eg
