#pragma once
// Dates and instants as tests write them: ISO 8601 text; a test with a bad one fails there.
#include <doctest/doctest.h>

#include <string>

#include "pvmon/time.hpp"

namespace pvmon::test {

/// A calendar date, "2026-10-01".
inline Date d(const std::string& s) {
  const auto v = parse_date(s);
  REQUIRE_MESSAGE(v, "bad date " << s);
  return *v;
}

/// An instant with its offset, "2026-10-01T08:00:00Z".
inline Timestamp ts(const std::string& s) {
  const auto v = parse_timestamp(s);
  REQUIRE_MESSAGE(v, "bad timestamp " << s);
  return *v;
}

}  // namespace pvmon::test
