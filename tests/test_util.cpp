// test_util.cpp — visible skips, the gradcheck registry and coverage bookkeeping (see test_util.h), and
// the test that every OpKind has at least one gradcheck case.
#include "tests/test_util.h"

#include <cstdlib>
#include <iostream>
#include <string>

#include <unistd.h>

namespace eg::test {

static bool g_single_test_case = false;
void set_single_test_case(bool single) { g_single_test_case = single; }

bool skip_test(const std::string& why) {
  MESSAGE("SKIPPED: ", why);
  if (g_single_test_case) {
    std::cout << "SKIPPED: " << why << std::endl;
    std::exit(kSkipExitCode);
  }
  return true;
}

std::map<OpKind, std::vector<std::string>>& gradcheck_registry() {
  static std::map<OpKind, std::vector<std::string>> r;
  return r;
}

bool register_gradcheck(const char* name, std::vector<OpKind> kinds) {
  for (auto k : kinds) gradcheck_registry()[k].push_back(name);
  return true;
}

static std::set<OpKind>* g_seen = nullptr;

CoverageScope::CoverageScope(std::vector<OpKind> d) : declared(std::move(d)) {
  static thread_local std::set<OpKind> seen;
  seen.clear();
  g_seen = &seen;
}

CoverageScope::~CoverageScope() {
  for (auto k : declared)
    CHECK_MESSAGE(g_seen->count(k), "declared op ", std::string(autograd::op_name(k)),
                  " never appeared in a checked graph");
  g_seen = nullptr;
}

void check_grad(const autograd::TensorFn& f, const std::vector<Tensor>& inputs, autograd::GradcheckOptions opt) {
  auto res = autograd::gradcheck(f, inputs, opt);
  CHECK_MESSAGE(res.ok, res.report);
  if (g_seen) g_seen->insert(res.kinds.begin(), res.kinds.end());
}

}  // namespace eg::test

TEST_CASE("gradcheck coverage: every differentiable op has a gradcheck case") {
  std::string missing;
  for (size_t i = 0; i < eg::autograd::kNumOpKinds; ++i)
    if (!eg::test::gradcheck_registry().count((eg::autograd::OpKind)i))
      missing += std::string(eg::autograd::kOpNames[i]) + " ";
  CHECK_MESSAGE(missing.empty(), "ops without a gradcheck: ", missing);
}

namespace eg::test {

std::filesystem::path temp_dir(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

}  // namespace eg::test
