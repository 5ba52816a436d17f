// pvmon::safety — reporting clocks: site-to-sponsor hours and sponsor-to-regulator calendar days,
// and how clocks start and stop as a case changes version or is submitted.
// Pure functions (no I/O, no clock reads: every instant is passed in), callable from any thread.
// Nothing here fails on input; programmer errors (negative hours) assert.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/safety/classification.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

enum class ClockKind {
  site_report,          // site -> sponsor, hours from site awareness (ICH E6 4.11.1)
  regulatory_initial,   // SUSAR initial report: 7 days (fatal/life-threatening) or 15 days
  regulatory_complete,  // fatal/life-threatening SUSAR complete report: 8 further days (day 15)
  regulatory_followup,  // new information on a SUSAR: 15 days
};
std::string_view to_string(ClockKind k);
std::optional<ClockKind> parse_clock_kind(std::string_view s);

/// One reporting obligation. `id` belongs to the store (0 until stored); the pure functions
/// echo it back when they stop a clock.
struct Clock {
  ClockKind kind = ClockKind::site_report;
  Timestamp started_at;
  Timestamp due_at;  // the last instant that is still on time (inclusive)
  std::string reason;
  std::int64_t id = 0;
  bool operator==(const Clock&) const = default;
};

/// Overdue means strictly after due_at.
inline bool overdue(const Clock& c, Timestamp now) { return now > c.due_at; }

/// "Within N calendar days" of day 0 = by the end of calendar day N in UTC, where day 0 is the
/// UTC date of `received_at` (ICH E2A III.A: calendar days from the sponsor's first knowledge;
/// the daemon's receipt is that knowledge). As a Timestamp: (day0 + N + 1) 00:00:00.000Z - 1 ms,
/// i.e. 23:59:59.999Z of day N. UTC has no daylight saving, so every day is 24 h.
Timestamp calendar_day_deadline(Timestamp received_at, int days);

inline constexpr int kFatalInitialDays = 7;     // ICH E2A III.A.1; 21 CFR 312.32(c)(2)
inline constexpr int kFatalCompleteDays = 15;   // 7 + "within 8 additional calendar days"
inline constexpr int kOtherSusarDays = 15;      // ICH E2A III.A.1; 21 CFR 312.32(c)(1)
inline constexpr int kFollowupDays = 15;        // CLINICAL.md: new information, 15 days
inline constexpr int kDefaultSiteReportHours = 24;  // protocol default (ICH E6 4.11.1 "immediately")

/// Site-to-sponsor: due `hours` after the site became aware; the clock ends at receipt.
Clock site_report_clock(Timestamp site_aware_at, int hours = kDefaultSiteReportHours);
/// Late when the daemon received the report strictly after the due time.
bool site_report_late(Timestamp site_aware_at, Timestamp received_at,
                      int hours = kDefaultSiteReportHours);

/// The regulatory clocks a version classified as SUSAR starts when the daemon receives it:
/// fatal/life-threatening -> initial (day 7) + complete (day 15); other -> initial (day 15);
/// not a SUSAR -> none.
std::vector<Clock> regulatory_clocks(const Classification& c, Timestamp received_at,
                                     std::string reason = "SUSAR received");
/// New information on a SUSAR: follow-up report due by the end of day 15.
Clock followup_clock(Timestamp received_at, std::string reason);

struct ClockStop {
  Clock clock;         // as passed in (with its id)
  std::string reason;  // "submitted", "nullified", "downgraded to non-serious", ...
  bool late = false;   // for submissions: sent after due_at
  bool operator==(const ClockStop&) const = default;
};

struct ClockPlan {
  std::vector<Clock> start;
  std::vector<ClockStop> stop;
  /// The change must itself be reported (a downgrade or nullification of a serious case, a
  /// SUSAR that is no longer one); `notices` say why, for the alert and the audit trail.
  bool reportable = false;
  std::vector<std::string> notices;
};

/// A follow-up version arriving at `received_at`: either a new classification or a
/// nullification. `changes_case` is false only when the version adds nothing relevant (for
/// example a typo fix in the narrative); any other follow-up of a SUSAR is new information.
struct FollowupVersion {
  bool nullified = false;
  Classification classification;  // ignored when nullified
  Timestamp received_at;
  bool changes_case = true;
};

/// Clocks to start and stop when `next` follows `prev` while `open` clocks are running:
/// - nullification stops every open clock ("nullified"); reportable if prev was serious;
/// - serious -> non-serious stops the regulatory clocks ("downgraded to non-serious"),
///   reportable; SUSAR -> serious non-SUSAR stops them too ("no longer a SUSAR: ...");
/// - non-SUSAR -> SUSAR (upgrade to serious, causality or expectedness change) starts the
///   regulatory clocks with day 0 = this receipt;
/// - SUSAR -> SUSAR with new information starts a follow-up clock; if it became fatal or
///   life-threatening and the initial report is still due later than 7 days from now, the
///   initial clock is replaced by a 7-day one plus the complete-report clock.
ClockPlan plan_followup(const Classification& prev, const std::vector<Clock>& open,
                        const FollowupVersion& next);

enum class SubmissionKind { initial, complete, followup };
std::optional<SubmissionKind> parse_submission_kind(std::string_view s);

/// A regulatory report sent at `submitted_at` stops the matching open clock: initial ->
/// regulatory_initial, complete -> regulatory_complete, followup -> every follow-up clock
/// started at or before the submission (the report carries everything known by then).
/// An empty plan means nothing matched; the caller decides whether that is an error.
ClockPlan plan_submission(const std::vector<Clock>& open, SubmissionKind kind,
                          Timestamp submitted_at);

}  // namespace pvmon::safety
