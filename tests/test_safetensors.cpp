// test_safetensors.cpp — safetensors I/O: round trips, the exact bytes of a tiny file, reading the
// dtypes PyTorch writes (I32, F16, BF16, BOOL, U8) from hand-built bytes, one test per kind of
// corruption, truncation at every length, random byte flips, and the atomic-write guarantees.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/safetensors.h"

namespace fs = std::filesystem;
using namespace std::string_literals;
using eg::DType;
using eg::Tensor;
using Named = std::vector<std::pair<std::string, Tensor>>;

namespace {

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[(size_t)i] = (char)(unsigned char)(v >> (8 * i));
  return s;
}
std::string bytes_of(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back((char)(unsigned char)x);
  return s;
}
// A safetensors file from a header text and the data buffer (no padding added).
std::string file_of(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::string raw_bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), (size_t)t.numel() * eg::dtype_size(t.dtype()));
}

void check_same(const Tensor& a, const Tensor& b) {
  CHECK(a.dtype() == b.dtype());
  CHECK(a.shape() == b.shape());
  CHECK(raw_bytes(a) == raw_bytes(b));  // bit-exact, NaN and -0 included
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "eg_safetensors_XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), (std::streamsize)bytes.size());
  REQUIRE(f.good());
}

std::string parse_error(const std::string& bytes) {
  try {
    eg::parse_safetensors(bytes, "corrupt.safetensors");
  } catch (const eg::Error& e) {
    return e.what();
  }
  return "(no exception)";
}

// A valid one-tensor header; the corruption cases below edit one field of it.
const std::string kValidHeader = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
const std::string kEightBytes = std::string(8, '\x01');

Named sample_tensors() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  return {{"w", eg::from_vector(std::vector<float>{0.5f, -1.25f, 3.f, 4e10f, 1e-40f, nan}, {2, 3})},
          {"d", eg::from_vector(std::vector<double>{1.0 / 3, -0.0, 1e300}, {3})},
          {"idx", eg::from_vector(std::vector<int64_t>{0, -1, std::numeric_limits<int64_t>::max(),
                                                       std::numeric_limits<int64_t>::min()},
                                  {4})},
          {"s", eg::scalar_tensor(7.5)},
          {"empty", eg::zeros({0, 3})},
          {"empty_i", eg::zeros({0}, {DType::I64})},
          {"layer1.0.bn1.running_mean", eg::from_vector(std::vector<float>{1.f, 2.f}, {2})}};
}

}  // namespace

TEST_CASE("safetensors: round trip of f32/f64/i64, a 0-d scalar, empty tensors and metadata") {
  const Named in = sample_tensors();
  const std::map<std::string, std::string> meta = {{"epoch", "3"}, {"config", R"({"lr": 0.1})"}, {"note", "h\xc3\xa9llo"}};
  eg::SafetensorsFile out = eg::parse_safetensors(eg::safetensors_bytes(in, meta), "mem");
  REQUIRE(out.tensors.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CAPTURE(in[i].first);
    CHECK(out.tensors[i].first == in[i].first);  // the given order survives
    check_same(out.tensors[i].second, in[i].second);
  }
  CHECK(out.metadata == meta);
  CHECK(out.find("s")->shape().empty());
  CHECK(out.find("s")->item() == 7.5);
  CHECK(out.find("missing") == nullptr);

  // The same through a file, and without metadata.
  TempDir dir;
  const std::string path = (dir.path / "m.safetensors").string();
  eg::save_safetensors(path, in);
  eg::SafetensorsFile f = eg::load_safetensors(path);
  REQUIRE(f.tensors.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) check_same(f.tensors[i].second, in[i].second);
  CHECK(f.metadata.empty());
  CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});  // no temp file left behind

  // Nothing at all is a valid file too.
  CHECK(eg::parse_safetensors(eg::safetensors_bytes({}), "mem").tensors.empty());
}

TEST_CASE("safetensors: exact bytes of a tiny file") {
  // {"a": f32 [1, -2]}: 54 header bytes padded with 2 spaces to 56 = 0x38, then 1.0f and -2.0f little-endian.
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE(header.size() == 54);
  const std::string expected = bytes_of({0x38, 0, 0, 0, 0, 0, 0, 0}) + header + "  " +
                               bytes_of({0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0});
  CHECK(eg::safetensors_bytes({{"a", eg::tensor({1, -2})}}) == expected);

  // With metadata, which comes first: 79 bytes padded with 1 space to 80 = 0x50.
  const std::string header_m = R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE(header_m.size() == 79);
  const std::string expected_m = bytes_of({0x50, 0, 0, 0, 0, 0, 0, 0}) + header_m + " " +
                                 bytes_of({0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0});
  CHECK(eg::safetensors_bytes({{"a", eg::tensor({1, -2})}}, {{"k", "v"}}) == expected_m);

  // F64 and I64 names, a 0-d shape and consecutive offsets.
  const std::string header2 =
      R"({"x":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"y":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]}})";
  const std::string bytes2 = eg::safetensors_bytes(
      {{"x", eg::scalar_tensor(1.0, {DType::F64})}, {"y", eg::from_vector(std::vector<int64_t>{-1}, {1, 1})}});
  const size_t padded = (header2.size() + 7) / 8 * 8;
  CHECK(bytes2 == le64(padded) + header2 + std::string(padded - header2.size(), ' ') +
                      bytes_of({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) + std::string(8, '\xff'));
}

TEST_CASE("safetensors: the data starts 8-byte aligned for every header length") {
  for (size_t len = 1; len <= 24; ++len) {
    CAPTURE(len);
    const std::string bytes = eg::safetensors_bytes({{std::string(len, 'n'), eg::tensor({1, 2, 3})}});
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | (unsigned char)bytes[(size_t)i];
    CHECK((8 + n) % 8 == 0);
    CHECK(bytes.size() == 8 + n + 12);
    const std::string header = bytes.substr(8, n);
    CHECK(header.find_last_not_of(' ') == header.rfind('}'));  // only spaces after the JSON
    CHECK(eg::parse_safetensors(bytes, "mem").find(std::string(len, 'n'))->to_vector<float>() ==
          std::vector<float>{1, 2, 3});
  }
}

TEST_CASE("safetensors: reading I32, F16, BF16, BOOL and U8 from hand-built bytes") {
  const std::string header =
      R"({"i":{"dtype":"I32","shape":[3],"data_offsets":[0,12]},)"
      R"("h":{"dtype":"F16","shape":[2,4],"data_offsets":[12,28]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[28,34]},)"
      R"("m":{"dtype":"BOOL","shape":[3],"data_offsets":[34,37]},)"
      R"("u":{"dtype":"U8","shape":[2],"data_offsets":[37,39]}})";
  const std::string data =
      bytes_of({0x01, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}) +  // 1, -2, INT32_MAX
      bytes_of({0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b,                   // 1, -2, 0.5, 65504
                0x01, 0x00, 0xff, 0x03, 0x00, 0x7c, 0x00, 0x80}) +                // 2^-24, 1023*2^-24, inf, -0
      bytes_of({0x80, 0x3f, 0x20, 0xc0, 0x49, 0x40}) +                            // 1, -2.5, 3.140625
      bytes_of({0x00, 0x01, 0x02}) + bytes_of({0x00, 0xff});
  const std::string header_padded = header + "   ";  // trailing spaces are valid padding
  eg::SafetensorsFile f = eg::parse_safetensors(file_of(header_padded, data), "mem");
  REQUIRE(f.tensors.size() == 5);

  CHECK(f.find("i")->dtype() == DType::I64);
  CHECK(f.find("i")->to_vector<int64_t>() == std::vector<int64_t>{1, -2, 2147483647});
  const Tensor& h = *f.find("h");
  CHECK(h.dtype() == DType::F32);
  CHECK(h.shape() == eg::Shape{2, 4});
  const std::vector<float> hv = h.to_vector<float>();
  CHECK(hv[0] == 1.f);
  CHECK(hv[1] == -2.f);
  CHECK(hv[2] == 0.5f);
  CHECK(hv[3] == 65504.f);
  CHECK(hv[4] == std::ldexp(1.f, -24));
  CHECK(hv[5] == std::ldexp(1023.f, -24));
  CHECK(hv[6] == std::numeric_limits<float>::infinity());
  CHECK(hv[7] == 0.f);
  CHECK(std::signbit(hv[7]));
  CHECK(f.find("b")->dtype() == DType::F32);
  CHECK(f.find("b")->to_vector<float>() == std::vector<float>{1.f, -2.5f, 3.140625f});
  CHECK(f.find("m")->to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1});
  CHECK(f.find("u")->to_vector<int64_t>() == std::vector<int64_t>{0, 255});

  CHECK(std::isnan(eg::half_to_float(0x7e00)));
  CHECK(eg::half_to_float(0x0400) == std::ldexp(1.f, -14));  // smallest normal
  CHECK(eg::half_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(eg::bfloat16_to_float(0x7fc0)));
  // Every half is a float: exhaustive comparison with the value computed from its fields.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const int e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
    if (e == 0x1f) continue;
    const float mag = e == 0 ? std::ldexp((float)m, -24) : std::ldexp(1.f + (float)m / 1024.f, e - 15);
    const float want = (bits & 0x8000) ? -mag : mag;
    if (eg::half_to_float((uint16_t)bits) != want || std::signbit(eg::half_to_float((uint16_t)bits)) != std::signbit(want)) {
      FAIL("half_to_float(", bits, ") = ", eg::half_to_float((uint16_t)bits), ", expected ", want);
    }
  }
}

TEST_CASE("safetensors: file order is data order, extra entry keys are ignored") {
  const std::string header =
      R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":"ignored"},"__metadata__":{"format":"pt"}})";
  const std::string data = bytes_of({0, 0, 0x80, 0x3f, 0, 0, 0, 0x40});
  eg::SafetensorsFile f = eg::parse_safetensors(file_of(header, data), "mem");
  REQUIRE(f.tensors.size() == 3);
  CHECK(f.tensors[0].first == "a");
  CHECK(f.tensors[1].first == "b");
  CHECK(f.tensors[2].first == "z");
  CHECK(f.tensors[0].second.item() == 1.0);
  CHECK(f.tensors[1].second.item() == 2.0);
  CHECK(f.metadata.at("format") == "pt");
}

TEST_CASE("safetensors: every kind of corruption throws a message naming the file, tensor and problem") {
  struct Case {
    std::string why;
    std::string bytes;
    const char* expect;
  };
  auto with_a = [](const std::string& entry, const std::string& data = kEightBytes) {
    return file_of(R"({"a":)" + entry + "}", data);
  };
  const std::vector<Case> cases = {
      {"empty file", "", "shorter than the 8-byte header length"},
      {"7 bytes", std::string(7, '\0'), "shorter than the 8-byte header length"},
      {"header past the end", le64(1000) + "{}", "header length 1000 is larger than the file"},
      {"absurd header length", le64(200'000'000) + "{}", "is absurd"},
      {"max u64 header length", le64(std::numeric_limits<uint64_t>::max()) + "{}", "is absurd"},
      {"invalid JSON", file_of(R"({"a":)", ""), "header is not valid JSON"},
      {"invalid UTF-8 in JSON", file_of("{\"\xff\":1}", ""), "header is not valid JSON"},
      {"NUL padding", file_of("{}\0\0"s, ""), "header is not valid JSON"},
      {"empty header", file_of("", ""), "header is not valid JSON"},
      {"header is an array", file_of("[1,2]", ""), "header is not a JSON object"},
      {"entry not an object", with_a("5"), "tensor 'a': entry must be an object"},
      {"missing dtype", with_a(R"({"shape":[2],"data_offsets":[0,8]})"), "tensor 'a': missing 'dtype'"},
      {"missing shape", with_a(R"({"dtype":"F32","data_offsets":[0,8]})"), "tensor 'a': missing 'shape'"},
      {"missing offsets", with_a(R"({"dtype":"F32","shape":[2]})"), "tensor 'a': missing 'data_offsets'"},
      {"dtype not a string", with_a(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"), "'dtype' must be a string"},
      {"unknown dtype", with_a(R"({"dtype":"Q4","shape":[2],"data_offsets":[0,8]})"), "unsupported dtype 'Q4'"},
      {"lower-case dtype", with_a(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})"), "unsupported dtype 'f32'"},
      {"shape a string", with_a(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), "'shape' must be an array"},
      {"shape of floats", with_a(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"), "array of integers"},
      {"shape of strings", with_a(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})"), "array of integers"},
      {"negative dim", with_a(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), "negative dimension -2"},
      {"product overflow", with_a(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"),
       "shape product overflows"},
      {"overflow beside a zero", with_a(R"({"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]})"),
       "shape product overflows"},
      {"dim past int64", with_a(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})"),
       "shape product overflows"},
      {"bytes overflow", with_a(R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]})"),
       "shape product overflows"},
      {"offsets one number", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"), "'data_offsets' must be"},
      {"offsets three numbers", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,9]})"), "'data_offsets' must be"},
      {"offsets negative", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[-1,7]})"), "'data_offsets' must be"},
      {"offsets a string", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":"0,8"})"), "'data_offsets' must be"},
      {"offsets floats", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8.0]})"), "'data_offsets' must be"},
      {"begin after end", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), "begin > end"},
      {"past the data", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[8,16]})"), "outside the data buffer of 8"},
      {"huge offsets", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[18446744073709551607,18446744073709551615]})"),
       "outside the data buffer"},
      {"wrong byte length", with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"),
       "hold 4 bytes but F32 shape [2] needs 8"},
      {"wrong length for f16", with_a(R"({"dtype":"F16","shape":[2],"data_offsets":[0,8]})"), "F16 shape [2] needs 4"},
      {"overlap", file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          std::string(12, '\0')),
       "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a'"},
      {"same range twice", file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                   kEightBytes),
       "overlaps"},
      {"contained range", file_of(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"c":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
                                  std::string(16, '\0')),
       "overlaps tensor 'a'"},
      {"metadata not an object", file_of(R"({"__metadata__":[1]})", ""), "__metadata__ must be an object"},
      {"metadata value a number", file_of(R"({"__metadata__":{"epoch":3}})", ""),
       "__metadata__ value for key 'epoch' must be a string"},
      {"empty tensor name", file_of(R"({"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", ""), "empty tensor name"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.why);
    const std::string msg = parse_error(c.bytes);
    CHECK_MESSAGE(msg.find(c.expect) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("corrupt.safetensors") != std::string::npos, msg);
  }
  CHECK_THROWS_WITH_AS(eg::parse_safetensors(with_a(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), "x.st"),
                       doctest::Contains("safetensors 'x.st': tensor 'a': negative dimension"), eg::Error);
  // The valid base of the edits above parses, also with "-0" spelled for zeros.
  CHECK(eg::parse_safetensors(file_of(kValidHeader, kEightBytes), "ok").tensors.size() == 1);
  CHECK(eg::parse_safetensors(with_a(R"({"dtype":"F32","shape":[2,-0],"data_offsets":[-0,0]})", ""), "ok")
            .find("a")->shape() == eg::Shape{2, 0});
}

TEST_CASE("safetensors: a truncated file throws at every length, a flipped byte never crashes") {
  const std::string good = eg::safetensors_bytes(
      {{"w", eg::tensor({1, 2, 3, 4}, {2, 2})}, {"s", eg::scalar_tensor(5, {DType::I64})}, {"e", eg::zeros({0})}},
      {{"epoch", "1"}});
  REQUIRE_NOTHROW(eg::parse_safetensors(good, "good"));
  TempDir dir;
  const fs::path path = dir.path / "cut.safetensors";
  for (size_t len = 0; len < good.size(); ++len) {
    CAPTURE(len);
    CHECK_THROWS_AS(eg::parse_safetensors(good.substr(0, len), "cut"), eg::Error);
    write_file(path, good.substr(0, len));
    CHECK_THROWS_WITH_AS(eg::load_safetensors(path.string()), doctest::Contains(path.string().c_str()), eg::Error);
  }
  // Any single corrupted byte either still parses or throws eg::Error (nothing else escapes).
  int threw = 0;
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (int v : {0x00, 0x22, 0x7b, 0xff}) {
      std::string bad = good;
      bad[pos] = (char)v;
      try {
        eg::parse_safetensors(bad, "flip");
      } catch (const eg::Error&) {
        ++threw;
      }
    }
  }
  CHECK(threw > 0);
  // Deeply nested JSON is rejected, not a stack overflow.
  CHECK_THROWS_AS(eg::parse_safetensors(file_of(std::string(100000, '['), ""), "deep"), eg::Error);
  CHECK_THROWS_WITH_AS(eg::parse_safetensors(file_of(std::string(100000, '[') + std::string(100000, ']'), ""), "deep"),
                       doctest::Contains("not a JSON object"), eg::Error);
}

TEST_CASE("safetensors: writer rejects bad names and undefined tensors") {
  const Tensor t = eg::tensor({1});
  CHECK_THROWS_WITH_AS(eg::safetensors_bytes({{"", t}}), doctest::Contains("empty tensor name"), eg::Error);
  CHECK_THROWS_WITH_AS(eg::safetensors_bytes({{"a", t}, {"b", t}, {"a", t}}),
                       doctest::Contains("duplicate tensor name 'a'"), eg::Error);
  CHECK_THROWS_WITH_AS(eg::safetensors_bytes({{"__metadata__", t}}), doctest::Contains("reserved"), eg::Error);
  CHECK_THROWS_WITH_AS(eg::safetensors_bytes({{"a", Tensor()}}), doctest::Contains("tensor 'a' is undefined"),
                       eg::Error);
  CHECK_THROWS_WITH_AS(eg::safetensors_bytes({{"bad\xff", t}}), doctest::Contains("valid UTF-8"), eg::Error);
  // The same tensor under two names is fine (tied weights are stored twice).
  CHECK(eg::parse_safetensors(eg::safetensors_bytes({{"a", t}, {"b", t}}), "mem").tensors.size() == 2);
}

TEST_CASE("safetensors: atomic save replaces a file whole or not at all") {
  TempDir dir;
  const Named a = {{"x", eg::tensor({1, 2})}};
  const Named b = {{"y", eg::tensor({3, 4, 5})}, {"z", eg::scalar_tensor(6)}};

  SUBCASE("a missing directory throws and creates nothing") {
    const fs::path p = dir.path / "no_such_dir" / "m.safetensors";
    CHECK_THROWS_WITH_AS(eg::save_safetensors(p.string(), a), doctest::Contains("cannot create"), eg::Error);
    CHECK_FALSE(fs::exists(dir.path / "no_such_dir"));
    CHECK(dir.listing().empty());
  }
  SUBCASE("an existing file is replaced intact") {
    const std::string p = (dir.path / "m.safetensors").string();
    eg::save_safetensors(p, a);
    eg::save_safetensors(p, b, {{"epoch", "2"}});
    eg::SafetensorsFile f = eg::load_safetensors(p);
    REQUIRE(f.tensors.size() == 2);
    CHECK(f.tensors[0].first == "y");
    CHECK(f.find("y")->to_vector<float>() == std::vector<float>{3, 4, 5});
    CHECK(f.metadata.at("epoch") == "2");
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == eg::safetensors_bytes(b, {{"epoch", "2"}}));
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("a rejected save leaves the old file untouched") {
    const std::string p = (dir.path / "m.safetensors").string();
    eg::save_safetensors(p, a);
    CHECK_THROWS_AS(eg::save_safetensors(p, {{"x", eg::tensor({9})}, {"x", eg::tensor({9})}}), eg::Error);
    CHECK(eg::load_safetensors(p).find("x")->to_vector<float>() == std::vector<float>{1, 2});
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("a path that is a directory fails at the rename and removes the temp file") {
    fs::create_directory(dir.path / "d");
    CHECK_THROWS_WITH_AS(eg::save_safetensors((dir.path / "d").string(), a), doctest::Contains("rename"), eg::Error);
    CHECK(fs::is_directory(dir.path / "d"));
    CHECK(dir.listing() == std::vector<std::string>{"d"});
  }
  SUBCASE("loading a missing file or a directory names it") {
    const std::string missing = (dir.path / "none.safetensors").string();
    CHECK_THROWS_WITH_AS(eg::load_safetensors(missing), doctest::Contains(("cannot open '" + missing).c_str()), eg::Error);
    CHECK_THROWS_WITH_AS(eg::load_safetensors(dir.path.string()), doctest::Contains("not a regular file"), eg::Error);
  }
}

TEST_CASE("safetensors: CUDA tensors are saved from a host copy" * doctest::test_suite("cuda")) {
  if (!eg::cuda_available()) {
    MESSAGE("no CUDA device: skipped");
    return;
  }
  const Tensor host = eg::tensor({1, -2, 3.5}, {3});
  const Named cuda = {{"w", host.to(eg::Device::CUDA)}, {"i", eg::arange(4).to(eg::Device::CUDA)}};
  CHECK(eg::safetensors_bytes(cuda) == eg::safetensors_bytes({{"w", host}, {"i", eg::arange(4)}}));
  TempDir dir;
  const std::string p = (dir.path / "c.safetensors").string();
  eg::save_safetensors(p, cuda);
  eg::SafetensorsFile f = eg::load_safetensors(p);
  CHECK(f.find("w")->is_cpu());
  CHECK(f.find("w")->to_vector<float>() == std::vector<float>{1, -2, 3.5});
  CHECK(f.find("i")->to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
}
