// Use cases of a subject's course: enrolment, baseline labs, events, the subject's view. The clinical rules are pvmon::safety's (events.hpp,
// surgical.hpp); this file turns inputs into its types and its results into stored records.
#include <algorithm>

#include "pvmon/fields.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/reports.hpp"
#include "pvmon/service/subjects.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;


Result<store::SubjectRow> own_subject(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                      const std::string& subject) {
  auto row = cx.subjects.find_subject(st.id, subject);
  if (!row) return row.error();
  if (!row.value() || !who.sees_site(row.value()->site))
    return Error::field(Errc::not_found, "subject", "no subject '" + subject + "'");
  return std::move(*row.value());
}

Result<store::SubjectRow> own_subject_to_write(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                               const std::string& subject) {
  auto row = own_subject(cx, who, st, subject);
  // The caller's subject enrolled before the rule keeps its id (its course must still be
  // recorded); any other id outside the rule is told so whoever asks, so the answer says
  // nothing of other sites' subjects.
  if (!row && row.error().code == Errc::not_found && !intake::valid_subject_id(subject))
    return Error::invalid({{"subject", intake::kSubjectIdRule}}, "invalid subject id");
  return row;
}

Result<store::Stored> enrol_subject(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                    const json& body) {
  auto draft = intake::parse_subject(body, cx.clock.now().date());
  if (!draft) return draft.error();
  return cx.subjects.enrol_subject(st.id, who.site, intake::to_json(draft.value()),
                                canonical_hash(body), who.actor());
}

Result<store::Stored> add_baseline(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                   const std::string& subject, const json& body) {
  // Whose subject it is comes first: another site learns nothing, not even what it got wrong.
  if (auto row = own_subject_to_write(cx, who, st, subject); !row) return row.error();
  std::vector<FieldError> errs;
  intake::validate_baseline(body, "baseline", errs);
  if (body.is_object() && body.empty()) errs.push_back({"baseline", "names no analyte"});
  if (!errs.empty()) return Error::invalid(std::move(errs));
  auto stored = cx.subjects.add_baseline(st.id, subject, body, who.actor());
  if (!stored) {
    Error e = stored.error();
    for (auto& f : e.fields) f.field = "baseline." + f.field;
    return e;
  }
  return stored;
}

Result<store::Stored> add_subject_event(const SubjectDeps& cx, const Caller& who,
                                        const config::Study& st, const std::string& subject,
                                        const json& body) {
  const Date today = cx.clock.now().date();
  std::vector<std::string> drugs;
  for (const auto& iv : st.interventions)
    if (iv.kind == "drug") drugs.push_back(iv.id);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto row = own_subject_to_write(cx, who, st, subject);
    if (!row) return row.error();
    auto existing = cx.subjects.subject_events(st.id, subject);
    if (!existing) return existing.error();
    store::EventWrite w;
    w.study = st.id;
    w.subject = subject;
    w.expected_events = existing->size();
    for (const auto& e : existing.value()) w.expected_last_event = std::max(w.expected_last_event, e.id);
    // Its AE reports too: a grade 5 AE is a death (nothing after it) and a death names its AE.
    auto aes = cx.subjects.subject_aes(st.id, subject);
    if (!aes) return aes.error();
    auto ev = safety::validate_event(body, {row->enrolled, today, drugs, existing.value(), std::move(aes.value())});
    if (!ev) return ev.error();
    w.event = ev.value();
    // The subject's course with this event, for the rules the writer runs once its id is known.
    auto all = std::move(existing.value());
    all.push_back(w.event);
    w.facts = safety::facts_from_events(subject, row->enrolled, all);
    w.sae_report_hours = st.site_report_hours;
    auto stored = cx.subjects.add_event(std::move(w), who.actor());
    if (!stored || !stored->stale) return stored;
  }
  return Error::of(Errc::unavailable, "the subject's events kept changing while this one was recorded; retry");
}

Result<json> subject_view(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                          const std::string& subject) {
  auto row = own_subject(cx, who, st, subject);
  if (!row) return row.error();
  auto events = cx.subjects.subject_events(st.id, subject);
  if (!events) return events.error();
  store::AeQuery q;
  q.study = st.id;
  q.subject = subject;
  q.limit = 500;
  auto aes = cx.aes.list_ae(q);
  if (!aes) return aes.error();
  json out = row->record;
  auto evs = events.value();
  std::stable_sort(evs.begin(), evs.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  json timeline = json::array();
  for (const auto& e : evs) {
    json j = e.fields;
    j["id"] = e.id;
    timeline.push_back(j);
  }
  out["events"] = timeline;
  out["adverse_events"] = aes->items;
  // The subject's course as of today, reconciled (safety/course.hpp): the same death, last
  // contact and windows as /safety, the DSMB report and the scheduler.
  auto aes_of = cx.subjects.subject_aes(st.id, subject);
  if (!aes_of) return aes_of.error();
  const Date today = cx.clock.now().date();
  const auto course = safety::subject_course(subject, row->enrolled, evs, aes_of.value(), today);
  out["course"] = reports::course_json(course);
  out["efficacy"] = reports::efficacy_json(course.efficacy);
  if (course.surgery) out["surgical"] = reports::subject_surgical_json(safety::assess_subject(course.facts, today));
  else out["surgical"] = nullptr;
  return out;
}


}  // namespace pvmon::service
