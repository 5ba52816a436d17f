#include <doctest/doctest.h>

#include <algorithm>

#include "safety_helpers.hpp"
#include "pvmon/safety/surgical.hpp"

using namespace pvmon;
using namespace pvmon::safety;

using pvmon::test::find;

namespace {

Date d(const char* s) { return *parse_date(s); }
ClavienDindoGrade cd(const char* s) { return *parse_clavien_dindo(s); }

double round1(double x) { return std::round(x * 10) / 10; }

// A hand-worked cohort. Day arithmetic done on a calendar, day of surgery = day 0:
//  A  surgery 10-01, discharged 10-10, died 10-31 = day 30          -> 30 d dead (day 30 counts)
//  B  surgery 10-01, discharged 10-08, died 11-01 = day 31          -> 30 d alive, 90 d dead
//  C  surgery 12-11, discharged 12-18; cut-off 12-31 = day 20        -> pending (window open)
//  D  surgery 09-01, discharged 09-11, died 09-20 = day 19           -> dead after discharge
//  E  surgery 09-01, never discharged, died 10-15 = day 44           -> in-hospital: 30 d dead
//  F  surgery 08-01, discharged 08-09, readmitted 08-20, alive 12-01 -> closed alive, 30 and 90
//  G  surgery 08-01, discharged 08-15, last known alive 08-20 = day 19 -> unknown: day 30 and 90
//     passed with no follow-up (vital status unknown, CLINICAL.md)
std::vector<SubjectFacts> cohort() {
  std::vector<SubjectFacts> v(7);
  auto& a = v[0];
  a.subject = "A";
  a.enrolled = d("2026-09-01");
  a.surgery = d("2026-10-01");
  a.margin = Margin::R0;
  a.discharges = {d("2026-10-10")};
  a.reoperations = {d("2026-10-03")};
  a.complications = {{d("2026-10-03"), cd("II"), "ileus"}, {d("2026-10-03"), cd("IIIb"), "bleeding"}};
  a.death = d("2026-10-31");
  a.alive_on = {d("2026-10-01"), d("2026-10-03"), d("2026-10-10")};
  auto& b = v[1];
  b.subject = "B";
  b.enrolled = d("2026-09-10");
  b.surgery = d("2026-10-01");
  b.margin = Margin::R1;
  b.discharges = {d("2026-10-08")};
  b.complications = {{d("2026-10-04"), cd("II"), "wound infection"}};
  b.death = d("2026-11-01");
  auto& c = v[2];
  c.subject = "C";
  c.enrolled = d("2026-11-11");
  c.surgery = d("2026-12-11");
  c.margin = Margin::R0;
  c.discharges = {d("2026-12-18")};
  c.alive_on = {d("2026-12-18")};
  auto& dd = v[3];
  dd.subject = "D";
  dd.enrolled = d("2026-08-02");
  dd.surgery = d("2026-09-01");
  dd.margin = Margin::R0;
  dd.discharges = {d("2026-09-11")};
  dd.complications = {{d("2026-09-02"), cd("I"), "nausea"}};
  dd.death = d("2026-09-20");
  auto& e = v[4];
  e.subject = "E";
  e.enrolled = d("2026-08-04");
  e.surgery = d("2026-09-01");
  e.margin = Margin::R2;
  e.complications = {{d("2026-09-05"), cd("IVa"), "liver failure"},
                     {d("2026-10-15"), cd("V"), "liver failure"}};
  e.death = d("2026-10-15");
  auto& f = v[5];
  f.subject = "F";
  f.enrolled = d("2026-07-02");
  f.surgery = d("2026-08-01");
  f.margin = Margin::R0;
  f.discharges = {d("2026-08-09")};
  f.readmissions = {d("2026-08-20")};
  f.alive_on = {d("2026-08-20"), d("2026-12-01")};
  auto& g = v[6];
  g.subject = "G";
  g.enrolled = d("2026-07-18");
  g.surgery = d("2026-08-01");
  g.discharges = {d("2026-08-15")};
  g.alive_on = {d("2026-08-20")};
  return v;
}

}  // namespace

// Slankamenac et al., Ann Surg 2013, CCI = sqrt(sum wC)/2; single-grade values as in the paper's
// table (I 8.7, II 20.9, IIIa 26.2, IIIb 33.7, IVa 42.4, IVb 46.2, V 100). Worked by hand:
//   II        sqrt(1750)/2 = 41.833/2 = 20.92
//   II + IIIa sqrt(4500)/2 = 67.082/2 = 33.54 (33.5: the brief's 33.7 is the single IIIb value)
//   I + II    sqrt(2050)/2 = 45.277/2 = 22.64
//   II + IIIb sqrt(6300)/2 = 79.373/2 = 39.69
//   3 x IVb   sqrt(25650)/2 = 160.156/2 = 80.08
//   5 x IVb   sqrt(42750)/2 = 103.4 -> capped at 100
TEST_CASE("Comprehensive Complication Index") {
  CHECK(comprehensive_complication_index({}) == 0.0);
  CHECK(round1(comprehensive_complication_index({cd("I")})) == doctest::Approx(8.7));
  CHECK(round1(comprehensive_complication_index({cd("II")})) == doctest::Approx(20.9));
  CHECK(round1(comprehensive_complication_index({cd("IIIa")})) == doctest::Approx(26.2));
  CHECK(round1(comprehensive_complication_index({cd("IIIb")})) == doctest::Approx(33.7));
  CHECK(round1(comprehensive_complication_index({cd("IVa")})) == doctest::Approx(42.4));
  CHECK(round1(comprehensive_complication_index({cd("IVbd")})) == doctest::Approx(46.2));
  CHECK(comprehensive_complication_index({cd("V")}) == 100.0);
  CHECK(comprehensive_complication_index({cd("I"), cd("V")}) == 100.0);
  CHECK(round1(comprehensive_complication_index({cd("II"), cd("IIIa")})) == doctest::Approx(33.5));
  CHECK(round1(comprehensive_complication_index({cd("I"), cd("II")})) == doctest::Approx(22.6));
  CHECK(round1(comprehensive_complication_index({cd("IVb"), cd("IVb"), cd("IVb")})) ==
        doctest::Approx(80.1));
  CHECK(comprehensive_complication_index({cd("IVb"), cd("IVb"), cd("IVb"), cd("IVb"), cd("IVb")}) ==
        100.0);
}

TEST_CASE("per-subject windows in the hand-worked cohort") {
  auto s = surgical_safety(cohort(), d("2026-12-31"));
  CHECK(s.operated == 7);
  CHECK(find(s, "A").day30 == WindowStatus::dead_within);  // day 30 counts
  CHECK(find(s, "B").day30 == WindowStatus::alive_closed);  // day 31 does not
  CHECK(find(s, "B").day90 == WindowStatus::dead_within);
  CHECK(find(s, "C").day30 == WindowStatus::pending);  // day 20
  CHECK(find(s, "C").pending30_reason == "window open until 2027-01-10");
  CHECK(find(s, "D").day30 == WindowStatus::dead_within);  // after discharge, within 30 days
  CHECK(find(s, "E").day30 == WindowStatus::dead_within);  // index admission longer than 30 d
  CHECK(find(s, "E").in_hospital_death == true);
  CHECK(find(s, "D").in_hospital_death == false);
  CHECK(find(s, "F").day30 == WindowStatus::alive_closed);
  CHECK(find(s, "F").day90 == WindowStatus::alive_closed);
  CHECK(find(s, "G").day30 == WindowStatus::unknown);  // no news since day 19: not a survivor
  CHECK(find(s, "G").pending30_reason == "no follow-up on or after 2026-08-31");
  CHECK(find(s, "A").worst_complication == cd("IIIb"));
  CHECK(round1(find(s, "A").cci) == doctest::Approx(39.7));
  CHECK(find(s, "E").cci == 100.0);
  CHECK(find(s, "A").enrolment_to_surgery_days == 30);
  CHECK(find(s, "A").postop_stay_days == 9);
}

TEST_CASE("cohort figures") {
  auto s = surgical_safety(cohort(), d("2026-12-31"));
  // 30 days: dead A, D, E; alive B, F; pending C, G. binom.test(3, 5): 0.1466 - 0.9473.
  CHECK(s.mortality30.events == 3);
  CHECK(s.mortality30.n == 5);
  CHECK(s.mortality30.ci.lower == doctest::Approx(0.1466328).epsilon(1e-4));
  CHECK(s.mortality30.ci.upper == doctest::Approx(0.9472550).epsilon(1e-4));
  CHECK(s.pending30 == std::vector<std::string>{"C"});
  CHECK(s.unknown30 == std::vector<std::string>{"G"});
  // Bounds over the 6 whose window has closed or passed: G alive 3/6, G dead 4/6.
  CHECK(s.mortality30_all_alive.events == 3);
  CHECK(s.mortality30_all_alive.n == 6);
  CHECK(s.mortality30_all_dead.events == 4);
  CHECK(s.mortality30_all_dead.n == 6);
  // 90 days: dead A, B, D, E; alive F. binom.test(4, 5): 0.2836 - 0.9949.
  CHECK(s.mortality90.events == 4);
  CHECK(s.mortality90.n == 5);
  CHECK(s.mortality90.ci.lower == doctest::Approx(0.2835821).epsilon(1e-4));
  CHECK(s.mortality90.ci.upper == doctest::Approx(0.9949492).epsilon(1e-4));
  CHECK(s.pending90 == std::vector<std::string>{"C"});
  CHECK(s.unknown90 == std::vector<std::string>{"G"});
  CHECK(s.mortality90_all_dead.events == 5);
  CHECK(s.mortality90_all_dead.n == 6);
  // Kaplan–Meier from surgery, censored at last contact (Kaplan & Meier 1958; Greenwood 1926),
  // worked by hand: C 7+, D 19, G 19+, A 30, B 31, E 44, F 122+.
  //   t=19: 6 at risk, 1 death: S = 5/6;  t=30: 4 at risk: S = 5/6 * 3/4 = 0.625
  //   t=31: S = 0.625 * 2/3 = 0.416667;   t=44: S = 0.208333
  //   mortality by day 30 = 1 - 0.625 = 0.375 (4 at risk on day 30); by day 90 = 0.791667 (1).
  //   Greenwood: SE(30) = 0.625 * sqrt(1/(6*5) + 1/(4*3)) = 0.213478; log CI of S:
  //   0.625 * exp(-1.959964 * 0.341565) = 0.319994, upper capped at 1 -> mortality [0, 0.680006].
  REQUIRE(s.km_mortality30);
  CHECK(s.km_mortality30->estimate == doctest::Approx(0.375));
  CHECK(s.km_mortality30->n_risk == 4);
  REQUIRE(s.km_mortality30->ci);
  CHECK(s.km_mortality30->ci->lower == doctest::Approx(0.0));
  CHECK(s.km_mortality30->ci->upper == doctest::Approx(0.680006).epsilon(1e-5));
  REQUIRE(s.km_mortality90);
  CHECK(s.km_mortality90->estimate == doctest::Approx(0.791667).epsilon(1e-5));
  CHECK(s.km_mortality90->n_risk == 1);
  // In hospital: E of the 7 whose index admission ended.
  CHECK(s.in_hospital_death.events == 1);
  CHECK(s.in_hospital_death.n == 7);
  CHECK(s.reoperation.events == 1);
  CHECK(s.reoperation.n == 7);
  // Readmission within 30 d of discharge: F readmitted; A, B, D closed by death; C, G pending.
  CHECK(s.readmission30.events == 1);
  CHECK(s.readmission30.n == 4);
  CHECK(s.pending_readmission30 == std::vector<std::string>{"C", "G"});
  // Stays 9, 7, 7, 10, 8, 14 -> sorted 7 7 8 9 10 14; R type 7: q1 7.25, median 8.5, q3 9.75.
  CHECK(s.postop_stay_n == 6);
  REQUIRE(s.postop_stay_days);
  CHECK(s.postop_stay_days->q1 == doctest::Approx(7.25));
  CHECK(s.postop_stay_days->median == doctest::Approx(8.5));
  CHECK(s.postop_stay_days->q3 == doctest::Approx(9.75));
  // R0: A, C, D, F of the 6 with a margin.
  CHECK(s.r0.events == 4);
  CHECK(s.r0.n == 6);
  // Enrolment to surgery 30, 21, 30, 30, 28, 30, 14 -> sorted 14 21 28 30 30 30 30.
  REQUIRE(s.enrolment_to_surgery_days);
  CHECK(s.enrolment_to_surgery_days->median == doctest::Approx(30));
  CHECK(s.enrolment_to_surgery_days->q1 == doctest::Approx(24.5));
  CHECK(s.enrolment_to_surgery_days->q3 == doctest::Approx(30));
  // Worst grade: D I, B II, A IIIb, E V; C, F, G none.
  CHECK(s.worst_grade_counts == std::vector<int>{1, 1, 0, 1, 0, 0, 1});
  CHECK(s.without_complication == 3);
}

TEST_CASE("the cut-off ignores later events and is reproducible") {
  // On 10-30 A's death (10-31) has not happened yet: day 29, pending, never a survivor.
  auto before = surgical_safety(cohort(), d("2026-10-30"));
  CHECK(find(before, "A").day30 == WindowStatus::pending);
  CHECK(find(before, "A").pending30_reason == "window open until 2026-10-31");
  auto on = surgical_safety(cohort(), d("2026-10-31"));
  CHECK(find(on, "A").day30 == WindowStatus::dead_within);
  // C (surgery 12-11) is outside the cohort before its surgery.
  CHECK(before.operated == 6);
  // E still in hospital on 09-30: in-hospital outcome unknown, 30-day pending.
  auto early = surgical_safety(cohort(), d("2026-09-30"));
  CHECK_FALSE(find(early, "E").in_hospital_death.has_value());
  CHECK(find(early, "E").day30 == WindowStatus::pending);
  CHECK(find(early, "E").pending30_reason == "still in the index admission");
  auto again = surgical_safety(cohort(), d("2026-10-30"));
  CHECK(again.mortality30.events == before.mortality30.events);
  CHECK(again.mortality30.n == before.mortality30.n);
  CHECK(again.pending30 == before.pending30);
}

TEST_CASE("facts from recorded events") {
  auto ev = [](std::int64_t id, nlohmann::json b) {
    return SubjectEvent{id, b["kind"].get<std::string>(), *parse_date(b["date"].get<std::string>()), b};
  };
  std::vector<SubjectEvent> events = {
      ev(1, {{"kind", "surgery"}, {"date", "2026-10-01"}, {"procedure", "x"}, {"margin", "R1"}}),
      ev(2, {{"kind", "surgical_complication"}, {"date", "2026-10-02"}, {"grade", "IIIad"}, {"term", "leak"}}),
      ev(3, {{"kind", "discharge"}, {"date", "2026-10-09"}}),
      ev(4, {{"kind", "death"}, {"date", "2026-10-20"}, {"cause", "x"}}),
  };
  auto f = facts_from_events("S", *parse_date("2026-09-01"), events);
  CHECK(f.surgery == *parse_date("2026-10-01"));
  CHECK(f.margin == Margin::R1);
  CHECK(f.discharges.size() == 1);
  CHECK(f.death == *parse_date("2026-10-20"));
  REQUIRE(f.complications.size() == 1);
  CHECK(f.complications[0].grade == ClavienDindoGrade{ClavienDindo::IIIa, true});
  CHECK(f.alive_on.size() == 3);
}
