// The embedded dictionary equals ctcae/data/ctcae_v5.0.csv, read here with an independent
// RFC 4180 reader; spot checks use the values quoted in ctcae/data/SOURCE.md.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pvmon/ctcae.hpp"

namespace ct = pvmon::ctcae;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

std::string none_if_dash(const std::string& s) { return s == "-" ? std::string() : s; }

}  // namespace

TEST_CASE("the embedded dictionary equals the CSV cell for cell") {
  auto rows = read_csv(PVMON_CTCAE_CSV);
  REQUIRE(rows.size() == 838);  // header + 837 terms (SOURCE.md)
  auto terms = ct::terms();
  REQUIRE(terms.size() == 837);
  std::set<std::string> socs;
  int other = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& r = rows[i + 1];
    REQUIRE(r.size() == 10);
    const ct::Term& t = terms[i];
    CAPTURE(r[2]);
    CHECK(t.meddra_code == r[0]);
    CHECK(t.soc == r[1]);
    CHECK(t.term == r[2]);
    for (int g = 0; g < 5; ++g) CHECK(t.grades[static_cast<std::size_t>(g)] == none_if_dash(r[3 + static_cast<std::size_t>(g)]));
    CHECK(t.definition == none_if_dash(r[8]));
    CHECK(t.navigational_note == r[9]);
    CHECK_FALSE(t.protocol);
    bool os = r[2].size() > 17 && r[2].substr(r[2].size() - 17) == " - Other, specify";
    CHECK(t.other_specify == os);
    other += os ? 1 : 0;
    socs.insert(r[1]);
    CHECK(ct::find_code(r[0]) == &t);
    CHECK(ct::find_term(r[2]) == &t);
  }
  CHECK(socs.size() == 26);
  CHECK(other == 26);
}

TEST_CASE("spot checks from SOURCE.md") {
  const ct::Term* anemia = ct::find_code("10002272");
  REQUIRE(anemia);
  CHECK(anemia->term == "Anemia");
  CHECK(anemia->soc == "Blood and lymphatic system disorders");
  CHECK(anemia->grades[0] == "Hemoglobin (Hgb) <LLN - 10.0 g/dL; <LLN - 6.2 mmol/L; <LLN - 100 g/L");
  const ct::Term* alt = ct::find_code("10001551");
  REQUIRE(alt);
  CHECK(alt->grades[2] == ">5.0 - 20.0 x ULN if baseline was normal; >5.0 - 20.0 x baseline if baseline was abnormal");
  CHECK_FALSE(alt->has_grade(5));
  const ct::Term* plt = ct::find_code("10035528");
  REQUIRE(plt);
  CHECK(plt->grades[2] == "<50,000 - 25,000/mm3; <50.0 - 25.0 x 10e9 /L");
  const ct::Term* ppe = ct::find_code("10054524");
  REQUIRE(ppe);
  CHECK(ppe->allowed_grades() == std::vector<int>{1, 2, 3});
  const ct::Term* alopecia = ct::find_code("10001760");
  REQUIRE(alopecia);
  CHECK(alopecia->allowed_grades() == std::vector<int>{1, 2});
  // Non-ASCII kept as published: U+2265 in Hypertension grade 1, U+00A0 in Eczema grade 1.
  CHECK(ct::find_term("Hypertension")->grades[0].find("\xE2\x89\xA5") != std::string_view::npos);
  CHECK(ct::find_term("Eczema")->grades[0].find("\xC2\xA0") != std::string_view::npos);
  // Embedded LF inside a quoted field (Proteinuria grade 2 has an adult and a pediatric part).
  CHECK(ct::find_term("Proteinuria")->grades[1].find("\n\nPediatric") != std::string_view::npos);
  CHECK(ct::find_code("99999999") == nullptr);
  CHECK(ct::kVersion == "5.0");
}

TEST_CASE("no two terms share a normalised key") {
  std::set<std::string> keys;
  for (const ct::Term& t : ct::terms()) CHECK(keys.insert(ct::normalize_key(t.term)).second);
  CHECK(ct::normalize_key("Hand-foot  Syndrome!") == "handfootsyndrome");
}

TEST_CASE("grade checks name the allowed grades") {
  const ct::Term& alopecia = *ct::find_term("Alopecia");
  CHECK(ct::grade_defined(alopecia, 2));
  CHECK_FALSE(ct::grade_defined(alopecia, 3));
  CHECK(ct::allowed_grades_text(alopecia) == "grades 1, 2 only");
  auto s = ct::check_grade(alopecia, 3);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == pvmon::Errc::invalid);
  REQUIRE(s.error().fields.size() == 1);
  CHECK(s.error().fields[0].field == "grade");
  CHECK(s.error().fields[0].message.find("grades 1, 2 only") != std::string::npos);
  CHECK(ct::check_grade(alopecia, 1).ok());
  CHECK_FALSE(ct::check_grade(alopecia, 0).ok());
  CHECK_FALSE(ct::check_grade(alopecia, 6).ok());
  // INR increased defines grades 1-3 only; Anemia all five.
  CHECK(ct::allowed_grades_text(*ct::find_term("INR increased")) == "grades 1, 2, 3 only");
  CHECK(ct::allowed_grades_text(*ct::find_term("Anemia")) == "grades 1, 2, 3, 4, 5");
  CHECK(ct::check_grade(*ct::find_term("Anemia"), 5).ok());
}
