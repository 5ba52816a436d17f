#include <doctest/doctest.h>

#include <algorithm>

#include "safety_helpers.hpp"
#include "when.hpp"
#include "pvmon/safety/events.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using json = nlohmann::json;

using namespace pvmon::test;

namespace {

// Enrolled 2026-09-01; today 2026-12-01; surgery on 10-20 recorded as event 12.
EventContext ctx(std::vector<SubjectEvent> existing = {}) {
  return EventContext{d("2026-09-01"), d("2026-12-01"), {"camrelizumab", "apatinib"},
                      std::move(existing)};
}

std::vector<FieldError> errors(const json& body, const EventContext& c) {
  auto r = validate_event(body, c);
  if (r.ok()) return {};
  CHECK(r.error().code == Errc::invalid);
  return r.error().fields;
}

}  // namespace

TEST_CASE("the event table lists every kind once, with its fields") {
  const char* kinds[] = {"radiotherapy_start", "radiotherapy_end", "drug_start", "dose_change",
                         "drug_hold", "drug_stop", "surgery", "discharge", "readmission",
                         "reoperation", "surgical_complication", "progression", "relapse",
                         "death", "withdrawal", "last_known_alive", "response_assessment", "pathology"};
  CHECK(event_kinds().size() == std::size(kinds));
  for (const char* k : kinds) CHECK_MESSAGE(find_event_kind(k) != nullptr, k);
  const auto* s = find_event_kind("surgery");
  REQUIRE(s);
  CHECK(std::any_of(s->fields.begin(), s->fields.end(),
                    [](const FieldSpec& f) { return f.name == "margin" && f.required; }));
}

TEST_CASE("valid events pass") {
  auto c = ctx({surgery12()});
  auto r = validate_event({{"kind", "discharge"}, {"date", "2026-10-27"}}, c);
  REQUIRE(r.ok());
  CHECK(r->kind == "discharge");
  CHECK(r->date == d("2026-10-27"));
  CHECK(validate_event({{"kind", "surgical_complication"}, {"date", "2026-10-22"},
                        {"grade", "IIIa"}, {"term", "bile leak"}}, c).ok());
  CHECK(validate_event({{"kind", "surgical_complication"}, {"date", "2026-10-22"},
                        {"grade", "IVbd"}, {"term", "stroke"}}, c).ok());
  CHECK(validate_event({{"kind", "drug_start"}, {"date", "2026-09-02"}, {"drug", "apatinib"},
                        {"dose", 250}, {"dose_unit", "mg"}}, c).ok());
  CHECK(validate_event({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", 45.0},
                        {"fractions", 15}}, ctx({recorded(3, {{"kind", "radiotherapy_start"},
                                                              {"date", "2026-09-08"}})})).ok());
  CHECK(validate_event({{"kind", "progression"}, {"date", "2026-11-30"}, {"criteria", "mRECIST"}},
                       c).ok());
  // Same-day discharge after surgery is allowed ("after or on").
  CHECK(validate_event({{"kind", "discharge"}, {"date", "2026-10-20"}}, c).ok());
}

TEST_CASE("as in AE intake: null is a field not given, and 15.0 is the whole number 15") {
  const auto rt_start = recorded(3, {{"kind", "radiotherapy_start"}, {"date", "2026-09-08"}});
  auto r = validate_event({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", 45.0},
                           {"fractions", 15.0}}, ctx({rt_start}));
  REQUIRE(r.ok());
  CHECK(r->fields["fractions"].is_number_integer());  // stored as the integer it is
  CHECK(r->fields["fractions"] == 15);
  // An optional field sent as null is left out; a required one is still required.
  auto n = validate_event({{"kind", "radiotherapy_start"}, {"date", "2026-09-08"},
                           {"dose_gy", nullptr}, {"fractions", nullptr}}, ctx());
  REQUIRE(n.ok());
  CHECK_FALSE(n->fields.contains("dose_gy"));
  CHECK_FALSE(n->fields.contains("fractions"));
  auto e = errors({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", nullptr},
                   {"fractions", 15.5}}, ctx({rt_start}));
  CHECK(has(e, "dose_gy", "required"));
  CHECK(has(e, "fractions", "whole number"));
  CHECK(has(errors({{"kind", nullptr}, {"date", "2026-09-30"}}, ctx()), "kind", "required"));
}

TEST_CASE("field errors name each field") {
  auto c = ctx({surgery12()});
  CHECK(has(errors({{"date", "2026-10-01"}}, c), "kind", "required"));
  CHECK(has(errors({{"kind", "party"}, {"date", "2026-10-01"}}, c), "kind", "surgery"));
  CHECK(has(errors(json::array(), c), "", "object"));
  auto e = errors({{"kind", "surgery"}, {"date", "2026-02-30"}, {"margin", "R3"}, {"colour", "red"}},
                  ctx());
  CHECK(has(e, "date", "YYYY-MM-DD"));
  CHECK(has(e, "procedure", "required"));
  CHECK(has(e, "margin", "R0, R1, R2"));
  CHECK(has(e, "colour", "not a field of surgery"));
  CHECK(e.size() == 4);
  CHECK(has(errors({{"kind", "surgical_complication"}, {"date", "2026-10-22"}, {"grade", "Vd"},
                    {"term", "x"}}, c), "grade", "one of"));
  CHECK(has(errors({{"kind", "drug_start"}, {"date", "2026-09-02"}, {"drug", "sorafenib"}}, c),
            "drug", "camrelizumab, apatinib"));
  auto rt = errors({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", "45"},
                    {"fractions", 1.5}}, c);
  CHECK(has(rt, "dose_gy", "number"));
  CHECK(has(rt, "fractions", "whole number"));
  CHECK(has(errors({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", 0.5},
                    {"fractions", 0}}, c), "fractions", "between 1 and 60"));
  CHECK(has(errors({{"kind", "readmission"}, {"date", "2026-11-02"}, {"reason", ""}}, c), "reason",
            "non-empty"));
  CHECK(has(errors({{"kind", "progression"}, {"date", "2026-11-02"}, {"criteria", "WHO"}}, c),
            "criteria", "mRECIST"));
}

TEST_CASE("chronology: enrolment, future, surgery, discharge, readmission") {
  auto c = ctx({surgery12()});
  CHECK(has(errors({{"kind", "last_known_alive"}, {"date", "2026-08-31"}}, c), "date",
            "2026-08-31 is before enrolment on 2026-09-01"));
  CHECK(has(errors({{"kind", "last_known_alive"}, {"date", "2026-12-02"}}, c), "date",
            "in the future"));
  // The brief's example: a discharge before the surgery names the surgery.
  auto before = errors({{"kind", "discharge"}, {"date", "2026-10-01"}}, c);
  REQUIRE(before.size() == 1);
  CHECK(before[0] == FieldError{"date", "2026-10-01 is before the surgery of 2026-10-20 (event 12)"});
  CHECK(has(errors({{"kind", "discharge"}, {"date", "2026-10-01"}}, ctx()), "kind",
            "needs a prior surgery"));
  CHECK(has(errors({{"kind", "surgery"}, {"date", "2026-11-01"}, {"procedure", "x"},
                    {"margin", "R1"}}, c), "kind", "the surgery of 2026-10-20 (event 12)"));
  CHECK(has(errors({{"kind", "reoperation"}, {"date", "2026-10-10"}, {"reason", "bleeding"}}, c),
            "date", "before the surgery of 2026-10-20 (event 12)"));
  CHECK(has(errors({{"kind", "reoperation"}, {"date", "2026-10-10"}, {"reason", "bleeding"}}, ctx()),
            "kind", "needs a prior surgery"));
  CHECK(validate_event({{"kind", "reoperation"}, {"date", "2026-10-21"}, {"reason", "bleeding"}}, c)
            .ok());

  auto discharged = ctx({surgery12(), recorded(14, {{"kind", "discharge"}, {"date", "2026-10-30"}})});
  CHECK(has(errors({{"kind", "discharge"}, {"date", "2026-11-03"}}, discharged), "date",
            "already discharged, the discharge of 2026-10-30 (event 14)"));
  // A discharge slipped in between leaves event 14 without an admission: event 14 is named.
  CHECK(has(errors({{"kind", "discharge"}, {"date", "2026-10-25"}}, discharged), "date",
            "conflicts with the discharge of 2026-10-30 (event 14)"));
  CHECK(has(errors({{"kind", "readmission"}, {"date", "2026-10-25"}, {"reason", "fever"}}, discharged),
            "date", "2026-10-25 is before the discharge of 2026-10-30 (event 14)"));
  // Readmitted and not yet discharged: a second readmission names the first.
  auto readmitted = discharged;
  readmitted.existing.push_back(
      recorded(15, {{"kind", "readmission"}, {"date", "2026-11-05"}, {"reason", "fever"}}));
  CHECK(has(errors({{"kind", "readmission"}, {"date", "2026-11-07"}, {"reason", "fever"}}, readmitted),
            "date", "still admitted since the readmission of 2026-11-05 (event 15)"));
  CHECK(has(errors({{"kind", "readmission"}, {"date", "2026-10-25"}, {"reason", "fever"}}, c),
            "kind", "needs a prior discharge"));
  CHECK(validate_event({{"kind", "readmission"}, {"date", "2026-11-05"}, {"reason", "fever"}},
                       discharged).ok());
}

TEST_CASE("chronology: drugs and radiotherapy") {
  auto c = ctx({recorded(3, {{"kind", "drug_start"}, {"date", "2026-09-05"}, {"drug", "apatinib"}}),
                recorded(4, {{"kind", "drug_stop"}, {"date", "2026-10-01"}, {"drug", "apatinib"}})});
  CHECK(has(errors({{"kind", "drug_hold"}, {"date", "2026-09-10"}, {"drug", "camrelizumab"}}, c),
            "drug", "camrelizumab has not been started"));
  CHECK(has(errors({{"kind", "dose_change"}, {"date", "2026-10-05"}, {"drug", "apatinib"},
                    {"dose", 500}, {"dose_unit", "mg"}}, c),
            "date", "2026-10-05 is after the drug_stop of apatinib of 2026-10-01 (event 4)"));
  CHECK(has(errors({{"kind", "drug_start"}, {"date", "2026-09-20"}, {"drug", "apatinib"}}, c),
            "drug", "already given since the drug_start of apatinib of 2026-09-05 (event 3)"));
  CHECK(validate_event({{"kind", "drug_hold"}, {"date", "2026-09-20"}, {"drug", "apatinib"}}, c).ok());
  CHECK(has(errors({{"kind", "radiotherapy_end"}, {"date", "2026-09-30"}, {"dose_gy", 45},
                    {"fractions", 15}}, c), "kind", "needs a radiotherapy start"));
}

TEST_CASE("chronology: nothing after death except its corrections") {
  auto c = ctx({surgery12(),
                recorded(20, {{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "liver failure"}})});
  CHECK(has(errors({{"kind", "last_known_alive"}, {"date", "2026-11-10"}}, c), "date",
            "2026-11-10 is after the death of 2026-11-05 (event 20)"));
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "sepsis"}}, c), "kind",
            "a death is already recorded"));
  // Late entry of an earlier event is fine.
  CHECK(validate_event({{"kind", "surgical_complication"}, {"date", "2026-10-25"}, {"grade", "IVa"},
                        {"term", "liver failure"}}, c).ok());
  // The death's own correction is accepted, and checked without the corrected record.
  CHECK(validate_event({{"kind", "death"}, {"date", "2026-11-06"}, {"cause", "liver failure"},
                        {"corrects", 20}}, c).ok());
  CHECK(has(errors({{"kind", "discharge"}, {"date", "2026-11-01"}, {"corrects", 20}}, c),
            "corrects", "event 20 is a death, not a discharge"));
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-11-06"}, {"cause", "x"}, {"corrects", 99}}, c),
            "corrects", "no event 99"));
  // A death dated before a recorded event: the recorded one is named.
  auto alive = ctx({surgery12(), recorded(21, {{"kind", "last_known_alive"}, {"date", "2026-11-20"}})});
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "x"}}, alive), "date",
            "conflicts with the last_known_alive of 2026-11-20 (event 21)"));
}

TEST_CASE("Clavien-Dindo grades parse and order") {
  CHECK(parse_clavien_dindo("IIIb") == ClavienDindoGrade{ClavienDindo::IIIb, false});
  CHECK(parse_clavien_dindo("IVad") == ClavienDindoGrade{ClavienDindo::IVa, true});
  CHECK_FALSE(parse_clavien_dindo("Vd"));
  CHECK_FALSE(parse_clavien_dindo("III"));
  CHECK_FALSE(parse_clavien_dindo(""));
  CHECK(ClavienDindo::IIIa < ClavienDindo::IIIb);
  CHECK(ClavienDindo::IVb < ClavienDindo::V);
  for (const char* s : {"I", "Id", "II", "IIIa", "IIIbd", "IVa", "IVb", "V"})
    CHECK(to_string(*parse_clavien_dindo(s)) == s);
}

TEST_CASE("chronology: a surgical complication follows the index surgery (Dindo 2004)") {
  const json bile_leak{{"kind", "surgical_complication"}, {"date", "2026-10-22"}, {"grade", "IIIa"}, {"term", "bile leak"}};
  // No surgery recorded: refused on `kind`, saying so.
  auto none = errors(bile_leak, ctx());
  REQUIRE(none.size() == 1);
  CHECK(none[0] == FieldError{"kind", "a surgical complication needs the index surgery before it; no surgery is recorded"});
  // Before the surgery: refused on `date`, naming the surgery and its date.
  json early = bile_leak;
  early["date"] = "2026-10-19";
  CHECK(errors(early, ctx({surgery12()})) ==
        std::vector<FieldError>{{"date", "2026-10-19 is before the surgery of 2026-10-20 (event 12)"}});
  // On the day of the surgery or after: taken.
  json same_day = bile_leak;
  same_day["date"] = "2026-10-20";
  CHECK(validate_event(same_day, ctx({surgery12()})).ok());
  // A surgery entered late, after a complication dated before it, leaves that complication
  // without its surgery: the complication is named.
  auto late = ctx({recorded(13, {{"kind", "surgery"}, {"date", "2026-10-20"}, {"procedure", "x"}, {"margin", "R0"}})});
  late.existing.push_back(recorded(14, bile_leak));
  CHECK(validate_event({{"kind", "discharge"}, {"date", "2026-10-28"}}, late).ok());
  CHECK(has(errors({{"kind", "surgery"}, {"date", "2026-10-23"}, {"procedure", "x"}, {"margin", "R0"}},
                   ctx({recorded(14, bile_leak)})),
            "date", "conflicts with the surgical_complication of 2026-10-22 (event 14)"));
}

TEST_CASE("chronology: a Clavien-Dindo V complication is the subject's death (Dindo 2004; CLINICAL.md)") {
  auto c = ctx({surgery12(), recorded(30, {{"kind", "surgical_complication"}, {"date", "2026-10-25"},
                                           {"grade", "V"}, {"term", "liver failure"}})});
  CHECK(has(errors({{"kind", "last_known_alive"}, {"date", "2026-10-30"}}, c), "date",
            "2026-10-30 is after the surgical_complication of 2026-10-25 (event 30), Clavien–Dindo V: the "
            "subject's death"));
  // The death event of that day is what the course asks the site for; another day is refused.
  CHECK(validate_event({{"kind", "death"}, {"date", "2026-10-25"}, {"cause", "liver failure"}}, c).ok());
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-10-27"}, {"cause", "liver failure"}}, c), "date",
            "is after the surgical_complication of 2026-10-25 (event 30)"));
  // Events of the day itself are fine; a grade IVa complication is no death.
  CHECK(validate_event({{"kind", "discharge"}, {"date", "2026-10-25"}}, c).ok());
  auto iva = ctx({surgery12(), recorded(30, {{"kind", "surgical_complication"}, {"date", "2026-10-25"},
                                             {"grade", "IVa"}, {"term", "liver failure"}})});
  CHECK(validate_event({{"kind", "last_known_alive"}, {"date", "2026-10-30"}}, iva).ok());
  // A Clavien–Dindo V dated before a recorded sign of life: the recorded event is named.
  auto alive = ctx({surgery12(), recorded(21, {{"kind", "last_known_alive"}, {"date", "2026-11-20"}})});
  CHECK(has(errors({{"kind", "surgical_complication"}, {"date", "2026-10-25"}, {"grade", "V"}, {"term", "x"}}, alive),
            "date", "conflicts with the last_known_alive of 2026-11-20 (event 21)"));
}

TEST_CASE("chronology: a grade 5 AE is a death too, and a death names its own AE report") {
  auto c = ctx({surgery12()});
  // CTCAE v5.0 grade 5: AE report S01-0001-AE-002 died on 11-05 (outcome date).
  c.aes = {CourseAe{"S01-0001-AE-001", d("2026-10-02"), std::nullopt, 3, false, true},
           CourseAe{"S01-0001-AE-002", d("2026-11-01"), d("2026-11-05"), 5, true, true}};
  CHECK(errors({{"kind", "last_known_alive"}, {"date", "2026-11-10"}}, c) ==
        std::vector<FieldError>{{"date", "2026-11-10 is after the subject's death on 2026-11-05 (grade 5 AE report "
                                         "S01-0001-AE-002): nothing can happen after death"}});
  CHECK(validate_event({{"kind", "last_known_alive"}, {"date", "2026-11-05"}}, c).ok());
  CHECK(validate_event({{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "sepsis"},
                        {"related_ae", "S01-0001-AE-002"}}, c).ok());
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-11-04"}, {"cause", "sepsis"}}, c), "date",
            "before the subject's death on 2026-11-05 (grade 5 AE report S01-0001-AE-002)"));
  // related_ae: a report of this subject in force, or a 422 on the field.
  auto e = errors({{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "sepsis"}, {"related_ae", "S01-0002-AE-001"}}, c);
  REQUIRE(e.size() == 1);
  CHECK(e[0].field == "related_ae");
  CHECK(has(e, "related_ae", "nullified report does not count"));
  // Its correction is checked the same way.
  auto dead = c;
  dead.existing.push_back(recorded(20, {{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "sepsis"}}));
  CHECK(has(errors({{"kind", "death"}, {"date", "2026-11-06"}, {"cause", "sepsis"}, {"corrects", 20}}, dead),
            "date", "grade 5 AE report S01-0001-AE-002"));
}

namespace {

SubjectEvent drug_start(std::int64_t id, const char* day) {
  return recorded(id, {{"kind", "drug_start"}, {"date", day}, {"drug", "camrelizumab"}});
}
json assessment(const char* day, json extra = {{"pvtt_before", "II"}, {"pvtt_now", "I"}}) {
  json b{{"kind", "response_assessment"}, {"date", day}, {"primary", "SD"}};
  b.update(extra);
  return b;
}

}  // namespace

TEST_CASE("response assessments: after treatment starts, before the hepatectomy, one baseline PVTT type") {
  auto c = ctx({drug_start(1, "2026-09-05"), surgery12()});
  CHECK(validate_event(assessment("2026-10-01"), c).ok());
  CHECK(validate_event(assessment("2026-10-20"), c).ok());  // the pre-operative imaging, the day of surgery
  CHECK(validate_event(assessment("2026-10-01", {{"portal_flow_restored", true}}), c).ok());
  CHECK(has(errors(assessment("2026-10-21"), c), "date",
            "2026-10-21 is after the surgery of 2026-10-20 (event 12): the tumour is resected then"));
  CHECK(has(errors(assessment("2026-09-05"), c), "date",
            "is the day study treatment starts (the drug_start of camrelizumab of 2026-09-05 (event 1))"));
  CHECK(has(errors(assessment("2026-09-03"), c), "date", "is before the drug_start of camrelizumab of 2026-09-05"));
  CHECK(has(errors(assessment("2026-09-10"), ctx()), "kind", "needs the start of study treatment"));
  // The PVTT needs both types, or the flow finding; the overall response is never entered.
  CHECK(errors(assessment("2026-10-01", {{"pvtt_before", "II"}}), c) ==
        std::vector<FieldError>{{"pvtt_now", "is required with pvtt_before: the PVTT's Cheng type before treatment and now"}});
  CHECK(has(errors(json{{"kind", "response_assessment"}, {"date", "2026-10-01"}, {"primary", "SD"}}, c), "pvtt_now",
            "unless portal_flow_restored is given"));
  CHECK(has(errors(assessment("2026-10-01", {{"pvtt_before", "II"}, {"pvtt_now", "I"}, {"overall", "PR"}}), c), "overall",
            "derived from primary and the PVTT by the protocol's rule"));
  CHECK(has(errors(assessment("2026-10-01", {{"portal_flow_restored", "yes"}}), c), "portal_flow_restored",
            "must be true or false"));
  CHECK(has(errors(assessment("2026-10-01", {{"pvtt_before", "none"}, {"pvtt_now", "I"}}), c), "pvtt_before",
            "must be one of I0, I, II, III, IV"));
  CHECK(has(errors(assessment("2026-10-01", {{"primary", "iCR"}}), c), "primary", "must be one of CR, PR, SD, PD, NE"));
  // The type before treatment is one: a second assessment cannot change it.
  auto once = c;
  once.existing.push_back(recorded(15, assessment("2026-10-01", {{"pvtt_before", "III"}, {"pvtt_now", "II"}})));
  CHECK(validate_event(assessment("2026-10-15", {{"pvtt_before", "III"}, {"pvtt_now", "I"}}), once).ok());
  CHECK(has(errors(assessment("2026-10-15", {{"pvtt_before", "II"}, {"pvtt_now", "I"}}), once), "pvtt_before",
            "is II but the response_assessment of 2026-10-01 (event 15) gives III"));
  // A surgery posted before a recorded assessment: the assessment is named.
  auto before_surgery = ctx({drug_start(1, "2026-09-05"), recorded(15, assessment("2026-10-25"))});
  CHECK(has(errors({{"kind", "surgery"}, {"date", "2026-10-20"}, {"procedure", "hepatectomy"}, {"margin", "R0"}},
                   before_surgery),
            "date", "conflicts with the response_assessment of 2026-10-25 (event 15)"));
}

TEST_CASE("pathology: one report, of the index surgery's specimen") {
  const json ok{{"kind", "pathology"}, {"date", "2026-10-20"}, {"viable_tumour_percent", 8.5}, {"margin", "R0"}};
  CHECK(validate_event(ok, ctx({surgery12()})).ok());
  json later = ok;
  later["date"] = "2026-10-27";
  CHECK(has(errors(later, ctx({surgery12()})), "date",
            "2026-10-27 is not the day of the surgery of 2026-10-20 (event 12): a pathology report is dated by its "
            "specimen"));
  CHECK(has(errors(ok, ctx()), "kind", "needs the index surgery; no surgery is recorded"));
  CHECK(has(errors(ok, ctx({recorded(12, {{"kind", "surgery"}, {"date", "2026-10-22"}, {"procedure", "x"}, {"margin", "R1"}})})),
            "date", "is not the day of the surgery of 2026-10-22 (event 12)"));
  auto twice = ctx({surgery12(), recorded(13, ok)});
  CHECK(has(errors(ok, twice), "kind", "a pathology report is already recorded"));
  json fix = ok;
  fix["corrects"] = 13;
  fix["viable_tumour_percent"] = 12;
  CHECK(validate_event(fix, twice).ok());
  json bad = ok;
  bad["viable_tumour_percent"] = 101;
  CHECK(has(errors(bad, ctx({surgery12()})), "viable_tumour_percent", "must be between 0 and 100"));
}
