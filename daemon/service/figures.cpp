// The study's safety figures from a store snapshot: surgical safety, AE and SAE counts, open
// clocks and the stopping rules' state. Each figure is computed here once; /safety, the DSMB
// report and the scheduler read it from here.
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "pvmon/service/figures.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

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

}  // namespace

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


Result<json> study_safety(const Runtime& rt, const Clock& clock, store::SnapshotStore& snapshots,
                          const config::Study& st, std::optional<Date> cutoff) {
  const Timestamp now = clock.now();
  Date day = now.date();
  Timestamp as_of = now;
  if (cutoff) {
    if (*cutoff > day) return Error::invalid({{"cutoff", "is in the future"}}, "invalid query parameters");
    day = *cutoff;
    as_of = start_of(day.plus_days(1)).plus_ms(-1);  // the end of the cut-off day
  }
  auto snap = snapshots.snapshot(st.id, as_of);
  if (!snap) return snap.error();
  return safety_figures(rt, st, snap.value(), day);
}

}  // namespace pvmon::service
