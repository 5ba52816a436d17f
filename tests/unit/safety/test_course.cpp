// One subject's course (course.hpp): the death from every source and the queries when they
// disagree, the cut-off, last contact, the index admission; the surgical windows it feeds
// (surgical.hpp) and the alerts the scheduler raises from it (rules.hpp on_courses).
// Every expected value is worked by hand from the rule cited beside it (CLINICAL.md; CTCAE v5.0;
// Dindo et al., Ann Surg 2004; ICH E2A), never taken from the code's own output.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>

#include "safety_helpers.hpp"
#include "when.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/rules.hpp"
#include "pvmon/safety/surgical.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using nlohmann::json;

using namespace pvmon::test;

namespace {

// Calendar used throughout: enrolment 2026-09-01, index surgery 2026-10-01 = day 0, so
// day 9 = 10-10, day 15 = 10-16, day 19 = 10-20, day 20 = 10-21, day 30 = 10-31, day 31 = 11-01,
// day 35 = 11-05, day 40 = 11-10, day 65 = 12-05, day 90 = 12-30, day 91 = 12-31.
constexpr const char* kSubject = "S01-003";
constexpr const char* kEnrolled = "2026-09-01";
constexpr const char* kSurgery = "2026-10-01";

SubjectEvent ev(std::int64_t id, const char* kind, const char* date, json extra = json::object()) {
  SubjectEvent e;
  e.id = id;
  e.kind = kind;
  e.date = d(date);
  e.fields = std::move(extra);
  e.fields["kind"] = kind;
  e.fields["date"] = date;
  return e;
}
SubjectEvent surgery(std::int64_t id, const char* date = kSurgery) {
  return ev(id, "surgery", date, {{"procedure", "hepatectomy"}, {"margin", "R0"}});
}
SubjectEvent complication(std::int64_t id, const char* date, const char* grade) {
  return ev(id, "surgical_complication", date, {{"grade", grade}, {"term", "liver failure"}});
}
SubjectEvent death(std::int64_t id, const char* date) {
  return ev(id, "death", date, {{"cause", "liver failure"}});
}

// An AE as the store gives it to the course (sqlite_store load_course_aes): fatal = grade 5
// (CTCAE v5.0 grade 5, "death related to AE").
CourseAe ae(const char* id, const char* onset, const char* resolved, int grade, bool serious) {
  return CourseAe{id, d(onset), resolved ? std::optional<Date>(d(resolved)) : std::nullopt, grade, grade == 5, serious};
}

SubjectCourse course(const std::vector<SubjectEvent>& events, const std::vector<CourseAe>& aes,
                     const char* cutoff, const char* subject = kSubject) {
  return subject_course(subject, d(kEnrolled), events, aes, d(cutoff));
}

std::vector<QueryKind> kinds(const SubjectCourse& c) {
  std::vector<QueryKind> k;
  for (const auto& q : c.queries) k.push_back(q.kind);
  return k;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The windows of one course, as the figures see it (service/figures.cpp surgical_of).
SubjectSurgical windows(const SubjectCourse& c) {
  REQUIRE(c.facts.surgery);
  return assess_subject(c.facts, c.cutoff);
}

}  // namespace

// ---- Death has many sources (CLINICAL.md) -----------------------------------------------------

TEST_CASE("a death event alone: dead on its date, and its SAE report is asked for") {
  // CLINICAL.md: any one source makes the subject dead. ICH E2A II.B: a death is an outcome that
  // "results in death", so a grade 5 serious AE report must exist: fatal_sae_missing.
  auto c = course({surgery(1), ev(2, "discharge", "2026-10-10"), death(3, "2026-10-21")}, {}, "2026-12-31");
  CHECK(c.dead());
  CHECK(c.death == d("2026-10-21"));
  REQUIRE(c.death_records.size() == 1);
  CHECK(c.death_records[0].source == DeathSource::death_event);
  CHECK(c.death_records[0].date == d("2026-10-21"));
  CHECK(c.death_records[0].ref == "event 3");
  CHECK(c.death_records[0].event_id == 3);
  CHECK(kinds(c) == std::vector<QueryKind>{QueryKind::fatal_sae_missing});
  CHECK(c.queries[0].refs == std::vector<std::string>{"death_event event 3"});
  CHECK(contains(c.queries[0].text, "death event 3 on 2026-10-21"));
  CHECK(c.facts.death == d("2026-10-21"));
  // The death itself is no evidence of life: last contact is the discharge.
  CHECK(c.last_contact == d("2026-10-10"));
}

TEST_CASE("a grade 5 AE alone: dead on its resolution date, else its onset; the death event is asked for") {
  // CTCAE v5.0: grade 5 = death related to AE. Its death date is the outcome's date (resolution
  // with outcome fatal, E2B(R3) E.i.5), else its onset. No death event: death_event_missing; the
  // AE is itself the serious grade 5 report, so nothing else is asked.
  const std::vector<SubjectEvent> events = {surgery(1), ev(2, "discharge", "2026-10-10")};
  auto resolved = course(events, {ae("S01-AE-0009", "2026-10-15", "2026-10-18", 5, true)}, "2026-12-31");
  CHECK(resolved.death == d("2026-10-18"));
  REQUIRE(resolved.death_records.size() == 1);
  CHECK(resolved.death_records[0].source == DeathSource::fatal_ae);
  CHECK(resolved.death_records[0].ref == "S01-AE-0009");
  CHECK(resolved.death_records[0].event_id == 0);
  CHECK(kinds(resolved) == std::vector<QueryKind>{QueryKind::death_event_missing});
  CHECK(contains(resolved.queries[0].text, "fatal AE S01-AE-0009 on 2026-10-18"));
  CHECK(resolved.queries[0].refs == std::vector<std::string>{"fatal_ae S01-AE-0009"});
  // The onset was a day the subject was alive; the fatal outcome was not.
  CHECK(resolved.last_contact == d("2026-10-15"));

  auto open = course(events, {ae("S01-AE-0009", "2026-10-15", nullptr, 5, true)}, "2026-12-31");
  CHECK(open.death == d("2026-10-15"));
  CHECK(kinds(open) == std::vector<QueryKind>{QueryKind::death_event_missing});
}

TEST_CASE("a Clavien–Dindo V complication alone: dead on its date, with two queries") {
  // Dindo et al., Ann Surg 2004: grade V = death of a patient. Neither a death event nor a
  // grade 5 SAE report: death_event_missing and fatal_sae_missing (CLINICAL.md, ICH E2A II.B).
  auto c = course({surgery(1), complication(2, "2026-10-05", "IVa"), complication(3, "2026-10-16", "V")}, {},
                  "2026-12-31");
  CHECK(c.death == d("2026-10-16"));
  REQUIRE(c.death_records.size() == 1);
  CHECK(c.death_records[0].source == DeathSource::clavien_dindo_v);
  CHECK(c.death_records[0].ref == "event 3");
  CHECK(c.death_records[0].event_id == 3);
  CHECK(kinds(c) == std::vector<QueryKind>{QueryKind::death_event_missing, QueryKind::fatal_sae_missing});
  CHECK(contains(c.queries[0].text, "Clavien–Dindo V event 3 on 2026-10-16"));
  // The IVa complication shows the subject alive on 10-05; the V one is the death.
  CHECK(c.last_contact == d("2026-10-05"));
  CHECK(std::find(c.facts.alive_on.begin(), c.facts.alive_on.end(), d("2026-10-16")) == c.facts.alive_on.end());
  // Never discharged, nothing shows the subject left: the admission ended with the death.
  CHECK(c.admission_end == AdmissionEnd::death);
  CHECK(c.admission_end_date == d("2026-10-16"));
  // In the windows: day 15, in hospital, within 30 and 90 days.
  auto w = windows(c);
  CHECK(w.death == d("2026-10-16"));
  CHECK(w.in_hospital_death == true);
  CHECK(w.day30 == WindowStatus::dead_within);
  CHECK(w.day90 == WindowStatus::dead_within);
  CHECK(w.day30_closed_on == d("2026-10-16"));
}

TEST_CASE("a death event and a serious grade 5 AE on the same day: one death, no query") {
  // CLINICAL.md: the sources agree, so there is nothing to reconcile.
  const std::vector<SubjectEvent> events = {surgery(1), ev(2, "discharge", "2026-10-10"), death(3, "2026-10-21")};
  auto c = course(events, {ae("S01-AE-0011", "2026-10-19", "2026-10-21", 5, true)}, "2026-12-31");
  CHECK(c.death == d("2026-10-21"));
  CHECK(c.death_records.size() == 2);
  CHECK(c.queries.empty());
  // A Clavien–Dindo V on the same day as well: three records of one death, still no query.
  auto all = events;
  all.push_back(complication(4, "2026-10-21", "V"));
  auto c3 = course(all, {ae("S01-AE-0011", "2026-10-19", "2026-10-21", 5, true)}, "2026-12-31");
  CHECK(c3.death == d("2026-10-21"));
  CHECK(c3.death_records.size() == 3);
  CHECK(c3.queries.empty());
}

TEST_CASE("sources dating the death differently: the death event wins, else the earliest; a query") {
  // CLINICAL.md: one date of death (never two truths), the disagreement a death_dates_differ query.
  const std::vector<SubjectEvent> base = {surgery(1), ev(2, "discharge", "2026-10-10")};
  auto with_event = base;
  with_event.push_back(death(3, "2026-10-21"));
  auto a = course(with_event, {ae("S01-AE-0012", "2026-10-12", "2026-10-18", 5, true)}, "2026-12-31");
  CHECK(a.death == d("2026-10-21"));  // the site's death record, though the AE says 10-18
  CHECK(kinds(a) == std::vector<QueryKind>{QueryKind::death_dates_differ});
  CHECK(contains(a.queries[0].text, "death_event event 3 on 2026-10-21"));
  CHECK(contains(a.queries[0].text, "fatal_ae S01-AE-0012 on 2026-10-18"));
  CHECK(a.queries[0].refs == std::vector<std::string>{"death_event event 3", "fatal_ae S01-AE-0012"});

  // No death event: Clavien–Dindo V on 10-16 and a grade 5 SAE dying 10-18 -> the earliest,
  // 10-16; the death event is missing and the dates differ. The SAE report exists.
  auto cd = base;
  cd.push_back(complication(3, "2026-10-16", "V"));
  auto b = course(cd, {ae("S01-AE-0012", "2026-10-12", "2026-10-18", 5, true)}, "2026-12-31");
  CHECK(b.death == d("2026-10-16"));
  CHECK(kinds(b) == std::vector<QueryKind>{QueryKind::death_event_missing, QueryKind::death_dates_differ});
}

TEST_CASE("a non-serious grade 5 AE or a serious grade 4 AE is no SAE report of the death") {
  // ICH E2A II.B: an AE that results in death is serious; the report of the death is a serious
  // grade 5 AE (CTCAE v5.0). Anything less leaves fatal_sae_missing open.
  const std::vector<SubjectEvent> events = {surgery(1), ev(2, "discharge", "2026-10-10"), death(3, "2026-10-21")};
  auto non_serious = course(events, {ae("S01-AE-0013", "2026-10-20", "2026-10-21", 5, false)}, "2026-12-31");
  CHECK(non_serious.death == d("2026-10-21"));
  CHECK(kinds(non_serious) == std::vector<QueryKind>{QueryKind::fatal_sae_missing});
  auto grade4 = course(events, {ae("S01-AE-0014", "2026-10-20", nullptr, 4, true)}, "2026-12-31");
  CHECK(grade4.death_records.size() == 1);  // grade 4 is life-threatening, not a death
  CHECK(kinds(grade4) == std::vector<QueryKind>{QueryKind::fatal_sae_missing});
  // A non-serious grade 5 AE alone: the death event is asked for; the seriousness is intake's to
  // enforce (grade 5 carries the death criterion, coding.cpp), not a course query.
  auto alone = course({surgery(1)}, {ae("S01-AE-0013", "2026-10-20", "2026-10-21", 5, false)}, "2026-12-31");
  CHECK(alone.death == d("2026-10-21"));
  CHECK(kinds(alone) == std::vector<QueryKind>{QueryKind::death_event_missing});
}

TEST_CASE("an AE of a subject who died of something else (death_unrelated, grade below 5) is no death source") {
  // CTCAE v5.0: only grade 5 is "death related to AE". An AE with outcome fatal and
  // death_unrelated (grade 3 here) says the subject died, but not of it: not a source.
  auto c = course({surgery(1), ev(2, "discharge", "2026-10-10")},
                  {ae("S01-AE-0015", "2026-10-15", "2026-10-21", 3, true)}, "2026-12-31");
  CHECK_FALSE(c.dead());
  CHECK(c.death_records.empty());
  CHECK(c.queries.empty());
  CHECK_FALSE(c.facts.death.has_value());

  // The same from the compact facts (course_aes): grade 3, outcome fatal -> no fatal entry.
  AeFactTables t;
  t.subjects = {kSubject};
  AeFact f;
  f.id = 1;
  f.report_id = t.add_report_id("S01-AE-0015");
  f.subject = 0;
  f.grade = 3;
  f.serious = true;
  f.onset = d("2026-10-15");
  f.resolved = d("2026-10-21");
  f.outcome = static_cast<std::uint8_t>(t.intern(t.outcomes, std::string("fatal")));
  auto aes = course_aes({f}, t, d("2026-12-31"));
  REQUIRE(aes.count(kSubject) == 1);
  REQUIRE(aes[kSubject].size() == 1);
  CHECK_FALSE(aes[kSubject][0].fatal);
  CHECK_FALSE(course({surgery(1)}, aes[kSubject], "2026-12-31").dead());
}

// ---- The cut-off (CLINICAL.md "Data cut-off") --------------------------------------------------

TEST_CASE("the cut-off: each source counts from its date on, not before") {
  // Events by their date, AEs by onset, a grade 5 AE's death by its death date (issue 17 §3).
  const std::vector<SubjectEvent> base = {surgery(1), ev(2, "discharge", "2026-10-10")};

  auto with_death = base;
  with_death.push_back(death(3, "2026-10-21"));
  CHECK_FALSE(course(with_death, {}, "2026-10-20").dead());
  CHECK(course(with_death, {}, "2026-10-20").queries.empty());
  CHECK(course(with_death, {}, "2026-10-21").death == d("2026-10-21"));

  auto with_cd = base;
  with_cd.push_back(complication(3, "2026-10-16", "V"));
  CHECK_FALSE(course(with_cd, {}, "2026-10-15").dead());
  CHECK(course(with_cd, {}, "2026-10-16").death == d("2026-10-16"));

  // Grade 5 AE: onset 10-15, died 10-18.
  const std::vector<CourseAe> fatal = {ae("S01-AE-0016", "2026-10-15", "2026-10-18", 5, true)};
  auto before_onset = course(base, fatal, "2026-10-14");
  CHECK_FALSE(before_onset.dead());
  CHECK(before_onset.last_contact == d("2026-10-10"));  // the onset has not happened yet
  auto before_death = course(base, fatal, "2026-10-17");
  CHECK_FALSE(before_death.dead());  // not yet a death
  CHECK(before_death.queries.empty());
  CHECK(before_death.last_contact == d("2026-10-15"));  // alive at the onset
  CHECK(course(base, fatal, "2026-10-18").death == d("2026-10-18"));

  // A death event after the cut-off and a grade 5 AE before it: dead by the AE, and as of the
  // cut-off the death event is missing.
  auto c = course(with_death, fatal, "2026-10-19");
  CHECK(c.death == d("2026-10-18"));
  CHECK(kinds(c) == std::vector<QueryKind>{QueryKind::death_event_missing});
}

// ---- Last contact (issue 17 §1) --------------------------------------------------------------

TEST_CASE("last contact: the latest evidence of life on or before the cut-off, never after the death") {
  // Enrolment alone.
  CHECK(course({}, {}, "2026-12-31").last_contact == d(kEnrolled));
  // The resolution of a non-fatal AE after the last event: LKA 11-15, AE 11-10..12-05 -> 12-05.
  const std::vector<SubjectEvent> events = {surgery(1), ev(2, "discharge", "2026-10-10"),
                                            ev(3, "last_known_alive", "2026-11-15")};
  const std::vector<CourseAe> aes = {ae("S01-AE-0017", "2026-11-10", "2026-12-05", 2, false)};
  CHECK(course(events, aes, "2026-12-31").last_contact == d("2026-12-05"));
  // Resolved after the cut-off: only the onset and the events count -> 11-15.
  CHECK(course(events, aes, "2026-12-01").last_contact == d("2026-11-15"));
  // An AE onset after the last event is evidence of life too.
  CHECK(course(events, {ae("S01-AE-0018", "2026-11-20", nullptr, 1, false)}, "2026-12-31").last_contact ==
        d("2026-11-20"));
  // A death on 11-20: the AE's resolution on 12-05 is after it and does not count.
  auto dead = events;
  dead.push_back(death(4, "2026-11-20"));
  auto c = course(dead, aes, "2026-12-31");
  CHECK(c.last_contact == d("2026-11-15"));
  CHECK(c.facts.alive_on.back() == d("2026-11-15"));
  // A fatal AE's outcome date is the death, not evidence of life: 11-18 onset, 11-20 fatal.
  auto f = course(events, {ae("S01-AE-0019", "2026-11-18", "2026-11-20", 5, true)}, "2026-12-31");
  CHECK(f.death == d("2026-11-20"));
  CHECK(f.last_contact == d("2026-11-18"));
}

// ---- The index admission (CLINICAL.md) --------------------------------------------------------

TEST_CASE("outpatient evidence: the event kinds that show the subject out of hospital") {
  // CLINICAL.md: a visit, a last-known-alive date, a readmission; in this protocol also imaging
  // (progression, relapse), radiotherapy and drug (re)starts. Holds and stops happen on the ward.
  for (const char* k : {"last_known_alive", "readmission", "progression", "relapse", "radiotherapy_start",
                        "radiotherapy_end", "drug_start", "dose_change"}) {
    CAPTURE(k);
    CHECK(outpatient_evidence(k));
  }
  for (const char* k : {"surgery", "discharge", "reoperation", "surgical_complication", "drug_hold", "drug_stop",
                        "death", "withdrawal", ""}) {
    CAPTURE(k);
    CHECK_FALSE(outpatient_evidence(k));
  }
}

TEST_CASE("the index admission ends at the discharge, or at the first outpatient evidence after surgery") {
  // CLINICAL.md: the index admission lasts from surgery to discharge; outpatient evidence shows
  // the patient left even when no discharge was recorded.
  auto discharged = course({surgery(1), ev(2, "discharge", "2026-10-10")}, {}, "2026-12-31");
  CHECK(discharged.surgery == d(kSurgery));
  CHECK(discharged.admission_end == AdmissionEnd::discharge);
  CHECK(discharged.admission_end_date == d("2026-10-10"));

  auto seen = course({surgery(1), ev(2, "reoperation", "2026-10-05", {{"reason", "bleeding"}}),
                      ev(3, "last_known_alive", "2026-10-25"), ev(4, "readmission", "2026-11-02", {{"reason", "x"}})},
                     {}, "2026-12-31");
  CHECK(seen.admission_end == AdmissionEnd::outpatient_evidence);
  CHECK(seen.admission_end_date == d("2026-10-25"));  // the first of them
  CHECK(seen.facts.left_hospital == d("2026-10-25"));
  auto w = windows(seen);
  CHECK(w.in_hospital_death == false);
  CHECK(w.window30_last_day == d("2026-10-31"));  // day 30: the admission ended before it

  // Ward events (a reoperation, a complication, a drug hold) and outpatient kinds dated on or
  // before the surgery (neoadjuvant apatinib) do not end it: still in hospital.
  auto ward = course({ev(1, "drug_start", "2026-09-10", {{"drug", "apatinib"}}), surgery(2),
                      ev(3, "dose_change", kSurgery, {{"drug", "apatinib"}}),
                      ev(4, "reoperation", "2026-10-05", {{"reason", "bleeding"}}),
                      complication(5, "2026-10-05", "IIIb"), ev(6, "drug_hold", "2026-10-06", {{"drug", "apatinib"}})},
                     {}, "2026-10-20");
  CHECK(ward.admission_end == AdmissionEnd::open);
  CHECK_FALSE(ward.admission_end_date.has_value());
  CHECK_FALSE(ward.facts.left_hospital.has_value());
  CHECK_FALSE(windows(ward).in_hospital_death.has_value());
  // Outpatient evidence after the cut-off does not count yet.
  auto later = course({surgery(1), ev(2, "last_known_alive", "2026-10-25")}, {}, "2026-10-24");
  CHECK(later.admission_end == AdmissionEnd::open);
  // Never operated: no admission.
  auto none = course({ev(1, "drug_start", "2026-09-10", {{"drug", "apatinib"}})}, {}, "2026-12-31");
  CHECK_FALSE(none.surgery.has_value());
  CHECK(none.admission_end == AdmissionEnd::open);
}

TEST_CASE("a death with no discharge is in hospital only when nothing shows the subject left before it") {
  // CLINICAL.md: 30-day mortality is death within 30 days or during the index admission if
  // longer. No discharge, nothing else: died in hospital on day 35 -> within the 30-day window.
  auto in_hospital = course({surgery(1), ev(2, "reoperation", "2026-10-20", {{"reason", "bile leak"}}),
                             death(3, "2026-11-05")},
                            {ae("S01-AE-0020", "2026-10-18", "2026-11-05", 5, true)}, "2026-12-31");
  CHECK(in_hospital.admission_end == AdmissionEnd::death);
  CHECK(in_hospital.admission_end_date == d("2026-11-05"));
  auto w = windows(in_hospital);
  CHECK(w.in_hospital_death == true);
  CHECK(w.day30 == WindowStatus::dead_within);  // day 35, index admission
  CHECK(w.day30_closed_on == d("2026-11-05"));

  // A last-known-alive contact on day 19 shows the subject had left: the same death on day 35 is
  // out of hospital and after day 30 (alive on day 34, the day before it); within 90 days.
  auto out = course({surgery(1), ev(2, "last_known_alive", "2026-10-20"), death(3, "2026-11-05")},
                    {ae("S01-AE-0020", "2026-10-25", "2026-11-05", 5, true)}, "2026-12-31");
  CHECK(out.admission_end == AdmissionEnd::outpatient_evidence);
  CHECK(out.admission_end_date == d("2026-10-20"));
  auto wo = windows(out);
  CHECK(wo.in_hospital_death == false);
  CHECK(wo.day30 == WindowStatus::alive_closed);
  CHECK(wo.day90 == WindowStatus::dead_within);

  // Readmitted on day 24 without a recorded discharge, died on day 27 during the readmission:
  // the index admission had ended (readmission is outpatient evidence), so not an in-hospital
  // death of the index admission, but within 30 days.
  auto readm = course({surgery(1), ev(2, "readmission", "2026-10-25", {{"reason", "sepsis"}}), death(3, "2026-10-28")},
                      {ae("S01-AE-0021", "2026-10-25", "2026-10-28", 5, true)}, "2026-12-31");
  CHECK(readm.admission_end == AdmissionEnd::outpatient_evidence);
  auto wr = windows(readm);
  CHECK(wr.in_hospital_death == false);
  CHECK(wr.day30 == WindowStatus::dead_within);
}

// ---- Windows (CLINICAL.md "Post-surgical mortality") -----------------------------------------

TEST_CASE("each death source feeds the 30-day window: day 30 is within, day 31 after discharge is not") {
  // CLINICAL.md: day of surgery = day 0; death within 30 days, or during a longer index admission.
  const std::vector<SubjectEvent> base = {surgery(1), ev(2, "discharge", "2026-10-10")};
  // Grade 5 AE dying on day 30 (10-31), no death event.
  auto ae30 = windows(course(base, {ae("S01-AE-0022", "2026-10-25", "2026-10-31", 5, true)}, "2026-12-31"));
  CHECK(ae30.death == d("2026-10-31"));
  CHECK(ae30.day30 == WindowStatus::dead_within);
  CHECK(ae30.day30_closed_on == d("2026-10-31"));
  // Clavien–Dindo V on day 31 (11-01), after the discharge on day 9.
  auto cd = base;
  cd.push_back(complication(3, "2026-11-01", "V"));
  auto cd31 = windows(course(cd, {}, "2026-12-31"));
  CHECK(cd31.death == d("2026-11-01"));
  CHECK(cd31.in_hospital_death == false);
  CHECK(cd31.day30 == WindowStatus::alive_closed);
  CHECK(cd31.day90 == WindowStatus::dead_within);
  // Death event on day 90 (12-30) and on day 91 (12-31), after the discharge.
  auto d90 = base;
  d90.push_back(death(3, "2026-12-30"));
  CHECK(windows(course(d90, {}, "2027-01-31")).day90 == WindowStatus::dead_within);
  auto d91 = base;
  d91.push_back(death(3, "2026-12-31"));
  CHECK(windows(course(d91, {}, "2027-01-31")).day90 == WindowStatus::alive_closed);
}

TEST_CASE("30- and 90-day windows: pending up to the last day, unknown after it, closed by evidence on or after it") {
  // CLINICAL.md: past its last day with neither a death nor evidence of life, vital status is
  // unknown (listed, counted in the bounds, never a survivor); before it the window is pending.
  // Discharged on day 9, last known alive on day 19; the 30-day window's last day is 10-31.
  const std::vector<SubjectEvent> base = {surgery(1), ev(2, "discharge", "2026-10-10"),
                                          ev(3, "last_known_alive", "2026-10-20")};
  auto on_last_day = windows(course(base, {}, "2026-10-31"));
  CHECK(on_last_day.day30 == WindowStatus::pending);
  CHECK(on_last_day.pending30_reason == "window open until 2026-10-31");
  CHECK(on_last_day.window30_last_day == d("2026-10-31"));
  CHECK_FALSE(on_last_day.day30_closed_on.has_value());
  auto day_after = windows(course(base, {}, "2026-11-01"));
  CHECK(day_after.day30 == WindowStatus::unknown);
  CHECK(day_after.pending30_reason == "no follow-up on or after 2026-10-31");
  CHECK_FALSE(day_after.day30_closed_on.has_value());
  CHECK(day_after.last_contact == d("2026-10-20"));
  auto s = surgical_safety({course(base, {}, "2026-11-01").facts}, d("2026-11-01"));
  CHECK(s.unknown30 == std::vector<std::string>{kSubject});
  CHECK(s.pending30.empty());
  CHECK(s.mortality30.n == 0);  // never counted as a survivor
  CHECK(s.mortality30_all_alive.n == 1);
  CHECK(s.mortality30_all_alive.events == 0);
  CHECK(s.mortality30_all_dead.events == 1);

  // Evidence of life on the last day itself closes it, that day.
  auto seen = base;
  seen.push_back(ev(4, "last_known_alive", "2026-10-31"));
  auto closed = windows(course(seen, {}, "2026-10-31"));
  CHECK(closed.day30 == WindowStatus::alive_closed);
  CHECK(closed.day30_closed_on == d("2026-10-31"));
  CHECK(closed.pending30_reason.empty());
  // An AE resolved on day 32 closes it too (AE resolutions are evidence of life, issue 17 §1).
  auto by_ae = windows(course(base, {ae("S01-AE-0023", "2026-10-22", "2026-11-02", 2, false)}, "2026-12-01"));
  CHECK(by_ae.day30 == WindowStatus::alive_closed);
  CHECK(by_ae.day30_closed_on == d("2026-11-02"));

  // 90 days: last day 12-30.
  CHECK(windows(course(base, {}, "2026-12-30")).day90 == WindowStatus::pending);
  CHECK(windows(course(base, {}, "2026-12-30")).pending90_reason == "window open until 2026-12-30");
  auto past90 = windows(course(base, {}, "2026-12-31"));
  CHECK(past90.day90 == WindowStatus::unknown);
  CHECK(past90.pending90_reason == "no follow-up on or after 2026-12-30");
  CHECK(past90.window90_last_day == d("2026-12-30"));
  auto seen90 = base;
  seen90.push_back(ev(4, "last_known_alive", "2026-12-30"));
  CHECK(windows(course(seen90, {}, "2026-12-31")).day90 == WindowStatus::alive_closed);
}

TEST_CASE("a longer index admission: the 30-day window lasts until the discharge") {
  // CLINICAL.md: "or during the index admission if that is longer". Reoperated on day 19,
  // discharged on day 40 (11-10): the window's last day is 11-10, and the discharge (alive, out
  // of hospital) closes it that day.
  const std::vector<SubjectEvent> ward = {surgery(1), ev(2, "reoperation", "2026-10-20", {{"reason", "bleeding"}}),
                                          ev(4, "discharge", "2026-11-10")};
  auto w = windows(course(ward, {}, "2026-11-10"));
  CHECK(w.window30_last_day == d("2026-11-10"));
  CHECK(w.day30 == WindowStatus::alive_closed);
  CHECK(w.day30_closed_on == d("2026-11-10"));
  CHECK(w.postop_stay_days == 40);
  // Still in the admission on day 30 with no discharge: pending (the admission goes on).
  auto still = windows(course(ward, {}, "2026-10-31"));
  CHECK(still.day30 == WindowStatus::pending);
  CHECK(still.pending30_reason == "still in the index admission");
  CHECK_FALSE(still.window30_last_day.has_value());
  // No discharge and no contact at all since the surgery, past day 30: vital status unknown.
  auto silent = windows(course({surgery(1)}, {}, "2026-11-01"));
  CHECK(silent.day30 == WindowStatus::unknown);
  CHECK(silent.pending30_reason == "no discharge or contact recorded on or after 2026-10-31");
  CHECK_FALSE(silent.window30_last_day.has_value());
  // Alive on the ward after day 30 (a reoperation on day 35) with no discharge yet: the window
  // lasts as long as the admission, so it is pending, not unknown (and nobody is chased).
  const std::vector<SubjectEvent> long_stay = {surgery(1), ev(2, "reoperation", "2026-11-05", {{"reason", "bleeding"}})};
  auto ward_alive = windows(course(long_stay, {}, "2026-11-20"));
  CHECK(ward_alive.day30 == WindowStatus::pending);
  CHECK(ward_alive.pending30_reason == "still in the index admission (alive on 2026-11-05)");
}

// ---- Cohort figures: bounds and Kaplan–Meier --------------------------------------------------

namespace {

// Six subjects operated on 2026-10-01 (day 0), built as the daemon builds them (course -> facts):
//  S01-001 discharged 10-08; death event 10-21 + serious grade 5 AE 10-19..10-21  -> dead day 20
//  S01-002 Clavien–Dindo IVa 10-05, V 10-16, never discharged                      -> dead day 15, in hospital
//  S01-003 discharged 10-09, last known alive 10-26 (day 25)                      -> 30 and 90 unknown, censored 25
//  S01-004 discharged 10-10, LKA 11-15, grade 5 SAE 11-20..12-05, no death event  -> 30 alive, dead day 65
//  S01-005 discharged 10-07, LKA 12-31 (day 91)                                   -> 30 and 90 alive, censored 91
//  S01-006 discharged 10-12, grade 2 AE 10-20..11-05 (day 35)                     -> 30 alive, 90 unknown, censored 35
std::vector<SubjectCourse> cohort(const char* cutoff) {
  auto discharged = [](const char* date) { return std::vector<SubjectEvent>{surgery(1), ev(2, "discharge", date)}; };
  std::vector<SubjectCourse> v;
  auto e1 = discharged("2026-10-08");
  e1.push_back(death(3, "2026-10-21"));
  v.push_back(course(e1, {ae("S01-AE-0101", "2026-10-19", "2026-10-21", 5, true)}, cutoff, "S01-001"));
  v.push_back(course({surgery(1), complication(2, "2026-10-05", "IVa"), complication(3, "2026-10-16", "V")}, {},
                     cutoff, "S01-002"));
  auto e3 = discharged("2026-10-09");
  e3.push_back(ev(3, "last_known_alive", "2026-10-26"));
  v.push_back(course(e3, {}, cutoff, "S01-003"));
  auto e4 = discharged("2026-10-10");
  e4.push_back(ev(3, "last_known_alive", "2026-11-15"));
  v.push_back(course(e4, {ae("S01-AE-0104", "2026-11-20", "2026-12-05", 5, true)}, cutoff, "S01-004"));
  auto e5 = discharged("2026-10-07");
  e5.push_back(ev(3, "last_known_alive", "2026-12-31"));
  v.push_back(course(e5, {}, cutoff, "S01-005"));
  v.push_back(course(discharged("2026-10-12"), {ae("S01-AE-0106", "2026-10-20", "2026-11-05", 2, false)}, cutoff,
                     "S01-006"));
  return v;
}

SurgicalSafety surgical_of(const std::vector<SubjectCourse>& courses, const char* cutoff) {
  std::vector<SubjectFacts> facts;
  for (const auto& c : courses) facts.push_back(c.facts);
  return surgical_safety(facts, d(cutoff));
}

}  // namespace

TEST_CASE("cohort: crude rates over known status, bounds with the unknown, Kaplan–Meier mortality") {
  const char* cutoff = "2027-01-06";
  auto s = surgical_of(cohort(cutoff), cutoff);
  CHECK(s.operated == 6);
  CHECK(find(s, "S01-001").day30 == WindowStatus::dead_within);
  CHECK(find(s, "S01-002").in_hospital_death == true);
  CHECK(find(s, "S01-004").day30 == WindowStatus::alive_closed);
  CHECK(find(s, "S01-004").day30_closed_on == d("2026-11-15"));  // first evidence on or after day 30
  CHECK(find(s, "S01-004").day90 == WindowStatus::dead_within);
  CHECK(find(s, "S01-005").day30_closed_on == d("2026-12-31"));
  CHECK(find(s, "S01-006").day30_closed_on == d("2026-11-05"));  // the AE's resolution

  // 30 days: dead 001, 002; alive 004, 005, 006; unknown 003. Crude 2/5, binom.test(2, 5):
  // 0.05274 - 0.85337. Bounds over the 6: all alive 2/6, all dead 3/6 (CLINICAL.md).
  CHECK(s.mortality30.events == 2);
  CHECK(s.mortality30.n == 5);
  CHECK(s.mortality30.ci.lower == doctest::Approx(0.05274495).epsilon(1e-4));
  CHECK(s.mortality30.ci.upper == doctest::Approx(0.8533672).epsilon(1e-4));
  CHECK(s.pending30.empty());
  CHECK(s.unknown30 == std::vector<std::string>{"S01-003"});
  CHECK(s.mortality30_all_alive.events == 2);
  CHECK(s.mortality30_all_alive.n == 6);
  CHECK(s.mortality30_all_dead.events == 3);
  CHECK(s.mortality30_all_dead.n == 6);
  // 90 days: dead 001, 002, 004; alive 005; unknown 003, 006. Crude 3/4, binom.test(3, 4):
  // 0.19412 - 0.99369. Bounds: all alive 3/6, all dead 5/6.
  CHECK(s.mortality90.events == 3);
  CHECK(s.mortality90.n == 4);
  CHECK(s.mortality90.ci.lower == doctest::Approx(0.1941204).epsilon(1e-4));
  CHECK(s.mortality90.ci.upper == doctest::Approx(0.9936905).epsilon(1e-4));
  CHECK(s.unknown90 == std::vector<std::string>{"S01-003", "S01-006"});
  CHECK(s.mortality90_all_alive.events == 3);
  CHECK(s.mortality90_all_alive.n == 6);
  CHECK(s.mortality90_all_dead.events == 5);
  CHECK(s.mortality90_all_dead.n == 6);

  // Kaplan–Meier from surgery, censored at last contact (Kaplan & Meier 1958; Greenwood 1926).
  // Times: 002 15, 001 20, 003 25+, 006 35+, 004 65, 005 91+.
  //   t=15: 6 at risk, 1 death: S = 5/6
  //   t=20: 5 at risk, 1 death: S = 5/6 * 4/5 = 2/3       (25+ and 35+ leave the risk set)
  //   t=65: 2 at risk, 1 death: S = 2/3 * 1/2 = 1/3
  //   day 30: S = 2/3, mortality 1/3, at risk on day 30: 35+, 65, 91+ = 3
  //   day 90: S = 1/3, mortality 2/3, at risk on day 90: 91+ = 1
  // Greenwood, log transform of S (R survfit's default), z = 1.959964:
  //   day 30: var(log S) = 1/(6*5) + 1/(5*4) = 1/12, se = 0.288675;
  //           S * exp(-/+ z se) = 2/3 * exp(-/+0.565792) = 0.378606 .. 1.173896 -> [0.378606, 1]
  //           mortality CI = [1 - 1, 1 - 0.378606] = [0, 0.621394]
  //   day 90: var = 1/12 + 1/(2*1) = 7/12, se = 0.763763;
  //           1/3 * exp(-1.496948) = 0.074604 .. capped 1 -> mortality CI [0, 0.925396]
  // (R: summary(survfit(Surv(c(15,20,25,35,65,91), c(1,1,0,0,1,0)) ~ 1), times = c(30, 90)).)
  REQUIRE(s.km_mortality30);
  CHECK(s.km_mortality30->estimate == doctest::Approx(1.0 / 3.0));
  CHECK(s.km_mortality30->n_risk == 3);
  REQUIRE(s.km_mortality30->ci);
  CHECK(s.km_mortality30->ci->lower == doctest::Approx(0.0));
  CHECK(s.km_mortality30->ci->upper == doctest::Approx(0.6213935).epsilon(1e-6));
  REQUIRE(s.km_mortality90);
  CHECK(s.km_mortality90->estimate == doctest::Approx(2.0 / 3.0));
  CHECK(s.km_mortality90->n_risk == 1);
  REQUIRE(s.km_mortality90->ci);
  CHECK(s.km_mortality90->ci->lower == doctest::Approx(0.0));
  CHECK(s.km_mortality90->ci->upper == doctest::Approx(0.9253959).epsilon(1e-6));

  // In-hospital death: 002 of the 6 whose index admission ended.
  CHECK(s.in_hospital_death.events == 1);
  CHECK(s.in_hospital_death.n == 6);
}

// ---- on_courses: death_reconciliation and vital_status_overdue (rules.hpp) ---------------------

TEST_CASE("on_courses: one death_reconciliation alert per query, keyed by subject, query and death date") {
  // CLINICAL.md: a disagreement is a data query for the site, never two truths.
  // 001: event + SAE agree (nothing); 002: CD V alone (two queries); 004: grade 5 SAE alone (one).
  const char* today = "2027-01-06";
  auto courses = cohort(today);
  auto surg = surgical_of(courses, today);
  auto a = on_courses("hcc-pvtt-imrt", courses, surg, d(today), kDefaultVitalStatusGraceDays);
  CHECK(keys(a, rule::kDeathReconciliation) ==
        std::vector<std::string>{"death_reconciliation:S01-002:death_event_missing:2026-10-16",
                                 "death_reconciliation:S01-002:fatal_sae_missing:2026-10-16",
                                 "death_reconciliation:S01-004:death_event_missing:2026-12-05"});
  auto it = std::find_if(a.begin(), a.end(), [](const AlertDraft& x) { return x.rule == rule::kDeathReconciliation; });
  REQUIRE(it != a.end());
  CHECK(it->severity == Severity::high);
  CHECK(it->subject == "S01-002");
  CHECK(it->payload["study"] == "hcc-pvtt-imrt");
  CHECK(it->payload["query"] == "death_event_missing");
  CHECK(it->payload["death_date"] == "2026-10-16");
  REQUIRE(it->payload["sources"].size() == 1);
  CHECK(it->payload["sources"][0]["source"] == "clavien_dindo_v");
  CHECK(it->payload["sources"][0]["ref"] == "event 3");

  // Dedupe keys are stable: the same facts on the same day and on later days give the same keys,
  // so the store's UNIQUE key makes each repeat a no-op.
  auto again = on_courses("hcc-pvtt-imrt", cohort(today), surg, d(today), kDefaultVitalStatusGraceDays);
  CHECK(keys(again) == keys(a));
  auto later = on_courses("hcc-pvtt-imrt", cohort("2027-02-01"), surgical_of(cohort("2027-02-01"), "2027-02-01"),
                          d("2027-02-01"), kDefaultVitalStatusGraceDays);
  CHECK(keys(later, rule::kDeathReconciliation) == keys(a, rule::kDeathReconciliation));
  // A corrected death date is a new fact, with a key of its own.
  auto corrected = cohort(today);
  corrected[1] = course({surgery(1), complication(2, "2026-10-05", "IVa"), complication(3, "2026-10-17", "V")}, {},
                        today, "S01-002");
  auto c = on_courses("hcc-pvtt-imrt", corrected, surgical_of(corrected, today), d(today), 7);
  CHECK(keys(c, rule::kDeathReconciliation)[0] == "death_reconciliation:S01-002:death_event_missing:2026-10-17");
}

TEST_CASE("on_courses: vital_status_overdue more than grace_days after the window's last day, once per window") {
  // rules.hpp, issue 17 §2: chased when today is more than grace_days after the last day; the
  // grace day itself is not overdue. Cohort: 003's 30-day window ended 10-31; 003's and 006's
  // 90-day windows ended 12-30 (status unknown); default grace 7 days.
  // 2027-01-06 is day 7 after 12-30: only the 30-day window of 003 is overdue.
  auto on_grace = on_courses("s", cohort("2027-01-06"), surgical_of(cohort("2027-01-06"), "2027-01-06"),
                             d("2027-01-06"), kDefaultVitalStatusGraceDays);
  CHECK(keys(on_grace, rule::kVitalStatusOverdue) == std::vector<std::string>{"vital_status_overdue:S01-003:30"});
  // 2027-01-07 is day 8: both 90-day windows as well.
  auto after = on_courses("s", cohort("2027-01-07"), surgical_of(cohort("2027-01-07"), "2027-01-07"),
                          d("2027-01-07"), kDefaultVitalStatusGraceDays);
  CHECK(keys(after, rule::kVitalStatusOverdue) ==
        std::vector<std::string>{"vital_status_overdue:S01-003:30", "vital_status_overdue:S01-003:90",
                                 "vital_status_overdue:S01-006:90"});
  auto it = std::find_if(after.begin(), after.end(),
                         [](const AlertDraft& x) { return x.dedupe_key == "vital_status_overdue:S01-006:90"; });
  REQUIRE(it != after.end());
  CHECK(it->severity == Severity::high);
  CHECK(it->subject == "S01-006");
  CHECK(it->payload["window_days"] == 90);
  CHECK(it->payload["window_last_day"] == "2026-12-30");
  CHECK(it->payload["last_contact"] == "2026-11-05");
  CHECK(it->payload["grace_days"] == 7);
  // Later days repeat the same keys: one alert per subject and window.
  auto next = on_courses("s", cohort("2027-01-20"), surgical_of(cohort("2027-01-20"), "2027-01-20"),
                         d("2027-01-20"), kDefaultVitalStatusGraceDays);
  CHECK(keys(next, rule::kVitalStatusOverdue) == keys(after, rule::kVitalStatusOverdue));
}

TEST_CASE("on_courses: the 30-day window's grace, a pending window and a study's own grace") {
  // Discharged day 9, last known alive day 19: the 30-day window's last day is 10-31.
  const std::vector<SubjectEvent> events = {surgery(1), ev(2, "discharge", "2026-10-10"),
                                            ev(3, "last_known_alive", "2026-10-20")};
  auto run = [&](const char* today, int grace) {
    std::vector<SubjectCourse> cs = {course(events, {}, today)};
    return keys(on_courses("s", cs, surgical_of(cs, today), d(today), grace), rule::kVitalStatusOverdue);
  };
  const std::vector<std::string> overdue30 = {"vital_status_overdue:S01-003:30"};
  CHECK(run("2026-10-31", 0).empty());  // pending on its last day: nothing to chase
  CHECK(run("2026-11-01", 0) == overdue30);  // grace 0: the day after the last day
  CHECK(run("2026-11-07", 7).empty());  // day 7 after 10-31: within the grace
  CHECK(run("2026-11-08", 7) == overdue30);  // day 8
  CHECK(run("2026-11-14", 14).empty());  // a study's own grace: 14 days after 10-31
  CHECK(run("2026-11-15", 14) == overdue30);

  // Never discharged and nothing since the surgery: the window has no last day yet, and it is
  // chased from day 30 (10-31) as well.
  std::vector<SubjectCourse> silent = {course({surgery(1)}, {}, "2026-11-08")};
  auto a = on_courses("s", silent, surgical_of(silent, "2026-11-08"), d("2026-11-08"), 7);
  CHECK(keys(a, rule::kVitalStatusOverdue) == overdue30);
  CHECK(a[0].payload["window_last_day"] == "2026-10-31");
  std::vector<SubjectCourse> silent7 = {course({surgery(1)}, {}, "2026-11-07")};
  CHECK(on_courses("s", silent7, surgical_of(silent7, "2026-11-07"), d("2026-11-07"), 7).empty());
}

// ---- course_aes: what a course needs of a snapshot's facts -----------------------------------

TEST_CASE("course_aes: every fatal AE, one summary of the rest, as of the cut-off") {
  AeFactTables t;
  t.subjects = {"A", "B"};
  auto fact = [&](const char* id, std::uint32_t subject, int grade, const char* onset, const char* resolved,
                  bool serious = false, bool nullified = false) {
    AeFact f;
    f.report_id = t.add_report_id(id);
    f.subject = subject;
    f.grade = static_cast<std::uint8_t>(grade);
    f.onset = d(onset);
    if (resolved) f.resolved = d(resolved);
    f.serious = serious;
    f.nullified = nullified;
    return f;
  };
  const std::vector<AeFact> facts = {
      fact("A-1", 0, 2, "2026-10-05", "2026-10-12"),
      fact("A-2", 0, 1, "2026-10-20", nullptr),
      fact("A-3", 0, 3, "2026-11-01", "2027-01-10"),       // resolved after the cut-off
      fact("A-4", 0, 5, "2026-12-20", "2026-12-24", true),  // fatal: kept as it is
      fact("A-5", 0, 5, "2026-12-01", "2026-12-02", true, true),  // nullified: left out
      fact("A-6", 0, 2, "2027-01-02", "2027-01-03"),       // onset after the cut-off
      fact("B-1", 1, 5, "2026-11-11", nullptr, true, true),
  };
  auto aes = course_aes(facts, t, d("2026-12-31"));
  CHECK(aes.count("B") == 0);  // only a nullified report
  REQUIRE(aes.count("A") == 1);
  const auto& a = aes["A"];
  REQUIRE(a.size() == 2);
  CHECK(a[0].report_id == "A-4");
  CHECK(a[0].fatal);
  CHECK(a[0].serious);
  CHECK(a[0].grade == 5);
  CHECK(a[0].death_date() == d("2026-12-24"));
  // The rest: latest onset 11-01, latest resolution on or before the cut-off 10-12.
  CHECK_FALSE(a[1].fatal);
  CHECK(a[1].onset == d("2026-11-01"));
  CHECK(a[1].resolved == d("2026-10-12"));

  // The course reads them as the individual reports would give it.
  auto c = subject_course("A", d(kEnrolled), {surgery(1)}, a, d("2026-12-31"));
  CHECK(c.death == d("2026-12-24"));
  CHECK(c.last_contact == d("2026-12-20"));  // the fatal AE's onset
  CHECK(kinds(c) == std::vector<QueryKind>{QueryKind::death_event_missing});
  // A fatal AE with its onset after the cut-off is not read at all.
  CHECK(course_aes(facts, t, d("2026-12-19"))["A"].size() == 1);
}

TEST_CASE("names of sources, queries and admission ends as alerts and reports carry them") {
  CHECK(to_string(DeathSource::death_event) == "death_event");
  CHECK(to_string(DeathSource::fatal_ae) == "fatal_ae");
  CHECK(to_string(DeathSource::clavien_dindo_v) == "clavien_dindo_v");
  CHECK(to_string(QueryKind::death_event_missing) == "death_event_missing");
  CHECK(to_string(QueryKind::fatal_sae_missing) == "fatal_sae_missing");
  CHECK(to_string(QueryKind::death_dates_differ) == "death_dates_differ");
  CHECK(to_string(AdmissionEnd::open) == "open");
  CHECK(to_string(AdmissionEnd::discharge) == "discharge");
  CHECK(to_string(AdmissionEnd::outpatient_evidence) == "outpatient_evidence");
  CHECK(to_string(AdmissionEnd::death) == "death");
}
