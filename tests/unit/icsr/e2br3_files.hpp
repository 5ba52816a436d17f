#pragma once
// What the ICSR tests share: the E2B(R3) example files, an edit that must find its text, and
// findings as lines for a failure message.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pvmon/icsr.hpp"

namespace pvmon::test {

/// A file of the E2B(R3) examples (tests/data/icsr), whole.
inline std::string load_e2br3(const std::string& name) {
  std::ifstream in(std::string(PVMON_SHARED_E2BR3) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `doc` with the first `from` replaced by `to`; `from` must be there.
inline std::string replaced(std::string doc, const std::string& from, const std::string& to) {
  const auto at = doc.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  doc.replace(at, from.size(), to);
  return doc;
}

/// One line per finding: rule | element | message.
inline std::string describe(const std::vector<icsr::Finding>& findings) {
  std::string s;
  for (const auto& f : findings) s += f.rule + " | " + f.element + " | " + f.message + "\n";
  return s;
}

}  // namespace pvmon::test
