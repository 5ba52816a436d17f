// The scheduler: its tick (clock and boundary alerts, escalation) and the periodic runner that
// fires each task from the injected clock.
#include <algorithm>

#include "pvmon/service/figures.hpp"
#include "pvmon/service/scheduler.hpp"
#include "records.hpp"

namespace pvmon::service {

std::vector<store::AlertRecord> scheduled_alerts(const Runtime& rt, const config::Study& st,
                                                 const store::Snapshot& snap, Timestamp now) {
  std::vector<safety::AlertDraft> drafts;
  // The same courses and figures as /safety and the DSMB report (figures.hpp), as of today.
  const auto courses = courses_of(snap, now.date());
  const auto surg = surgical_of(courses, now.date());
  drafts = safety::on_courses(st.id, courses, surg, now.date(), st.rules.vital_status_grace_days);
  for (const auto& s : evaluate_boundaries(rt, st, snap, surg)) {
    // Alerted at the look that crossed the boundary, which may lie before the current count.
    const auto [n, events] = s.crossed_at.value_or(std::make_pair(s.n, s.events));
    auto a = safety::on_boundary(st.id, s.boundary->rule.id, n, events, s.boundary->rows);
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


TickResult scheduler_tick(const TickDeps& cx) {
  TickResult out;
  const auto& c = *cx.rt.config;
  const Timestamp now = cx.clock.now();
  for (const auto& [id, study] : c.studies) {
    // Only what the tick's rules read: its cost does not grow with the number of reports.
    auto snap = cx.snapshots.snapshot(id, now, scheduler_snapshot_options(cx.rt, study, now));
    if (!snap) {
      out.problems.push_back("study " + id + ": " + snap.error().message);
      continue;
    }
    auto alerts = scheduled_alerts(cx.rt, study, snap.value(), now);
    if (auto st = cx.alerts.raise_alerts(id, alerts); !st)
      out.problems.push_back("study " + id + ": alerts not recorded: " + st.error().message);
  }
  auto n = cx.alerts.escalate(cx.clock.now(), static_cast<std::int64_t>(c.escalate_after_seconds) * 1000);
  if (!n) out.problems.push_back("escalation failed: " + n.error().message);
  else out.escalated = n.value();
  return out;
}

void Periodic::add(std::string name, std::function<std::int64_t()> period_ms, std::function<void()> run) {
  const Timestamp first = clock_.now().plus_ms(period_ms());
  tasks_.push_back({std::move(name), std::move(period_ms), std::move(run), first});
}

void Periodic::add_now(std::string name, std::function<std::int64_t()> period_ms,
                       std::function<void()> run) {
  tasks_.push_back({std::move(name), std::move(period_ms), std::move(run), clock_.now()});
}

std::vector<std::string> Periodic::run_due() {
  std::vector<std::string> ran;
  for (auto& t : tasks_) {
    const Timestamp now = clock_.now();
    if (now < t.next) continue;
    t.run();
    ran.push_back(t.name);
    // From the time it ran, not from when it was due: a late run does not catch up in a burst.
    t.next = now.plus_ms(std::max<std::int64_t>(1, t.period_ms()));
  }
  return ran;
}

std::int64_t Periodic::ms_until_next() const {
  if (tasks_.empty()) return 1000;
  const Timestamp now = clock_.now();
  std::int64_t best = INT64_MAX;
  for (const auto& t : tasks_) best = std::min(best, std::max<std::int64_t>(0, t.next.ms - now.ms));
  return best;
}

}  // namespace pvmon::service
