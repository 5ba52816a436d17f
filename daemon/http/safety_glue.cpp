#include "safety_glue.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "pvmon/fields.hpp"
#include "routes.hpp"

namespace pvmon::http {

using nlohmann::json;

namespace {

// The fields a site submits; a follow-up patches these and is validated again whole.
const std::vector<std::string> kSubmitted = {
    "report_id", "subject",     "term",         "verbatim", "grade",   "lab",
    "onset",     "resolved",    "site_aware_at", "serious", "causality", "action_taken",
    "outcome",   "narrative",   "death_unrelated"};

safety::Seriousness seriousness_of(const json& record) {
  const json& s = record.at("serious");
  return safety::Seriousness{s.value("death", false),         s.value("life_threatening", false),
                             s.value("hospitalization", false), s.value("disability", false),
                             s.value("congenital_anomaly", false),
                             s.value("medically_important", false)};
}

json criteria_of(const json& record) {
  json out = json::array();
  for (auto it = record.at("serious").begin(); it != record.at("serious").end(); ++it)
    if (it.value().is_boolean() && it.value().get<bool>()) out.push_back(it.key());
  return out;
}

json classification_json(const safety::Classification& c) {
  json products = json::array();
  for (const auto& p : c.products)
    products.push_back({{"intervention", p.intervention}, {"related", p.related}, {"expected", p.expected}});
  return {{"serious", c.serious},
          {"fatal_or_life_threatening", c.fatal_or_life_threatening},
          {"related_to", c.related_to},
          {"products", products},
          {"susar", c.susar},
          {"reasons", c.reasons}};
}

json rate_json(const safety::Rate& r) {
  return {{"events", r.events},
          {"n", r.n},
          {"rate", r.n ? json(static_cast<double>(r.events) / r.n) : json(nullptr)},
          {"ci95", {r.ci.lower, r.ci.upper}}};
}

json quartiles_json(const std::optional<stats::Quartiles>& q, int n) {
  if (!q) return {{"n", n}, {"median", nullptr}, {"q1", nullptr}, {"q3", nullptr}};
  return {{"n", n}, {"median", q->median}, {"q1", q->q1}, {"q3", q->q3}};
}

store::AlertRecord to_record(const safety::AlertDraft& d) {
  return store::AlertRecord{d.rule,  std::string(safety::to_string(d.severity)),
                            d.dedupe_key, d.title, d.subject, d.report, d.payload};
}

std::vector<store::AlertRecord> to_records(const std::vector<safety::AlertDraft>& ds) {
  std::vector<store::AlertRecord> out;
  for (const auto& d : ds) out.push_back(to_record(d));
  return out;
}


/// The version facts the rules engine reads, from a stored record.
safety::AeVersionFacts version_facts(const config::Study& st, const json& record, std::int64_t report,
                                     int version, const safety::Classification& cls) {
  safety::AeVersionFacts f;
  f.study = st.id;
  f.report = report;
  f.site_report_id = record.at("report_id").get<std::string>();
  f.subject = record.at("subject").get<std::string>();
  f.version = version;
  f.nullified = record.contains("nullified");
  const json& ct = record.at("ctcae");
  f.term = ct.value("term", "");
  f.meddra_code = ct.value("meddra_code", "");
  f.soc = ct.value("soc", "");
  f.grade = record.value("grade", 1);
  f.outcome = record.value("outcome", "");
  f.grade_discrepancy = ct.value("grade_discrepancy", false);
  if (ct.contains("reported_grade") && ct["reported_grade"].is_number()) f.reported_grade = ct["reported_grade"].get<int>();
  if (ct.contains("lab_grade") && ct["lab_grade"].is_number()) f.lab_grade = ct["lab_grade"].get<int>();
  f.criteria = seriousness_of(record);
  f.classification = cls;
  f.related_to = cls.related_to;
  if (record.contains("safety") && record["safety"].contains("site_report")) {
    const json& sr = record["safety"]["site_report"];
    f.site_report_late = sr.value("late", false);
    if (auto t = parse_timestamp(sr.value("due_at", ""))) f.site_report_due = *t;
  }
  if (auto t = parse_timestamp(record.value("received_at", ""))) f.received_at = *t;
  if (auto d = parse_date(record.value("onset", ""))) f.onset = *d;
  return f;
}

safety::PriorVersion prior_of(const config::Study& st, const json& prev, int version) {
  const auto f = version_facts(st, prev, 0, version, classify_record(st, prev));
  safety::PriorVersion p;
  p.version = version;
  p.grade = f.grade;
  p.term = f.term;
  p.meddra_code = f.meddra_code;
  p.soc = f.soc;
  p.criteria = f.criteria;
  p.classification = f.classification;
  p.related_to = f.related_to;
  p.fatal = safety::is_fatal(f.grade, f.outcome, f.criteria);
  const json sb = prev.value("safety", json::object());
  p.ever_serious = sb.value("ever_serious", f.classification.serious);
  p.ever_susar = sb.value("ever_susar", f.classification.susar);
  return p;
}

/// The AEs of this term near this onset, for the cluster rules (rules.hpp: onset - 2 x days
/// to onset + days). At most 4k + 64 per rule, earliest first: exact for any realistic trial;
/// under a flood of one term the cluster still fires, its anchor taken from the earliest rows.
std::vector<safety::RecentAe> recent_for(const config::Study& st, const safety::AeVersionFacts& f,
                                         const store::RuleLookup& lookup) {
  std::vector<safety::RecentAe> out;
  std::set<std::int64_t> seen;
  for (const auto& rule : st.rules.clusters) {
    if (rule.term != f.term && rule.term != f.meddra_code) continue;
    for (auto& a : lookup.recent(f.meddra_code, rule.min_grade, f.onset.plus_days(-2 * rule.days),
                          f.onset.plus_days(rule.days), 4 * rule.count + 64)) {
      if (!seen.insert(a.report).second) continue;
      a.term = f.term;
      out.push_back(std::move(a));
    }
  }
  return out;
}

/// The alerts a version raises (pvmon::safety rules engine), its facts complete with the
/// report's server id.
std::vector<store::AlertRecord> alerts_of(const config::Study& st, const safety::AeVersionFacts& f,
                                          const store::RuleLookup& lookup) {
  return to_records(safety::on_ae_version(f, st.rules, recent_for(st, f, lookup), lookup.raised));
}

/// The submitted fields of a stored record, as the site would post them again.
json submitted_fields(const json& record) {
  json out = json::object();
  for (const auto& k : kSubmitted)
    if (record.contains(k)) out[k] = record[k];
  // The record's `grade` is the grade in force; a follow-up restates what the site reported.
  if (record.contains("ctcae")) {
    const json& rg = record["ctcae"]["reported_grade"];
    if (rg.is_null()) out.erase("grade");
    else out["grade"] = rg;
  }
  if (out.contains("lab") && out["lab"].is_null()) out.erase("lab");
  // A report sent without a verbatim is stored with an empty one, which the site could not
  // have sent: restating it would refuse every follow-up of such a report.
  if (out.contains("verbatim") && out["verbatim"] == "") out.erase("verbatim");
  return out;
}

}  // namespace

std::vector<store::AlertRecord> version_alerts(const config::Study& st, const json& record,
                                               std::int64_t report, int version,
                                               const safety::Classification& cls,
                                               const std::optional<safety::PriorVersion>& prev,
                                               const store::RuleLookup& lookup) {
  auto f = version_facts(st, record, report, version, cls);
  f.previous = prev;
  return alerts_of(st, f, lookup);
}

safety::AeVersionFacts new_report_facts(const config::Study& st, const json& record,
                                        const safety::Classification& cls, Timestamp received_at) {
  auto f = version_facts(st, record, 0, 1, cls);
  f.received_at = received_at;  // the store adds received_at; the late-report alert names it
  return f;
}

std::vector<store::AlertRecord> new_report_alerts(const config::Study& st, safety::AeVersionFacts f,
                                                  std::int64_t report, const store::RuleLookup& lookup) {
  f.report = report;
  return alerts_of(st, f, lookup);
}

std::vector<safety::Intervention> interventions_of(const config::Study& st) {
  std::vector<safety::Intervention> out;
  for (const auto& iv : st.interventions)
    out.push_back({iv.id, iv.kind, iv.investigational_product, iv.expected_terms});
  return out;
}

safety::Classification classify_record(const config::Study& st, const json& record) {
  safety::AeFacts f;
  f.grade = record.value("grade", 1);
  if (record.contains("ctcae")) {
    f.meddra_code = record["ctcae"].value("meddra_code", "");
    f.term = record["ctcae"].value("term", "");
  }
  f.seriousness = seriousness_of(record);
  for (auto it = record.at("causality").begin(); it != record.at("causality").end(); ++it)
    if (auto c = safety::parse_causality(it.value().get<std::string>())) f.site_causality[it.key()] = *c;
  return safety::classify(f, interventions_of(st));
}

IntakeSafety intake_safety(const Runtime&, const config::Study& st, const json& record,
                           Timestamp received_at) {
  IntakeSafety out;
  out.classification = classify_record(st, record);
  const auto& cls = out.classification;
  out.block = classification_json(cls);
  out.block["criteria"] = criteria_of(record);
  bool late = false;
  if (cls.serious) {
    // ICH E6 4.11.1: the site reports an SAE to the sponsor within the protocol's hours of
    // becoming aware; the clock ends when the daemon receives the report.
    const auto aware = *parse_timestamp(record.at("site_aware_at").get<std::string>());
    store::ClockRow site;
    site.clock = safety::site_report_clock(aware, st.site_report_hours);
    late = safety::site_report_late(aware, received_at, st.site_report_hours);
    site.stopped_at = received_at;
    site.stop_reason = "received";
    site.late = late;
    out.block["site_report"] = {{"due_at", format_timestamp(site.clock.due_at)}, {"late", late}};
    out.closed.push_back(site);
  }
  out.block["ever_serious"] = cls.serious;
  out.block["ever_susar"] = cls.susar;
  out.clocks = safety::regulatory_clocks(cls, received_at);
  return out;
}

Result<Followup> parse_followup(const json& body) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  Followup f;
  if (auto v = r.id("followup_id", true, intake::kMaxIdLength)) f.followup_id = *v;
  if (auto v = r.boolean("nullify", false)) f.nullify = *v;
  if (auto v = r.string("reason", f.nullify, 2000)) f.reason = *v;
  if (const json* ch = r.get("changes", !f.nullify)) {
    if (!ch->is_object() || ch->empty()) {
      r.error("changes", "must be a non-empty object of the report fields that change");
    } else {
      for (const char* fixed : {"report_id", "subject"})
        if (ch->contains(fixed))
          errs.push_back({std::string("changes.") + fixed, "cannot change: it identifies the report"});
      for (auto it = ch->begin(); it != ch->end(); ++it)
        if (std::find(kSubmitted.begin(), kSubmitted.end(), it.key()) == kSubmitted.end())
          errs.push_back({"changes." + it.key(), "unknown field"});
      f.changes = *ch;
    }
  }
  if (f.nullify && body.contains("changes"))
    r.error("changes", "a nullification changes nothing else");
  r.finish();
  if (!errs.empty()) return Error::invalid(std::move(errs));
  return f;
}

Result<store::FollowupDecision> decide_followup(Services& s, const Call& c, const config::Study& st,
                                                const Followup& f, std::int64_t report,
                                                const json& current, int version,
                                                const std::vector<store::ClockRow>& open,
                                                const store::RuleLookup& lookup, Timestamp now) {
  const auto prev = classify_record(st, current);
  std::vector<safety::Clock> open_clocks;
  for (const auto& r : open) open_clocks.push_back(r.clock);
  store::FollowupDecision d;
  json server{{"site", current.value("site", "")}};
  if (f.nullify) {
    auto plan = safety::plan_followup(prev, open_clocks, {true, {}, now, true});
    d.nullification = true;
    d.record = submitted_fields(current);
    d.record["grade"] = current.value("grade", 0);
    d.record["ctcae"] = current.value("ctcae", json::object());
    d.record["safety"] = current.value("safety", json::object());
    d.record["nullified"] = {{"reason", f.reason}, {"notices", plan.notices}};
    for (const auto& stop : plan.stop) d.stop.emplace_back(stop.clock.id, stop.reason);
    d.alerts = version_alerts(st, d.record, report, version + 1, prev, prior_of(st, current, version),
                              lookup);
    return d;
  }

  json body = submitted_fields(current);
  body.merge_patch(f.changes);
  auto subject = s.store.find_subject(st.id, current.at("subject").get<std::string>());
  if (!subject) return subject.error();
  intake::SubjectFacts facts;
  json baseline = json::object();
  if (subject.value()) {
    facts = {true, subject.value()->enrolled};
    baseline = subject.value()->record.value("baseline", json::object());
  }
  auto prefix = [](Error e) {
    // Errors name the field as the site sent it: under "changes" when it was changed.
    return e;
  };
  auto draft = intake::parse_ae(body, {st.intervention_ids()}, now, facts);
  if (!draft) return prefix(draft.error());
  auto coded = intake::code_ae(draft.value(), *c.runtime->resolvers.at(st.id), baseline);
  if (!coded) return prefix(coded.error());
  json record = intake::to_json(draft.value());
  record["grade"] = coded->grade;
  record["ctcae"] = intake::to_json(coded.value());
  record["site"] = server["site"];
  const auto cls = classify_record(st, record);
  json block = classification_json(cls);
  block["criteria"] = criteria_of(record);
  bool late = false;
  if (cls.serious && !prev.serious) {
    // An upgrade to serious: the site's SAE clock runs from its awareness of seriousness.
    const auto aware = draft->site_aware_at;
    late = safety::site_report_late(aware, now, st.site_report_hours);
    block["site_report"] = {
        {"due_at", format_timestamp(safety::site_report_clock(aware, st.site_report_hours).due_at)},
        {"late", late}};
  } else if (current.contains("safety") && current["safety"].contains("site_report")) {
    block["site_report"] = current["safety"]["site_report"];
  }
  const json prev_block = current.value("safety", json::object());
  block["ever_serious"] = cls.serious || prev_block.value("ever_serious", prev.serious);
  block["ever_susar"] = cls.susar || prev_block.value("ever_susar", prev.susar);
  record["safety"] = block;
  json changed = json::array();
  for (auto it = f.changes.begin(); it != f.changes.end(); ++it) changed.push_back(it.key());
  record["changes"] = {{"fields", changed},
                       {"grade", {current.value("grade", 0), coded->grade}},
                       {"serious", {prev.serious, cls.serious}},
                       {"susar", {prev.susar, cls.susar}}};
  auto plan = safety::plan_followup(prev, open_clocks, {false, cls, now, true});
  d.start = plan.start;
  for (const auto& stop : plan.stop) d.stop.emplace_back(stop.clock.id, stop.reason);
  if (!plan.notices.empty()) record["changes"]["notices"] = plan.notices;
  d.alerts = version_alerts(st, record, report, version + 1, cls, prior_of(st, current, version), lookup);
  d.record = std::move(record);
  return d;
}

Result<Submission> parse_submission(const json& body, Timestamp now) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  Submission sub{};
  auto kind = r.one_of("kind", true, std::vector<std::string>{"initial", "complete", "followup"});
  auto at = r.timestamp("submitted", true);
  auto authority = r.string("authority", true, 100);
  auto reference = r.string("reference", true, 100);
  r.finish();
  if (at && *at > now.plus_ms(5 * 60'000)) r.error("submitted", "is in the future");
  if (!errs.empty()) return Error::invalid(std::move(errs));
  sub.kind = *safety::parse_submission_kind(*kind);
  sub.submitted = *at;
  sub.record = {{"kind", *kind},
                {"submitted", format_timestamp(*at)},
                {"authority", *authority},
                {"reference", *reference}};
  return sub;
}

std::vector<store::AlertRecord> event_alerts(const Runtime&, const config::Study& st,
                                             const store::SubjectRow& subject,
                                             const std::vector<safety::SubjectEvent>& existing,
                                             const safety::SubjectEvent& ev) {
  std::vector<safety::SubjectEvent> all = existing;
  all.push_back(ev);
  const auto facts = safety::facts_from_events(subject.subject, subject.enrolled, all);
  return to_records(safety::on_subject_event(st.id, ev, facts));
}

json surgical_json(const safety::SubjectSurgical& s) {
  return {{"subject", s.subject},
          {"surgery", format_date(s.surgery)},
          {"day30", std::string(safety::to_string(s.day30))},
          {"day90", std::string(safety::to_string(s.day90))},
          {"pending30_reason", s.pending30_reason},
          {"pending90_reason", s.pending90_reason},
          {"in_hospital_death", s.in_hospital_death ? json(*s.in_hospital_death) : json(nullptr)},
          {"worst_clavien_dindo",
           s.worst_complication ? json(safety::to_string(*s.worst_complication)) : json(nullptr)},
          {"cci", std::round(s.cci * 10) / 10},
          {"reoperated", s.reoperated},
          {"readmission30", std::string(safety::to_string(s.readmission30))},
          {"postop_stay_days", s.postop_stay_days ? json(*s.postop_stay_days) : json(nullptr)},
          {"enrolment_to_surgery_days", s.enrolment_to_surgery_days},
          {"margin", s.margin ? json(*s.margin == safety::Margin::R0   ? "R0"
                                     : *s.margin == safety::Margin::R1 ? "R1"
                                                                        : "R2")
                              : json(nullptr)}};
}

safety::SurgicalSafety surgical_of(const store::Snapshot& snap, Date cutoff) {
  std::vector<safety::SubjectFacts> facts;
  for (const auto& sub : snap.subjects) {
    auto ev = snap.events.find(sub.subject);
    facts.push_back(safety::facts_from_events(
        sub.subject, sub.enrolled, ev == snap.events.end() ? std::vector<safety::SubjectEvent>{} : ev->second));
  }
  return safety::surgical_safety(facts, cutoff);
}

std::vector<BoundaryState> evaluate_boundaries(const Runtime& rt, const config::Study& st,
                                               const store::Snapshot& snap,
                                               const safety::SurgicalSafety& surg) {
  std::vector<BoundaryState> out;
  auto it = rt.boundaries.find(st.id);
  if (it == rt.boundaries.end()) return out;
  // Operated subjects in order of surgery (then id): the order in which their windows close,
  // for the observed path drawn against the boundary.
  std::vector<const safety::SubjectSurgical*> operated;
  for (const auto& x : surg.subjects) operated.push_back(&x);
  std::stable_sort(operated.begin(), operated.end(), [](auto* a, auto* b) {
    return std::tie(a->surgery, a->subject) < std::tie(b->surgery, b->subject);
  });
  for (const auto& b : it->second) {
    BoundaryState s{&b, 0, 0, false, {}};
    auto step = [&s](bool event) {
      ++s.n;
      if (event) ++s.events;
      s.path.emplace_back(s.n, s.events);
    };
    switch (b.rule.event) {
      case safety::StoppingEvent::death_30d_post_surgery:
        // Evaluable once the 30-day window has closed (CLINICAL.md): pending subjects wait.
        for (const auto* x : operated)
          if (x->day30 != safety::WindowStatus::pending) step(x->day30 == safety::WindowStatus::dead_within);
        break;
      case safety::StoppingEvent::clavien_dindo_3b_plus:
        for (const auto* x : operated) {
          if (x->day30 == safety::WindowStatus::pending) continue;
          step(x->worst_complication && x->worst_complication->grade >= safety::ClavienDindo::IIIb);
        }
        break;
      case safety::StoppingEvent::grade3plus_related: {
        // Every enrolled subject is evaluable, in order of enrolment.
        std::set<std::string> hit;
        for (const auto& r : snap.reports) {
          if (r.value("status", "") == "nullified" || r.value("grade", 0) < 3) continue;
          const json rel = r.contains("safety") ? r["safety"].value("related_to", json::array()) : json::array();
          for (const auto& iv : b.rule.interventions)
            if (std::find(rel.begin(), rel.end(), json(iv)) != rel.end()) hit.insert(r.value("subject", ""));
        }
        for (const auto& f : snap.facts) {  // a snapshot taken as compact facts
          if (f.nullified || f.grade < 3) continue;
          for (const auto& iv : b.rule.interventions)
            if (snap.fact_tables.is_related(f, iv)) hit.insert(snap.fact_tables.subject(f));
        }
        std::vector<const store::SubjectRow*> order;
        for (const auto& sub : snap.subjects) order.push_back(&sub);
        std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
          return std::tie(a->enrolled, a->subject) < std::tie(b->enrolled, b->subject);
        });
        for (const auto* sub : order) step(hit.count(sub->subject) > 0);
        break;
      }
    }
    s.crossed = s.n > 0 && stats::boundary_crossed(b.rows, std::min(s.n, b.rule.n_max), s.events);
    out.push_back(s);
  }
  return out;
}

std::vector<store::AlertRecord> scheduled_alerts(const Runtime& rt, const config::Study& st,
                                                 const store::Snapshot& snap, Timestamp now) {
  std::vector<safety::AlertDraft> drafts;
  const auto it = rt.boundaries.find(st.id);
  const bool any_rule = it != rt.boundaries.end() && !it->second.empty();
  const auto surg = any_rule ? surgical_of(snap, now.date()) : safety::SurgicalSafety{};
  for (const auto& s : evaluate_boundaries(rt, st, snap, surg)) {
    auto a = safety::on_boundary(st.id, s.boundary->rule.id, std::min(s.n, s.boundary->rule.n_max), s.events,
                                 s.boundary->rows);
    drafts.insert(drafts.end(), a.begin(), a.end());
  }
  std::vector<safety::OpenClock> open;
  for (const auto& c : snap.open_clocks) open.push_back({c.clock, st.id, c.report, c.report_ref, c.subject});
  auto clocks = safety::on_clocks(open, now, st.rules);
  drafts.insert(drafts.end(), clocks.begin(), clocks.end());
  return to_records(drafts);
}

store::Store::SnapshotOptions scheduler_snapshot_options(const Runtime& rt, const config::Study& st,
                                                         Timestamp now) {
  store::Store::SnapshotOptions opts;
  opts.min_grade = 3;
  opts.slim = true;
  opts.alerts = false;
  store::Store::SnapshotOptions::Scheduler sch;
  if (auto it = rt.boundaries.find(st.id); it != rt.boundaries.end())
    for (const auto& b : it->second)
      if (b.rule.event == safety::StoppingEvent::grade3plus_related)
        for (const auto& iv : b.rule.interventions)
          if (std::find(sch.related_to.begin(), sch.related_to.end(), iv) == sch.related_to.end())
            sch.related_to.push_back(iv);
  // on_clocks: a clock raises nothing until `clock_warning_hours` before it is due.
  sch.clocks_due_by = now.plus_hours(st.rules.clock_warning_hours);
  opts.scheduler = std::move(sch);
  return opts;
}

json safety_figures(const Runtime& rt, const config::Study& st, const store::Snapshot& snap, Date cutoff) {
  std::map<std::string, int> by_site;
  for (const auto& sub : snap.subjects) ++by_site[sub.site];
  const auto surg = surgical_of(snap, cutoff);
  json cd = json::object();
  const char* names[] = {"I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"};
  for (std::size_t i = 0; i < surg.worst_grade_counts.size() && i < 7; ++i)
    cd[names[i]] = surg.worst_grade_counts[i];
  json per_subject = json::array();
  for (const auto& s : surg.subjects) per_subject.push_back(surgical_json(s));

  // AE and SAE counts: subjects counted once; nullified reports do not count.
  std::set<std::string> any, g3, sae, susar, fatal;
  int reports = 0, serious_reports = 0, nullified = 0;
  std::map<std::string, int> worst;
  for (const auto& r : snap.reports) {
    if (r.value("status", "") == "nullified") {
      ++nullified;
      continue;
    }
    ++reports;
    const std::string subj = r.value("subject", "");
    const int grade = r.value("grade", 0);
    any.insert(subj);
    worst[subj] = std::max(worst[subj], grade);
    if (grade >= 3) g3.insert(subj);
    const bool serious = r.contains("safety") && r["safety"].value("serious", false);
    if (serious) {
      sae.insert(subj);
      ++serious_reports;
    }
    if (r.contains("safety") && r["safety"].value("susar", false)) susar.insert(subj);
    if (grade == 5 || r.value("outcome", "") == "fatal") fatal.insert(subj);
  }
  json worst_grade = json::object();
  for (int g = 1; g <= 5; ++g) worst_grade[std::to_string(g)] = 0;
  for (const auto& [subj, g] : worst)
    if (g >= 1 && g <= 5) worst_grade[std::to_string(g)] = worst_grade[std::to_string(g)].get<int>() + 1;

  json stopping = json::array();
  for (const auto& b : evaluate_boundaries(rt, st, snap, surg)) {
    const auto& rule = b.boundary->rule;
    const auto* row = stats::row_for(b.boundary->rows, std::min(b.n, rule.n_max));
    json table = json::array();
    for (const auto& r : b.boundary->rows) table.push_back({{"n", r.n}, {"stop_if_events_at_least", r.stop_at}});
    json oc = json::array();
    for (const auto& o : b.boundary->oc)
      oc.push_back({{"rate", o.rate}, {"p_stop", o.p_cross}, {"p_stop_early", o.p_stop_early}, {"expected_n", o.expected_n}});
    stopping.push_back({{"id", rule.id},
                        {"event", std::string(safety::to_string(rule.event))},
                        {"method", std::string(safety::to_string(rule.method))},
                        {"n_max", rule.n_max},
                        {"evaluable", b.n},
                        {"events", b.events},
                        {"stop_at", row ? json(row->stop_at) : json(nullptr)},
                        {"crossed", b.crossed},
                        {"type1_error", b.boundary->type1_error},
                        {"power", b.boundary->power},
                        {"boundary", table},
                        {"operating_characteristics", oc}});
  }
  json clocks = json::array();
  int overdue = 0;
  for (const auto& c : snap.open_clocks) {
    const bool late = safety::overdue(c.clock, snap.as_of);
    overdue += late ? 1 : 0;
    clocks.push_back({{"id", c.id},
                      {"report", c.report},
                      {"report_id", c.report_ref},
                      {"subject", c.subject},
                      {"kind", std::string(safety::to_string(c.clock.kind))},
                      {"due_at", format_timestamp(c.clock.due_at)},
                      {"overdue", late}});
  }
  return {{"study", st.id},
          {"cutoff", format_date(cutoff)},
          {"as_of", format_timestamp(snap.as_of)},
          {"enrolment", {{"subjects", snap.subjects.size()}, {"by_site", by_site}}},
          {"adverse_events",
           {{"reports", reports},
            {"serious_reports", serious_reports},
            {"nullified_reports", nullified},
            {"subjects_with_ae", any.size()},
            {"subjects_with_grade3plus", g3.size()},
            {"subjects_with_sae", sae.size()},
            {"subjects_with_susar", susar.size()},
            {"subjects_with_fatal_ae", fatal.size()},
            {"subjects_by_worst_grade", worst_grade}}},
          {"surgical_safety",
           {{"operated", surg.operated},
            {"mortality30", rate_json(surg.mortality30)},
            {"pending30", surg.pending30},
            {"mortality90", rate_json(surg.mortality90)},
            {"pending90", surg.pending90},
            {"in_hospital_death", rate_json(surg.in_hospital_death)},
            {"reoperation", rate_json(surg.reoperation)},
            {"readmission30", rate_json(surg.readmission30)},
            {"pending_readmission30", surg.pending_readmission30},
            {"postop_stay_days", quartiles_json(surg.postop_stay_days, surg.postop_stay_n)},
            {"r0_resection", rate_json(surg.r0)},
            {"enrolment_to_surgery_days",
             quartiles_json(surg.enrolment_to_surgery_days, surg.operated)},
            {"clavien_dindo_worst", cd},
            {"without_complication", surg.without_complication},
            {"subjects", per_subject}}},
          {"open_clocks", {{"count", clocks.size()}, {"overdue", overdue}, {"items", clocks}}},
          {"stopping_rules", stopping}};
}

}  // namespace pvmon::http
