#include <doctest/doctest.h>

#include <algorithm>
#include <optional>

#include "safety_helpers.hpp"
#include "when.hpp"
#include "pvmon/safety/rules.hpp"

using namespace pvmon;
using namespace pvmon::safety;

using namespace pvmon::test;

namespace {

// A copy, so that it can be taken from a temporary result.
std::optional<AlertDraft> find_rule(const std::vector<AlertDraft>& v, std::string_view rule) {
  for (const auto& a : v)
    if (a.rule == rule) return a;
  return std::nullopt;
}

Classification classified(bool serious, bool susar = false, bool fatal_lt = false) {
  Classification c;
  c.serious = serious;
  c.susar = susar;
  c.fatal_or_life_threatening = fatal_lt;
  if (susar) c.products = {{"camrelizumab", true, false}, {"apatinib", false, false}};
  return c;
}

// Report 42: ALT increased in subject S01-003, first version non-serious grade 2.
AeVersionFacts alt_report() {
  AeVersionFacts f;
  f.study = "hcc-pvtt-imrt";
  f.report = 42;
  f.site_report_id = "S01-AE-0007";
  f.subject = "S01-003";
  f.version = 1;
  f.term = "Alanine aminotransferase increased";
  f.meddra_code = "10001551";
  f.soc = "Investigations";
  f.grade = 2;
  f.outcome = "not_recovered";
  f.related_to = {"camrelizumab"};
  f.onset = d("2026-03-01");
  f.received_at = ts("2026-03-02T08:00:00Z");
  f.site_report_due = ts("2026-03-03T08:00:00Z");
  return f;
}

PriorVersion prior_of(const AeVersionFacts& f, bool ever_serious, bool ever_susar) {
  PriorVersion p;
  p.version = f.version;
  p.grade = f.grade;
  p.term = f.term;
  p.meddra_code = f.meddra_code;
  p.soc = f.soc;
  p.criteria = f.criteria;
  p.classification = f.classification;
  p.related_to = f.related_to;
  p.fatal = is_fatal(f.grade, f.outcome, f.criteria);
  p.ever_serious = ever_serious || f.classification.serious;
  p.ever_susar = ever_susar || f.classification.susar;
  return p;
}

// The next version of `f`, with `f` as its previous one.
AeVersionFacts followup(const AeVersionFacts& f, bool ever_serious = false,
                        bool ever_susar = false) {
  AeVersionFacts n = f;
  n.previous = prior_of(f, ever_serious || (f.previous && f.previous->ever_serious),
                        ever_susar || (f.previous && f.previous->ever_susar));
  n.version = f.version + 1;
  n.site_report_late = false;
  n.grade_discrepancy = false;
  return n;
}

AeVersionFacts serious_v1() {
  auto f = alt_report();
  f.grade = 3;
  f.criteria.hospitalization = true;
  f.classification = classified(true);
  return f;
}

}  // namespace

TEST_CASE("severity names and the rule catalogue") {
  for (auto s : {Severity::info, Severity::high, Severity::critical})
    CHECK(parse_severity(to_string(s)) == s);
  CHECK_FALSE(parse_severity("urgent"));
  CHECK(Severity::info < Severity::high);
  CHECK(Severity::high < Severity::critical);
  auto sev = [](std::string_view id) {
    for (const auto& r : rule_catalogue())
      if (r.id == id) return r.severity;
    FAIL("unknown rule");
    return Severity::info;
  };
  CHECK(sev("death") == Severity::critical);
  CHECK(sev("death_30d_post_surgery") == Severity::critical);
  CHECK(sev("susar") == Severity::critical);
  CHECK(sev("clock_overdue") == Severity::critical);
  CHECK(sev("stopping_boundary") == Severity::critical);
  CHECK(sev("sae") == Severity::high);
  CHECK(sev("aesi") == Severity::high);
  CHECK(sev("late_site_report") == Severity::high);
  CHECK(sev("cluster") == Severity::high);
  CHECK(sev("clock_due_soon") == Severity::high);
  CHECK(sev("lab_discrepancy") == Severity::info);
  CHECK(parse_stopping_event("grade3plus_related") == StoppingEvent::grade3plus_related);
  CHECK(parse_stopping_method(to_string(StoppingMethod::bayes)) == StoppingMethod::bayes);
}

TEST_CASE("a non-serious AE without special rules raises nothing") {
  CHECK(on_ae_version(alt_report(), {}, {}).empty());
}

TEST_CASE("sae: first serious version, replay gives the same key, unchanged follow-up nothing") {
  const auto v1 = serious_v1();
  const auto a = on_ae_version(v1, {}, {});
  REQUIRE(a.size() == 1);
  CHECK(a[0].rule == "sae");
  CHECK(a[0].severity == Severity::high);
  CHECK(a[0].dedupe_key == "sae:42");
  CHECK(a[0].subject == "S01-003");
  CHECK(a[0].report == 42);
  CHECK(a[0].title ==
        "SAE: Alanine aminotransferase increased grade 3, subject S01-003, report S01-AE-0007 "
        "(hospitalization)");
  CHECK(a[0].payload["criteria"] == nlohmann::json::array({"hospitalization"}));
  CHECK(a[0].payload["study"] == "hcc-pvtt-imrt");
  CHECK(keys(on_ae_version(v1, {}, {})) == keys(a));  // replay

  // A follow-up that changes nothing relevant (narrative typo) raises nothing.
  CHECK(on_ae_version(followup(v1), {}, {}).empty());

  // Non-serious v1, serious v2: the first SAE alert, same key as if it came first.
  auto late = followup(alt_report());
  late.grade = 3;
  late.criteria.hospitalization = true;
  late.classification = classified(true);
  const auto b = on_ae_version(late, {}, {});
  REQUIRE(b.size() == 1);
  CHECK(b[0].dedupe_key == "sae:42");
  CHECK(b[0].payload["changes"]["serious"]["to"] == true);
}

TEST_CASE("sae_update: an upgrade gets its own key saying what changed") {
  auto v2 = followup(serious_v1());
  v2.grade = 4;
  v2.criteria.life_threatening = true;
  v2.classification = classified(true, false, true);
  const auto a = on_ae_version(v2, {}, {});
  REQUIRE(a.size() == 1);
  CHECK(a[0].rule == "sae_update");
  CHECK(a[0].dedupe_key == "sae_update:42:v2");
  CHECK(a[0].title.find("grade 3 -> 4") != std::string::npos);
  CHECK(a[0].title.find("criteria added: life_threatening") != std::string::npos);
  CHECK(a[0].payload["changes"]["grade"]["from"] == 3);
  CHECK(a[0].payload["changes"]["grade"]["to"] == 4);
  CHECK(a[0].payload["changes"]["criteria_added"] == nlohmann::json::array({"life_threatening"}));
  CHECK(a[0].payload["previous_version"] == 1);
  CHECK(keys(on_ae_version(v2, {}, {})) == keys(a));

  // A further upgrade at v3 is again a new key.
  auto v3 = followup(v2);
  v3.criteria.medically_important = true;
  const auto b = on_ae_version(v3, {}, {});
  REQUIRE(b.size() == 1);
  CHECK(b[0].dedupe_key == "sae_update:42:v3");
  CHECK(b[0].payload["changes"]["criteria_added"] ==
        nlohmann::json::array({"medically_important"}));
}

TEST_CASE("sae_downgrade, re-upgrade and nullification") {
  auto v2 = followup(serious_v1());
  v2.grade = 2;
  v2.criteria = {};
  v2.classification = classified(false);
  const auto a = on_ae_version(v2, {}, {});
  REQUIRE(a.size() == 1);
  CHECK(a[0].rule == "sae_downgrade");
  CHECK(a[0].dedupe_key == "sae_downgrade:42:v2");
  CHECK(a[0].payload["changes"]["criteria_removed"] ==
        nlohmann::json::array({"hospitalization"}));

  // Serious again at v3: an SAE alert of its own, not swallowed by the first one's key.
  auto v3 = followup(v2);
  v3.grade = 3;
  v3.criteria.hospitalization = true;
  v3.classification = classified(true);
  REQUIRE(v3.previous->ever_serious);
  const auto b = on_ae_version(v3, {}, {});
  REQUIRE(b.size() == 1);
  CHECK(b[0].rule == "sae");
  CHECK(b[0].dedupe_key == "sae:42:v3");
  CHECK(b[0].title.rfind("SAE again", 0) == 0);

  // Nullification raises only `nullified`, whatever else the version says.
  auto v4 = followup(v3);
  v4.nullified = true;
  v4.grade_discrepancy = true;
  const auto c = on_ae_version(v4, {}, {});
  REQUIRE(c.size() == 1);
  CHECK(c[0].rule == "nullified");
  CHECK(c[0].dedupe_key == "nullified:42");
  CHECK(c[0].payload["was_serious"] == true);
}

TEST_CASE("death: grade 5 or fatal outcome, once, keyed by subject") {
  auto f = serious_v1();
  f.grade = 5;
  f.outcome = "fatal";
  f.criteria.death = true;
  f.classification = classified(true, false, true);
  const auto a = on_ae_version(f, {}, {});
  const auto death = find_rule(a, "death");
  REQUIRE(death);
  CHECK(death->severity == Severity::critical);
  CHECK(death->dedupe_key == "death:S01-003");
  CHECK(find_rule(a, "sae"));
  // A follow-up of the fatal case does not raise the death again.
  CHECK_FALSE(find_rule(on_ae_version(followup(f), {}, {}), "death"));
  // Outcome fatal at grade 3 (death unrelated to this AE) is still a death to report.
  auto g = serious_v1();
  g.outcome = "fatal";
  g.criteria.death = true;
  CHECK(find_rule(on_ae_version(g, {}, {}), "death"));
  CHECK_FALSE(find_rule(on_ae_version(serious_v1(), {}, {}), "death"));
}

TEST_CASE("susar: on first becoming a SUSAR, critical, with the products") {
  auto f = serious_v1();
  f.term = "Pneumonitis";
  f.meddra_code = "10035742";
  f.classification = classified(true, true);
  const auto a = on_ae_version(f, {}, {});
  const auto s = find_rule(a, "susar");
  REQUIRE(s);
  CHECK(s->severity == Severity::critical);
  CHECK(s->dedupe_key == "susar:42");
  CHECK(s->payload["unexpected_for"] == nlohmann::json::array({"camrelizumab"}));
  CHECK(s->title.find("15-day") != std::string::npos);
  CHECK_FALSE(find_rule(on_ae_version(followup(f), {}, {}), "susar"));
  // SUSAR from a non-SUSAR serious v1 (causality changed): same first key.
  auto v2 = followup(serious_v1());
  v2.classification = classified(true, true, true);
  const auto s2 = find_rule(on_ae_version(v2, {}, {}), "susar");
  REQUIRE(s2);
  CHECK(s2->dedupe_key == "susar:42");
  CHECK(s2->title.find("7-day") != std::string::npos);
  CHECK_FALSE(find_rule(on_ae_version(serious_v1(), {}, {}), "susar"));
}

TEST_CASE("late site report and lab discrepancy") {
  auto f = serious_v1();
  f.site_report_late = true;
  f.site_report_due = ts("2026-03-02T08:00:00Z");
  f.received_at = ts("2026-03-02T14:00:00Z");
  f.grade_discrepancy = true;
  f.reported_grade = 2;
  f.lab_grade = 3;
  const auto a = on_ae_version(f, {}, {});
  const auto late = find_rule(a, "late_site_report");
  REQUIRE(late);
  CHECK(late->dedupe_key == "late_site_report:42");
  CHECK(late->severity == Severity::high);
  CHECK(late->payload["hours_late"] == 6.0);
  const auto lab = find_rule(a, "lab_discrepancy");
  REQUIRE(lab);
  CHECK(lab->severity == Severity::info);
  CHECK(lab->dedupe_key == "lab_discrepancy:42:v1");
  CHECK(lab->title.find("reported grade 2, lab value gives grade 3") != std::string::npos);
  // Not late, no discrepancy: neither.
  const auto b = on_ae_version(serious_v1(), {}, {});
  CHECK_FALSE(find_rule(b, "late_site_report"));
  CHECK_FALSE(find_rule(b, "lab_discrepancy"));
  // A discrepancy on a later version is its own alert.
  auto v2 = followup(f);
  v2.grade_discrepancy = true;
  CHECK(find_rule(on_ae_version(v2, {}, {}), "lab_discrepancy")->dedupe_key ==
        "lab_discrepancy:42:v2");
}

TEST_CASE("aesi: term, code or SOC, minimum grade, intervention; re-raised when the grade rises") {
  StudyRules rules;
  rules.aesi = {{"ir-hepatitis", {"alanine aminotransferase increased"}, {}, 3, {"camrelizumab"}},
                {"pneumonitis", {"10035742"}, {}, 1, {}},
                {"any-hepatobiliary", {}, {"Hepatobiliary disorders"}, 3, {}}};
  auto f = serious_v1();  // ALT grade 3, related to camrelizumab
  auto a = on_ae_version(f, rules, {});
  const auto m = find_rule(a, "aesi");
  REQUIRE(m);
  CHECK(m->dedupe_key == "aesi:ir-hepatitis:42");
  CHECK(m->payload["aesi"] == "ir-hepatitis");
  CHECK(std::count_if(a.begin(), a.end(), [](auto& x) { return x.rule == "aesi"; }) == 1);

  auto low = f;
  low.grade = 2;
  CHECK_FALSE(find_rule(on_ae_version(low, rules, {}), "aesi"));
  auto other_drug = f;
  other_drug.related_to = {"apatinib"};
  CHECK_FALSE(find_rule(on_ae_version(other_drug, rules, {}), "aesi"));

  // Grade rises 3 -> 4: re-raised with the grade; same grade again: nothing; 4 -> 3: nothing.
  auto v2 = followup(f);
  v2.grade = 4;
  CHECK(keys(on_ae_version(v2, rules, {}), "aesi") ==
        std::vector<std::string>{"aesi:ir-hepatitis:42:g4"});
  CHECK(keys(on_ae_version(followup(v2), rules, {}), "aesi").empty());
  auto v3 = followup(v2);
  v3.grade = 3;
  CHECK(keys(on_ae_version(v3, rules, {}), "aesi").empty());
  // A grade-2 v1 (below the minimum) that rises to 3 at v2 is an AESI from v2.
  auto r2 = followup(low);
  r2.grade = 3;
  CHECK(find_rule(on_ae_version(r2, rules, {}), "aesi")->dedupe_key ==
        "aesi:ir-hepatitis:42:g3");
  // A follow-up that makes it related at the same grade: the first AESI key.
  auto r3 = followup(other_drug);
  r3.related_to = {"camrelizumab"};
  CHECK(find_rule(on_ae_version(r3, rules, {}), "aesi")->dedupe_key == "aesi:ir-hepatitis:42");

  // By MedDRA code, any intervention; by SOC.
  CHECK(aesi_matches(rules.aesi[1], "Pneumonitis", "10035742", "Respiratory", 1, {}));
  CHECK_FALSE(aesi_matches(rules.aesi[1], "Pneumonia", "10035664", "Infections", 3, {}));
  CHECK(aesi_matches(rules.aesi[2], "Hepatic failure", "10019663", "hepatobiliary disorders", 3,
                     {}));
  CHECK_FALSE(
      aesi_matches(rules.aesi[2], "Hepatic failure", "10019663", "Hepatobiliary disorders", 2, {}));
  // Protocol code.
  AesiRule rild{"rild", {"PROTO-RILD"}, {}, 2, {"imrt"}};
  CHECK(aesi_matches(rild, "Radiation-induced liver disease", "PROTO-RILD", "", 3, {"imrt"}));
  CHECK_FALSE(aesi_matches(rild, "Radiation-induced liver disease", "PROTO-RILD", "", 3, {}));
}

// Cluster rule worked by hand: 3 ALT increased at grade >= 3 within 14 days (onset = day 1, so
// a window opened on 03-01 ends on 03-14).
//   101  03-01 g3   opens a window 03-01..03-14
//   102  03-05 g2   below the minimum grade: ignored
//   103  03-08 g3
//   104  03-14 g4   day 14: 101, 103, 104 -> cluster anchored at 101
//   105  03-15 g3   day 15: outside; opens 03-15..03-28
//   106  03-20 g3
//   107  03-28 g3   105, 106, 107 -> a new cluster anchored at 105
//   108  03-10 g3   reported late, inside the first window: the first cluster again
TEST_CASE("cluster: k events at grade >= g within d days, one alert per cluster") {
  StudyRules rules;
  rules.clusters = {{"alt-g3", "Alanine aminotransferase increased", 3, 3, 14}};
  auto ae = [](std::int64_t report, const char* subject, int grade, const char* onset) {
    return RecentAe{report, subject, "Alanine aminotransferase increased", "10001551", grade,
                    d(onset)};
  };
  auto facts_of = [](const RecentAe& r) {
    auto f = alt_report();
    f.report = r.report;
    f.site_report_id = "";
    f.subject = r.subject;
    f.grade = r.grade;
    f.onset = r.onset;
    return f;
  };
  const std::vector<RecentAe> all = {
      ae(101, "S01-001", 3, "2026-03-01"), ae(102, "S01-002", 2, "2026-03-05"),
      ae(103, "S02-001", 3, "2026-03-08"), ae(104, "S01-003", 4, "2026-03-14"),
      ae(105, "S01-004", 3, "2026-03-15"), ae(106, "S02-002", 3, "2026-03-20"),
      ae(107, "S02-003", 3, "2026-03-28"), ae(108, "S01-005", 3, "2026-03-10")};
  // The AEs known when report `upto` arrives (they arrive in the order listed).
  auto known_before = [&](std::size_t i) {
    return std::vector<RecentAe>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(i));
  };
  auto cluster_keys = [&](std::size_t i) {
    std::vector<std::string> k;
    for (const auto& a : on_ae_version(facts_of(all[i]), rules, known_before(i)))
      if (a.rule == "cluster") k.push_back(a.dedupe_key);
    return k;
  };
  CHECK(cluster_keys(0).empty());
  CHECK(cluster_keys(1).empty());  // grade 2
  CHECK(cluster_keys(2).empty());  // only 2 at grade >= 3
  CHECK(cluster_keys(3) == std::vector<std::string>{"cluster:alt-g3:101"});
  CHECK(cluster_keys(4).empty());  // 03-15 is day 15 of the first window
  CHECK(cluster_keys(5).empty());
  CHECK(cluster_keys(6) == std::vector<std::string>{"cluster:alt-g3:105"});
  CHECK(cluster_keys(7) == std::vector<std::string>{"cluster:alt-g3:101"});  // same cluster

  const auto a = on_ae_version(facts_of(all[3]), rules, known_before(3));
  const auto c = find_rule(a, "cluster");
  REQUIRE(c);
  CHECK(c->severity == Severity::high);
  CHECK(c->payload["window"]["from"] == "2026-03-01");
  CHECK(c->payload["window"]["to"] == "2026-03-14");
  CHECK(c->payload["members"].size() == 3);
  CHECK(c->title ==
        "Cluster alt-g3: 3 x Alanine aminotransferase increased grade >= 3 in 3 subject(s) "
        "within 14 days from 2026-03-01");

  // Arrival order does not matter: the same set of AEs gives the same anchor.
  auto reversed = all;
  std::reverse(reversed.begin(), reversed.end());
  CHECK(cluster_anchor(rules.clusters[0], reversed, 104) == 101);
  CHECK(cluster_anchor(rules.clusters[0], reversed, 107) == 105);
  CHECK_FALSE(cluster_anchor(rules.clusters[0], reversed, 102));
  // The current AE below the minimum grade never fires, even inside a cluster.
  CHECK_FALSE(find_rule(on_ae_version(facts_of(all[1]), rules, all), "cluster"));
  // A follow-up of report 104 passed alongside its own earlier version counts once.
  auto dup = known_before(3);
  dup.push_back(all[3]);
  const auto again = find_rule(on_ae_version(facts_of(all[3]), rules, dup), "cluster");
  REQUIRE(again);
  CHECK(again->payload["members"].size() == 3);

  // A cluster already alerted is left out (the store would ignore the repeat); the lookup is
  // asked for exactly that key, and the other rules are not affected by it.
  std::vector<std::string> asked;
  auto raised = [&](const std::string& key) {
    asked.push_back(key);
    return key == "cluster:alt-g3:101";
  };
  const auto later = on_ae_version(facts_of(all[7]), rules, known_before(7), raised);
  CHECK_FALSE(find_rule(later, "cluster"));
  CHECK(asked == std::vector<std::string>{"cluster:alt-g3:101"});
  CHECK(keys(later) == [&] {
    auto k = keys(on_ae_version(facts_of(all[7]), rules, known_before(7)));
    std::erase(k, std::string("cluster:alt-g3:101"));
    return k;
  }());
  asked.clear();
  const auto second = on_ae_version(facts_of(all[6]), rules, known_before(6), raised);
  CHECK(asked == std::vector<std::string>{"cluster:alt-g3:105"});  // not raised: built
  REQUIRE(find_rule(second, "cluster"));
  CHECK(find_rule(second, "cluster")->payload["members"].size() == 3);
}

TEST_CASE("subject death event: death, and death within 30 days of surgery (day 0)") {
  auto facts = [](const char* death, bool discharged) {
    SubjectFacts f;
    f.subject = "S01-003";
    f.enrolled = d("2026-09-01");
    f.surgery = d("2026-10-01");
    if (discharged) f.discharges = {d("2026-10-10")};
    f.death = d(death);
    return f;
  };
  auto death_event = [](const char* date) {
    SubjectEvent e;
    e.id = 7;
    e.kind = "death";
    e.date = d(date);
    e.fields = {{"kind", "death"}, {"date", date}, {"cause", "liver failure"}};
    return e;
  };
  // 10-31 is day 30: within.
  auto a = on_subject_event("hcc-pvtt-imrt", death_event("2026-10-31"), facts("2026-10-31", true));
  CHECK(keys(a) == std::vector<std::string>{"death:S01-003", "death_30d_post_surgery:S01-003"});
  CHECK(a[0].severity == Severity::critical);
  CHECK(a[1].severity == Severity::critical);
  CHECK(a[1].payload["postoperative_day"] == 30);
  CHECK(a[0].payload["cause"] == "liver failure");
  // 11-01 is day 31 after discharge: death only.
  CHECK(keys(on_subject_event("s", death_event("2026-11-01"), facts("2026-11-01", true))) ==
        std::vector<std::string>{"death:S01-003"});
  // Day 35 without a discharge: during the index admission, so within (CLINICAL.md).
  auto b = on_subject_event("s", death_event("2026-11-05"), facts("2026-11-05", false));
  REQUIRE(b.size() == 2);
  CHECK(b[1].title.find("index admission") != std::string::npos);
  // Never operated: death only. Other kinds: nothing.
  auto no_surgery = facts("2026-10-05", false);
  no_surgery.surgery.reset();
  CHECK(keys(on_subject_event("s", death_event("2026-10-05"), no_surgery)) ==
        std::vector<std::string>{"death:S01-003"});
  SubjectEvent discharge;
  discharge.kind = "discharge";
  discharge.date = d("2026-10-10");
  CHECK(on_subject_event("s", discharge, facts("2026-10-31", true)).empty());
  // Clavien–Dindo V (Dindo 2004: death of the patient) records a death too, with the same keys:
  // on day 12, in hospital, it is a death within 30 days; a grade IVa is not a death.
  SubjectEvent cd_v;
  cd_v.id = 9;
  cd_v.kind = "surgical_complication";
  cd_v.date = d("2026-10-13");
  cd_v.fields = {{"kind", "surgical_complication"}, {"date", "2026-10-13"}, {"grade", "V"}, {"term", "liver failure"}};
  auto c = on_subject_event("s", cd_v, facts("2026-10-13", false));
  CHECK(keys(c) == std::vector<std::string>{"death:S01-003", "death_30d_post_surgery:S01-003"});
  CHECK(c[0].payload["source"] == "clavien_dindo_v");
  cd_v.fields["grade"] = "IVa";
  CHECK(on_subject_event("s", cd_v, facts("2026-10-13", false)).empty());
}

TEST_CASE("clocks: due soon from warning hours before due, overdue strictly after") {
  OpenClock oc;
  oc.clock.id = 9;
  oc.clock.kind = ClockKind::regulatory_initial;
  oc.clock.started_at = ts("2026-03-01T10:00:00Z");
  oc.clock.due_at = ts("2026-03-08T23:59:59.999Z");
  oc.study = "hcc-pvtt-imrt";
  oc.report = 42;
  oc.subject = "S01-003";
  StudyRules rules;  // 48 h
  const Timestamp due = oc.clock.due_at;
  CHECK(on_clocks({oc}, due.plus_hours(-48).plus_ms(-1), rules).empty());
  auto soon = on_clocks({oc}, due.plus_hours(-48), rules);
  REQUIRE(soon.size() == 1);
  CHECK(soon[0].rule == "clock_due_soon");
  CHECK(soon[0].severity == Severity::high);
  CHECK(soon[0].dedupe_key == "clock_due_soon:9");
  CHECK(soon[0].payload["kind"] == "regulatory_initial");
  CHECK(keys(on_clocks({oc}, due, rules)) == std::vector<std::string>{"clock_due_soon:9"});
  auto late = on_clocks({oc}, due.plus_ms(1), rules);
  REQUIRE(late.size() == 1);
  CHECK(late[0].rule == "clock_overdue");
  CHECK(late[0].severity == Severity::critical);
  CHECK(late[0].dedupe_key == "clock_overdue:9");
  // The study's warning setting.
  rules.clock_warning_hours = 24;
  CHECK(on_clocks({oc}, due.plus_hours(-30), rules).empty());
  CHECK(on_clocks({oc}, due.plus_hours(-24), rules).size() == 1);
}

TEST_CASE("stopping boundary: one alert when crossed, keyed by study and rule") {
  // Hand table: looks at 5 and 10 subjects; stop at 2 events by n = 5, at 3 by n = 10.
  const std::vector<stats::BoundaryRow> rows = {{5, 1, 2}, {10, 2, 3}};
  CHECK(on_boundary("s", "death30", 4, 3, rows).empty());  // before the first look
  CHECK(on_boundary("s", "death30", 5, 1, rows).empty());
  auto a = on_boundary("s", "death30", 7, 2, rows);
  REQUIRE(a.size() == 1);
  CHECK(a[0].rule == "stopping_boundary");
  CHECK(a[0].severity == Severity::critical);
  CHECK(a[0].dedupe_key == "stopping_boundary:s:death30");
  CHECK(a[0].payload["row"]["stop_at"] == 2);
  CHECK(a[0].payload["n"] == 7);
  CHECK(a[0].payload["events"] == 2);
  CHECK(a[0].payload["boundary"].size() == 2);
  CHECK(on_boundary("s", "death30", 10, 2, rows).empty());
  CHECK(keys(on_boundary("s", "death30", 10, 3, rows)) == keys(a));  // same alert, same key
}

TEST_CASE("susar_ended: a follow-up that ends a SUSAR says what changed, product by product") {
  // v1: serious, related to camrelizumab and unexpected for it: a SUSAR (ICH E2A III.A).
  auto v1 = serious_v1();
  v1.classification = classified(true, true);
  // v2: the site downgrades causality: no longer related, so no longer a SUSAR.
  auto v2 = followup(v1);
  v2.classification = classified(true);
  v2.classification.products = {{"camrelizumab", false, false}, {"apatinib", false, false}};
  const auto a = find_rule(on_ae_version(v2, {}, {}), "susar_ended");
  REQUIRE(a);
  CHECK(a->severity == Severity::high);
  CHECK(a->dedupe_key == "susar_ended:42:v2");
  CHECK(a->title.find("causality downgraded: no longer suspected related to camrelizumab") != std::string::npos);
  CHECK(a->payload["products"][0]["intervention"] == "camrelizumab");
  CHECK(a->payload["products"][0]["related"] == false);
  CHECK(a->payload["previous_version"] == 1);

  // v2': the RSI now lists it at this severity: expected, so no longer a SUSAR.
  auto v2e = followup(v1);
  v2e.classification = classified(true);
  v2e.classification.products = {{"camrelizumab", true, true}, {"apatinib", false, false}};
  const auto e = find_rule(on_ae_version(v2e, {}, {}), "susar_ended");
  REQUIRE(e);
  CHECK(e->title.find("now expected for camrelizumab") != std::string::npos);

  // Still a SUSAR: nothing ends.
  auto v2s = followup(v1);
  v2s.classification = classified(true, true);
  CHECK_FALSE(find_rule(on_ae_version(v2s, {}, {}), "susar_ended"));
}
