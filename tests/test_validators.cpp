// test_validators.cpp — the trainers' number checks (methods/train/validators.h): short messages that
// name the value, words that are not numbers reported as such, bounds printed as a user writes them.
#include <doctest/doctest.h>

#include "methods/train/validators.h"

using namespace eg::train;

namespace {
// What the validator says about `word` ("" = accepted).
std::string says(const CLI::Validator& v, std::string word) { return v(word); }
}  // namespace

TEST_CASE("validators: positive, non_negative and in_range accept numbers and name what is wrong") {
  CHECK(says(positive(), "0.1") == "");
  CHECK(says(positive(), "1e-3") == "");
  CHECK(says(positive(), "3") == "");
  CHECK(says(positive(), "0") == "0 is not > 0");
  CHECK(says(positive(), "-3") == "-3 is not > 0");
  CHECK(says(non_negative(), "0") == "");
  CHECK(says(non_negative(), "-0.5") == "-0.5 is not >= 0");
  CHECK(says(in_range(0, 1), "1") == "");
  CHECK(says(in_range(0, 1, true), "1") == "1 is not in [0, 1)");
  CHECK(says(in_range(1, 1e6), "0") == "0 is not in [1, 1e+06]");
}

TEST_CASE("validators: words that are not finite numbers are refused as such") {
  for (std::string w : {"abc", "", "1e-3x", "nan", "inf", "-inf", "1e999", "0x"}) {
    CAPTURE(w);
    CHECK(says(positive(), w) == "'" + w + "' is not a number");
    CHECK(says(in_range(-1e300, 1e300), w) == "'" + w + "' is not a number");
  }
}
