#include <algorithm>
#include <cassert>
#include <cmath>

#include "pvmon/safety/course.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/survival.hpp"

namespace pvmon::safety {
namespace {

// Slankamenac et al., Ann Surg 2013;258:1-7, the CCI weights (wC) per Clavien–Dindo grade.
constexpr double kCciWeight[] = {300, 1750, 2750, 4550, 7200, 8550};

// CLINICAL.md: day of surgery = day 0, a death on day 30 is within the window.
constexpr int kShortWindow = 30;
constexpr int kLongWindow = 90;
constexpr int kReadmissionWindow = 30;

std::vector<Date> upto(const std::vector<Date>& v, Date cutoff) {
  std::vector<Date> out;
  for (auto d : v)
    if (d <= cutoff) out.push_back(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<stats::Quartiles> quartiles_of(const std::vector<int>& v) {
  return stats::quartiles(std::vector<double>(v.begin(), v.end()));
}

/// Kaplan & Meier (1958) with Greenwood's variance: mortality by day t = 1 - S(t), its CI the
/// complement of S's log-transformed CI (R survfit's default), upper and lower swapped.
std::optional<SurgicalSafety::KmMortality> km_mortality(const stats::KaplanMeier& fit, int t) {
  auto e = stats::km_at(fit, t);
  if (!e) return std::nullopt;
  SurgicalSafety::KmMortality m;
  m.estimate = 1.0 - e->survival;
  m.n_risk = e->n_risk;
  if (e->ci_log) m.ci = stats::Interval{1.0 - e->ci_log->upper, 1.0 - e->ci_log->lower};
  return m;
}

}  // namespace

Rate rate_of(int events, int n) { return Rate{events, n, stats::clopper_pearson(events, n)}; }

std::string_view to_string(WindowStatus s) {
  switch (s) {
    case WindowStatus::dead_within: return "dead_within";
    case WindowStatus::alive_closed: return "alive_closed";
    case WindowStatus::pending: return "pending";
    case WindowStatus::unknown: return "unknown";
  }
  return "pending";
}

std::string_view to_string(Readmission r) {
  switch (r) {
    case Readmission::readmitted: return "readmitted";
    case Readmission::not_readmitted: return "not_readmitted";
    case Readmission::pending: return "pending";
    case Readmission::not_applicable: return "not_applicable";
  }
  return "not_applicable";
}

double comprehensive_complication_index(const std::vector<ClavienDindoGrade>& grades) {
  double sum = 0;
  for (const auto& g : grades) {
    if (g.grade == ClavienDindo::V) return 100.0;  // death: CCI 100 by definition
    sum += kCciWeight[static_cast<int>(g.grade)];
  }
  return std::min(100.0, std::sqrt(sum) / 2.0);
}

SubjectFacts facts_from_events(std::string subject, Date enrolled,
                               const std::vector<SubjectEvent>& events) {
  SubjectFacts f;
  f.subject = std::move(subject);
  f.enrolled = enrolled;
  std::optional<Date> cd_v;  // a Clavien–Dindo V complication: the patient died (Dindo 2004)
  std::string pathology_margin;
  for (const auto& e : events) {
    const std::string& k = e.kind;
    if (k == "death") {
      f.death = e.date;
      continue;
    }
    if (k == "surgical_complication") {
      if (auto g = parse_clavien_dindo(e.fields.value("grade", ""))) {
        f.complications.push_back({e.date, *g, e.fields.value("term", "")});
        if (g->grade == ClavienDindo::V) {
          if (!cd_v || e.date < *cd_v) cd_v = e.date;
          continue;  // a death, not evidence of life
        }
      }
    }
    f.alive_on.push_back(e.date);  // any other event means the subject was alive that day
    if (k == "surgery") {
      f.surgery = e.date;
      const std::string m = e.fields.value("margin", "");
      if (m == "R0") f.margin = Margin::R0;
      if (m == "R1") f.margin = Margin::R1;
      if (m == "R2") f.margin = Margin::R2;
    } else if (k == "discharge") {
      f.discharges.push_back(e.date);
    } else if (k == "readmission") {
      f.readmissions.push_back(e.date);
    } else if (k == "reoperation") {
      f.reoperations.push_back(e.date);
    } else if (k == "pathology") {
      pathology_margin = e.fields.value("margin", "");
    }
  }
  // The residual-tumour classification is the pathologist's (UICC TNM, R classification): the
  // pathology report's margin replaces the one recorded with the surgery.
  if (pathology_margin == "R0") f.margin = Margin::R0;
  if (pathology_margin == "R1") f.margin = Margin::R1;
  if (pathology_margin == "R2") f.margin = Margin::R2;
  if (!f.death) f.death = cd_v;
  if (f.surgery)
    for (const auto& e : events)
      if (outpatient_evidence(e.kind) && e.date > *f.surgery && (!f.left_hospital || e.date < *f.left_hospital))
        f.left_hospital = e.date;
  return f;
}

SubjectSurgical assess_subject(const SubjectFacts& f, Date cutoff) {
  assert(f.surgery && "only operated subjects have surgical windows");
  SubjectSurgical s;
  s.subject = f.subject;
  s.surgery = *f.surgery;
  s.margin = f.margin;
  const Date surgery = *f.surgery;
  s.enrolment_to_surgery_days = surgery.days - f.enrolled.days;

  std::optional<Date> death;
  if (f.death && *f.death <= cutoff) death = *f.death;
  s.death = death;
  std::optional<Date> discharge;  // the index discharge: first on or after the surgery
  for (auto d : upto(f.discharges, cutoff))
    if (d >= surgery) {
      discharge = d;
      break;
    }
  // CLINICAL.md: the index admission lasts from surgery to discharge; outpatient evidence (a
  // visit, a last-known-alive date, a readmission) shows the patient left even when no
  // discharge was recorded.
  std::optional<Date> left = discharge;
  if (f.left_hospital && *f.left_hospital <= cutoff && (!left || *f.left_hospital < *left)) left = f.left_hospital;
  // A recorded discharge means discharged alive; a death in hospital has no discharge before
  // it. So a discharge on the day of death is taken as a discharge alive. A death with no
  // discharge is in hospital only when nothing shows the subject left before it.
  if (death) s.in_hospital_death = !(left && *left <= *death);
  else if (left) s.in_hospital_death = false;

  // Evidence of being alive: any event, and the day before a death.
  std::optional<Date> last_alive;
  for (auto d : upto(f.alive_on, cutoff)) last_alive = d;
  if (death && (!last_alive || death->plus_days(-1) > *last_alive))
    last_alive = death->plus_days(-1);
  s.last_contact = last_alive ? std::max(*last_alive, surgery) : surgery;

  const bool admission_over = left.has_value() || death.has_value();
  const Date day30 = surgery.plus_days(kShortWindow);
  const Date day90 = surgery.plus_days(kLongWindow);
  // The 30-day window lasts to day 30, or to the end of a longer index admission.
  if (left) s.window30_last_day = std::max(day30, *left);
  else if (!death) s.window30_last_day.reset();
  s.window90_last_day = day90;
  // CLINICAL.md: death within 30 days of surgery, or during the index admission if that is longer.
  if (death && (*death <= day30 || *s.in_hospital_death)) {
    s.day30 = WindowStatus::dead_within;
    s.day30_closed_on = death;
  } else if (admission_over && last_alive && *last_alive >= day30) {
    s.day30 = WindowStatus::alive_closed;
    // The first evidence of life on or after day 30 and out of hospital closed it.
    const Date from = left ? std::max(day30, *left) : day30;
    for (auto d : upto(f.alive_on, cutoff))
      if (d >= from) {
        s.day30_closed_on = d;
        break;
      }
    if (!s.day30_closed_on) s.day30_closed_on = *last_alive;
  } else if (!admission_over && last_alive && *last_alive >= day30) {
    // Alive in hospital past day 30 (a ward event): the window lasts as long as the admission.
    s.day30 = WindowStatus::pending;
    s.pending30_reason = "still in the index admission (alive on " + format_date(*last_alive) + ")";
  } else if (!admission_over) {
    // No discharge and no evidence of the subject on or after day 30: past day 30 that is
    // itself a question for the site (vital status unknown), not a patient presumed in hospital.
    s.day30 = cutoff > day30 ? WindowStatus::unknown : WindowStatus::pending;
    s.pending30_reason = cutoff > day30 ? "no discharge or contact recorded on or after " + format_date(day30)
                                        : "still in the index admission";
  } else if (cutoff <= day30) {
    s.day30 = WindowStatus::pending;
    s.pending30_reason = "window open until " + format_date(day30);
  } else {
    s.day30 = WindowStatus::unknown;
    s.pending30_reason = "no follow-up on or after " + format_date(day30);
  }
  if (death && *death <= day90) {
    s.day90 = WindowStatus::dead_within;
  } else if (last_alive && *last_alive >= day90) {
    s.day90 = WindowStatus::alive_closed;
  } else if (cutoff <= day90) {
    s.day90 = WindowStatus::pending;
    s.pending90_reason = "window open until " + format_date(day90);
  } else {
    s.day90 = WindowStatus::unknown;
    s.pending90_reason = "no follow-up on or after " + format_date(day90);
  }

  std::vector<ClavienDindoGrade> grades;
  for (const auto& c : f.complications) {
    if (c.date > cutoff) continue;
    grades.push_back(c.grade);
    if (!s.worst_complication || c.grade.grade > s.worst_complication->grade ||
        (c.grade.grade == s.worst_complication->grade && c.grade.disability))
      s.worst_complication = c.grade;
  }
  s.cci = comprehensive_complication_index(grades);
  s.reoperated = !upto(f.reoperations, cutoff).empty();

  if (discharge) {
    s.postop_stay_days = discharge->days - surgery.days;
    const Date until = discharge->plus_days(kReadmissionWindow);
    bool readmitted = false;
    for (auto r : upto(f.readmissions, cutoff))
      readmitted = readmitted || (r >= *discharge && r <= until);
    if (readmitted) s.readmission30 = Readmission::readmitted;
    else if ((death && *death <= until) || (last_alive && *last_alive >= until))
      s.readmission30 = Readmission::not_readmitted;  // closed by death or by follow-up
    else
      s.readmission30 = Readmission::pending;
  }
  return s;
}

SurgicalSafety surgical_safety(const std::vector<SubjectFacts>& subjects, Date cutoff) {
  SurgicalSafety out;
  out.cutoff = cutoff;
  out.worst_grade_counts.assign(7, 0);
  int dead30 = 0, n30 = 0, dead90 = 0, n90 = 0, in_hosp = 0, n_hosp = 0, reop = 0;
  int readm = 0, n_readm = 0, r0 = 0, n_margin = 0;
  std::vector<int> stays, waits;
  std::vector<stats::SurvivalObservation> km;
  for (const auto& f : subjects) {
    if (!f.surgery || *f.surgery > cutoff) continue;
    SubjectSurgical s = assess_subject(f, cutoff);
    ++out.operated;
    if (s.day30 == WindowStatus::pending) out.pending30.push_back(s.subject);
    else if (s.day30 == WindowStatus::unknown) out.unknown30.push_back(s.subject);
    else ++n30;
    if (s.day30 == WindowStatus::dead_within) ++dead30;
    if (s.day90 == WindowStatus::pending) out.pending90.push_back(s.subject);
    else if (s.day90 == WindowStatus::unknown) out.unknown90.push_back(s.subject);
    else ++n90;
    if (s.day90 == WindowStatus::dead_within) ++dead90;
    // Time from surgery to death, or to last contact (censored), for the Kaplan–Meier estimate.
    km.push_back(s.death ? stats::SurvivalObservation{double(s.death->days - s.surgery.days), true}
                         : stats::SurvivalObservation{double(s.last_contact.days - s.surgery.days), false});
    if (s.in_hospital_death) {
      ++n_hosp;
      if (*s.in_hospital_death) ++in_hosp;
    }
    if (s.reoperated) ++reop;
    if (s.readmission30 == Readmission::pending) out.pending_readmission30.push_back(s.subject);
    if (s.readmission30 == Readmission::readmitted || s.readmission30 == Readmission::not_readmitted)
      ++n_readm;
    if (s.readmission30 == Readmission::readmitted) ++readm;
    if (s.postop_stay_days) stays.push_back(*s.postop_stay_days);
    waits.push_back(s.enrolment_to_surgery_days);
    if (s.margin) {
      ++n_margin;
      if (*s.margin == Margin::R0) ++r0;
    }
    if (s.worst_complication) ++out.worst_grade_counts[static_cast<int>(s.worst_complication->grade)];
    else ++out.without_complication;
    out.subjects.push_back(std::move(s));
  }
  out.mortality30 = rate_of(dead30, n30);
  out.mortality90 = rate_of(dead90, n90);
  const int u30 = static_cast<int>(out.unknown30.size()), u90 = static_cast<int>(out.unknown90.size());
  out.mortality30_all_alive = rate_of(dead30, n30 + u30);
  out.mortality30_all_dead = rate_of(dead30 + u30, n30 + u30);
  out.mortality90_all_alive = rate_of(dead90, n90 + u90);
  out.mortality90_all_dead = rate_of(dead90 + u90, n90 + u90);
  if (auto fit = stats::kaplan_meier(km); fit) {
    out.km_mortality30 = km_mortality(fit.value(), kShortWindow);
    out.km_mortality90 = km_mortality(fit.value(), kLongWindow);
  }
  out.in_hospital_death = rate_of(in_hosp, n_hosp);
  out.reoperation = rate_of(reop, out.operated);
  out.readmission30 = rate_of(readm, n_readm);
  out.postop_stay_days = quartiles_of(stays);
  out.postop_stay_n = static_cast<int>(stays.size());
  out.r0 = rate_of(r0, n_margin);
  out.enrolment_to_surgery_days = quartiles_of(waits);
  return out;
}

}  // namespace pvmon::safety
