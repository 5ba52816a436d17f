// Numbers from the command line, strictly: the whole argument, in range, finite.
#include <charconv>
#include <cmath>

#include "commands.hpp"

namespace pvmon::cli {

std::optional<long long> parse_integer(std::string_view s, long long lo, long long hi) {
  long long v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<double> parse_finite(std::string_view s) {
  double v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace pvmon::cli
