// validators.cpp — see validators.h.
#include "methods/train/validators.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace eg::train {
namespace {

// A number printed the way a user writes it: 1e+06 rather than 1000000.000000.
std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The validator body: "" when s is a finite number for which ok(v) holds, else the message.
CLI::Validator number_check(std::string what, std::function<bool(double)> ok) {
  auto check = [what, ok](std::string& s) -> std::string {
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(begin, &end);
    if (s.empty() || end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v))
      return "'" + s + "' is not a number";
    if (!ok(v)) return s + " is not " + what;
    return std::string();
  };
  return CLI::Validator(check, "NUMBER " + what);
}

}  // namespace

CLI::Validator positive() { return number_check("> 0", [](double v) { return v > 0; }); }

CLI::Validator non_negative() { return number_check(">= 0", [](double v) { return v >= 0; }); }

CLI::Validator in_range(double lo, double hi, bool hi_open) {
  std::string what = "in [" + fmt(lo) + ", " + fmt(hi) + (hi_open ? ")" : "]");
  return number_check(what, [=](double v) { return v >= lo && (hi_open ? v < hi : v <= hi); });
}

}  // namespace eg::train
