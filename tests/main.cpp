// main.cpp — doctest's main for the single test binary eg_tests (ctest runs each TEST_CASE). It notes
// whether this process runs exactly one named test case, as ctest does: only then may a skipped test
// end the process with kSkipExitCode, which ctest (SKIP_RETURN_CODE) reports as "Skipped".
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string>

#include "tests/test_util.h"

// True when a -tc filter names one test case: no wildcard and no list separator (doctest splits at
// commas not escaped with a backslash, which is how ctest passes names that contain one).
static bool names_one_test(const std::string& filter) {
  for (size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '\\') ++i;
    else if (filter[i] == '*' || filter[i] == '?' || filter[i] == ',') return false;
  }
  return true;
}

int main(int argc, char** argv) {
  int named = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    for (std::string flag : {"--test-case=", "-tc="})
      if (a.rfind(flag, 0) == 0 && names_one_test(a.substr(flag.size()))) ++named;
  }
  eg::test::set_single_test_case(named == 1);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
