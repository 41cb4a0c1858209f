// test_build_info.cpp — every run's config.json names the CPU, build target and kernels that made its
// numbers (methods/train/run_dir.h build_json, core/cpu/isa.h).
#include "core/cpu/isa.h"
#include "methods/train/run_dir.h"
#include "tests/test_util.h"

TEST_CASE("build info: config.json's build block names the CPU, -march, extensions and kernels") {
  const eg::train::Json b = eg::train::build_json();
  const eg::cpu::IsaInfo i = eg::cpu::isa_info();
  for (const char* k : {"cpu", "march", "extensions", "eigen_simd", "conv_kernels"}) {
    INFO(k);
    REQUIRE(b.contains(k));
    CHECK_FALSE(b[k].get<std::string>().empty());
  }
  CHECK(b["march"] == i.march);
  CHECK(b["conv_kernels"] == i.conv);
}
