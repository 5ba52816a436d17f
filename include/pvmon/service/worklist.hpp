// pvmon::service — the safety officer's worklist (issue 21, the safety desk's
// inbox): how urgent each open alert and reporting clock is, and the one order
// of them all; and what changed between two versions of an AE report (the case
// page). Pure: no I/O and no clock read (every instant is passed in); any
// thread; nothing here fails.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/time.hpp"

namespace pvmon::service::worklist {

/// P1 most urgent. Written as text ("P1") wherever it is shown, never as a
/// colour alone.
enum class Priority { p1 = 1, p2 = 2, p3 = 3 };
std::string_view to_string(Priority p);

/// What the AE report behind an item says, as its current version's
/// classification (ICH E2A, computed once at intake: the record's `safety`
/// block).
struct CaseFacts {
  bool fatal_or_life_threatening = false;
  bool serious = false;
  bool susar = false;
};
/// The facts of a stored AE record (its `safety` block; absent fields are
/// false).
CaseFacts case_facts(const nlohmann::json &record);

/// One work item as the priority rule reads it.
struct ItemFacts {
  std::optional<CaseFacts> case_facts;  // the AE report behind it, when there is one
  std::string rule;                     // an alert's rule id; empty for a clock
  /// The due time of the clock the item is (a clock) or is about (a clock
  /// alert).
  std::optional<Timestamp> due;
  /// A subject's clock without a report: a death awaiting its SAE report.
  bool death_awaiting_report = false;
};

/// Issue 21 (CLINICAL.md "Severity is not seriousness", "Clocks"):
/// P1 = death or life-threatening (grade 5 included), a SUSAR, or an overdue
/// clock (strictly
///      after its due time, safety::overdue);
/// P2 = any other serious case, or a clock due within the study's
/// `warning_hours` (the
///      scheduler's clock_warning_hours: clock_due_soon);
/// P3 = the rest. Beyond the issue: a crossed stopping boundary is P1, a potential Hy's law
/// case P2.
/// The highest any criterion gives wins: a SUSAR's clock is P1 whenever it is
/// due.
Priority priority(const ItemFacts &f, Timestamp now, int warning_hours);

/// Where an item sorts: priority, then due time (soonest first; an alert that
/// is about no clock is due from when it was raised: it waits for its
/// acknowledgement since then), then alerts before clocks, the more severe
/// alert first, then study and id (a stable order).
struct OrderKey {
  Priority priority = Priority::p3;
  Timestamp due;
  bool alert = true;
  int severity = 3;  // severity_rank of an alert's severity; a clock has none (3)
  std::string study;
  std::int64_t id = 0;
};
bool comes_before(const OrderKey &a, const OrderKey &b);
/// critical 0, high 1, info 2, anything else 3.
int severity_rank(std::string_view severity);

/// One field that differs between two versions of a record: `field` is its path
/// ("serious.death", "causality.camrelizumab"); before/after are nullopt where
/// the field is absent.
struct FieldChange {
  std::string field;
  std::optional<nlohmann::json> before, after;
};

/// The fields of `before` and `after` that differ, in path order. Objects are
/// compared member by member (nested ones by path); any other value, arrays
/// included, as a whole. Paths in `ignore` (and everything below them) are left
/// out.
std::vector<FieldChange> version_diff(const nlohmann::json &before, const nlohmann::json &after,
                                      const std::vector<std::string> &ignore = {});

}  // namespace pvmon::service::worklist
