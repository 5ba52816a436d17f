#include <doctest/doctest.h>

#include "pvmon/schedule.hpp"

using namespace pvmon;
using namespace pvmon::schedule;

namespace {
Timestamp at(const char* s) { return parse_timestamp(s).value(); }
std::string fmt(std::optional<Timestamp> t) { return t ? format_timestamp(*t) : "none"; }
Schedule cron(const char* text) {
  Schedule s;
  s.cron = parse_cron(text).value();
  s.text = text;
  return s;
}
}  // namespace

TEST_CASE("every N days at a time of day, from a start date") {
  Schedule s;
  s.every_days = 30;
  s.at_minute = 8 * 60;
  s.starting = parse_date("2026-01-05").value();
  CHECK(fmt(next_after(s, at("2025-12-31T00:00:00Z"))) == "2026-01-05T08:00:00.000Z");
  // Strictly after: a due instant itself gives the next one.
  CHECK(fmt(next_after(s, at("2026-01-05T08:00:00Z"))) == "2026-02-04T08:00:00.000Z");
  CHECK(fmt(next_after(s, at("2026-01-05T07:59:59.999Z"))) == "2026-01-05T08:00:00.000Z");
  // 2026-01-05 + 300 days = 2026-11-01.
  CHECK(fmt(next_after(s, at("2026-10-15T12:00:00Z"))) == "2026-11-01T08:00:00.000Z");
  // A daemon down across two due times builds the latest one only.
  CHECK(fmt(latest_in(s, at("2026-01-05T08:00:00Z"), at("2026-03-10T00:00:00Z"))) ==
        "2026-03-06T08:00:00.000Z");
  CHECK(fmt(latest_in(s, at("2026-03-06T08:00:00Z"), at("2026-03-10T00:00:00Z"))) == "none");
  CHECK(fmt(latest_in(s, at("2026-01-01T00:00:00Z"), at("2026-01-05T08:00:00Z"))) ==
        "2026-01-05T08:00:00.000Z");
  CHECK(fmt(latest_in(s, at("2025-01-01T00:00:00Z"), at("2026-01-05T07:00:00Z"))) == "none");
}

TEST_CASE("cron: monthly, weekdays, steps and the day-of-month OR day-of-week rule") {
  // 08:00 UTC on the 1st of each month.
  auto monthly = cron("0 8 1 * *");
  CHECK(fmt(next_after(monthly, at("2026-11-24T10:00:00Z"))) == "2026-12-01T08:00:00.000Z");
  CHECK(fmt(next_after(monthly, at("2026-12-01T08:00:00Z"))) == "2027-01-01T08:00:00.000Z");
  // Every 15 minutes 09:00-17:45 on weekdays; 2026-11-27 is a Friday.
  auto office = cron("*/15 9-17 * * 1-5");
  CHECK(fmt(next_after(office, at("2026-11-27T17:50:00Z"))) == "2026-11-30T09:00:00.000Z");
  CHECK(fmt(next_after(office, at("2026-11-30T09:00:00Z"))) == "2026-11-30T09:15:00.000Z");
  // crontab(5): "0 0 13 * 5" runs on the 13th AND on every Friday. After Tue 2026-11-10 the
  // next is Fri 2026-11-13 (both), then Fri 2026-11-20.
  auto either = cron("0 0 13 * 5");
  CHECK(fmt(next_after(either, at("2026-11-10T00:00:00Z"))) == "2026-11-13T00:00:00.000Z");
  CHECK(fmt(next_after(either, at("2026-11-13T00:00:00Z"))) == "2026-11-20T00:00:00.000Z");
  CHECK(fmt(next_after(either, at("2026-12-05T00:00:00Z"))) == "2026-12-11T00:00:00.000Z");
  // 7 is Sunday as well as 0; 2026-11-29 is a Sunday.
  CHECK(fmt(next_after(cron("30 6 * * 7"), at("2026-11-24T00:00:00Z"))) == "2026-11-29T06:30:00.000Z");
  // 29 February only: the next one is in 2028.
  CHECK(fmt(next_after(cron("0 0 29 2 *"), at("2026-03-01T00:00:00Z"))) == "2028-02-29T00:00:00.000Z");
  CHECK(fmt(latest_in(monthly, at("2026-09-01T08:00:00Z"), at("2026-11-24T00:00:00Z"))) ==
        "2026-11-01T08:00:00.000Z");
}

TEST_CASE("cron: every malformed field is an error naming it") {
  CHECK_FALSE(parse_cron("0 8 1 *"));
  CHECK(parse_cron("0 8 1 *").error().message.find("five fields") != std::string::npos);
  auto e = parse_cron("60 8 1 * *");
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("minute") != std::string::npos);
  CHECK(parse_cron("0 24 * * *").error().message.find("hour") != std::string::npos);
  CHECK(parse_cron("0 0 0 * *").error().message.find("day of month") != std::string::npos);
  CHECK(parse_cron("0 0 * 13 *").error().message.find("month") != std::string::npos);
  CHECK(parse_cron("0 0 * * 8").error().message.find("day of week") != std::string::npos);
  CHECK_FALSE(parse_cron("*/0 * * * *"));
  CHECK_FALSE(parse_cron("5-1 * * * *"));
  CHECK_FALSE(parse_cron("a * * * *"));
  CHECK(parse_cron("0,30 */6 1-7 1,4,7,10 *"));
}
