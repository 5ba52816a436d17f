// pvmon::safety — one subject's course, reconciled: the single account of when the subject
// died (and on which records that rests), when the index admission ended, and when the subject
// was last known alive, built from the enrolment, the subject's events and its AE reports as of
// a clinical cut-off. Every view (/safety, the DSMB report, the scheduler's rules and alerts,
// SDTM, the subject view) reads a subject's death and follow-up from here and nowhere else.
// Pure functions (no I/O; the cut-off is passed in), callable from any thread. Nothing fails:
// contradictions between records are part of the result (`queries`), for the site to resolve.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/safety/ae_facts.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/safety/response.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

/// The AEs a course needs, by subject, from a snapshot's facts (nullified reports left out):
/// every fatal AE, and of the others only what shows the subject alive on or before `cutoff`
/// (one entry carrying the latest onset and the latest resolution), so that a million facts
/// make a few entries a subject.
std::map<std::string, std::vector<CourseAe>> course_aes(const std::vector<AeFact>& facts,
                                                        const AeFactTables& tables, Date cutoff);

/// Where a death is recorded (CLINICAL.md "Death has many sources").
enum class DeathSource {
  death_event,      // a `death` subject event
  fatal_ae,         // an AE with outcome fatal (CTCAE v5.0 grade 5: "death related to AE")
  clavien_dindo_v,  // a surgical complication of Clavien–Dindo grade V ("death of a patient")
};
std::string_view to_string(DeathSource s);

struct DeathRecord {
  DeathSource source = DeathSource::death_event;
  Date date;
  std::string ref;  // "event 12" or the AE's report id
  std::int64_t event_id = 0;  // death_event and clavien_dindo_v
};

/// Every record of a death among the subject's events and AEs, whatever its date: the `death`
/// events and Clavien–Dindo V complications in their order, then the grade 5 AEs, each on its
/// death_date(). The one place that says what counts as a death.
std::vector<DeathRecord> death_records(const std::vector<SubjectEvent>& events,
                                       const std::vector<CourseAe>& aes);
/// The earliest record (the first listed on a tie): nothing of the subject begins after it.
std::optional<DeathRecord> first_death(const std::vector<DeathRecord>& records);
/// The record the course dates the death by (SubjectCourse::death): the death event, else the
/// earliest.
std::optional<DeathRecord> course_death(const std::vector<DeathRecord>& records);
/// How errors name a record: "event 12", "event 12, Clavien–Dindo V", "grade 5 AE report X".
std::string describe(const DeathRecord& r);

/// Intake of an AE report (new, or its new version from a follow-up) against the subject's
/// recorded events and AE reports in force (issue 17 §1); `aes` may hold the report's own
/// stored version (same report_id), which is left out. The errors, each naming the conflicting
/// record and its date:
/// - `onset` after the subject's first death, from any source;
/// - a grade 5 AE (its death date: `resolved`, else `onset`) on another day than the
///   subject's recorded death, or before an event or another AE's onset (life after death).
std::vector<FieldError> ae_course_errors(const CourseAe& ae, const std::vector<SubjectEvent>& events,
                                         const std::vector<CourseAe>& aes);

/// A new subject event against the subject's AE reports (validate_event checks it against the
/// events): `date` not after a grade 5 AE's death; a death (event or Clavien–Dindo V) not
/// before an AE's onset nor on another day than a grade 5 AE's death; a death's `related_ae`
/// one of the subject's reports in force.
std::vector<FieldError> event_course_errors(const SubjectEvent& ev, const std::vector<CourseAe>& aes);

/// A contradiction or a missing record: a data query for the site (never two truths).
enum class QueryKind {
  death_event_missing,  // a fatal AE or Clavien–Dindo V, and no death event
  fatal_sae_missing,    // a death (event or Clavien–Dindo V) with no fatal serious AE report
  death_dates_differ,   // the sources give different dates of death
  margins_differ,       // the surgery and the pathology report give different resection margins
};
std::string_view to_string(QueryKind k);
/// Whether the query is about the subject's death (the death reconciliation alert, the DSMB's
/// deaths listing); margins_differ is not.
bool death_query(QueryKind k);

struct CourseQuery {
  QueryKind kind = QueryKind::death_event_missing;
  std::string text;  // what the site is asked to do, naming the records
  std::vector<std::string> refs;
};

/// How the index admission ended (CLINICAL.md: surgery to discharge; outpatient evidence shows
/// the patient left even when no discharge was recorded).
enum class AdmissionEnd { open, discharge, outpatient_evidence, death };
std::string_view to_string(AdmissionEnd e);

struct SubjectCourse {
  std::string subject;
  Date enrolled;
  Date cutoff;
  /// The one date of death: the death event's when there is one (the site's record of the
  /// death), else the earliest date another source gives.
  std::optional<Date> death;
  std::vector<DeathRecord> death_records;  // every source, dated on or before the cut-off
  std::vector<CourseQuery> queries;
  /// The latest dated evidence of life on or before the cut-off (and not after the death):
  /// enrolment, every event but a death or a Clavien–Dindo V complication, AE onsets and the
  /// resolution dates of AEs that were not fatal. Censoring and window closure use it.
  Date last_contact;
  std::optional<Date> surgery;  // the index surgery
  AdmissionEnd admission_end = AdmissionEnd::open;
  std::optional<Date> admission_end_date;  // discharge, first outpatient evidence, or death
  /// The figures' view of the subject (surgical windows), with the reconciled death and every
  /// evidence of life; its margin is the pathology report's when there is one (the pathologist's
  /// residual-tumour classification is final), else the surgery's.
  SubjectFacts facts;
  /// Time zero, tumour response, pathology, progressions (response.hpp), as of the cut-off.
  SubjectEfficacy efficacy;

  bool dead() const { return death.has_value(); }
};

/// Builds the course from what was recorded, counting only what is dated on or before `cutoff`
/// (events by date, AEs by onset, a fatal AE's death by its outcome date).
SubjectCourse subject_course(std::string subject, Date enrolled, const std::vector<SubjectEvent>& events,
                             const std::vector<CourseAe>& aes, Date cutoff);

/// Whether the event records a death: a `death` event, or a Clavien–Dindo grade V complication.
bool records_death(const SubjectEvent& e);

/// Event kinds that show the subject outside hospital after the index surgery (CLINICAL.md):
/// a last-known-alive contact, a readmission, an outpatient assessment or treatment.
bool outpatient_evidence(std::string_view kind);

}  // namespace pvmon::safety
