// pvmon::schedule — when periodic work (DSMB summaries) falls due: every N days at a time of
// day from a start date, or a cron expression. All in UTC. Pure functions; a bad expression is
// an Error naming the field of the expression that is wrong.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace pvmon::schedule {

/// The five fields of a crontab line (minute hour day-of-month month day-of-week), each a
/// list of `*`, `a`, `a-b`, with an optional `/step`; day-of-week 0-7 (0 and 7 are Sunday).
/// As in Vixie cron (crontab(5)): when both day fields are restricted, a day matches if
/// either does.
struct Cron {
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> dom;    // 1..31
  std::bitset<13> month;  // 1..12
  std::bitset<7> dow;     // 0..6, Sunday = 0
  bool dom_any = true, dow_any = true;
};
Result<Cron> parse_cron(std::string_view text);

struct Schedule {
  // Every `every_days` days at `at_minute` minutes after midnight UTC, from `starting`.
  int every_days = 0;
  int at_minute = 0;
  Date starting;
  std::optional<Cron> cron;  // used instead when set
  std::string text;          // as configured, for logs and the API
};

/// The first due instant strictly after `after`; nullopt if none within ten years.
std::optional<Timestamp> next_after(const Schedule& s, Timestamp after);
/// The latest due instant in (after, now], if any: what a scheduler that was not running when
/// one or more fell due builds now, once.
std::optional<Timestamp> latest_in(const Schedule& s, Timestamp after, Timestamp now);

}  // namespace pvmon::schedule
