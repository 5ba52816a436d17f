#include <doctest/doctest.h>

#include "when.hpp"
#include "pvmon/safety/clocks.hpp"

using namespace pvmon;
using namespace pvmon::safety;

using namespace pvmon::test;

namespace {

Classification susar(bool fatal) {
  Classification c;
  c.serious = true;
  c.susar = true;
  c.fatal_or_life_threatening = fatal;
  c.products = {{"camrelizumab", true, false}};
  c.related_to = {"camrelizumab"};
  return c;
}

Classification serious_only() {
  Classification c;
  c.serious = true;
  c.products = {{"camrelizumab", false, false}};
  return c;
}

}  // namespace

// Day 0 = UTC date of receipt; "within N calendar days" = by 23:59:59.999Z of day N
// (ICH E2A III.A.1; 21 CFR 312.32(c)). The dates below are counted on a calendar by hand.
TEST_CASE("calendar-day deadlines across month ends and leap years") {
  // Jan 28 + 7 = Feb 4 (29,30,31,1,2,3,4); + 15 = Feb 12.
  CHECK(format_timestamp(calendar_day_deadline(ts("2026-01-28T10:00:00Z"), 7)) ==
        "2026-02-04T23:59:59.999Z");
  CHECK(format_timestamp(calendar_day_deadline(ts("2026-01-28T10:00:00Z"), 15)) ==
        "2026-02-12T23:59:59.999Z");
  // 2028 is a leap year: Feb 26 + 7 = Mar 4 (27,28,29,1,2,3,4); + 15 = Mar 12.
  CHECK(format_timestamp(calendar_day_deadline(ts("2028-02-26T00:00:00Z"), 7)) ==
        "2028-03-04T23:59:59.999Z");
  CHECK(format_timestamp(calendar_day_deadline(ts("2028-02-26T00:00:00Z"), 15)) ==
        "2028-03-12T23:59:59.999Z");
  // 2027 is not: Feb 26 + 7 = Mar 5.
  CHECK(format_timestamp(calendar_day_deadline(ts("2027-02-26T12:00:00Z"), 7)) ==
        "2027-03-05T23:59:59.999Z");
  // Year end: Dec 31 + 7 = Jan 7; + 15 = Jan 15.
  CHECK(format_timestamp(calendar_day_deadline(ts("2026-12-31T23:59:59Z"), 7)) ==
        "2027-01-07T23:59:59.999Z");
  CHECK(format_timestamp(calendar_day_deadline(ts("2026-12-31T23:59:59Z"), 15)) ==
        "2027-01-15T23:59:59.999Z");
  // A receipt given with an offset counts by its UTC date: 01:30+02:00 is 23:30Z the day before.
  CHECK(format_timestamp(calendar_day_deadline(ts("2026-06-02T01:30:00+02:00"), 7)) ==
        "2026-06-08T23:59:59.999Z");
}

TEST_CASE("calendar days ignore daylight saving (UTC storage)") {
  // EU summer time starts 2026-03-29 01:00Z and ends 2026-10-25 01:00Z; in Paris these receipts
  // fall on the next local day, but day 0 is the UTC date.
  const Timestamp spring = ts("2026-03-28T23:30:00Z");
  CHECK(format_timestamp(calendar_day_deadline(spring, 7)) == "2026-04-04T23:59:59.999Z");
  CHECK(format_timestamp(calendar_day_deadline(spring, 15)) == "2026-04-12T23:59:59.999Z");
  // Exactly 7 days + 30 min - 1 ms later: no 23- or 25-hour day anywhere.
  CHECK(calendar_day_deadline(spring, 7).ms - spring.ms == 7 * 86'400'000LL + 1'800'000 - 1);
  const Timestamp autumn = ts("2026-10-24T23:30:00Z");
  CHECK(format_timestamp(calendar_day_deadline(autumn, 7)) == "2026-10-31T23:59:59.999Z");
  CHECK(format_timestamp(calendar_day_deadline(autumn, 15)) == "2026-11-08T23:59:59.999Z");
  CHECK(calendar_day_deadline(autumn, 15).ms - autumn.ms == 15 * 86'400'000LL + 1'800'000 - 1);
}

TEST_CASE("site-to-sponsor clock: hours from awareness, late strictly after due") {
  const Timestamp aware = ts("2026-10-03T08:10:00Z");
  auto c = site_report_clock(aware);
  CHECK(c.kind == ClockKind::site_report);
  CHECK(format_timestamp(c.due_at) == "2026-10-04T08:10:00.000Z");
  CHECK_FALSE(site_report_late(aware, ts("2026-10-04T08:10:00Z")));
  CHECK(site_report_late(aware, ts("2026-10-04T08:10:00.001Z")));
  // A study setting of 48 h; across the spring DST change it is still 48 real hours.
  CHECK(format_timestamp(site_report_clock(ts("2026-03-28T23:30:00Z"), 48).due_at) ==
        "2026-03-30T23:30:00.000Z");
}

TEST_CASE("regulatory clocks by SUSAR type") {
  const Timestamp rx = ts("2026-01-28T10:00:00Z");
  auto fatal = regulatory_clocks(susar(true), rx);
  REQUIRE(fatal.size() == 2);
  CHECK(fatal[0].kind == ClockKind::regulatory_initial);
  CHECK(format_timestamp(fatal[0].due_at) == "2026-02-04T23:59:59.999Z");
  CHECK(fatal[1].kind == ClockKind::regulatory_complete);
  CHECK(format_timestamp(fatal[1].due_at) == "2026-02-12T23:59:59.999Z");
  auto other = regulatory_clocks(susar(false), rx);
  REQUIRE(other.size() == 1);
  CHECK(format_timestamp(other[0].due_at) == "2026-02-12T23:59:59.999Z");
  CHECK(regulatory_clocks(serious_only(), rx).empty());
  CHECK(overdue(other[0], ts("2026-02-13T00:00:00Z")));
  CHECK_FALSE(overdue(other[0], ts("2026-02-12T23:59:59.999Z")));
}

TEST_CASE("follow-up transitions") {
  const Timestamp rx = ts("2026-05-01T09:00:00Z");
  auto open = regulatory_clocks(susar(false), ts("2026-04-20T09:00:00Z"));
  open[0].id = 41;

  SUBCASE("upgrade to serious starts the clocks at the follow-up's receipt") {
    Classification mild;
    auto plan = plan_followup(mild, {}, {false, susar(true), rx});
    REQUIRE(plan.start.size() == 2);
    CHECK(plan.start[0].started_at == rx);
    CHECK(format_timestamp(plan.start[0].due_at) == "2026-05-08T23:59:59.999Z");
    CHECK(plan.stop.empty());
    CHECK_FALSE(plan.reportable);
  }
  SUBCASE("upgrade to serious but expected starts nothing") {
    auto plan = plan_followup(Classification{}, {}, {false, serious_only(), rx});
    CHECK(plan.start.empty());
  }
  SUBCASE("downgrade stops the clocks and is reportable") {
    auto plan = plan_followup(susar(false), open, {false, Classification{}, rx});
    REQUIRE(plan.stop.size() == 1);
    CHECK(plan.stop[0].clock.id == 41);
    CHECK(plan.stop[0].reason == "downgraded to non-serious");
    CHECK(plan.reportable);
    CHECK(plan.start.empty());
  }
  SUBCASE("nullification stops every clock and is reportable") {
    auto plan = plan_followup(susar(false), open, {true, {}, rx});
    REQUIRE(plan.stop.size() == 1);
    CHECK(plan.stop[0].reason == "nullified");
    CHECK(plan.reportable);
  }
  SUBCASE("causality changed to unrelated: no longer a SUSAR") {
    auto plan = plan_followup(susar(false), open, {false, serious_only(), rx});
    REQUIRE(plan.stop.size() == 1);
    CHECK(plan.stop[0].reason.starts_with("no longer a SUSAR"));
    CHECK(plan.reportable);
  }
  SUBCASE("new information after the initial report starts a 15-day follow-up clock") {
    auto plan = plan_followup(susar(false), {}, {false, susar(false), rx});
    REQUIRE(plan.start.size() == 1);
    CHECK(plan.start[0].kind == ClockKind::regulatory_followup);
    CHECK(format_timestamp(plan.start[0].due_at) == "2026-05-16T23:59:59.999Z");
  }
  SUBCASE("new information while the initial report is still due goes into it") {
    auto plan = plan_followup(susar(false), open, {false, susar(false), rx});
    CHECK(plan.start.empty());
    CHECK(plan.stop.empty());
  }
  SUBCASE("a 15-day SUSAR that becomes fatal gets the 7-day clock from now") {
    // Open initial due 2026-05-05 (Apr 20 + 15); 7 days from May 1 is May 8: keep the sooner.
    auto keep = plan_followup(susar(false), open, {false, susar(true), rx});
    CHECK(keep.stop.empty());
    // Received Apr 21 instead: due Apr 28 < May 5, so the initial clock is replaced.
    auto plan = plan_followup(susar(false), open, {false, susar(true), ts("2026-04-21T08:00:00Z")});
    REQUIRE(plan.stop.size() == 1);
    CHECK(plan.stop[0].clock.id == 41);
    REQUIRE(plan.start.size() == 2);
    CHECK(format_timestamp(plan.start[0].due_at) == "2026-04-28T23:59:59.999Z");
    CHECK(format_timestamp(plan.start[1].due_at) == "2026-05-06T23:59:59.999Z");
  }
}

TEST_CASE("submissions stop the matching clock") {
  auto open = regulatory_clocks(susar(true), ts("2026-01-28T10:00:00Z"));
  open[0].id = 1;
  open[1].id = 2;
  open.push_back(followup_clock(ts("2026-02-01T10:00:00Z"), "new information"));
  open.back().id = 3;

  auto initial = plan_submission(open, SubmissionKind::initial, ts("2026-02-04T23:59:59Z"));
  REQUIRE(initial.stop.size() == 1);
  CHECK(initial.stop[0].clock.id == 1);
  CHECK(initial.stop[0].reason == "submitted");
  CHECK_FALSE(initial.stop[0].late);
  auto late = plan_submission(open, SubmissionKind::initial, ts("2026-02-05T00:00:00Z"));
  CHECK(late.stop.at(0).late);
  auto complete = plan_submission(open, SubmissionKind::complete, ts("2026-02-10T00:00:00Z"));
  REQUIRE(complete.stop.size() == 1);
  CHECK(complete.stop[0].clock.id == 2);
  // A follow-up report sent before the new information arrived does not cover it.
  CHECK(plan_submission(open, SubmissionKind::followup, ts("2026-01-30T00:00:00Z")).stop.empty());
  CHECK(plan_submission(open, SubmissionKind::followup, ts("2026-02-02T00:00:00Z")).stop.at(0).clock.id == 3);
  // Nor does an initial report dated before the sponsor received the case (the clock's start).
  CHECK(plan_submission(open, SubmissionKind::initial, ts("2026-01-28T09:59:59Z")).stop.empty());
  CHECK(plan_submission(open, SubmissionKind::initial, ts("2026-01-28T10:00:00Z")).stop.size() == 1);
  CHECK(parse_submission_kind("complete") == SubmissionKind::complete);
  CHECK_FALSE(parse_submission_kind("final"));
  CHECK(parse_clock_kind(to_string(ClockKind::regulatory_followup)) == ClockKind::regulatory_followup);
}
