// pvmon::service — the study's safety figures, computed once from a store snapshot and used
// by GET /safety, the DSMB report and the scheduler's stopping rules: surgical safety
// (CLINICAL.md: 30/90-day mortality, Clavien–Dindo, reoperation, readmission), AE and SAE
// counts, open clocks and each stopping rule's state. Pure over the snapshot; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>
#include <vector>

#include "pvmon/safety.hpp"
#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// A stopping rule's current count against its boundary.
struct BoundaryState {
  const Boundary* boundary = nullptr;
  int n = 0;       // evaluable subjects
  int events = 0;  // subjects with the event
  /// The boundary was reached at some point of the path (a sequential rule stops the first time
  /// its count reaches the boundary: a later look with a higher stopping count does not undo it).
  bool crossed = false;
  bool design_complete = false;  // n reached n_max: the count is final
  std::vector<std::pair<int, int>> path;  // (evaluable so far, events so far), in order
  /// The first point of the path that reached the boundary: (evaluable, events).
  std::optional<std::pair<int, int>> crossed_at;
};

/// Each subject's reconciled course as of `cutoff` (safety/course.hpp), in the snapshot's
/// subject order: the one account of deaths and follow-up every view reads.
std::vector<safety::SubjectCourse> courses_of(const store::Snapshot& snap, Date cutoff);
/// The surgical figures of the courses as of `cutoff`.
safety::SurgicalSafety surgical_of(const std::vector<safety::SubjectCourse>& courses, Date cutoff);
inline safety::SurgicalSafety surgical_of(const store::Snapshot& snap, Date cutoff) {
  return surgical_of(courses_of(snap, cutoff), cutoff);
}

/// Each stopping rule's count, from the snapshot and its surgical figures (computed once by
/// the caller, which needs them too).
std::vector<BoundaryState> evaluate_boundaries(const Runtime& rt, const config::Study& st,
                                               const store::Snapshot& snap,
                                               const safety::SurgicalSafety& surg);

/// GET /safety: surgical safety, AE and SAE counts and open clocks as of the snapshot.
nlohmann::json safety_figures(const Runtime& rt, const config::Study& st,
                              const store::Snapshot& snap, Date cutoff);

/// GET /safety: what happened by the end of `cutoff` as recorded at `as_of` (service/cutoff.hpp:
/// as-of default now, cut-off default the as-of's date). The same pair gives the same figures.
/// A cut-off after today, an as-of in the future or before the cut-off day are refused (422
/// naming the field).
Result<nlohmann::json> study_safety(const Runtime& rt, const Clock& clock,
                                    store::SnapshotStore& snapshots, const config::Study& st,
                                    std::optional<Date> cutoff, std::optional<Timestamp> as_of = std::nullopt);
inline Result<nlohmann::json> study_safety(const Context& cx, const config::Study& st,
                                           std::optional<Date> cutoff,
                                           std::optional<Timestamp> as_of = std::nullopt) {
  return study_safety(cx.rt, cx.clock, cx.store, st, cutoff, as_of);
}

}  // namespace pvmon::service
