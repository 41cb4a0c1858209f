// validators.h — number checks for trainer flags, as CLI11 validators. CLI11's own PositiveNumber and
// NonNegativeNumber print their upper bound (DBL_MAX) in full, 300 digits, and report a word that is not a
// number as "out of range"; these say what was wrong in a few words:
//   --epochs -3   ->  "--epochs: -3 is not > 0"
//   --lr abc      ->  "--lr: 'abc' is not a number"
//   --beta 1.5    ->  "--beta: 1.5 is not in [0, 1)"
// Each parses the whole word as a finite number (so "1e-3" passes and "1e-3x", "nan", "inf" do not); an
// integer flag given "2.5" then fails CLI11's conversion, which names the flag and the value.
#pragma once
#include <CLI/CLI.hpp>

namespace eg::train {

CLI::Validator positive();                 // > 0
CLI::Validator non_negative();             // >= 0
CLI::Validator in_range(double lo, double hi, bool hi_open = false);  // [lo, hi] or [lo, hi)

// The most --threads a trainer accepts: OpenMP creates that many threads at the first parallel region, and
// a mistyped 100000 would fail there (thread creation) rather than here with the flag's name.
constexpr int kMaxThreads = 1024;

}  // namespace eg::train
