// The safety desk's worklist (service/worklist.hpp, issue 21): the priority
// rule with worked cases (CLINICAL.md: severity is not seriousness; a clock is
// overdue strictly after its due time; due soon within the study's
// clock_warning_hours), the one order of the inbox, and the field-by-field
// difference of two versions of a report.
#include <doctest/doctest.h>

#include <algorithm>

#include "when.hpp"
#include "pvmon/service/worklist.hpp"

using namespace pvmon;
using namespace pvmon::service::worklist;
using nlohmann::json;

using namespace pvmon::test;

namespace {

constexpr int kWarn = 48;  // the shipped study's clock_warning_hours (and the default)

ItemFacts alert_of(std::string rule, std::optional<CaseFacts> c = std::nullopt) {
  ItemFacts f;
  f.rule = std::move(rule);
  f.case_facts = c;
  return f;
}

ItemFacts clock_due(const char *due, std::optional<CaseFacts> c = std::nullopt) {
  ItemFacts f;
  f.due = ts(due);
  f.case_facts = c;
  return f;
}

}  // namespace

TEST_CASE("case_facts reads the stored classification of the current version") {
  const json death = json::parse(
      R"({"grade": 5, "safety": {"serious": true, "fatal_or_life_threatening": true,
                                     "susar": false, "related_to": []}})");
  const CaseFacts d = case_facts(death);
  CHECK(d.fatal_or_life_threatening);
  CHECK(d.serious);
  CHECK_FALSE(d.susar);
  const CaseFacts none = case_facts(json::parse(R"({"grade": 3})"));
  CHECK_FALSE(none.serious);
  CHECK_FALSE(none.fatal_or_life_threatening);
  CHECK_FALSE(none.susar);
}

TEST_CASE("priority: worked cases of issue 21") {
  const Timestamp now = ts("2026-10-08T12:00:00Z");
  const CaseFacts fatal{true, true, false};    // grade 5, death criterion, not a SUSAR
  const CaseFacts lt_susar{true, true, true};  // life-threatening pneumonitis, possibly related, unexpected
  const CaseFacts susar{false, true, true};    // hospitalised, related, unexpected: 15-day SUSAR
  const CaseFacts sae{false, true, false};     // hospitalisation, expected: an SAE, not a SUSAR
  const CaseFacts grade3_not_serious{false, false, false};  // grade 3 ALT, no criterion: not serious

  // P1: death or life-threatening, a SUSAR.
  CHECK(priority(alert_of("death", fatal), now, kWarn) == Priority::p1);
  CHECK(priority(alert_of("sae", fatal), now, kWarn) == Priority::p1);  // the death's other alerts too
  CHECK(priority(alert_of("susar", lt_susar), now, kWarn) == Priority::p1);
  CHECK(priority(alert_of("sae", susar), now, kWarn) == Priority::p1);
  // A death event has no report behind it: the rule says death.
  CHECK(priority(alert_of("death"), now, kWarn) == Priority::p1);
  CHECK(priority(alert_of("death_30d_post_surgery"), now, kWarn) == Priority::p1);
  // P2: other serious.
  CHECK(priority(alert_of("sae", sae), now, kWarn) == Priority::p2);
  CHECK(priority(alert_of("sae"), now, kWarn) == Priority::p2);
  CHECK(priority(alert_of("aesi", sae), now, kWarn) == Priority::p2);
  // P3: the rest. Severity is not seriousness: a grade 3 AE with no criterion
  // is not serious.
  CHECK(priority(alert_of("aesi", grade3_not_serious), now, kWarn) == Priority::p3);
  CHECK(priority(alert_of("cluster", grade3_not_serious), now, kWarn) == Priority::p3);
  CHECK(priority(alert_of("vital_status_overdue"), now, kWarn) == Priority::p3);
  CHECK(priority(alert_of("lab_discrepancy", grade3_not_serious), now, kWarn) == Priority::p3);
  // Beyond the issue's list: the study's stopping boundary crossed is P1 (the protocol pauses
  // enrolment), a potential Hy's law case (ALT > 3x ULN with bilirubin > 2x ULN) P2.
  CHECK(priority(alert_of("stopping_boundary"), now, kWarn) == Priority::p1);
  CHECK(priority(alert_of("potential_hys_law"), now, kWarn) == Priority::p2);
}

TEST_CASE("priority: a clock by its due time against clock_warning_hours") {
  // A 15-day clock due by the end of day 15: 2026-10-16T23:59:59.999Z.
  const char *due = "2026-10-16T23:59:59.999Z";
  // More than 48 h before: P3 (no case behind it).
  CHECK(priority(clock_due(due), ts("2026-10-14T23:59:59.998Z"), kWarn) == Priority::p3);
  // Exactly 48 h before, and later: due soon, P2 (on_clocks: due_at - warning
  // <= now).
  CHECK(priority(clock_due(due), ts("2026-10-14T23:59:59.999Z"), kWarn) == Priority::p2);
  CHECK(priority(clock_due(due), ts("2026-10-16T12:00:00Z"), kWarn) == Priority::p2);
  // At its due instant it is still on time; 1 ms later it is overdue: P1.
  CHECK(priority(clock_due(due), ts("2026-10-16T23:59:59.999Z"), kWarn) == Priority::p2);
  CHECK(priority(clock_due(due), ts("2026-10-17T00:00:00Z"), kWarn) == Priority::p1);
  // A smaller warning window makes the same clock P3 longer.
  CHECK(priority(clock_due(due), ts("2026-10-16T12:00:00Z"), 6) == Priority::p3);
  // The case counts too: a SUSAR's clock is P1 however far its due time.
  CHECK(priority(clock_due(due, CaseFacts{false, true, true}), ts("2026-10-02T00:00:00Z"), kWarn) == Priority::p1);
  // A death awaiting its SAE report (a subject's clock, no report yet): P1.
  ItemFacts death = clock_due(due);
  death.death_awaiting_report = true;
  CHECK(priority(death, ts("2026-10-02T00:00:00Z"), kWarn) == Priority::p1);
  // A clock alert carries its clock's due time: due soon P2, overdue P1
  // whatever the rule said.
  ItemFacts soon = alert_of("clock_due_soon");
  soon.due = ts(due);
  CHECK(priority(soon, ts("2026-10-16T00:00:00Z"), kWarn) == Priority::p2);
  CHECK(priority(soon, ts("2026-10-17T00:00:00Z"), kWarn) == Priority::p1);
  CHECK(priority(alert_of("clock_overdue"), ts("2026-10-17T00:00:00Z"), kWarn) == Priority::p1);
}

TEST_CASE(
    "the worklist's order: priority, then due time, alerts before "
    "clocks, the more severe first") {
  const int critical = severity_rank("critical"), high = severity_rank("high");
  std::vector<OrderKey> keys{
      {Priority::p2, ts("2026-10-08T09:00:00Z"), true, high, "s", 7},
      {Priority::p1, ts("2026-10-15T23:59:59.999Z"), false, 3, "s", 3},    // a SUSAR's clock, due in a week
      {Priority::p1, ts("2026-10-08T10:00:00Z"), true, critical, "s", 5},  // the death's alert, raised today
      {Priority::p3, ts("2026-10-01T00:00:00Z"), true, high, "s", 1},
      {Priority::p1, ts("2026-10-08T10:00:00Z"), false, 3, "s", 2},  // a clock due at the same instant
      {Priority::p1, ts("2026-10-08T10:00:00Z"), true, critical, "s", 4},
      {Priority::p1, ts("2026-10-08T10:00:00Z"), true, high, "s", 0},  // the death's SAE alert
  };
  std::sort(keys.begin(), keys.end(), comes_before);
  std::vector<std::int64_t> ids;
  for (const auto &k : keys) ids.push_back(k.id);
  CHECK(ids == std::vector<std::int64_t>{4, 5, 0, 2, 3, 7, 1});
  CHECK(severity_rank("info") == 2);
  CHECK(severity_rank("") == 3);
  CHECK(to_string(Priority::p1) == "P1");
  CHECK(to_string(Priority::p3) == "P3");
}

TEST_CASE("version_diff names each changed field with its before and after values") {
  const json v1 = json::parse(
      R"({"version": 1, "grade": 3, "outcome": "recovering", "resolved": null,
    "serious": {"death": false, "life_threatening": false, "hospitalization": true},
    "causality": {"camrelizumab": "possible"}, "safety": {"related_to": ["camrelizumab"]}, "narrative": "x"})");
  const json v2 = json::parse(
      R"({"version": 2, "grade": 4, "outcome": "recovering", "resolved": "2026-10-09",
    "serious": {"death": false, "life_threatening": true, "hospitalization": true},
    "causality": {"camrelizumab": "possible", "apatinib": "probable"},
    "safety": {"related_to": ["camrelizumab", "apatinib"]}})");
  const auto d = version_diff(v1, v2, {"version"});
  REQUIRE(d.size() == 6);
  CHECK(d[0].field == "causality.apatinib");
  CHECK_FALSE(d[0].before);
  CHECK(*d[0].after == "probable");
  CHECK(d[1].field == "grade");
  CHECK(*d[1].before == 3);
  CHECK(*d[1].after == 4);
  CHECK(d[2].field == "narrative");  // removed
  CHECK(*d[2].before == "x");
  CHECK_FALSE(d[2].after);
  CHECK(d[3].field == "resolved");
  CHECK(d[3].before->is_null());
  CHECK(*d[3].after == "2026-10-09");
  // An array is one value.
  CHECK(d[4].field == "safety.related_to");
  CHECK(*d[4].after == json::array({"camrelizumab", "apatinib"}));
  CHECK(d[5].field == "serious.life_threatening");
  CHECK(*d[5].before == false);
  CHECK(*d[5].after == true);
  // Ignoring a path ignores what lies below it; the same record twice differs
  // in nothing.
  CHECK(version_diff(v1, v2, {"version", "serious", "causality", "safety", "narrative", "resolved"}).size() == 1);
  CHECK(version_diff(v1, v1).empty());
}
