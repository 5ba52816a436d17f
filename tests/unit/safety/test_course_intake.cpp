// A subject's death from its three sources (CLINICAL.md "Death has many sources": a death
// event, a CTCAE v5.0 grade 5 AE, a Clavien–Dindo V complication), and what intake refuses
// against it (issue 17 §1): nothing after death, one death on one day, a death's AE its own.
// Worked cases: enrolled 2026-09-01, surgery 2026-10-20 (event 12).
#include <doctest/doctest.h>

#include <algorithm>

#include "safety_helpers.hpp"
#include "when.hpp"
#include "pvmon/safety/course.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using json = nlohmann::json;

using namespace pvmon::test;

namespace {

SubjectEvent death20(const char* on = "2026-11-05") {
  return recorded(20, {{"kind", "death"}, {"date", on}, {"cause", "liver failure"}});
}
SubjectEvent cd_v30(const char* on = "2026-10-25") {
  return recorded(30, {{"kind", "surgical_complication"}, {"date", on}, {"grade", "V"}, {"term", "liver failure"}});
}
SubjectEvent alive21(const char* on) { return recorded(21, {{"kind", "last_known_alive"}, {"date", on}}); }

/// A grade 5 AE (CTCAE v5.0: death related to AE), dead on `resolved` (or its onset).
CourseAe fatal(const char* id, const char* onset, std::optional<const char*> resolved) {
  return {id, d(onset), resolved ? std::optional<Date>(d(*resolved)) : std::nullopt, 5, true, true};
}
CourseAe nonfatal(const char* id, const char* onset, int grade = 3) {
  return {id, d(onset), std::nullopt, grade, false, grade >= 3};
}

}  // namespace

TEST_CASE("death records: every source, whatever its date; the first, and the one the course dates by") {
  const std::vector<SubjectEvent> events{surgery12(), cd_v30("2026-10-25"), death20("2026-10-26")};
  const std::vector<CourseAe> aes{nonfatal("AE-1", "2026-10-01"), fatal("AE-2", "2026-10-20", "2026-10-24")};
  const auto r = death_records(events, aes);
  REQUIRE(r.size() == 3);
  CHECK(r[0].source == DeathSource::clavien_dindo_v);
  CHECK(r[0].event_id == 30);
  CHECK(r[1].source == DeathSource::death_event);
  CHECK(r[2].source == DeathSource::fatal_ae);
  CHECK(r[2].date == d("2026-10-24"));  // the fatal outcome's date (E2B(R3) E.i.5), not the onset
  CHECK(first_death(r)->ref == "AE-2");
  CHECK(course_death(r)->ref == "event 20");  // the site's record of the death
  CHECK(describe(r[0]) == "event 30, Clavien–Dindo V");
  CHECK(describe(r[1]) == "event 20");
  CHECK(describe(r[2]) == "grade 5 AE report AE-2");
  // A grade 5 AE without a resolution date died on its onset; Clavien–Dindo IVb is not a death.
  const auto onset_only = death_records({recorded(31, {{"kind", "surgical_complication"}, {"date", "2026-10-22"},
                                                       {"grade", "IVb"}, {"term", "x"}})},
                                        {fatal("AE-3", "2026-10-28", std::nullopt)});
  REQUIRE(onset_only.size() == 1);
  CHECK(onset_only[0].date == d("2026-10-28"));
  CHECK_FALSE(first_death({}));
  CHECK_FALSE(course_death({}));
  // The course reads the same records.
  const auto c = subject_course("S01-0001", d("2026-09-01"), events, aes, d("2026-12-01"));
  CHECK(c.death_records.size() == 3);
  CHECK(c.death == d("2026-10-26"));
}

TEST_CASE("an AE's onset after the subject's death is refused, whichever record gives the death") {
  const auto late = nonfatal("AE-9", "2026-11-06");
  // A death event.
  auto e = ae_course_errors(late, {surgery12(), death20()}, {});
  REQUIRE(e.size() == 1);
  CHECK(e[0] == FieldError{"onset", "is after the subject's death on 2026-11-05 (event 20): nothing can begin after death"});
  // A grade 5 AE dead on 11-05 (onset 11-01).
  CHECK(has(ae_course_errors(late, {surgery12()}, {fatal("AE-2", "2026-11-01", "2026-11-05")}), "onset",
            "after the subject's death on 2026-11-05 (grade 5 AE report AE-2)"));
  // A Clavien–Dindo V complication on 10-25 (Dindo 2004: death of the patient).
  CHECK(has(ae_course_errors(nonfatal("AE-9", "2026-10-26"), {surgery12(), cd_v30()}, {}), "onset",
            "after the subject's death on 2026-10-25 (event 30, Clavien–Dindo V)"));
  // The earliest record is the death: 10-25 here, though the death event says 11-05.
  CHECK(has(ae_course_errors(nonfatal("AE-9", "2026-10-30"), {surgery12(), cd_v30(), death20()}, {}), "onset",
            "2026-10-25 (event 30"));
  // On the day of the death, or before, the AE is taken; a nullified report (absent) is no death.
  CHECK(ae_course_errors(nonfatal("AE-9", "2026-11-05"), {surgery12(), death20()}, {}).empty());
  CHECK(ae_course_errors(late, {surgery12()}, {nonfatal("AE-1", "2026-10-01")}).empty());
}

TEST_CASE("a grade 5 AE dates the one death: same day as the recorded death, and no life after it") {
  const std::vector<SubjectEvent> events{surgery12(), death20("2026-11-05")};
  // Onset 11-01, died 11-05 with the death event: taken. So is a second fatal AE of that death.
  CHECK(ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-05"), events, {}).empty());
  CHECK(ae_course_errors(fatal("AE-3", "2026-11-03", "2026-11-05"), events,
                         {fatal("AE-2", "2026-11-01", "2026-11-05")}).empty());
  // Died 11-04 by the report, 11-05 by the death event: refused on `resolved`, naming the event.
  auto e = ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-04"), events, {});
  REQUIRE(e.size() == 1);
  CHECK(e[0].field == "resolved");
  CHECK(e[0].message.find("on 2026-11-04, but the subject's death is recorded on 2026-11-05 (event 20)") !=
        std::string::npos);
  // Without a resolution date the onset is the death date: the field named is `onset`.
  CHECK(has(ae_course_errors(fatal("AE-2", "2026-11-02", std::nullopt), events, {}), "onset",
            "recorded on 2026-11-05 (event 20)"));
  // An earlier grade 5 AE is the death when no event records it.
  CHECK(has(ae_course_errors(fatal("AE-3", "2026-11-01", "2026-11-03"), {surgery12()},
                             {fatal("AE-2", "2026-10-30", "2026-11-05")}),
            "resolved", "recorded on 2026-11-05 (grade 5 AE report AE-2)"));
  // A fatal AE whose onset is after the death: the onset alone is blamed (its death date follows).
  auto after = ae_course_errors(fatal("AE-4", "2026-11-07", std::nullopt), events, {});
  REQUIRE(after.size() == 1);
  CHECK(after[0].field == "onset");

  // No death recorded yet: the fatal AE may not die before the subject was last seen alive.
  const std::vector<SubjectEvent> seen{surgery12(), alive21("2026-11-20")};
  auto alive = ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-10"), seen, {});
  REQUIRE(alive.size() == 1);
  CHECK(alive[0] == FieldError{"resolved", "dates the subject's death (grade 5, outcome fatal) on 2026-11-10, before "
                                           "the last_known_alive of 2026-11-20 (event 21): the subject was alive then"});
  // Nor before another AE began; the latest record of life is the one named.
  CHECK(has(ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-10"), seen, {nonfatal("AE-5", "2026-11-25")}),
            "resolved", "before the onset of AE report AE-5 on 2026-11-25"));
  CHECK(ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-20"), seen, {nonfatal("AE-5", "2026-11-20")}).empty());
}

TEST_CASE("the report's own stored version is no other record: replays and follow-ups") {
  const std::vector<SubjectEvent> events{surgery12(), death20("2026-11-05")};
  const auto stored = fatal("AE-2", "2026-11-01", "2026-11-05");
  // The same report again (a replay): nothing conflicts, the store answers it.
  CHECK(ae_course_errors(stored, events, {stored, nonfatal("AE-1", "2026-10-01")}).empty());
  // A follow-up moving its death to 11-04 conflicts with the death event, not with itself.
  auto moved = ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-04"), events, {stored});
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].message.find("(event 20)") != std::string::npos);
  // Without a death event, its own old date is no death to agree with.
  CHECK(ae_course_errors(fatal("AE-2", "2026-11-01", "2026-11-04"), {surgery12()}, {stored}).empty());
  // A grade 3 report upgraded to grade 5 after another fatal AE: the other one is the death.
  CHECK(has(ae_course_errors(fatal("AE-6", "2026-10-30", "2026-11-02"), {surgery12()},
                             {nonfatal("AE-6", "2026-10-30"), stored}),
            "resolved", "(grade 5 AE report AE-2)"));
}

TEST_CASE("a subject event against the subject's AEs: nothing after a fatal AE's death, one death, its own AE") {
  const std::vector<CourseAe> aes{nonfatal("AE-1", "2026-10-01"), fatal("AE-2", "2026-11-01", "2026-11-05")};
  auto alive = event_course_errors(alive21("2026-11-06"), aes);
  REQUIRE(alive.size() == 1);
  CHECK(alive[0] == FieldError{"date", "2026-11-06 is after the subject's death on 2026-11-05 (grade 5 AE report "
                                       "AE-2): nothing can happen after death"});
  CHECK(event_course_errors(alive21("2026-11-05"), aes).empty());
  // The death event: on the fatal AE's day, naming it; another day is refused either way.
  CHECK(event_course_errors(recorded(0, {{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "x"},
                                         {"related_ae", "AE-2"}}), aes).empty());
  CHECK(has(event_course_errors(death20("2026-11-06"), aes), "date", "is after the subject's death on 2026-11-05"));
  CHECK(has(event_course_errors(death20("2026-11-04"), aes), "date",
            "2026-11-04 is before the subject's death on 2026-11-05 (grade 5 AE report AE-2)"));
  // So is a Clavien–Dindo V complication: it records the death too.
  CHECK(has(event_course_errors(cd_v30("2026-11-03"), aes), "date", "before the subject's death on 2026-11-05"));
  CHECK(event_course_errors(recorded(31, {{"kind", "surgical_complication"}, {"date", "2026-11-03"}, {"grade", "IVa"},
                                          {"term", "x"}}), aes).empty());
  // A death before an AE began: the subject was alive then; the latest onset is named.
  const std::vector<CourseAe> later{nonfatal("AE-1", "2026-11-08"), nonfatal("AE-7", "2026-11-10", 2)};
  CHECK(event_course_errors(death20("2026-11-05"), later) ==
        std::vector<FieldError>{{"date", "2026-11-05 is before the onset of AE report AE-7 on 2026-11-10: the "
                                         "subject was alive then"}});
  CHECK(event_course_errors(alive21("2026-11-05"), later).empty());  // only a death is bound by it
  // related_ae names a report of the subject in force (a nullified one is not in the list).
  auto unknown = event_course_errors(recorded(0, {{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "x"},
                                                  {"related_ae", "S02-0001-AE-001"}}), aes);
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].field == "related_ae");
  CHECK(unknown[0].message.find("'S02-0001-AE-001' is not an AE report of this subject") != std::string::npos);
  CHECK(event_course_errors(recorded(0, {{"kind", "death"}, {"date", "2026-11-05"}, {"cause", "x"},
                                         {"related_ae", "AE-2"}}), {}).at(0).field == "related_ae");
}
