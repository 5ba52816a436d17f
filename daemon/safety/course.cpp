#include "pvmon/safety/course.hpp"

#include <algorithm>
#include <set>

namespace pvmon::safety {

std::string_view to_string(DeathSource s) {
  switch (s) {
    case DeathSource::death_event: return "death_event";
    case DeathSource::fatal_ae: return "fatal_ae";
    case DeathSource::clavien_dindo_v: return "clavien_dindo_v";
  }
  return "death_event";
}

std::string_view to_string(QueryKind k) {
  switch (k) {
    case QueryKind::death_event_missing: return "death_event_missing";
    case QueryKind::fatal_sae_missing: return "fatal_sae_missing";
    case QueryKind::death_dates_differ: return "death_dates_differ";
  }
  return "death_event_missing";
}

std::string_view to_string(AdmissionEnd e) {
  switch (e) {
    case AdmissionEnd::open: return "open";
    case AdmissionEnd::discharge: return "discharge";
    case AdmissionEnd::outpatient_evidence: return "outpatient_evidence";
    case AdmissionEnd::death: return "death";
  }
  return "open";
}

bool records_death(const SubjectEvent& e) {
  return e.kind == "death" || (e.kind == "surgical_complication" && e.fields.value("grade", "") == "V");
}

bool outpatient_evidence(std::string_view kind) {
  // CLINICAL.md: "Outpatient evidence (a visit, a last-known-alive date, a readmission) shows
  // the patient left." In this protocol, imaging assessments (progression, relapse), adjuvant
  // radiotherapy and drug (re)starts after the hepatectomy are outpatient care. Holds and stops
  // are not: they happen on the ward too.
  static constexpr std::string_view kKinds[] = {"last_known_alive", "readmission", "progression", "relapse",
                                                "radiotherapy_start", "radiotherapy_end", "drug_start",
                                                "dose_change"};
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

std::map<std::string, std::vector<CourseAe>> course_aes(const std::vector<AeFact>& facts,
                                                        const AeFactTables& tables, Date cutoff) {
  std::vector<std::vector<CourseAe>> fatal(tables.subjects.size());
  std::vector<std::optional<Date>> onset(tables.subjects.size()), resolved(tables.subjects.size());
  for (const auto& f : facts) {
    if (f.nullified || !f.onset || *f.onset > cutoff) continue;
    const bool is_fatal = f.grade == 5;  // CTCAE v5.0 grade 5: death related to the AE
    if (is_fatal) {
      fatal[f.subject].push_back({std::string(tables.report_id(f)), *f.onset,
                                  f.resolved ? std::optional<Date>(*f.resolved) : std::nullopt, f.grade, true,
                                  f.serious});
      continue;
    }
    auto& o = onset[f.subject];
    if (!o || *f.onset > *o) o = *f.onset;
    auto& r = resolved[f.subject];
    if (f.resolved && *f.resolved <= cutoff && (!r || *f.resolved > *r)) r = *f.resolved;
  }
  std::map<std::string, std::vector<CourseAe>> out;
  for (std::size_t i = 0; i < tables.subjects.size(); ++i) {
    auto v = std::move(fatal[i]);
    if (onset[i]) v.push_back({"", *onset[i], resolved[i], 0, false, false});
    if (!v.empty()) out[tables.subjects[i]] = std::move(v);
  }
  return out;
}

SubjectCourse subject_course(std::string subject, Date enrolled, const std::vector<SubjectEvent>& events,
                             const std::vector<CourseAe>& aes, Date cutoff) {
  SubjectCourse c;
  c.subject = subject;
  c.enrolled = enrolled;
  c.cutoff = cutoff;
  std::vector<SubjectEvent> dated;
  for (const auto& e : events)
    if (e.date <= cutoff) dated.push_back(e);
  c.facts = facts_from_events(std::move(subject), enrolled, dated);

  // Every source of a death (CLINICAL.md "Death has many sources"; CTCAE v5.0: grade 5 is
  // "death related to AE"; Dindo et al., Ann Surg 2004: grade V is "death of a patient").
  for (const auto& e : dated) {
    if (records_death(e))
      c.death_records.push_back({e.kind == "death" ? DeathSource::death_event : DeathSource::clavien_dindo_v, e.date,
                                 "event " + std::to_string(e.id), e.id});
  }
  bool fatal_sae = false;
  for (const auto& a : aes) {
    if (!a.fatal || a.onset > cutoff || a.death_date() > cutoff) continue;
    c.death_records.push_back({DeathSource::fatal_ae, a.death_date(), a.report_id, 0});
    // ICH E2A II.B: an AE that results in death is serious; the SAE report of the death.
    fatal_sae = fatal_sae || (a.serious && a.grade == 5);
  }
  const DeathRecord* event = nullptr;
  for (const auto& r : c.death_records)
    if (r.source == DeathSource::death_event) event = &r;
  if (event) {
    c.death = event->date;
  } else {
    for (const auto& r : c.death_records)
      if (!c.death || r.date < *c.death) c.death = r.date;
  }

  // The sources disagree or one is missing: a query, never two truths (CLINICAL.md).
  if (c.death) {
    std::vector<std::string> refs;
    for (const auto& r : c.death_records) refs.push_back(std::string(to_string(r.source)) + " " + r.ref);
    if (!event) {
      std::string what;
      for (const auto& r : c.death_records)
        what += (what.empty() ? "" : ", ") + std::string(r.source == DeathSource::fatal_ae ? "fatal AE " : "Clavien–Dindo V ") +
                r.ref + " on " + format_date(r.date);
      c.queries.push_back({QueryKind::death_event_missing,
                           what + " but no death event: record the subject's death (date and cause)", refs});
    }
    if (!fatal_sae) {
      std::string what;
      for (const auto& r : c.death_records)
        if (r.source != DeathSource::fatal_ae)
          what += (what.empty() ? "" : ", ") +
                  std::string(r.source == DeathSource::death_event ? "death " : "Clavien–Dindo V ") + r.ref +
                  " on " + format_date(r.date);
      if (!what.empty())  // a fatal non-serious AE alone is caught at intake (grade 5 is serious)
        c.queries.push_back({QueryKind::fatal_sae_missing,
                             what + " has no SAE report of grade 5: report the fatal event as an SAE "
                                    "(ICH E2A: results in death)",
                             refs});
    }
    std::set<int> days;
    for (const auto& r : c.death_records) days.insert(r.date.days);
    if (days.size() > 1) {
      std::string what;
      for (const auto& r : c.death_records)
        what += (what.empty() ? "" : ", ") + std::string(to_string(r.source)) + " " + r.ref + " on " + format_date(r.date);
      c.queries.push_back({QueryKind::death_dates_differ,
                           "the records date the death differently (" + what + "): correct the wrong one", refs});
    }
  }
  c.facts.death = c.death;

  // Evidence of life (issue 17 §1): enrolment, events, AE onsets, the resolution of AEs that
  // were not fatal; never after the death.
  std::vector<Date> alive = c.facts.alive_on;
  alive.push_back(enrolled);
  for (const auto& a : aes) {
    if (a.onset <= cutoff) alive.push_back(a.onset);
    if (!a.fatal && a.resolved && *a.resolved <= cutoff) alive.push_back(*a.resolved);
  }
  std::vector<Date> kept;
  for (auto d : alive)
    if (d <= cutoff && (!c.death || d <= *c.death)) kept.push_back(d);
  std::sort(kept.begin(), kept.end());
  c.facts.alive_on = kept;
  c.last_contact = kept.empty() ? enrolled : kept.back();

  c.surgery = c.facts.surgery;
  if (c.surgery) {
    std::optional<Date> discharge;
    for (auto d : c.facts.discharges)
      if (d >= *c.surgery && (!discharge || d < *discharge)) discharge = d;
    if (discharge && (!c.facts.left_hospital || *discharge <= *c.facts.left_hospital)) {
      c.admission_end = AdmissionEnd::discharge;
      c.admission_end_date = discharge;
    } else if (c.facts.left_hospital && (!c.death || *c.facts.left_hospital <= *c.death)) {
      c.admission_end = AdmissionEnd::outpatient_evidence;
      c.admission_end_date = c.facts.left_hospital;
    } else if (c.death) {
      c.admission_end = AdmissionEnd::death;
      c.admission_end_date = c.death;
    }
  }
  return c;
}

}  // namespace pvmon::safety
