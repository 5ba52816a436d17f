// pvmon::safety — post-surgical mortality windows and surgical safety figures as of a cut-off.
// Pure functions (no I/O; the cut-off is passed in), callable from any thread. Nothing fails:
// subjects without a surgery on or before the cut-off are simply outside the surgical cohort.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pvmon/safety/events.hpp"
#include "pvmon/stats.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

enum class Margin { R0, R1, R2 };

struct Complication {
  Date date;
  ClavienDindoGrade grade;
  std::string term;
};

/// What the figures need of one subject. Events dated after the cut-off are ignored by the
/// computation, so the same facts and cut-off always give the same figures.
struct SubjectFacts {
  std::string subject;
  Date enrolled;
  std::optional<Date> surgery;  // the index surgery
  std::optional<Margin> margin;
  std::vector<Date> discharges;  // index discharge = first discharge on or after the surgery
  std::vector<Date> readmissions;
  std::vector<Date> reoperations;
  std::vector<Complication> complications;
  std::optional<Date> death;
  /// The first evidence after the index surgery that the subject was outside hospital (an
  /// outpatient event: course.hpp outpatient_evidence), when no discharge is recorded before it.
  std::optional<Date> left_hospital;
  /// Every date on which the subject is known to have been alive: last-known-alive events and
  /// any other event (visit, discharge, drug, progression, withdrawal...).
  std::vector<Date> alive_on;
};

/// Builds the facts from the subject's recorded events (as validate_event accepted them).
SubjectFacts facts_from_events(std::string subject, Date enrolled,
                               const std::vector<SubjectEvent>& events);

/// pending: the window is still open at the cut-off. unknown: its last day has passed with
/// neither a death within it nor evidence of life on or after that day (vital status unknown,
/// CLINICAL.md): counted and listed, never dropped and never a survivor.
enum class WindowStatus { dead_within, alive_closed, pending, unknown };
std::string_view to_string(WindowStatus s);
enum class Readmission { readmitted, not_readmitted, pending, not_applicable };
std::string_view to_string(Readmission r);

/// CCI (Slankamenac et al., Ann Surg 2013;258:1): sqrt(sum of weights)/2, capped at 100;
/// weights I 300, II 1750, IIIa 2750, IIIb 4550, IVa 7200, IVb 8550; any V gives 100.
/// No complication gives 0.
double comprehensive_complication_index(const std::vector<ClavienDindoGrade>& grades);

struct SubjectSurgical {
  std::string subject;
  Date surgery;
  WindowStatus day30 = WindowStatus::pending;
  WindowStatus day90 = WindowStatus::pending;
  std::string pending30_reason, pending90_reason;  // empty unless pending or unknown
  /// The last day of each window: day 30 (or the end of a longer index admission), day 90.
  std::optional<Date> window30_last_day;  // nullopt while the index admission goes on
  Date window90_last_day;
  Date last_contact;  // the latest evidence of life (alive_on), or the surgery
  /// The day the 30-day window closed (the death, or the first evidence of life that closed it):
  /// when the subject became evaluable for the 30-day rules. nullopt while pending or unknown.
  std::optional<Date> day30_closed_on;
  std::optional<Date> death;
  std::optional<bool> in_hospital_death;  // nullopt while still in the index admission
  std::optional<ClavienDindoGrade> worst_complication;
  double cci = 0;
  bool reoperated = false;
  /// Readmission within 30 days of the index discharge; not_applicable when not discharged.
  Readmission readmission30 = Readmission::not_applicable;
  std::optional<int> postop_stay_days;  // index discharge - surgery
  int enrolment_to_surgery_days = 0;
  std::optional<Margin> margin;
};

struct Rate {
  int events = 0;
  int n = 0;
  stats::Interval ci;  // Clopper–Pearson 95%
};
/// `events` of `n` with its Clopper–Pearson 95% CI ([0, 1] when n is 0): every rate's one constructor.
Rate rate_of(int events, int n);

struct SurgicalSafety {
  Date cutoff;
  int operated = 0;
  /// Crude rates over the subjects whose status at the window's end is known.
  Rate mortality30, mortality90;
  std::vector<std::string> pending30, pending90;  // window still open: subject ids, never counted as survivors
  std::vector<std::string> unknown30, unknown90;  // vital status unknown: listed and counted
  /// The crude rate's bounds over known + unknown subjects: every unknown subject alive, or
  /// every one dead (CLINICAL.md: a rate over known status alone leans high).
  Rate mortality30_all_alive, mortality30_all_dead, mortality90_all_alive, mortality90_all_dead;
  /// Kaplan–Meier estimate of death by day 30 and 90 after surgery (1 - S(t)), every operated
  /// subject censored at last contact; Greenwood 95% CI (log transform of S). nullopt when t is
  /// beyond the last observation.
  struct KmMortality {
    double estimate = 0;
    std::optional<stats::Interval> ci;
    int n_risk = 0;
  };
  std::optional<KmMortality> km_mortality30, km_mortality90;
  Rate in_hospital_death;  // over subjects whose index admission has ended
  Rate reoperation;        // over all operated subjects
  Rate readmission30;      // over subjects discharged whose 30-day window has closed
  std::vector<std::string> pending_readmission30;
  std::optional<stats::Quartiles> postop_stay_days;  // discharged subjects
  int postop_stay_n = 0;
  Rate r0;  // over subjects with a margin recorded
  std::optional<stats::Quartiles> enrolment_to_surgery_days;
  std::vector<int> worst_grade_counts;  // index by ClavienDindo (I..V); subjects, worst grade
  int without_complication = 0;
  std::vector<SubjectSurgical> subjects;  // operated subjects, in input order
};

/// Per-subject windows (day of surgery = day 0). 30 days: dead if death on or before day 30,
/// or during the index admission however long (CLINICAL.md); alive-closed once the subject is
/// known alive on day 30 or later and out of the index admission; otherwise pending.
/// 90 days likewise without the admission rule.
SubjectSurgical assess_subject(const SubjectFacts& f, Date cutoff);
SurgicalSafety surgical_safety(const std::vector<SubjectFacts>& subjects, Date cutoff);

}  // namespace pvmon::safety
