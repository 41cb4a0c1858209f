// test_util.h — helpers shared by the tests: seeded random inputs (f64 for gradchecks), closeness
// checks that print the first mismatches, and the gradcheck registry. GRADCHECK_TEST(name, kinds...)
// declares which OpKinds a case covers; the coverage test fails when some OpKind has no case, and
// each case fails when its graphs did not actually contain every declared kind.
#pragma once
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "eigengrad.h"

namespace eg::test {

using autograd::OpKind;

// Uniform in [lo, hi) as f64 (default) with requires_grad set.
inline Tensor rnd(const Shape& s, uint64_t seed, double lo = -1, double hi = 1, DType dt = DType::F64) {
  Generator g(seed);
  Tensor t = rand(s, g, {dt});
  Tensor out = add(mul(t, hi - lo), lo);
  return out.detach().requires_grad_(true);
}

// Max |a - b| and a report of the first mismatches beyond atol + rtol·|b|.
inline std::string compare(const Tensor& a, const Tensor& b, double atol, double rtol, double* max_err = nullptr) {
  if (a.shape() != b.shape()) return "shape " + shape_str(a.shape()) + " vs " + shape_str(b.shape());
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::string rep;
  double m = 0;
  int shown = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    double e = std::abs(va[i] - vb[i]);
    m = std::max(m, e);
    if (!(e <= atol + rtol * std::abs(vb[i])) && shown++ < 5)
      rep += "at " + std::to_string(i) + ": " + std::to_string(va[i]) + " vs " + std::to_string(vb[i]) + "\n";
  }
  if (max_err) *max_err = m;
  return rep;
}
#define CHECK_CLOSE(a, b, atol, rtol)                                     \
  do {                                                                    \
    std::string rep_ = ::eg::test::compare((a), (b), (atol), (rtol));     \
    CHECK_MESSAGE(rep_.empty(), rep_);                                    \
  } while (0)

// Skipping a test visibly. skip_test(why) prints why; when the process runs this one test case alone
// (as ctest does) it then exits with kSkipExitCode, which ctest reports as "Skipped" (SKIP_RETURN_CODE),
// and otherwise returns true so the caller returns: `if (cond) return (void)test::skip_test("...");`.
constexpr int kSkipExitCode = 77;
void set_single_test_case(bool single);  // called by main
bool skip_test(const std::string& why);

// A scratch path under the system temp folder, unique to this process: two test suites running at once
// (two build folders, a developer's run beside CI's) must not delete or read each other's files.
std::filesystem::path temp_dir(const std::string& name);

// Expects eg::Error whose message contains `text` (the op's name, the shapes, ...).
#define CHECK_ERROR(expr, text) CHECK_THROWS_WITH_AS(expr, doctest::Contains(text), eg::Error)

std::map<OpKind, std::vector<std::string>>& gradcheck_registry();
bool register_gradcheck(const char* name, std::vector<OpKind> kinds);

// Collects the kinds seen by check_grad during one GRADCHECK_TEST and checks them at the end.
struct CoverageScope {
  explicit CoverageScope(std::vector<OpKind> declared);
  ~CoverageScope();
  std::vector<OpKind> declared;
};

// Runs gradcheck, CHECKs it passed (printing the report) and records the kinds seen.
void check_grad(const autograd::TensorFn& f, const std::vector<Tensor>& inputs, autograd::GradcheckOptions opt = {});

}  // namespace eg::test

#define EG_CAT2(a, b) a##b
#define EG_CAT(a, b) EG_CAT2(a, b)
#define GRADCHECK_TEST(name, ...)                                                                         \
  static void EG_CAT(gc_body_, __LINE__)();                                                               \
  static const bool EG_CAT(gc_reg_, __LINE__) = ::eg::test::register_gradcheck(name, {__VA_ARGS__});      \
  TEST_CASE("gradcheck: " name) {                                                                         \
    (void)EG_CAT(gc_reg_, __LINE__);                                                                      \
    ::eg::test::CoverageScope scope_({__VA_ARGS__});                                                      \
    EG_CAT(gc_body_, __LINE__)();                                                                         \
  }                                                                                                       \
  static void EG_CAT(gc_body_, __LINE__)()
