// service::build_case: pvmon's records mapped to ICH E2B(R3) elements, field by field, from a
// worked case written here by hand (the values below are the case's, not the function's).
#include <doctest/doctest.h>

#include "pvmon/config.hpp"
#include "pvmon/service/icsr.hpp"

using namespace pvmon;
using nlohmann::json;

namespace {

config::Study study(const std::string& profile = "fda") {
  auto st = config::parse_study(R"({"id": "hcc", "title": "IMRT with camrelizumab and apatinib", "sites": ["S01", "S02"],
    "interventions": [
      {"id": "camrelizumab", "kind": "drug", "investigational_product": true, "name": "Camrelizumab",
       "route": "intravenous", "dose": 200, "dose_unit": "mg"},
      {"id": "apatinib", "kind": "drug", "investigational_product": true, "name": "Apatinib mesylate",
       "route": "oral", "dose": 250, "dose_unit": "mg"},
      {"id": "imrt", "kind": "radiotherapy", "investigational_product": false}],
    "icsr": {"regional_profile": ")" + profile + R"(", "sender_id": "SPONSOR-GW", "receiver_id": "CDER_IND",
      "sender_organisation": "Demo Sponsor", "sender_country": "CN", "case_prefix": "CN-DEMO",
      "sender_contact": {"department": "Pharmacovigilance", "family_name": "Desk", "email": "safety@example.org"},
      "registration_number": "NCT01234567", "registration_country": "CN",
      "sponsor_study_number": "HCC-01", "ind_number": "123456", "site_country": "CN",
      "site_countries": {"S02": "HK"}}})",
                                "test");
  REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  return st.value();
}

json alt_record() {
  return json::parse(R"({
    "report_id": "S01-0007-AE-1", "subject": "S01-0007", "site": "S01",
    "term": "Alanine aminotransferase increased", "verbatim": "ALT raised", "grade": 3,
    "lab": {"value": 250, "unit": "U/L", "uln": 40, "baseline": 32},
    "onset": "2026-10-02", "resolved": null, "site_aware_at": "2026-10-03T08:10:00Z",
    "serious": {"death": false, "life_threatening": false, "hospitalization": true, "disability": false,
                "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "possible", "apatinib": "unlikely"},
    "action_taken": {"camrelizumab": "drug_interrupted", "apatinib": "dose_reduced"},
    "outcome": "recovering", "narrative": "ALT rose after cycle 2.",
    "ctcae": {"meddra_code": "10001551", "term": "Alanine aminotransferase increased", "protocol_term": false,
              "grade": 3, "lab_grade": 3, "lab_criterion": ">5.0 - 20.0 x ULN if baseline was normal", "lab_basis": "ULN"},
    "safety": {"serious": true, "susar": false, "related_to": ["camrelizumab"],
               "products": [{"intervention": "camrelizumab", "related": true, "expected": true},
                            {"intervention": "apatinib", "related": false, "expected": true}],
               "reasons": ["serious: hospitalization"]}})");
}

store::VersionRow version(int n, const std::string& kind, json rec, const std::string& at) {
  return store::VersionRow{n, kind, std::move(rec), at, "demo-site-s01"};
}

service::CaseSources sources(const config::Study& st, std::vector<store::VersionRow> versions) {
  service::CaseSources src;
  src.study = &st;
  src.report = 42;
  src.versions = std::move(versions);
  store::SubjectRow subject;
  subject.subject = "S01-0007";
  subject.site = "S01";
  subject.enrolled = *parse_date("2025-09-01");
  subject.record = {{"subject", "S01-0007"}, {"sex", "M"}, {"age", 58}};
  src.subject = subject;
  src.events = {{1, "drug_start", *parse_date("2025-09-03"), {{"drug", "camrelizumab"}, {"dose", 200}, {"dose_unit", "mg"}}},
                {2, "drug_start", *parse_date("2025-09-03"), {{"drug", "apatinib"}, {"dose", 250}, {"dose_unit", "mg"}}},
                {3, "dose_change", *parse_date("2026-09-20"), {{"drug", "apatinib"}, {"dose", 125}, {"dose_unit", "mg"}}},
                {4, "dose_change", *parse_date("2026-10-05"), {{"drug", "apatinib"}, {"dose", 100}, {"dose_unit", "mg"}}},
                {5, "radiotherapy_start", *parse_date("2025-09-03"), json::object()}};
  src.now = *parse_timestamp("2026-10-04T10:00:00Z");
  return src;
}

}  // namespace

TEST_CASE("an SAE's ICSR case: every element from the records") {
  const auto st = study();
  const auto c = service::build_case(sources(st, {version(1, "initial", alt_record(), "2026-10-03T09:00:00.000Z")}));
  // N and C.1
  CHECK(c.safety_report_id == "CN-DEMO-42");
  CHECK(c.worldwide_case_id == "CN-DEMO-42");
  CHECK(c.message_id == "CN-DEMO-42-V1");
  CHECK(c.batch_sender == "SPONSOR-GW");
  CHECK(c.message_receiver == "CDER_IND");
  CHECK(format_date(c.first_received) == "2026-10-03");
  CHECK(format_date(c.most_recent) == "2026-10-03");
  CHECK_FALSE(c.expedited);  // serious, but not a SUSAR: no expedited report (ICH E2A III.A)
  CHECK(c.fda_report_type == "2");
  CHECK_FALSE(c.followup);
  CHECK_FALSE(c.nullified);
  // C.2.r, C.3, C.5
  CHECK(c.reporter_organisation == "Investigator site S01");
  CHECK(c.primary_source_country == "CN");
  CHECK(c.sender_organisation == "Demo Sponsor");
  CHECK(c.sender_department == "Pharmacovigilance");
  CHECK(c.sender_family_name == "Desk");
  CHECK(c.sender_email == "safety@example.org");
  CHECK(c.sender_given_name.empty());
  CHECK(c.registration_number == "NCT01234567");
  CHECK(c.sponsor_study_number == "HCC-01");
  CHECK(c.study_name == "IMRT with camrelizumab and apatinib");
  CHECK(c.ind_number == "123456");
  // D: 58 at enrolment on 2025-09-01, 59 at onset on 2026-10-02
  CHECK(c.subject == "S01-0007");
  CHECK(c.age_years == 59);
  CHECK(c.sex == "M");
  CHECK_FALSE(c.death_date);
  // E.i
  CHECK(c.reaction.meddra_code == "10001551");
  CHECK(c.reaction.verbatim == "ALT raised");
  CHECK(c.reaction.hospitalization);
  CHECK_FALSE(c.reaction.death);
  CHECK(format_date(*c.reaction.start) == "2026-10-02");
  CHECK_FALSE(c.reaction.end);
  CHECK(c.reaction.outcome == icsr::Outcome::recovering);
  // F.r: ALT 250 U/L, ULN 40
  REQUIRE(c.labs.size() == 1);
  CHECK(c.labs[0].name == "Alanine aminotransferase");
  CHECK(c.labs[0].value == 250);
  CHECK(c.labs[0].unit == "U/L");
  CHECK(c.labs[0].high == 40);
  CHECK_FALSE(c.labs[0].low);
  // G.k: the two drugs (IMRT is not a drug), suspect, with the dose in force at onset
  REQUIRE(c.drugs.size() == 2);
  CHECK(c.drugs[0].name == "Camrelizumab");
  CHECK(c.drugs[0].role == icsr::DrugRole::suspect);
  CHECK(c.drugs[0].dose == 200);
  CHECK(c.drugs[0].route == "intravenous");
  CHECK(format_date(*c.drugs[0].start) == "2025-09-03");
  CHECK(c.drugs[0].action == icsr::DrugAction::withdrawn);  // interrupted: E2B has no such code
  CHECK(c.drugs[1].name == "Apatinib mesylate");
  CHECK(c.drugs[1].dose == 125);  // changed 2026-09-20, before onset; the 2026-10-05 change is after
  CHECK(c.drugs[1].action == icsr::DrugAction::dose_reduced);
  REQUIRE(c.drugs[0].causality.size() == 2);
  CHECK(c.drugs[0].causality[0].source == "Investigator");
  CHECK(c.drugs[0].causality[0].result == "possible");
  CHECK(c.drugs[0].causality[1].source == "Sponsor");
  CHECK(c.drugs[0].causality[1].result == "related");
  CHECK(c.drugs[1].causality[1].result == "not related");
  // H: the site's narrative first
  CHECK(c.narrative.rfind("ALT rose after cycle 2.", 0) == 0);
  CHECK(c.narrative.find("Camrelizumab 200 mg started 2025-09-03") != std::string::npos);
  CHECK(c.narrative.find("Serious: hospitalisation") != std::string::npos);
}

TEST_CASE("a fatal SUSAR at another country's site, a follow-up and a nullification") {
  const auto st = study();
  json fatal = alt_record();
  fatal["site"] = "S02";
  fatal["grade"] = 5;
  fatal["outcome"] = "fatal";
  fatal["resolved"] = "2026-10-06";
  fatal["serious"]["death"] = true;
  fatal["safety"]["susar"] = true;
  auto src = sources(st, {version(1, "initial", alt_record(), "2026-10-03T09:00:00.000Z"),
                          version(2, "followup", fatal, "2026-10-07T11:00:00.000Z")});
  auto c = service::build_case(src);
  CHECK(c.version == 2);
  CHECK(c.followup);
  CHECK(c.message_id == "CN-DEMO-42-V2");
  CHECK(c.safety_report_id == "CN-DEMO-42");  // the same case
  CHECK(format_date(c.first_received) == "2026-10-03");
  CHECK(format_date(c.most_recent) == "2026-10-07");
  CHECK(c.expedited);
  CHECK(c.fda_report_type == "1");
  CHECK(c.primary_source_country == "HK");
  REQUIRE(c.death_date);
  CHECK(format_date(*c.death_date) == "2026-10-06");  // grade 5: the AE's resolution is the death
  CHECK(c.death_causes == std::vector<std::string>{"Alanine aminotransferase increased"});
  CHECK(c.death_cause_codes == std::vector<std::string>{"10001551"});

  // A death event dates the death and names its cause.
  src.events.push_back({9, "death", *parse_date("2026-10-06"), {{"cause", "liver failure"}, {"related_ae", "S01-0007-AE-1"}}});
  c = service::build_case(src);
  CHECK(c.death_causes == std::vector<std::string>{"liver failure"});
  CHECK(c.death_cause_codes == std::vector<std::string>{"10001551"});

  json nullified = alt_record();
  nullified["nullified"] = {{"reason", "entered for the wrong subject"}};
  src.versions.push_back(version(3, "nullification", nullified, "2026-10-08T09:00:00.000Z"));
  src.attempt = 2;
  c = service::build_case(src);
  CHECK(c.nullified);
  CHECK(c.nullification_reason == "entered for the wrong subject");
  CHECK(c.message_id == "CN-DEMO-42-V3-A2");
}

TEST_CASE("a protocol term has no MedDRA code; a non-investigational drug is concomitant") {
  auto st = study("ich");
  st.interventions[1].investigational_product = false;
  json rec = alt_record();
  rec["ctcae"]["protocol_term"] = true;
  rec["ctcae"]["meddra_code"] = "PROTO-RCCEP";
  const auto c = service::build_case(sources(st, {version(1, "initial", rec, "2026-10-03T09:00:00.000Z")}));
  CHECK(c.reaction.meddra_code.empty());
  CHECK(c.drugs[1].role == icsr::DrugRole::concomitant);
}

TEST_CASE("the cases above, built as ICSRs, pass the ICH schema and, under fda, FDA's checked rules") {
  for (const std::string profile : {"ich", "fda"}) {
    CAPTURE(profile);
    const auto st = study(profile);
    json fatal = alt_record();
    fatal["grade"] = 5;
    fatal["outcome"] = "fatal";
    fatal["resolved"] = "2026-10-06";
    fatal["serious"]["death"] = true;
    fatal["safety"]["susar"] = true;
    json nullified = alt_record();
    nullified["nullified"] = {{"reason", "entered for the wrong subject"}};
    const std::vector<std::vector<store::VersionRow>> cases = {
        {version(1, "initial", alt_record(), "2026-10-03T09:00:00.000Z")},
        {version(1, "initial", alt_record(), "2026-10-03T09:00:00.000Z"),
         version(2, "followup", fatal, "2026-10-07T11:00:00.000Z")},
        {version(1, "initial", alt_record(), "2026-10-03T09:00:00.000Z"),
         version(2, "nullification", nullified, "2026-10-08T09:00:00.000Z")}};
    for (const auto& versions : cases) {
      auto src = sources(st, versions);
      src.now = *parse_timestamp("2026-10-09T10:00:00Z");
      const auto c = service::build_case(src);
      const auto p = *icsr::parse_profile(profile);
      const auto findings = icsr::validate(icsr::build(c, p), p);
      for (const auto& f : findings) CAPTURE(f.rule + " " + f.element + " " + f.message);
      std::string all;
      for (const auto& f : findings) all += f.rule + " " + f.element + ": " + f.message + "\n";
      CHECK_MESSAGE(findings.empty(), all);
    }
  }
}
