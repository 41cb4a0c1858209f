// safetensors.cpp — the safetensors writer (atomic: temp file, fsync, rename) and the validating reader.
// The reader parses and checks the whole header against the data size before it allocates or reads a
// tensor, so a corrupt file costs at most its own size and never reads out of bounds. File and
// in-memory paths share one reader, parametrised by a "read n bytes at offset" function.
#include "core/safetensors.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace eg {

// Tensor bytes are copied verbatim between storage and file; the format is little-endian.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

using Json = nlohmann::ordered_json;  // ordered: our header lists tensors in the caller's order
using Metadata = std::map<std::string, std::string>;

// The reference implementation's cap: a header this large is a corrupt length, not a real header.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeInfo {
  const char* name;
  size_t size;  // bytes per element in the file
  DType target;
};
constexpr DTypeInfo kReadable[] = {{"F32", 4, DType::F32}, {"F64", 8, DType::F64}, {"I64", 8, DType::I64},
                                   {"I32", 4, DType::I64}, {"F16", 2, DType::F32}, {"BF16", 2, DType::F32},
                                   {"BOOL", 1, DType::I64}, {"U8", 1, DType::I64}};

const DTypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kReadable)
    if (name == d.name) return &d;
  return nullptr;
}

const char* file_dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
  }
  ENGINE_FAIL("safetensors: unknown dtype");
}

struct Entry {
  std::string name;
  const DTypeInfo* dtype;
  Shape shape;
  uint64_t begin, end;  // relative to the data buffer
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  Metadata metadata;
};

// A JSON value for an error message, cut short: a corrupt header may hold huge arrays.
std::string short_dump(const Json& j) {
  std::string s = j.dump();
  return s.size() <= 120 ? s : s.substr(0, 120) + "...";
}

// An integer JSON value as u64, false when negative. nlohmann stores non-negative literals as unsigned
// but "-0" as signed, so both kinds are looked at.
bool non_negative(const Json& j, uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<uint64_t>();
    return true;
  }
  const int64_t v = j.get<int64_t>();
  out = (uint64_t)v;
  return v >= 0;
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reader.

Metadata parse_metadata(const Json& j, const std::string& what) {
  ENGINE_CHECK(j.is_object(), "safetensors '", what, "': __metadata__ must be an object of strings, found ",
               j.type_name());
  Metadata m;
  for (const auto& [k, v] : j.items()) {
    ENGINE_CHECK(v.is_string(), "safetensors '", what, "': __metadata__ value for key '", k,
                 "' must be a string, found ", v.type_name());
    m[k] = v.get<std::string>();
  }
  return m;
}

Entry parse_entry(const std::string& name, const Json& j, uint64_t data_size, const std::string& what) {
  const std::string at = "safetensors '" + what + "': tensor '" + name + "': ";
  ENGINE_CHECK(!name.empty(), "safetensors '", what, "': empty tensor name");
  ENGINE_CHECK(j.is_object(), at, "entry must be an object with dtype, shape and data_offsets, found ", j.type_name());
  for (const char* field : {"dtype", "shape", "data_offsets"})
    ENGINE_CHECK(j.contains(field), at, "missing '", field, "'");
  Entry e;
  e.name = name;

  const Json& jd = j["dtype"];
  ENGINE_CHECK(jd.is_string(), at, "'dtype' must be a string, found ", jd.type_name());
  e.dtype = find_dtype(jd.get<std::string>());
  ENGINE_CHECK(e.dtype, at, "unsupported dtype '", jd.get<std::string>(),
               "' (readable: F32, F64, I64, I32, F16, BF16, BOOL, U8)");

  const Json& js = j["shape"];
  ENGINE_CHECK(js.is_array(), at, "'shape' must be an array of integers, found ", js.type_name());
  for (const Json& d : js) {
    ENGINE_CHECK(d.is_number_integer(), at, "'shape' must be an array of integers, found an element of type ",
                 d.type_name());
    uint64_t u = 0;
    ENGINE_CHECK(non_negative(d, u), at, "negative dimension ", d.get<int64_t>(), " in shape ", short_dump(js));
    ENGINE_CHECK(u <= (uint64_t)std::numeric_limits<int64_t>::max(), at, "shape product overflows: dimension ", u,
                 " in shape ", short_dump(js));
    e.shape.push_back((int64_t)u);
  }
  // Bound the product of the non-zero dims, so that numel * 8 fits in int64 and no partial product of
  // shape_numel overflows, whatever the position of a zero dim.
  const uint64_t limit = (uint64_t)std::numeric_limits<int64_t>::max() / 8;
  uint64_t prod = 1;
  bool has_zero = false;
  for (int64_t d : e.shape) {
    if (d == 0) { has_zero = true; continue; }
    ENGINE_CHECK(prod <= limit / (uint64_t)d, at, "shape product overflows: shape ", short_dump(js));
    prod *= (uint64_t)d;
  }
  const uint64_t numel = has_zero ? 0 : prod;

  const Json& jo = j["data_offsets"];
  ENGINE_CHECK(jo.is_array() && jo.size() == 2 && jo[0].is_number_integer() && jo[1].is_number_integer() &&
                   non_negative(jo[0], e.begin) && non_negative(jo[1], e.end),
               at, "'data_offsets' must be [begin, end] with two non-negative integers, found ", short_dump(jo));
  ENGINE_CHECK(e.begin <= e.end, at, "data_offsets [", e.begin, ", ", e.end, "] have begin > end");
  ENGINE_CHECK(e.end <= data_size, at, "data_offsets [", e.begin, ", ", e.end,
               "] lie outside the data buffer of ", data_size, " bytes (truncated file?)");
  ENGINE_CHECK(e.end - e.begin == numel * e.dtype->size, at, "data_offsets [", e.begin, ", ", e.end, "] hold ",
               e.end - e.begin, " bytes but ", e.dtype->name, " shape ", shape_str(e.shape), " needs ",
               numel * e.dtype->size);
  return e;
}

Header parse_header(const std::string& text, uint64_t data_size, const std::string& what) {
  // nlohmann stops at a NUL as at the end of input, which would accept "{}\0<garbage>"; no valid JSON
  // text holds a raw NUL, and the spec pads with spaces.
  const size_t nul = text.find('\0');
  ENGINE_CHECK(nul == std::string::npos, "safetensors '", what, "': header is not valid JSON: NUL byte at offset ",
               nul, " of ", text.size());
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& ex) {
    ENGINE_FAIL("safetensors '", what, "': header is not valid JSON: ", ex.what());
  }
  ENGINE_CHECK(j.is_object(), "safetensors '", what, "': header is not a JSON object, found ", j.type_name());
  Header h;
  for (const auto& [key, val] : j.items()) {
    if (key == "__metadata__") h.metadata = parse_metadata(val, what);
    else h.entries.push_back(parse_entry(key, val, data_size, what));
  }
  // File order is data order; stable, so empty tensors sharing an offset keep their header order.
  std::stable_sort(h.entries.begin(), h.entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Entry* last = nullptr;  // the non-empty tensor reaching furthest so far
  for (const Entry& e : h.entries) {
    if (e.begin == e.end) continue;  // no bytes, nothing to overlap
    ENGINE_CHECK(!last || e.begin >= last->end, "safetensors '", what, "': tensor '", e.name, "' (data_offsets [",
                 e.begin, ", ", e.end, "]) overlaps tensor '", last ? last->name : "", "' (data_offsets [",
                 last ? last->begin : 0, ", ", last ? last->end : 0, "])");
    if (!last || e.end > last->end) last = &e;
  }
  return h;
}

uint16_t u16_at(const unsigned char* p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// Fills t (already of the target dtype) from `raw`, the file's bytes of a converted dtype.
void convert_into(const Tensor& t, const std::string& file_dtype, const std::vector<unsigned char>& raw) {
  const int64_t n = t.numel();
  const unsigned char* p = raw.data();
  if (file_dtype == "F16" || file_dtype == "BF16") {
    float* out = t.data<float>();
    const bool half = file_dtype == "F16";
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = u16_at(p + 2 * i);
      out[i] = half ? half_to_float(bits) : bfloat16_to_float(bits);
    }
    return;
  }
  int64_t* out = t.data<int64_t>();
  if (file_dtype == "I32") {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                   (uint32_t)p[4 * i + 3] << 24;
      out[i] = (int32_t)u;
    }
  } else if (file_dtype == "BOOL") {
    for (int64_t i = 0; i < n; ++i) out[i] = p[i] != 0;
  } else if (file_dtype == "U8") {
    for (int64_t i = 0; i < n; ++i) out[i] = p[i];
  } else {
    ENGINE_FAIL("safetensors: no conversion from ", file_dtype);
  }
}

// Reads n bytes at absolute offset `off` into dst. Callers only ask for ranges they have checked
// against the total size; the readers check again, since a file may shrink while being read.
using ReadFn = std::function<void(uint64_t off, void* dst, size_t n)>;

SafetensorsFile parse_any(uint64_t total, const ReadFn& read, const std::string& what) {
  ENGINE_CHECK(total >= 8, "safetensors '", what, "': file is ", total,
               " bytes, shorter than the 8-byte header length (truncated or not a safetensors file)");
  unsigned char len[8];
  read(0, len, 8);
  const uint64_t n = read_u64_le(len);
  ENGINE_CHECK(n <= kMaxHeaderBytes, "safetensors '", what, "': header length ", n, " is absurd (limit ",
               kMaxHeaderBytes, " bytes); not a safetensors file?");
  ENGINE_CHECK(n <= total - 8, "safetensors '", what, "': header length ", n, " is larger than the file (",
               total, " bytes; truncated file?)");
  std::string text(n, '\0');
  read(8, text.data(), n);
  const uint64_t data_start = 8 + n;
  Header h = parse_header(text, total - data_start, what);

  SafetensorsFile out;
  out.metadata = std::move(h.metadata);
  for (const Entry& e : h.entries) {
    Tensor t = Tensor::empty(e.shape, {e.dtype->target, Device::CPU});
    const size_t nbytes = e.end - e.begin;
    if (nbytes > 0) {
      if (std::strcmp(e.dtype->name, file_dtype_name(e.dtype->target)) == 0) {
        read(data_start + e.begin, t.raw_data(), nbytes);  // F32 / F64 / I64: our own layout
      } else {
        std::vector<unsigned char> raw(nbytes);
        read(data_start + e.begin, raw.data(), nbytes);
        convert_into(t, e.dtype->name, raw);
      }
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// ---------------------------------------------------------------------------------------------
// Writer.

// The padded header (length prefix included) for these tensors; checks names and tensors first, so
// nothing is written for an invalid request.
std::string build_header(const std::vector<std::pair<std::string, Tensor>>& tensors, const Metadata& metadata,
                         const std::string& who) {
  std::set<std::string> seen;
  Json j = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    j["__metadata__"] = std::move(m);
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    ENGINE_CHECK(!name.empty(), who, ": empty tensor name");
    ENGINE_CHECK(name != "__metadata__", who, ": '__metadata__' is reserved and cannot name a tensor");
    ENGINE_CHECK(seen.insert(name).second, who, ": duplicate tensor name '", name, "'");
    ENGINE_CHECK(t.defined(), who, ": tensor '", name, "' is undefined");
    const uint64_t nbytes = (uint64_t)t.numel() * dtype_size(t.dtype());
    Json e = Json::object();
    e["dtype"] = file_dtype_name(t.dtype());
    e["shape"] = t.shape();
    e["data_offsets"] = {offset, offset + nbytes};
    j[name] = std::move(e);
    offset += nbytes;
  }
  std::string text;
  try {
    text = j.dump();
  } catch (const nlohmann::json::exception& ex) {
    ENGINE_FAIL(who, ": tensor names and metadata must be valid UTF-8: ", ex.what());
  }
  // Pad with spaces (valid JSON whitespace) so the data begins 8-byte aligned, as the spec asks.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[(size_t)i] = (char)(unsigned char)((uint64_t)text.size() >> (8 * i));
  return out + text;
}

// Host copy of t's bytes, as written to the file.
Tensor host_tensor(const Tensor& t) { return t.is_cpu() ? t : t.to(Device::CPU); }
size_t tensor_bytes(const Tensor& t) { return (size_t)t.numel() * dtype_size(t.dtype()); }

// Temp files `<name>.tmp.<pid>` next to `path` left by writers that were killed (SIGKILL, power loss) before
// their rename: removed when their process is gone, so crashed runs do not pile up checkpoint-sized files.
void remove_stale_temps(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 || name.size() > prefix.size() + 9)
      continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = (pid_t)std::stol(digits);
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
}

// Writes `path + ".tmp.<pid>"`; commit() fsyncs and renames it over `path`. Destroyed uncommitted (an
// error anywhere), it closes and removes the temp file, so `path` is either the old file or the new one.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path), tmp_(path + ".tmp." + std::to_string(::getpid())) {
    remove_stale_temps(path);
    f_.reset(std::fopen(tmp_.c_str(), "wb"));
    ENGINE_CHECK(f_, "save_safetensors '", path_, "': cannot create '", tmp_, "': ", std::strerror(errno));
    created_ = true;
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    f_.reset();
    if (created_) std::remove(tmp_.c_str());
  }

  void write(const void* p, size_t n) {
    if (n == 0) return;
    ENGINE_CHECK(std::fwrite(p, 1, n, f_.get()) == n, "save_safetensors '", path_, "': write to '", tmp_,
                 "' failed: ", std::strerror(errno));
  }

  void commit() {
    ENGINE_CHECK(std::fflush(f_.get()) == 0, "save_safetensors '", path_, "': flush failed: ", std::strerror(errno));
    ENGINE_CHECK(::fsync(::fileno(f_.get())) == 0, "save_safetensors '", path_, "': fsync failed: ",
                 std::strerror(errno));
    ENGINE_CHECK(std::fclose(f_.release()) == 0, "save_safetensors '", path_, "': close failed: ",
                 std::strerror(errno));
    ENGINE_CHECK(std::rename(tmp_.c_str(), path_.c_str()) == 0, "save_safetensors '", path_, "': rename from '",
                 tmp_, "' failed: ", std::strerror(errno));
    created_ = false;
    sync_parent_dir();
  }

 private:
  // Makes the rename itself durable. Best effort: some file systems refuse fsync on a directory, and
  // the file is already complete under its final name.
  void sync_parent_dir() const {
    std::string dir = std::filesystem::path(path_).parent_path().string();
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
  }

  std::string path_, tmp_;
  std::unique_ptr<FILE, FileCloser> f_;
  bool created_ = false;
};

}  // namespace

// -----------------------------------------------------------------------------------------------

float half_to_float(uint16_t bits) {
  const uint32_t sign = (uint32_t)(bits & 0x8000) << 16;
  const uint32_t exp = (bits >> 10) & 0x1F;
  uint32_t mant = bits & 0x3FF;
  uint32_t out;
  if (exp == 0x1F) {
    out = sign | 0x7F800000u | (mant << 13);  // inf, or NaN keeping its payload
  } else if (exp != 0) {
    out = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  } else if (mant == 0) {
    out = sign;  // signed zero
  } else {
    // Subnormal: mant * 2^-24. Shift the leading one up to bit 10 to make it a normal float.
    int e = -14;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    out = sign | ((uint32_t)(e + 127) << 23) | ((mant & 0x3FF) << 13);
  }
  return std::bit_cast<float>(out);
}

float bfloat16_to_float(uint16_t bits) { return std::bit_cast<float>((uint32_t)bits << 16); }

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

std::string safetensors_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors, const Metadata& metadata) {
  std::string out = build_header(tensors, metadata, "safetensors_bytes");
  for (const auto& [name, t] : tensors) {
    Tensor h = host_tensor(t);
    out.append(static_cast<const char*>(h.raw_data()), tensor_bytes(h));
  }
  return out;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const Metadata& metadata) {
  const std::string header = build_header(tensors, metadata, "save_safetensors '" + path + "'");
  AtomicFile file(path);
  file.write(header.data(), header.size());
  for (const auto& [name, t] : tensors) {
    Tensor h = host_tensor(t);  // one host copy at a time, not the whole model
    file.write(h.raw_data(), tensor_bytes(h));
  }
  file.commit();
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& what) {
  auto read = [&](uint64_t off, void* dst, size_t n) {
    ENGINE_CHECK(off <= bytes.size() && n <= bytes.size() - off, "safetensors '", what, "': read of ", n,
                 " bytes at ", off, " is past the end (", bytes.size(), " bytes)");
    std::memcpy(dst, bytes.data() + off, n);
  };
  return parse_any(bytes.size(), read, what);
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  ENGINE_CHECK(f, "load_safetensors: cannot open '", path, "': ", std::strerror(errno));
  struct stat st{};
  ENGINE_CHECK(::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode), "load_safetensors: '", path,
               "' is not a regular file");
  auto read = [&](uint64_t off, void* dst, size_t n) {
    ENGINE_CHECK(off <= (uint64_t)std::numeric_limits<off_t>::max() && ::fseeko(f.get(), (off_t)off, SEEK_SET) == 0,
                 "safetensors '", path, "': seek to ", off, " failed: ", std::strerror(errno));
    ENGINE_CHECK(std::fread(dst, 1, n, f.get()) == n, "safetensors '", path, "': short read of ", n, " bytes at ",
                 off, " (file changed while reading?)");
  };
  return parse_any((uint64_t)st.st_size, read, path);
}

}  // namespace eg
