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


namespace {

/// CLINICAL.md / issue 25: a lab result of grade >= its threshold with no AE report of its CTCAE
/// term within the window raises lab_without_ae once the window has passed; an AE report that
/// answers it later closes the alert. Pure rules in safety/labs.hpp; this reads and records.
void lab_alerts(const TickDeps& cx, const std::string& id, const config::Study& st, Timestamp now, TickResult& out) {
  const auto& p = st.rules.lab_without_ae;
  int lowest = p.min_grade;
  for (const auto& [term, g] : p.min_grade_by_term) lowest = std::min(lowest, g);
  auto found = cx.labs->lab_findings(id, lowest, p.window_days);
  if (!found) {
    out.problems.push_back("study " + id + ": lab findings not read: " + found.error().message);
    return;
  }
  std::vector<safety::AlertDraft> raise;
  std::vector<std::string> answered;
  static const std::vector<safety::AeOfTerm> kNone;
  for (const auto& [subject, results] : found->results) {
    auto a = found->aes.find(subject);
    const auto& aes = a == found->aes.end() ? kNone : a->second;
    // Every finding at or above its threshold: answered ones close, the others alert once due.
    for (const auto& f : safety::graded_findings(results, p)) {
      const auto draft = safety::lab_without_ae_alert(id, subject, f, p);
      const bool is_answered =
          std::any_of(aes.begin(), aes.end(), [&](const safety::AeOfTerm& ae) { return safety::answers(f, ae, p); });
      if (is_answered) answered.push_back(draft.dedupe_key);
      else if (now.date() > f.due) raise.push_back(draft);
    }
  }
  if (auto st2 = cx.alerts.raise_alerts(id, to_records(raise)); !st2)
    out.problems.push_back("study " + id + ": lab alerts not recorded: " + st2.error().message);
  if (auto n = cx.labs->close_alerts(id, answered, "answered by an AE report of the same term"); !n)
    out.problems.push_back("study " + id + ": lab alerts not closed: " + n.error().message);
}

}  // namespace

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
    if (cx.labs) lab_alerts(cx, id, study, now, out);
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
