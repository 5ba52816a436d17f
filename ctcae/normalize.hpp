// Private helpers shared by the resolver and the lab grader: key normalisation and tokens.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/text.hpp"

namespace pvmon::ctcae::detail {

constexpr char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool is_alnum_ascii(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// Writes the normalised key of `text` into buf (lower-case ASCII letters and digits only) and
/// returns its length, or npos when it does not fit (the caller falls back to a std::string).
inline std::size_t normalize_into(std::string_view text, char* buf, std::size_t cap) {
  std::size_t n = 0;
  for (char c : text) {
    if (!is_alnum_ascii(c)) continue;
    if (n == cap) return std::string_view::npos;
    buf[n++] = lower_ascii(c);
  }
  return n;
}

/// Lower-case alphanumeric tokens: "Hand-foot skin reaction" -> hand, foot, skin, reaction.
inline std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (is_alnum_ascii(c)) {
      cur += lower_ascii(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

using pvmon::trim;

}  // namespace pvmon::ctcae::detail

namespace pvmon::ctcae::detail {

/// 'text' in single quotes, built by appending (GCC 12 gives a false -Wrestrict for
/// "'" + std::string(...) at -O2).
inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out.append(text);
  out += '\'';
  return out;
}

}  // namespace pvmon::ctcae::detail
