// bench/intake's servers read their command lines with this.
#pragma once

#include <charconv>
#include <string_view>
#include <system_error>

namespace bench {

inline bool parse_int(const char* s, int& out) {
  const std::string_view v(s);
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}

}  // namespace bench
