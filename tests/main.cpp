// main.cpp — doctest's main for the single test binary eg_tests (ctest runs each TEST_CASE). It notes
// whether this process runs exactly one named test case, as ctest does: only then may a skipped test
// end the process with kSkipExitCode, which ctest (SKIP_RETURN_CODE) reports as "Skipped".
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string>

#include "tests/test_util.h"

int main(int argc, char** argv) {
  int named = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    for (const char* flag : {"--test-case=", "-tc="})
      if (a.rfind(flag, 0) == 0 && a.find_first_of("*?,") == std::string::npos) ++named;
  }
  eg::test::set_single_test_case(named == 1);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
