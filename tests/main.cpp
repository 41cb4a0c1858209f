// main.cpp — doctest's main for the single test binary eg_tests (ctest runs each TEST_CASE).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
