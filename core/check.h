// check.h — loud, specific errors. ENGINE_CHECK(cond, parts...) throws eg::Error whose message carries
// file:line and every streamed part (op name, shapes, values). Used at every op and file boundary.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace eg {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
[[noreturn]] void fail(const char* file, int line, const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  std::string f(file);
  auto slash = f.find_last_of('/');
  if (slash != std::string::npos) {
    auto prev = f.find_last_of('/', slash - 1);
    if (prev != std::string::npos) f = f.substr(prev + 1);
  }
  os << " [" << f << ":" << line << "]";
  throw Error(os.str());
}
}  // namespace detail
}  // namespace eg

#define ENGINE_CHECK(cond, ...)                                     \
  do {                                                              \
    if (!(cond)) ::eg::detail::fail(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

#define ENGINE_FAIL(...) ::eg::detail::fail(__FILE__, __LINE__, __VA_ARGS__)
