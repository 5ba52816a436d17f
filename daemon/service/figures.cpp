// The study's safety figures from a store snapshot: surgical safety, AE and SAE counts, open
// clocks and the stopping rules' state. Each figure is computed here once; /safety, the DSMB
// report and the scheduler read it from here.
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "pvmon/reports.hpp"
#include "pvmon/safety/figures.hpp"
#include "pvmon/service/cutoff.hpp"
#include "pvmon/service/figures.hpp"

namespace pvmon::service {

using nlohmann::json;

std::vector<safety::SubjectCourse> courses_of(const store::Snapshot& snap, Date cutoff) {
  // The AEs each course reads: given by the store (the scheduler's view), from the compact
  // facts, or from the reports' records.
  std::map<std::string, std::vector<safety::CourseAe>> from_records;
  const std::map<std::string, std::vector<safety::CourseAe>>* aes = &snap.course_aes;
  if (snap.course_aes.empty() && !snap.facts.empty()) {
    from_records = safety::course_aes(snap.facts, snap.fact_tables, cutoff);
    aes = &from_records;
  } else if (snap.course_aes.empty()) {
    for (const auto& r : snap.reports) {
      if (r.value("status", "") == "nullified") continue;
      auto onset = parse_date(r.value("onset", ""));
      if (!onset) continue;
      const int grade = r.value("grade", 0);
      const json sf = r.value("safety", json::object());
      from_records[r.value("subject", "")].push_back(
          {r.value("report_id", ""), *onset, parse_date(r.value("resolved", "")), grade,
           grade == 5, sf.value("serious", false)});
    }
    aes = &from_records;
  }
  static const std::vector<safety::SubjectEvent> kNoEvents;
  static const std::vector<safety::CourseAe> kNoAes;
  std::vector<safety::SubjectCourse> out;
  out.reserve(snap.subjects.size());
  for (const auto& sub : snap.subjects) {
    auto ev = snap.events.find(sub.subject);
    auto ae = aes->find(sub.subject);
    out.push_back(safety::subject_course(sub.subject, sub.enrolled, ev == snap.events.end() ? kNoEvents : ev->second,
                                         ae == aes->end() ? kNoAes : ae->second, cutoff));
  }
  return out;
}

safety::SurgicalSafety surgical_of(const std::vector<safety::SubjectCourse>& courses, Date cutoff) {
  std::vector<safety::SubjectFacts> facts;
  facts.reserve(courses.size());
  for (const auto& c : courses) facts.push_back(c.facts);
  return safety::surgical_safety(facts, cutoff);
}

std::vector<BoundaryState> evaluate_boundaries(const Runtime& rt, const config::Study& st,
                                               const store::Snapshot& snap,
                                               const safety::SurgicalSafety& surg) {
  std::vector<BoundaryState> out;
  auto it = rt.boundaries.find(st.id);
  if (it == rt.boundaries.end()) return out;
  // Operated subjects in the order they became evaluable (their 30-day window closed; then
  // surgery, then id), as `pvmon boundary` defines the rule: the first n_max of them count.
  std::vector<const safety::SubjectSurgical*> operated;
  for (const auto& x : surg.subjects)
    if (x.day30_closed_on) operated.push_back(&x);
  std::stable_sort(operated.begin(), operated.end(), [](auto* a, auto* b) {
    return std::tie(*a->day30_closed_on, a->surgery, a->subject) < std::tie(*b->day30_closed_on, b->surgery, b->subject);
  });
  for (const auto& b : it->second) {
    BoundaryState s{&b, 0, 0, false, false, {}, std::nullopt};
    // The rule is designed for its first n_max evaluable subjects (Ivanova et al. 2005; Thall &
    // Simon 1994; as `pvmon boundary` computes it): later ones never count towards it.
    auto step = [&s, n_max = b.rule.n_max](bool event) {
      if (s.n >= n_max) return;
      ++s.n;
      if (event) ++s.events;
      s.path.emplace_back(s.n, s.events);
    };
    switch (b.rule.event) {
      case safety::StoppingEvent::death_30d_post_surgery:
        // Evaluable once the 30-day window has closed (CLINICAL.md): pending subjects wait.
        for (const auto* x : operated) step(x->day30 == safety::WindowStatus::dead_within);
        break;
      case safety::StoppingEvent::clavien_dindo_3b_plus:
        for (const auto* x : operated)
          step(x->worst_complication && x->worst_complication->grade >= safety::ClavienDindo::IIIb);
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
    s.design_complete = s.n >= b.rule.n_max;
    // Continuous monitoring (Ivanova et al. 2005; Thall & Simon 1994) stops the first time the
    // count reaches the boundary, at whichever look: every point of the path is a look. The
    // subjects' order is clinical (when each became evaluable), not the order data arrived in,
    // so a crossing may lie behind the current look (a death entered late, a bulk load).
    for (const auto& [n, events] : s.path)
      if (stats::boundary_crossed(b.rows, n, events)) {
        s.crossed_at = std::make_pair(n, events);
        break;
      }
    s.crossed = s.crossed_at.has_value();
    out.push_back(s);
  }
  return out;
}

json safety_figures(const Runtime& rt, const config::Study& st, const store::Snapshot& snap, Date cutoff) {
  std::map<std::string, int> by_site;
  for (const auto& sub : snap.subjects) ++by_site[sub.site];
  const auto courses = courses_of(snap, cutoff);
  const auto surg = surgical_of(courses, cutoff);
  const auto endpoints = safety::endpoints(courses, cutoff);
  const auto aes = safety::count_aes(snap.facts, snap.fact_tables);
  const int enrolled = static_cast<int>(snap.subjects.size());

  json stopping = json::array();
  std::vector<reports::RuleState> states;
  for (const auto& b : evaluate_boundaries(rt, st, snap, surg)) {
    states.push_back({b.boundary->rule.id, std::string(safety::to_string(b.boundary->rule.event)), b.n, b.events,
                      b.crossed});
    const auto& rule = b.boundary->rule;
    const auto* row = stats::row_for(b.boundary->rows, std::min(b.n, rule.n_max));
    json table = json::array();
    for (const auto& r : b.boundary->rows) table.push_back({{"n", r.n}, {"stop_if_events_at_least", r.stop_at}});
    json path = json::array();  // each look: [evaluable so far, events so far] (the DSMB model's `path`)
    for (const auto& [n, events] : b.path) path.push_back({n, events});
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
                        {"crossed_at", b.crossed_at ? json{{"n", b.crossed_at->first}, {"events", b.crossed_at->second}}
                                                    : json(nullptr)},
                        {"type1_error", b.boundary->type1_error},
                        {"power", b.boundary->power ? json(*b.boundary->power) : json(nullptr)},
                        {"design_complete", b.design_complete},
                        {"boundary", table},
                        {"path", path},
                        {"operating_characteristics", oc}});
  }
  json clocks = json::array();
  int overdue = 0;
  for (const auto& c : snap.open_clocks) {
    const bool late = safety::overdue(c.clock, snap.as_of);
    overdue += late ? 1 : 0;
    clocks.push_back({{"id", c.id},
                      {"report", c.report ? json(c.report) : json(nullptr)},
                      {"report_id", c.report ? json(c.report_ref) : json(nullptr)},
                      {"subject", c.subject},
                      {"kind", std::string(safety::to_string(c.clock.kind))},
                      {"due_at", format_timestamp(c.clock.due_at)},
                      {"overdue", late}});
  }
  return {{"study", st.id},
          {"cutoff", format_date(cutoff)},
          {"as_of", format_timestamp(snap.as_of)},
          {"enrolment", {{"subjects", snap.subjects.size()}, {"by_site", by_site}}},
          {"adverse_events", reports::ae_counts_json(aes, enrolled)},
          {"surgical_safety", reports::surgical_json(surg)},
          {"benefit_risk", reports::benefit_risk_json(endpoints, surg, aes, states)},
          {"open_clocks", {{"count", clocks.size()}, {"overdue", overdue}, {"items", clocks}}},
          {"stopping_rules", stopping}};
}


Result<json> study_safety(const Runtime& rt, const Clock& clock, store::SnapshotStore& snapshots,
                          const config::Study& st, std::optional<Date> cutoff,
                          std::optional<Timestamp> as_of) {
  auto at = data_cutoff(cutoff, as_of, clock.now());
  if (!at) return Error::invalid(at.error().fields, "invalid query parameters");
  store::SnapshotStore::SnapshotOptions opts;
  opts.facts = true;    // the fact columns: no version text is parsed
  opts.alerts = false;  // the figures list none
  auto snap = snapshots.snapshot(st.id, at->as_of, opts);
  if (!snap) return snap.error();
  clip_to_cutoff(snap.value(), at->cutoff);
  return safety_figures(rt, st, snap.value(), at->cutoff);
}

}  // namespace pvmon::service
