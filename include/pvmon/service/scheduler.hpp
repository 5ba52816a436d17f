// pvmon::service — periodic work in one place, as Redis's serverCron: the scheduler tick
// (reporting clocks due soon or overdue, crossed stopping boundaries, escalation of
// unacknowledged critical alerts) and scheduled DSMB reports, each task with its own period,
// all run from the injected clock. The app's timer calls Periodic::run_due; tests advance a
// FakeClock and call it, with no sleeps. Not thread-safe: one caller at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// The scheduler's alerts for a study as of `now`: crossed stopping boundaries (once per rule:
/// the dedupe key) and reporting clocks due soon or overdue. Pure.
std::vector<store::AlertRecord> scheduled_alerts(const Runtime& rt, const config::Study& st,
                                                 const store::Snapshot& snap, Timestamp now);

/// The snapshot scheduled_alerts needs as of `now`, and no more (SnapshotOptions::scheduler):
/// the interventions of the study's grade >= 3 stopping rules, and the clocks due within the
/// warning hours. Its cost does not grow with the number of reports.
store::Store::SnapshotOptions scheduler_snapshot_options(const Runtime& rt, const config::Study& st,
                                                         Timestamp now);

/// What one tick did; the problems it met are logged by the caller and the tick goes on.
struct TickResult {
  int escalated = 0;                 // critical alerts re-sent
  std::vector<std::string> problems;  // per study: what could not be read or recorded
};

/// What the tick works with: the snapshots its rules read and the alerts it raises and re-sends.
struct TickDeps {
  const Runtime& rt;
  const Clock& clock;
  store::SnapshotStore& snapshots;
  store::AlertStore& alerts;
  /// The lab stream (issue 25): findings without an AE report are raised and, once an AE report
  /// answers them, closed. Null: no lab rules (a tick over a store without labs).
  store::LabStore* labs = nullptr;
};

/// One scheduler pass at cx.clock.now(): every study's clock and boundary alerts (each once:
/// dedupe keys), then the re-sending of critical alerts unacknowledged for
/// `escalate_after_seconds`.
TickResult scheduler_tick(const TickDeps& cx);
inline TickResult scheduler_tick(const Context& cx) {
  return scheduler_tick(TickDeps{cx.rt, cx.clock, cx.store, cx.store, &cx.store});
}

/// Tasks that fall due on the injected clock. A task's period is read at each run (config
/// reloads change it); a task that falls due several times while nothing calls run_due runs
/// once.
class Periodic {
 public:
  explicit Periodic(const Clock& clock) : clock_(clock) {}
  /// Adds a task that first runs at the first run_due after `period_ms()` has passed.
  void add(std::string name, std::function<std::int64_t()> period_ms, std::function<void()> run);
  /// Adds a task that also runs at the first run_due (work left over from before a restart).
  void add_now(std::string name, std::function<std::int64_t()> period_ms, std::function<void()> run);
  /// Runs every task due at clock.now(), in the order they were added; returns their names.
  std::vector<std::string> run_due();
  /// Milliseconds from now until the next task is due (0 when one is due now).
  std::int64_t ms_until_next() const;

 private:
  struct Task {
    std::string name;
    std::function<std::int64_t()> period_ms;
    std::function<void()> run;
    Timestamp next;
  };
  const Clock& clock_;
  std::vector<Task> tasks_;
};

}  // namespace pvmon::service
