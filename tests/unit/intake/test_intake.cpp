#include <doctest/doctest.h>

#include <map>
#include <set>

#include "pvmon/intake.hpp"

using namespace pvmon;
using namespace pvmon::intake;
using nlohmann::json;

namespace {

const StudyRules kRules{{"camrelizumab", "apatinib", "imrt", "surgery"}};
const Timestamp kNow = *parse_timestamp("2026-11-24T12:00:00Z");
const SubjectFacts kEnrolled{true, *parse_date("2026-09-01")};

json valid_ae() {
  return json::parse(R"({
    "report_id": "S01-0007-AE-003", "subject": "S01-0007",
    "term": "Alanine aminotransferase increased", "verbatim": "ALT raised",
    "grade": 3, "lab": {"value": 250, "unit": "U/L", "uln": 40, "baseline": 32},
    "onset": "2026-10-02", "resolved": null, "site_aware_at": "2026-10-03T08:10:00Z",
    "serious": {"death": false, "life_threatening": false, "hospitalization": true,
                "disability": false, "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "probable", "apatinib": "possible"},
    "action_taken": {"apatinib": "dose_reduced"}, "outcome": "recovering", "narrative": "..."})");
}

std::set<std::string> fields_of(const Result<AeDraft>& r) {
  std::set<std::string> out;
  if (!r) for (const auto& f : r.error().fields) out.insert(f.field);
  return out;
}

}  // namespace

TEST_CASE("a valid report parses into a draft") {
  auto r = parse_ae(valid_ae(), kRules, kNow, kEnrolled);
  REQUIRE(r);
  CHECK(r->grade == 3);
  CHECK(r->serious.hospitalization);
  CHECK(r->serious.any());
  CHECK(r->lab->uln == 40);
  CHECK(r->causality.at("apatinib") == "possible");
  CHECK(r->causality.count("imrt") == 0);
  CHECK(format_timestamp(r->site_aware_at) == "2026-10-03T08:10:00.000Z");
  // to_json round-trips the fields a site sent.
  auto j = to_json(r.value());
  CHECK(j["onset"] == "2026-10-02");
  CHECK(j["resolved"].is_null());
  CHECK(j["causality"] == valid_ae()["causality"]);
}

TEST_CASE("every problem is reported at once, each with its field") {
  json b = valid_ae();
  b["report_id"] = "has space";
  b["grade"] = 0;
  b["onset"] = "2026-02-30";
  b["site_aware_at"] = "2026-10-03T08:10:00";  // no offset
  b["serious"]["death"] = "no";
  b["causality"]["apatinib"] = "maybe";
  b["action_taken"]["chemo"] = "dose_reduced";
  b["outcome"] = "fine";
  b["name"] = "Jane";
  auto r = parse_ae(b, kRules, kNow, kEnrolled);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid);
  CHECK(fields_of(r) == std::set<std::string>{"report_id", "grade", "onset", "site_aware_at",
                                              "serious.death", "causality.apatinib",
                                              "action_taken.chemo", "outcome", "name"});
}

TEST_CASE("types, sizes and text are checked") {
  SUBCASE("not an object") { CHECK(fields_of(parse_ae(json::array(), kRules, kNow, kEnrolled)) == std::set<std::string>{""}); }
  SUBCASE("huge and fractional grades") {
    json b = valid_ae();
    b["grade"] = 1e300;
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"grade"});
    b["grade"] = 2.5;
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"grade"});
    b["grade"] = 18446744073709551615u;
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"grade"});
    b["grade"] = 2.0;  // an integral float is an integer
    CHECK(parse_ae(b, kRules, kNow, kEnrolled));
  }
  SUBCASE("control characters and overlong text") {
    json b = valid_ae();
    b["verbatim"] = std::string("ALT\x01raised");
    b["term"] = std::string(kMaxTextLength + 1, 'a');
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"verbatim", "term"});
  }
  SUBCASE("SQL-looking text is just text") {
    json b = valid_ae();
    b["verbatim"] = "'); DROP TABLE ae_reports; --";
    auto r = parse_ae(b, kRules, kNow, kEnrolled);
    REQUIRE(r);
    CHECK(r->verbatim == "'); DROP TABLE ae_reports; --");
  }
  SUBCASE("lab values") {
    json b = valid_ae();
    b["lab"] = {{"value", -1}, {"unit", ""}, {"uln", 10}, {"lln", 20}, {"extra", 1}};
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) ==
          std::set<std::string>{"lab.value", "lab.unit", "lab.lln", "lab.extra"});
  }
  SUBCASE("no grade and no lab") {
    json b = valid_ae();
    b.erase("grade");
    b.erase("lab");
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"grade"});
  }
  SUBCASE("empty causality") {
    json b = valid_ae();
    b["causality"] = json::object();
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"causality"});
  }
}

TEST_CASE("chronology: enrolment, the future, resolution, awareness") {
  json b = valid_ae();
  SUBCASE("onset before enrolment") {
    b["onset"] = "2026-08-31";
    b["site_aware_at"] = "2026-09-01T00:00:00Z";
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"onset"});
  }
  SUBCASE("onset on the day of enrolment is fine") {
    b["onset"] = "2026-09-01";
    CHECK(parse_ae(b, kRules, kNow, kEnrolled));
  }
  SUBCASE("onset tomorrow") {
    b["onset"] = "2026-11-25";
    b["site_aware_at"] = "2026-11-24T11:00:00Z";
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) ==
          std::set<std::string>{"onset", "site_aware_at"});
  }
  SUBCASE("resolved before onset") {
    b["resolved"] = "2026-10-01";
    b["outcome"] = "recovered";
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"resolved"});
  }
  SUBCASE("a resolution date with an outcome that says otherwise") {
    b["resolved"] = "2026-10-05";
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"outcome"});
  }
  SUBCASE("awareness in the future beyond clock skew") {
    b["site_aware_at"] = "2026-11-24T12:10:00Z";
    CHECK(fields_of(parse_ae(b, kRules, kNow, kEnrolled)) == std::set<std::string>{"site_aware_at"});
    b["site_aware_at"] = "2026-11-24T12:04:00Z";  // within five minutes: tolerated
    CHECK(parse_ae(b, kRules, kNow, kEnrolled));
  }
  SUBCASE("unknown subject") {
    CHECK(fields_of(parse_ae(b, kRules, kNow, SubjectFacts{})) == std::set<std::string>{"subject"});
  }
}

TEST_CASE("subjects: no direct identifiers, adults, real dates") {
  const Date today = *parse_date("2026-11-24");
  auto ok = parse_subject(json{{"subject", "S01-0007"}, {"enrolled", "2026-09-01"}, {"sex", "M"}, {"age", 58}}, today);
  REQUIRE(ok);
  CHECK(ok->age == 58);
  auto bad = parse_subject(json{{"subject", "S01-0007"}, {"enrolled", "2026-12-01"}, {"sex", "male"},
                                {"age", 12}, {"name", "John Doe"}, {"dob", "1968-01-01"},
                                {"baseline", {{"ALT", {{"value", 1}, {"unit", "U/L"}}}, {"ast", {{"value", "high"}}}}}},
                          today);
  REQUIRE_FALSE(bad);
  std::set<std::string> f;
  for (const auto& e : bad.error().fields) f.insert(e.field);
  CHECK(f == std::set<std::string>{"enrolled", "sex", "age", "name", "dob", "baseline.ALT",
                                   "baseline.ast.value", "baseline.ast.unit"});
}

TEST_CASE("subject ids: one safe path segment, at enrolment and in an AE report") {
  const std::string longest(64, 'A'), too_long(65, 'A');
  for (const char* id : {"S01-0001", "S01-0007", "s", "9", "S01_0001.v2", "S01..x", longest.c_str()}) {
    CAPTURE(id);
    CHECK(valid_subject_id(id));
  }
  for (const char* id : {"", ".", "..", "S01/../x", "../S01", "-S01", "_S01", ".S01", "S01 0001", "S01:0001",
                         "S01%2F..", "S01\\x", "S01\xC3\xA9", too_long.c_str()}) {
    CAPTURE(id);
    CHECK_FALSE(valid_subject_id(id));
  }
  const Date today = *parse_date("2026-11-24");
  auto bad = parse_subject(json{{"subject", "S01/../x"}, {"enrolled", "2026-09-01"}, {"sex", "M"}, {"age", 58}}, today);
  REQUIRE_FALSE(bad);
  REQUIRE(bad.error().fields.size() == 1);
  CHECK(bad.error().fields[0].field == "subject");
  CHECK(bad.error().fields[0].message == kSubjectIdRule);
  json ae = valid_ae();
  ae["subject"] = "..";
  // Named once, for its form: "is not enrolled" would be beside the point.
  auto r = parse_ae(ae, kRules, kNow, SubjectFacts{});
  REQUIRE_FALSE(r);
  REQUIRE(r.error().fields.size() == 1);
  CHECK(r.error().fields[0].field == "subject");
  CHECK(r.error().fields[0].message == kSubjectIdRule);
  // A subject enrolled before the rule keeps its id: its AE reports must still come in.
  json legacy = valid_ae();
  legacy["subject"] = "S01:0007";
  CHECK(parse_ae(legacy, kRules, kNow, kEnrolled));
  CHECK(fields_of(parse_ae(legacy, kRules, kNow, SubjectFacts{})) == std::set<std::string>{"subject"});
}

TEST_CASE("dates before 1900-01-01 are refused, naming the field and the reason") {
  const Date today = *parse_date("2026-11-24");
  auto s = parse_subject(json{{"subject", "S01-0007"}, {"enrolled", "0000-01-01"}, {"sex", "M"}, {"age", 58}}, today);
  REQUIRE_FALSE(s);
  REQUIRE(s.error().fields.size() == 1);
  CHECK(s.error().fields[0] == FieldError{"enrolled", "is before 1900-01-01"});
  CHECK(parse_subject(json{{"subject", "S01-0007"}, {"enrolled", "1900-01-01"}, {"sex", "M"}, {"age", 58}}, today));

  json ae = valid_ae();
  ae["onset"] = "1899-12-31";
  ae["site_aware_at"] = "0001-01-01T00:00:00Z";
  auto r = parse_ae(ae, kRules, kNow, kEnrolled);
  REQUIRE_FALSE(r);
  std::map<std::string, std::string> got;
  for (const auto& f : r.error().fields) got[f.field] = f.message;
  CHECK(got == std::map<std::string, std::string>{{"onset", "is before 1900-01-01"},
                                                  {"site_aware_at", "is before 1900-01-01"}});
}

TEST_CASE("baseline: an analyte key no lab result is graded against is refused, by its key") {
  std::vector<FieldError> errs;
  validate_baseline(json{{"alt", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}},
                         {"total_bilirubin", {{"value", 10}, {"unit", "umol/L"}, {"uln", 21}}},
                         {"platelets", {{"value", 150}, {"unit", "10^9/L"}, {"lln", 100}}}},
                    "baseline", errs);
  CHECK(errs.empty());
  validate_baseline(json{{"atl", {{"value", 30}, {"unit", "U/L"}}}, {"nausea", {{"value", 1}, {"unit", "U/L"}}},
                         {"ast", {{"value", 30}, {"unit", "U/L"}}}},
                    "baseline", errs);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].field == "baseline.atl");
  CHECK(errs[1].field == "baseline.nausea");
  CHECK(errs[0].message.find("is not an analyte") == 0);
}
