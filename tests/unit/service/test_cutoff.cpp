// The two dates of a report (service/cutoff.hpp): checking a (cut-off, as-of) pair, and clipping
// a snapshot taken at the as-of time to what happened by the cut-off.
#include <doctest/doctest.h>

#include "when.hpp"
#include "pvmon/service/cutoff.hpp"

using namespace pvmon;
using nlohmann::json;

using namespace pvmon::test;

namespace {

Date day(const char* s) { return parse_date(s).value(); }

std::string field_of(const Result<service::DataCutoff>& r) {
  return r ? "(none)" : r.error().fields.at(0).field + ": " + r.error().fields.at(0).message;
}

}  // namespace

TEST_CASE("a cut-off is a date; of a date-time, its UTC date") {
  CHECK(service::parse_cutoff_date("2026-03-31") == day("2026-03-31"));
  CHECK(service::parse_cutoff_date("2026-03-31T23:30:00-02:00") == day("2026-04-01"));
  CHECK(service::parse_cutoff_date("2026-03-31T08:00:00Z") == day("2026-03-31"));
  CHECK_FALSE(service::parse_cutoff_date("2026-02-30"));
  CHECK_FALSE(service::parse_cutoff_date("yesterday"));
  CHECK(format_timestamp(service::end_of_day(day("2026-03-31"))) == "2026-03-31T23:59:59.999Z");
}

TEST_CASE("parse_cutoff_input: the one reading of a cut-off and an as-of given as text") {
  auto both = service::parse_cutoff_input("2026-03-31", "2026-04-07T09:00:00Z");
  REQUIRE(both);
  CHECK(both->cutoff == day("2026-03-31"));
  CHECK(both->as_of == ts("2026-04-07T09:00:00Z"));
  auto none = service::parse_cutoff_input(std::nullopt, std::nullopt);
  REQUIRE(none);
  CHECK_FALSE(none->cutoff);
  CHECK_FALSE(none->as_of);
  // Each problem named, all at once: the format, or a date before 1900-01-01.
  auto bad = service::parse_cutoff_input("yesterday", "2026-04-07");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().fields == std::vector<FieldError>{{"cutoff", service::kCutoffFormat}, {"as_of", service::kAsOfFormat}});
  auto early = service::parse_cutoff_input("0000-01-01", "1899-12-31T23:59:59Z");
  REQUIRE_FALSE(early);
  CHECK(early.error().fields ==
        std::vector<FieldError>{{"cutoff", "is before 1900-01-01"}, {"as_of", "is before 1900-01-01"}});
  CHECK(service::parse_cutoff_input("1900-01-01", std::nullopt));
  CHECK_FALSE(service::parse_cutoff_input("0000-01-01T12:00:00Z", std::nullopt));
}

TEST_CASE("data_cutoff: defaults, and the rules of a pair") {
  const Timestamp now = ts("2026-04-07T09:00:00Z");
  auto both = service::data_cutoff(std::nullopt, std::nullopt, now);
  REQUIRE(both);
  CHECK(both.value() == service::DataCutoff{day("2026-04-07"), now});
  auto as_of_only = service::data_cutoff(std::nullopt, ts("2026-04-02T10:00:00Z"), now);
  REQUIRE(as_of_only);
  CHECK(as_of_only->cutoff == day("2026-04-02"));
  auto cutoff_only = service::data_cutoff(day("2026-03-31"), std::nullopt, now);
  REQUIRE(cutoff_only);
  CHECK(cutoff_only->as_of == now);
  // An as-of may be any time from the start of the cut-off day until now.
  CHECK(service::data_cutoff(day("2026-03-31"), ts("2026-03-31T00:00:00Z"), now));
  CHECK(service::data_cutoff(day("2026-04-07"), now, now));
  CHECK(field_of(service::data_cutoff(day("2026-04-08"), std::nullopt, now)) == "cutoff: is in the future");
  CHECK(field_of(service::data_cutoff(day("2026-04-08"), now, now)) == "cutoff: is in the future");
  CHECK(field_of(service::data_cutoff(day("2026-03-31"), now.plus_ms(1), now)) == "as_of: is in the future");
  CHECK(field_of(service::data_cutoff(std::nullopt, ts("2999-01-01T00:00:00Z"), now)) == "as_of: is in the future");
  const auto before = service::data_cutoff(day("2026-03-31"), ts("2026-03-30T23:59:59.999Z"), now);
  REQUIRE_FALSE(before);
  CHECK(before.error().code == Errc::invalid);
  CHECK(before.error().fields.at(0).field == "as_of");
  CHECK(before.error().fields.at(0).message.find("2026-03-31T00:00:00.000Z") != std::string::npos);
}

TEST_CASE("clip_to_cutoff keeps what happened by the end of the cut-off day, in its as-of state") {
  // Cut-off 2026-03-31, snapshot as of 2026-04-07T09:00Z.
  store::Snapshot snap;
  snap.as_of = ts("2026-04-07T09:00:00Z");
  snap.subjects = {store::SubjectRow{1, "s", "S01-0001", "S01", day("2026-03-01"), {}},
                   store::SubjectRow{2, "s", "S01-0002", "S01", day("2026-04-01"), {}},
                   store::SubjectRow{3, "s", "S01-0003", "S01", day("2026-03-31"), {}}};
  auto ev = [](std::int64_t id, const char* kind, const char* date) {
    return safety::SubjectEvent{id, kind, day(date), json{{"kind", kind}, {"date", date}}};
  };
  snap.events["S01-0001"] = {ev(1, "surgery", "2026-03-10"), ev(2, "death", "2026-03-29"),
                             ev(3, "last_known_alive", "2026-04-01")};
  snap.events["S01-0002"] = {ev(4, "surgery", "2026-04-02")};
  snap.events["S01-0003"] = {};
  snap.reports = {json{{"id", 1}, {"onset", "2026-03-31"}}, json{{"id", 2}, {"onset", "2026-04-01"}},
                  json{{"id", 3}}};
  auto fact = [](std::int64_t id, std::optional<Date> onset) {
    safety::AeFact f;
    f.id = id;
    f.onset = onset;
    return f;
  };
  snap.facts = {fact(1, day("2026-03-31")), fact(2, day("2026-04-01")), fact(3, std::nullopt)};
  auto clock = [](std::int64_t id, const char* started, std::optional<Timestamp> stopped) {
    store::ClockRow c;
    c.id = id;
    c.clock.started_at = ts(started);
    c.clock.due_at = ts(started).plus_days(7);
    c.stopped_at = stopped;
    return c;
  };
  // Stopped after the cut-off but before the as-of: kept, stopped (its state as of then).
  snap.all_clocks = {clock(1, "2026-03-31T23:59:59.999Z", ts("2026-04-03T00:00:00Z")),
                     clock(2, "2026-04-01T00:00:00Z", std::nullopt), clock(3, "2026-03-20T00:00:00Z", std::nullopt)};
  snap.open_clocks = {snap.all_clocks[1], snap.all_clocks[2]};
  store::AlertRow kept{1, "death", "critical", "Death", "S01-0001", ts("2026-03-31T23:00:00Z"),
                       ts("2026-04-05T08:00:00Z"), "officer"};
  store::AlertRow late{2, "sae", "high", "SAE", "S01-0001", ts("2026-04-01T00:00:00Z"), std::nullopt, ""};
  snap.alerts = {kept, late};

  service::clip_to_cutoff(snap, day("2026-03-31"));

  CHECK(snap.as_of == ts("2026-04-07T09:00:00Z"));
  REQUIRE(snap.subjects.size() == 2);
  CHECK(snap.subjects[0].subject == "S01-0001");
  CHECK(snap.subjects[1].subject == "S01-0003");  // enrolled on the cut-off day
  CHECK(snap.events.count("S01-0002") == 0);
  REQUIRE(snap.events["S01-0001"].size() == 2);
  CHECK(snap.events["S01-0001"][1].kind == "death");
  REQUIRE(snap.reports.size() == 2);
  CHECK(snap.reports[0]["id"] == 1);
  CHECK(snap.reports[1]["id"] == 3);  // no onset: kept
  REQUIRE(snap.facts.size() == 2);
  CHECK(snap.facts[0].id == 1);
  CHECK(snap.facts[1].id == 3);
  REQUIRE(snap.all_clocks.size() == 2);
  CHECK(snap.all_clocks[0].id == 1);
  CHECK(snap.all_clocks[0].stopped_at == ts("2026-04-03T00:00:00Z"));
  CHECK(snap.all_clocks[1].id == 3);
  REQUIRE(snap.open_clocks.size() == 1);
  CHECK(snap.open_clocks[0].id == 3);
  REQUIRE(snap.alerts.size() == 1);
  CHECK(snap.alerts[0].id == 1);
  CHECK(snap.alerts[0].acked_at == ts("2026-04-05T08:00:00Z"));
}
