// `pvmon term` and `pvmon grade`, called with string streams.
#include <doctest/doctest.h>

#include <sstream>

#include "ctcae_cmd.hpp"

using pvmon::cli::cmd_grade;
using pvmon::cli::cmd_term;

namespace {
struct Run {
  int rc;
  std::string out, err;
};
Run term(std::vector<std::string> a) {
  std::ostringstream o, e;
  int rc = cmd_term(a, o, e);
  return {rc, o.str(), e.str()};
}
Run grade(std::vector<std::string> a) {
  std::ostringstream o, e;
  int rc = cmd_grade(a, o, e);
  return {rc, o.str(), e.str()};
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("pvmon term search and show") {
  auto a = term({"search", "ALT"});
  CHECK(a.rc == 0);
  CHECK(has(a.out, "10001551"));
  CHECK(has(a.out, "synonym"));
  auto b = term({"search", "chest", "pain"});
  CHECK(b.rc == 0);
  CHECK(has(b.out, "not a CTCAE v5.0 term"));
  CHECK(has(b.out, "10062501"));  // Non-cardiac chest pain
  CHECK(term({"search", "qqqq", "zzzz"}).rc == 1);
  auto s = term({"show", "10001760"});
  CHECK(s.rc == 0);
  CHECK(has(s.out, "Alopecia"));
  CHECK(has(s.out, "Grade 3: - (not defined)"));
  CHECK(term({"show", "123"}).rc == 1);
  CHECK(term({}).rc == 2);
  CHECK(term({"list"}).rc == 2);
}

TEST_CASE("pvmon grade") {
  auto a = grade({"--term", "ALT", "--value", "150", "--unit", "U/L", "--uln", "40"});
  CHECK(a.rc == 0);
  CHECK(has(a.out, "Grade 2"));
  CHECK(has(a.out, ">3.0 - 5.0 x ULN"));
  auto b = grade({"--term", "AST", "--value", "300.1", "--unit", "U/L", "--uln", "40", "--baseline", "60",
                  "--baseline-abnormal"});
  CHECK(b.rc == 0);
  CHECK(has(b.out, "Grade 3"));
  CHECK(has(b.out, "basis baseline"));
  auto d = grade({"--term", "Proteinuria", "--value", "2+", "--unit", "dipstick"});
  CHECK(d.rc == 0);
  CHECK(has(d.out, "Grade 2"));
  auto h = grade({"--term", "Hypertension", "--systolic", "165", "--diastolic", "85"});
  CHECK(h.rc == 0);
  CHECK(has(h.out, "Grade 3"));
  auto n = grade({"--term", "ALT", "--value", "30", "--unit", "U/L", "--uln", "40"});
  CHECK(n.rc == 0);
  CHECK(has(n.out, "Grade 0 (not an adverse event)"));
  auto e = grade({"--term", "ALT", "--value", "150", "--unit", "U/L"});
  CHECK(e.rc == 1);
  CHECK(has(e.err, "lab.uln"));
  CHECK(grade({"--term", "ALT", "--value", "abc", "--unit", "U/L"}).rc == 2);
  CHECK(grade({"--value", "1"}).rc == 2);
  CHECK(grade({"--term", "ALT", "--bogus", "1"}).rc == 2);
  CHECK(grade({"--term", "ALT", "--value"}).rc == 2);
}
