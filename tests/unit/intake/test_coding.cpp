#include <doctest/doctest.h>

#include <map>

#include <set>

#include "pvmon/intake.hpp"

using namespace pvmon;
using namespace pvmon::intake;
using nlohmann::json;

namespace {

AeDraft draft(const std::string& term, std::optional<int> grade) {
  AeDraft d;
  d.report_id = "R1";
  d.subject = "S01-0001";
  d.term = term;
  d.grade = grade;
  d.outcome = "recovering";
  return d;
}

std::set<std::string> fields_of(const Result<Coded>& r) {
  std::set<std::string> out;
  if (!r) for (const auto& f : r.error().fields) out.insert(f.field);
  return out;
}

const ctcae::Resolver kResolver;

}  // namespace

TEST_CASE("a reported grade is checked against the term's grades (CTCAE v5.0)") {
  auto ok = code_ae(draft("ALT", 2), kResolver, json::object());
  REQUIRE(ok);
  CHECK(ok->term->meddra_code == "10001551");
  CHECK(ok->match == ctcae::MatchKind::synonym);
  CHECK(ok->grade == 2);
  CHECK(ok->grade_basis == "reported");
  // Alopecia: grades 1 and 2 only. Palmar-plantar erythrodysesthesia: no grade 4 or 5.
  CHECK(fields_of(code_ae(draft("Alopecia", 3), kResolver, json::object())) == std::set<std::string>{"grade"});
  CHECK(fields_of(code_ae(draft("hand-foot syndrome", 4), kResolver, json::object())) ==
        std::set<std::string>{"grade"});
}

TEST_CASE("grade 5 needs the death criterion and a fatal outcome; fatal needs grade 5") {
  auto d = draft("Sepsis", 5);
  CHECK(fields_of(code_ae(d, kResolver, json::object())) == std::set<std::string>{"serious.death", "outcome"});
  d.serious.death = true;
  d.outcome = "fatal";
  CHECK(code_ae(d, kResolver, json::object()));
  auto f = draft("Sepsis", 4);
  f.outcome = "fatal";
  CHECK(fields_of(code_ae(f, kResolver, json::object())) == std::set<std::string>{"grade", "outcome"});
  f.death_unrelated = true;
  CHECK(code_ae(f, kResolver, json::object()));
  auto g = draft("Sepsis", 4);
  g.death_unrelated = true;
  CHECK(fields_of(code_ae(g, kResolver, json::object())) == std::set<std::string>{"death_unrelated"});
}

TEST_CASE("lab grades: from the value alone, against an abnormal baseline, and discrepancies") {
  // Platelet count decreased grade 3: "<50,000 - 25,000/mm3; <50.0 - 25.0 x 10e9 /L".
  auto d = draft("Platelet count decreased", std::nullopt);
  d.lab = LabValue{};
  d.lab->value = 40;
  d.lab->unit = "10e9/L";
  d.lab->lln = 150;
  auto r = code_ae(d, kResolver, json::object());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message + " " + r.error().fields[0].message));
  CHECK(r->grade == 3);
  CHECK(r->grade_basis == "lab");

  // ALT 130 U/L, ULN 40 (3.25 x ULN: grade 2). Subject's baseline 52 > ULN is abnormal:
  // 130 / 52 = 2.5 x baseline, grade 1 ">1.5 - 3.0 x baseline".
  auto alt = draft("Alanine aminotransferase increased", 2);
  alt.lab = LabValue{};
  alt.lab->value = 130;
  alt.lab->unit = "U/L";
  alt.lab->uln = 40;
  auto normal_base = code_ae(alt, kResolver, json::object());
  REQUIRE(normal_base);
  CHECK(normal_base->lab_grade == 2);
  CHECK(normal_base->grade_basis == "reported+lab");
  const json baseline{{"alt", {{"value", 52}, {"unit", "U/L"}, {"uln", 40}}}};
  auto abnormal_base = code_ae(alt, kResolver, baseline);
  REQUIRE(abnormal_base);
  CHECK(abnormal_base->lab_grade == 1);
  CHECK(abnormal_base->lab_basis == "baseline");
  CHECK(abnormal_base->grade == 2);  // the site's grade stands
  CHECK(abnormal_base->grade_basis == "discrepancy");

  // Inside the normal range with no reported grade: not an adverse event.
  auto within = draft("ALT", std::nullopt);
  within.lab = LabValue{};
  within.lab->value = 35;
  within.lab->unit = "U/L";
  within.lab->uln = 40;
  CHECK(fields_of(code_ae(within, kResolver, json::object())) == std::set<std::string>{"lab.value"});
}

TEST_CASE("unknown terms and other-specify terms") {
  auto unknown = code_ae(draft("feeling poorly", 1), kResolver, json::object());
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().fields.at(0).field == "term");
  auto other = draft("Hepatobiliary disorders - Other, specify", 2);
  CHECK(fields_of(code_ae(other, kResolver, json::object())) == std::set<std::string>{"verbatim"});
  other.verbatim = "biloma";
  CHECK(code_ae(other, kResolver, json::object()));
}

TEST_CASE("a MedDRA PT whose CTCAE v5.0 term is an LLT under it: 422 naming the CTCAE term") {
  // Each PT is not itself a CTCAE code (else it would simply resolve), and each names a CTCAE
  // term of another spelling or word under it.
  for (const auto& p : pts_with_ctcae_llt()) {
    CAPTURE(p.pt_code);
    CHECK(p.pt_code.size() == 8);
    CHECK(ctcae::find_code(p.pt_code) == nullptr);
    const ctcae::Term* llt = ctcae::find_code(p.ctcae_code);
    REQUIRE(llt != nullptr);
    CHECK(ctcae::normalize_key(llt->term) != ctcae::normalize_key(p.pt_name));
    CHECK(ctcae_llt_under_pt(p.pt_code) == &p);
  }
  // Worked from the sources, not from the table: MedDRA's PT and the CTCAE v5.0 term (and its
  // code, column "MedDRA Code" of the published CSV) each PT's message must name.
  const std::map<std::string, std::pair<std::string, std::string>> kWorked = {
      {"10012735", {"Diarrhea", "10012727"}},
      {"10002034", {"Anemia", "10002272"}},
      {"10013968", {"Dyspnea", "10013963"}},
      {"10037660", {"Fever", "10016558"}}};
  CHECK(pts_with_ctcae_llt().size() == kWorked.size());
  for (const auto& [pt, want] : kWorked) {
    CAPTURE(pt);
    auto coded = code_ae(draft(pt, 1), kResolver, json::object());
    REQUIRE_FALSE(coded);
    CHECK(coded.error().fields.at(0).message.find("did you mean: " + want.first + " (" + want.second + ")") !=
          std::string::npos);
    const ctcae::Term* t = ctcae::find_code(want.second);
    REQUIRE(t != nullptr);
    CHECK(t->term == want.first);
  }
  // The example: PT 10012735 Diarrhoea, CTCAE v5.0 10012727 Diarrhea.
  auto r = code_ae(draft(" 10012735 ", 2), kResolver, json::object());
  REQUIRE_FALSE(r);
  REQUIRE(r.error().fields.size() == 1);
  CHECK(r.error().fields[0].field == "term");
  const std::string& msg = r.error().fields[0].message;
  CHECK_MESSAGE(msg.find("MedDRA PT Diarrhoea") != std::string::npos, msg);
  CHECK_MESSAGE(msg.find("did you mean: Diarrhea (10012727)") != std::string::npos, msg);
  // The CTCAE code itself, and the PT's name as text (a synonym), code as before.
  CHECK(code_ae(draft("10012727", 2), kResolver, json::object())->term->term == "Diarrhea");
  CHECK(code_ae(draft("Diarrhoea", 2), kResolver, json::object())->term->term == "Diarrhea");
  CHECK(ctcae_llt_under_pt("10012727") == nullptr);
}
