#include <doctest/doctest.h>

#include "pvmon/time.hpp"

using namespace pvmon;

TEST_CASE("dates parse strictly and round-trip") {
  CHECK(parse_date("1970-01-01")->days == 0);
  CHECK(parse_date("2026-11-24")->days == 20'781);  // date -d 2026-11-24 +%s / 86400
  CHECK(format_date(*parse_date("2024-02-29")) == "2024-02-29");
  CHECK_FALSE(parse_date("2026-02-29"));  // 2026 is not a leap year
  CHECK_FALSE(parse_date("2026-02-30"));
  CHECK_FALSE(parse_date("2026-13-01"));
  CHECK_FALSE(parse_date("2026-1-01"));
  CHECK_FALSE(parse_date("2026-01-01T00:00:00Z"));
  CHECK_FALSE(parse_date(""));
  CHECK_FALSE(parse_date("２026-01-01"));
}

TEST_CASE("timestamps need an offset and normalise to UTC") {
  auto t = parse_timestamp("2026-10-03T08:10:00Z");
  REQUIRE(t);
  CHECK(t->ms == 1'791'015'000'000LL);  // date -d 2026-10-03T08:10:00Z +%s
  CHECK(format_timestamp(*t) == "2026-10-03T08:10:00.000Z");
  CHECK(parse_timestamp("2026-10-03T10:10:00+02:00")->ms == t->ms);
  CHECK(parse_timestamp("2026-10-03T03:10:00.250-05:00")->ms == t->ms + 250);
  CHECK_FALSE(parse_timestamp("2026-10-03T08:10:00"));  // no offset: ambiguous, refused
  CHECK_FALSE(parse_timestamp("2026-10-03 08:10:00Z"));
  CHECK_FALSE(parse_timestamp("2026-10-03T24:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-02-30T08:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-10-03T08:10:00Zjunk"));
  CHECK(t->date() == *parse_date("2026-10-03"));
  CHECK(Timestamp{-1}.date().days == -1);
}

TEST_CASE("a cut-off is a date-time with offset, or a date meaning the end of that day") {
  CHECK(format_timestamp(parse_cutoff("2026-11-20").value()) == "2026-11-20T23:59:59.999Z");
  CHECK(format_timestamp(parse_cutoff("2026-11-20T08:00:00+02:00").value()) == "2026-11-20T06:00:00.000Z");
  CHECK_FALSE(parse_cutoff("2026-02-30"));
  CHECK_FALSE(parse_cutoff("yesterday"));
}

TEST_CASE("an input date or instant is on or after 1900-01-01") {
  CHECK(kEarliestInputDate == make_date(1900, 1, 1));
  CHECK_FALSE(input_date_problem(*parse_date("1900-01-01")));
  CHECK_FALSE(input_date_problem(*parse_date("2026-10-02")));
  CHECK(input_date_problem(*parse_date("1899-12-31")) == "is before 1900-01-01");
  CHECK(input_date_problem(*parse_date("0000-01-01")) == "is before 1900-01-01");
  CHECK_FALSE(input_date_problem(*parse_timestamp("1900-01-01T00:00:00Z")));
  // The instant counts, in UTC: midnight in Paris on 1900-01-01 is still 1899 in UTC.
  CHECK(input_date_problem(*parse_timestamp("1900-01-01T00:30:00+01:00")) == "is before 1900-01-01");
  CHECK(input_date_problem(*parse_timestamp("0000-01-01T00:00:00Z")) == "is before 1900-01-01");
}
