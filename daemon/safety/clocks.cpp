#include <cassert>

#include "pvmon/safety/clocks.hpp"

namespace pvmon::safety {
namespace {

bool is_regulatory(ClockKind k) { return k != ClockKind::site_report; }

const Clock* find_open(const std::vector<Clock>& open, ClockKind k) {
  for (const auto& c : open)
    if (c.kind == k) return &c;
  return nullptr;
}

void stop_regulatory(const std::vector<Clock>& open, const std::string& reason, ClockPlan& plan) {
  for (const auto& c : open)
    if (is_regulatory(c.kind)) plan.stop.push_back({c, reason, false});
}

std::string why_not_susar(const Classification& c) {
  bool any_related_ip = false;
  for (const auto& p : c.products) any_related_ip = any_related_ip || p.related;
  return any_related_ip ? "expected for every related investigational product"
                        : "not related to an investigational product";
}

}  // namespace

std::string_view to_string(ClockKind k) {
  switch (k) {
    case ClockKind::site_report: return "site_report";
    case ClockKind::regulatory_initial: return "regulatory_initial";
    case ClockKind::regulatory_complete: return "regulatory_complete";
    case ClockKind::regulatory_followup: return "regulatory_followup";
  }
  return "site_report";
}

std::optional<ClockKind> parse_clock_kind(std::string_view s) {
  for (auto k : {ClockKind::site_report, ClockKind::regulatory_initial,
                 ClockKind::regulatory_complete, ClockKind::regulatory_followup})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

Timestamp calendar_day_deadline(Timestamp received_at, int days) {
  assert(days >= 0 && "a reporting period is a non-negative number of days");
  // Day 0 is the UTC calendar date of receipt; the period ends with the last millisecond of
  // calendar day `days`. Date arithmetic, so month ends and leap days need no special case.
  return start_of(received_at.date().plus_days(days + 1)).plus_ms(-1);
}

Clock site_report_clock(Timestamp site_aware_at, int hours) {
  assert(hours > 0 && "the site reporting window is a positive number of hours");
  return Clock{ClockKind::site_report, site_aware_at, site_aware_at.plus_hours(hours),
               "site to sponsor within " + std::to_string(hours) + " h of awareness", 0};
}

bool site_report_late(Timestamp site_aware_at, Timestamp received_at, int hours) {
  return overdue(site_report_clock(site_aware_at, hours), received_at);
}

std::vector<Clock> regulatory_clocks(const Classification& c, Timestamp received_at,
                                     std::string reason) {
  std::vector<Clock> out;
  if (!c.susar) return out;
  if (c.fatal_or_life_threatening) {
    // ICH E2A III.A.1 / 21 CFR 312.32(c)(2): 7 calendar days, complete report 8 days later.
    out.push_back({ClockKind::regulatory_initial, received_at,
                   calendar_day_deadline(received_at, kFatalInitialDays),
                   reason + ": fatal or life-threatening, 7 days", 0});
    out.push_back({ClockKind::regulatory_complete, received_at,
                   calendar_day_deadline(received_at, kFatalCompleteDays),
                   reason + ": complete report, 8 further days", 0});
  } else {
    out.push_back({ClockKind::regulatory_initial, received_at,
                   calendar_day_deadline(received_at, kOtherSusarDays), reason + ": 15 days", 0});
  }
  return out;
}

Clock followup_clock(Timestamp received_at, std::string reason) {
  return Clock{ClockKind::regulatory_followup, received_at,
               calendar_day_deadline(received_at, kFollowupDays), std::move(reason), 0};
}

ClockPlan plan_followup(const Classification& prev, const std::vector<Clock>& open,
                        const FollowupVersion& next) {
  ClockPlan plan;
  if (next.nullified) {
    for (const auto& c : open) plan.stop.push_back({c, "nullified", false});
    if (prev.serious) {
      plan.reportable = true;
      plan.notices.push_back(prev.susar ? "a SUSAR was nullified: report the nullification"
                                        : "a serious case was nullified");
    }
    return plan;
  }
  const Classification& now = next.classification;
  if (prev.serious && !now.serious) {
    // CLINICAL.md: a downgrade stops the clocks and is itself reported.
    stop_regulatory(open, "downgraded to non-serious", plan);
    plan.reportable = true;
    plan.notices.push_back("downgraded to non-serious");
    return plan;
  }
  if (prev.susar && !now.susar) {
    const std::string why = "no longer a SUSAR: " + why_not_susar(now);
    stop_regulatory(open, why, plan);
    plan.reportable = true;
    plan.notices.push_back(why);
    return plan;
  }
  if (!prev.susar && now.susar) {
    // Day 0 of the new obligation is the receipt of the information that made it a SUSAR.
    plan.start = regulatory_clocks(now, next.received_at,
                                   prev.serious ? "became a SUSAR" : "upgraded to serious: SUSAR");
    return plan;
  }
  if (!now.susar || !next.changes_case) return plan;

  const Clock* initial = find_open(open, ClockKind::regulatory_initial);
  const Clock* complete = find_open(open, ClockKind::regulatory_complete);
  if (now.fatal_or_life_threatening && !prev.fatal_or_life_threatening && initial != nullptr) {
    // A 15-day SUSAR that turns fatal or life-threatening owes the 7-day report from now,
    // unless the running initial clock is already due sooner.
    const Timestamp due7 = calendar_day_deadline(next.received_at, kFatalInitialDays);
    if (due7 < initial->due_at) {
      plan.stop.push_back({*initial, "superseded: became fatal or life-threatening", false});
      plan.start = regulatory_clocks(now, next.received_at, "became fatal or life-threatening");
      return plan;
    }
  }
  // While the initial or complete report is still to be sent, it carries the new information.
  if (initial == nullptr && complete == nullptr)
    plan.start.push_back(followup_clock(next.received_at, "new information on a SUSAR"));
  return plan;
}

std::optional<SubmissionKind> parse_submission_kind(std::string_view s) {
  if (s == "initial") return SubmissionKind::initial;
  if (s == "complete") return SubmissionKind::complete;
  if (s == "followup") return SubmissionKind::followup;
  return std::nullopt;
}

ClockPlan plan_submission(const std::vector<Clock>& open, SubmissionKind kind,
                          Timestamp submitted_at) {
  ClockPlan plan;
  const ClockKind want = kind == SubmissionKind::initial    ? ClockKind::regulatory_initial
                         : kind == SubmissionKind::complete ? ClockKind::regulatory_complete
                                                            : ClockKind::regulatory_followup;
  for (const auto& c : open) {
    if (c.kind != want) continue;
    // A submission made before a clock started cannot answer it: the information it is about
    // had not reached the sponsor yet (ICH E2A III.A: the clock starts at the sponsor's receipt).
    if (c.started_at > submitted_at) continue;
    plan.stop.push_back({c, "submitted", overdue(c, submitted_at)});
  }
  return plan;
}

}  // namespace pvmon::safety
