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
    case QueryKind::margins_differ: return "margins_differ";
  }
  return "death_event_missing";
}

bool death_query(QueryKind k) { return k != QueryKind::margins_differ; }

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

std::vector<DeathRecord> death_records(const std::vector<SubjectEvent>& events,
                                       const std::vector<CourseAe>& aes) {
  // CLINICAL.md "Death has many sources"; CTCAE v5.0: grade 5 is "death related to AE"; Dindo
  // et al., Ann Surg 2004: grade V is "death of a patient".
  std::vector<DeathRecord> out;
  for (const auto& e : events) {
    if (e.kind == "death")
      out.push_back({DeathSource::death_event, e.date, "event " + std::to_string(e.id), e.id});
    if (e.kind == "surgical_complication" && e.fields.value("grade", "") == "V")
      out.push_back({DeathSource::clavien_dindo_v, e.date, "event " + std::to_string(e.id), e.id});
  }
  for (const auto& a : aes)
    if (a.fatal) out.push_back({DeathSource::fatal_ae, a.death_date(), a.report_id, 0});
  return out;
}

std::optional<DeathRecord> first_death(const std::vector<DeathRecord>& records) {
  std::optional<DeathRecord> first;
  for (const auto& r : records)
    if (!first || r.date < first->date) first = r;
  return first;
}

std::optional<DeathRecord> course_death(const std::vector<DeathRecord>& records) {
  // The death event is the site's record of the death; without one, the earliest source.
  std::optional<DeathRecord> event;
  for (const auto& r : records)
    if (r.source == DeathSource::death_event) event = r;
  return event ? event : first_death(records);
}

std::string describe(const DeathRecord& r) {
  switch (r.source) {
    case DeathSource::death_event: return r.ref;
    case DeathSource::clavien_dindo_v: return r.ref + ", Clavien–Dindo V";
    case DeathSource::fatal_ae: return "grade 5 AE report " + r.ref;
  }
  return r.ref;
}

namespace {

std::string ae_ref(const CourseAe& a) {
  return a.report_id.empty() ? std::string("an AE report") : "AE report " + a.report_id;
}

bool blamed(const std::vector<FieldError>& errs, std::string_view field) {
  return std::any_of(errs.begin(), errs.end(), [&](const FieldError& f) { return f.field == field; });
}

}  // namespace

std::vector<FieldError> ae_course_errors(const CourseAe& ae, const std::vector<SubjectEvent>& events,
                                         const std::vector<CourseAe>& aes) {
  // The report's own stored version is what this one replaces (a follow-up) or repeats (a
  // replay, answered by the store): it is no other record.
  std::vector<CourseAe> others;
  for (const auto& a : aes)
    if (a.report_id.empty() || a.report_id != ae.report_id) others.push_back(a);
  const auto records = death_records(events, others);
  std::vector<FieldError> errs;
  // Nothing begins after death, whichever record gives it (CLINICAL.md "Death has many
  // sources"; issue 17 §1).
  if (const auto first = first_death(records); first && ae.onset > first->date)
    errs.push_back({"onset", "is after the subject's death on " + format_date(first->date) + " (" +
                                 describe(*first) + "): nothing can begin after death"});
  if (!ae.fatal) return errs;

  // A grade 5 AE records the death (CTCAE v5.0: "death related to AE") on its death date: the
  // date of its fatal outcome (`resolved`), else its onset.
  const std::string field = ae.resolved ? "resolved" : "onset";
  if (blamed(errs, field)) return errs;
  const Date dies = ae.death_date();
  const std::string says = "dates the subject's death (grade 5, outcome fatal) on " + format_date(dies);
  // One death, one day (CLINICAL.md: the sources' disagreement is never two truths). Two fatal
  // AEs of one death are fine, on the day of that death.
  if (const auto death = course_death(records); death && death->date != dies) {
    errs.push_back({field, says + ", but the subject's death is recorded on " + format_date(death->date) + " (" +
                               describe(*death) + "): a fatal AE of the same death is dated on that day"});
    return errs;
  }
  // The converse of nothing after death: no record may show the subject alive after it. The
  // latest such record is named.
  std::optional<Date> later;
  std::string what;
  for (const auto& e : events)
    if (e.date > dies && (!later || e.date > *later)) {
      later = e.date;
      what = "the " + e.kind + " of " + format_date(e.date) + " (event " + std::to_string(e.id) + ")";
    }
  for (const auto& a : others)
    if (a.onset > dies && (!later || a.onset > *later)) {
      later = a.onset;
      what = "the onset of " + ae_ref(a) + " on " + format_date(a.onset);
    }
  if (later) errs.push_back({field, says + ", before " + what + ": the subject was alive then"});
  return errs;
}

std::vector<FieldError> event_course_errors(const SubjectEvent& ev, const std::vector<CourseAe>& aes) {
  std::vector<FieldError> errs;
  const std::string d = format_date(ev.date);
  // The AE the subject died of is one of the subject's reports (CLINICAL.md: the fatal SAE
  // report of a death); a nullified report records nothing.
  if (ev.kind == "death" && ev.fields.contains("related_ae") && ev.fields["related_ae"].is_string()) {
    const std::string id = ev.fields["related_ae"].get<std::string>();
    if (std::none_of(aes.begin(), aes.end(), [&](const CourseAe& a) { return a.report_id == id; }))
      errs.push_back({"related_ae", "'" + id + "' is not an AE report of this subject in force (a nullified "
                                    "report does not count): name the report of the AE the subject died of"});
  }
  // Nothing after death, from a grade 5 AE too (events against events: validate_event).
  const auto records = death_records({}, aes);
  if (const auto first = first_death(records); first && ev.date > first->date) {
    errs.push_back({"date", d + " is after the subject's death on " + format_date(first->date) + " (" +
                                describe(*first) + "): nothing can happen after death"});
    return errs;
  }
  if (death_records({ev}, {}).empty()) return errs;
  // A death (event or Clavien–Dindo V): on the day a grade 5 AE dates it (one death, one day),
  // and not before an AE began (the subject was alive then).
  for (const auto& r : records)
    if (r.date != ev.date) {
      errs.push_back({"date", d + " is before the subject's death on " + format_date(r.date) + " (" + describe(r) +
                                  "): one death is dated on one day; correct the wrong record"});
      return errs;
    }
  const CourseAe* later = nullptr;
  for (const auto& a : aes)
    if (a.onset > ev.date && (!later || a.onset > later->onset)) later = &a;
  if (later)
    errs.push_back({"date", d + " is before the onset of " + ae_ref(*later) + " on " + format_date(later->onset) +
                                ": the subject was alive then"});
  return errs;
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
  c.efficacy = efficacy_from_events(dated, c.facts.surgery);
  // The surgery's margin and the pathology's: the pathology's counts (facts_from_events); a
  // difference is a query, so that the surgery's record is corrected rather than two margins kept.
  if (c.efficacy.pathology)
    for (const auto& e : dated)
      if (e.kind == "surgery" && e.fields.value("margin", "") != c.efficacy.pathology->margin) {
        const std::string ref_s = "event " + std::to_string(e.id), ref_p = "event " + std::to_string(c.efficacy.pathology->event);
        c.queries.push_back({QueryKind::margins_differ,
                             "the surgery (" + ref_s + ") records margin " + e.fields.value("margin", "") +
                                 " and the pathology report (" + ref_p + ") " + c.efficacy.pathology->margin +
                                 ": the pathology's counts; correct the surgery's record",
                             {ref_s, ref_p}});
      }

  // Every source of a death dated on or before the cut-off (death_records).
  bool fatal_sae = false;
  std::vector<CourseAe> fatal;
  for (const auto& a : aes) {
    if (!a.fatal || a.onset > cutoff || a.death_date() > cutoff) continue;
    fatal.push_back(a);
    // ICH E2A II.B: an AE that results in death is serious; the SAE report of the death.
    fatal_sae = fatal_sae || (a.serious && a.grade == 5);
  }
  c.death_records = death_records(dated, fatal);
  const auto death = course_death(c.death_records);
  const bool event = death && death->source == DeathSource::death_event;
  if (death) c.death = death->date;

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
