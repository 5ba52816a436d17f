#include <doctest/doctest.h>

#include <vector>

#include "pvmon/survival.hpp"

using namespace pvmon::stats;

namespace {

// Freireich et al., Blood 1963: weeks in remission, 6-MP arm (n = 21), false = censored.
// Printed with its KM table in Kleinbaum & Klein, "Survival Analysis" (ch. 2), and by R:
// summary(survfit(Surv(time, status) ~ 1)) on these data.
std::vector<SurvivalObservation> six_mp() {
  return {{6, true},   {6, true},   {6, true},   {6, false},  {7, true},   {9, false},
          {10, true},  {10, false}, {11, false}, {13, true},  {16, true},  {17, false},
          {19, false}, {20, false}, {22, true},  {23, true},  {25, false}, {32, false},
          {32, false}, {34, false}, {35, false}};
}

}  // namespace

TEST_CASE("Kaplan-Meier with Greenwood SE: 6-MP arm of Freireich et al. 1963") {
  const auto km = kaplan_meier(six_mp());
  REQUIRE(km);
  CHECK(km->n == 21);
  // Hand arithmetic (d/(n(n-d)) is Greenwood's term, SE = S sqrt(sum)):
  //  t   n  d  S                         sum d/(n(n-d))               SE
  //  6  21  3  18/21          = 0.857143  3/378  = 0.0079365           0.857143*0.089087 = 0.07636
  //  7  17  1  0.857143*16/17 = 0.806723  +1/272 -> 0.0116130          0.806723*0.107764 = 0.08694
  // 10  15  1  0.806723*14/15 = 0.752941  +1/210 -> 0.0163749          0.752941*0.127965 = 0.09635
  // 13  12  1  0.752941*11/12 = 0.690196  +1/132 -> 0.0239507          0.690196*0.154760 = 0.10681
  // 16  11  1  0.690196*10/11 = 0.627451  +1/110 -> 0.0330416          0.627451*0.181774 = 0.11405
  // 22   7  1  0.627451*6/7   = 0.537815  +1/42  -> 0.0568511          0.537815*0.238435 = 0.12823
  // 23   6  1  0.537815*5/6   = 0.448179  +1/30  -> 0.0901845          0.448179*0.300307 = 0.13459
  // (n at risk: 21; 21-4 = 17; 17-1-1(9+) = 15; 15-2-1(11+) = 12; 11; 10-3(17+,19+,20+) = 7; 6.)
  // R prints S 0.857 0.807 0.753 0.690 0.627 0.538 0.448 and std.err 0.0764 0.0869 0.0963
  // 0.1068 0.1141 0.1282 0.1346: the same to the printed digits.
  struct Row {
    double t;
    int n_risk, d;
    double s, se;
  };
  const Row want[] = {{6, 21, 3, 0.857143, 0.07636},  {7, 17, 1, 0.806723, 0.08694},
                      {10, 15, 1, 0.752941, 0.09635}, {13, 12, 1, 0.690196, 0.10681},
                      {16, 11, 1, 0.627451, 0.11405}, {22, 7, 1, 0.537815, 0.12823},
                      {23, 6, 1, 0.448179, 0.13459}};
  std::size_t found = 0;
  for (const auto& step : km->steps) {
    for (const auto& w : want) {
      if (step.time != w.t) continue;
      ++found;
      CAPTURE(w.t);
      CHECK(step.n_risk == w.n_risk);
      CHECK(step.n_event == w.d);
      CHECK(step.survival == doctest::Approx(w.s).epsilon(1e-5));
      REQUIRE(step.std_err);
      CHECK(*step.std_err == doctest::Approx(w.se).epsilon(1e-3));
    }
  }
  CHECK(found == 7);
  // Distinct times (events and censorings): 6 7 9 10 11 13 16 17 19 20 22 23 25 32 34 35.
  CHECK(km->steps.size() == 16);
  CHECK(km->steps.front().n_censor == 1);  // 6+ counted at risk at 6
  CHECK(km->steps.back().survival == doctest::Approx(0.448179).epsilon(1e-5));
}

TEST_CASE("95% intervals: R survival's default log interval and the plain one") {
  const auto km = kaplan_meier(six_mp());
  REQUIRE(km);
  // R survfit_confint, conf.type = "log": S exp(-/+ z SE/S), upper capped at 1; z = 1.959964.
  // t = 6: SE/S = 0.089087, z*0.089087 = 0.174607: lower 0.857143 e^-0.174607 = 0.71981,
  //   upper 0.857143 e^0.174607 = 1.0207 -> capped at 1. (R prints 0.720 1.000.)
  // t = 7: SE/S = 0.107764, z* = 0.211213: 0.806723 * 0.80958 = 0.65311 and * 1.23520 = 0.99646
  //   (R: 0.653 0.996).
  // t = 23: SE/S = 0.300307, z* = 0.588592: 0.448179 * 0.55510 = 0.24879 and * 1.80149 = 0.80739
  //   (R: 0.249 0.807).
  // plain at t = 23: 0.448179 -/+ 1.959964 * 0.134593 = 0.18438 .. 0.71198.
  auto at = [&](double t) {
    for (const auto& s : km->steps)
      if (s.time == t) return s;
    FAIL("no step at " << t);
    return KmStep{};
  };
  const auto s6 = at(6);
  REQUIRE(s6.ci_log);
  CHECK(s6.ci_log->lower == doctest::Approx(0.71981).epsilon(1e-4));
  CHECK(s6.ci_log->upper == 1.0);
  const auto s7 = at(7);
  CHECK(s7.ci_log->lower == doctest::Approx(0.65311).epsilon(1e-4));
  CHECK(s7.ci_log->upper == doctest::Approx(0.99646).epsilon(1e-4));
  const auto s23 = at(23);
  CHECK(s23.ci_log->lower == doctest::Approx(0.24879).epsilon(1e-4));
  CHECK(s23.ci_log->upper == doctest::Approx(0.80739).epsilon(1e-4));
  REQUIRE(s23.ci_plain);
  CHECK(s23.ci_plain->lower == doctest::Approx(0.18438).epsilon(1e-3));
  CHECK(s23.ci_plain->upper == doctest::Approx(0.71198).epsilon(1e-3));
}

TEST_CASE("estimates at given times, with the number at risk") {
  const auto km = kaplan_meier(six_mp());
  REQUIRE(km);
  // R summary(fit, times = c(0, 6, 12, 24, 35)): S 1, 0.857, 0.753, 0.448, 0.448 with n.risk
  // 21, 21, 12 (times >= 12: 13,16,17,19,20,22,23,25,32,32,34,35), 5 (25 32 32 34 35), 1.
  const auto e0 = km_at(*km, 0);
  REQUIRE(e0);
  CHECK(e0->survival == 1.0);
  CHECK(e0->n_risk == 21);
  const auto e6 = km_at(*km, 6);
  CHECK(e6->survival == doctest::Approx(0.857143).epsilon(1e-5));
  CHECK(e6->n_risk == 21);
  const auto e12 = km_at(*km, 12);
  CHECK(e12->survival == doctest::Approx(0.752941).epsilon(1e-5));
  CHECK(e12->n_risk == 12);
  CHECK(*e12->std_err == doctest::Approx(0.09635).epsilon(1e-3));
  const auto e24 = km_at(*km, 24);
  CHECK(e24->survival == doctest::Approx(0.448179).epsilon(1e-5));
  CHECK(e24->n_risk == 5);
  CHECK(km_at(*km, 35)->n_risk == 1);
  CHECK_FALSE(km_at(*km, 36));  // beyond follow-up: not estimable
  CHECK_FALSE(km_at(*km, -1));
}

TEST_CASE("edge cases: everyone has the event, no events, bad input") {
  // Three deaths at 1, 2, 3: S = 2/3, 1/3, 0. SE at 1: (2/3) sqrt(1/(3*2)) = 0.272166.
  const auto all = kaplan_meier({{1, true}, {2, true}, {3, true}});
  REQUIRE(all);
  CHECK(all->steps[0].survival == doctest::Approx(2.0 / 3));
  CHECK(*all->steps[0].std_err == doctest::Approx(0.272166).epsilon(1e-5));
  CHECK(all->steps[2].survival == 0.0);
  CHECK_FALSE(all->steps[2].std_err);
  CHECK_FALSE(all->steps[2].ci_log);

  const auto none = kaplan_meier({{5, false}, {8, false}});
  REQUIRE(none);
  CHECK(none->steps[1].survival == 1.0);
  CHECK(*none->steps[1].std_err == 0.0);
  CHECK(none->steps[1].ci_log->lower == 1.0);

  const auto empty = kaplan_meier({});
  REQUIRE(empty);
  CHECK(empty->steps.empty());
  CHECK_FALSE(km_at(*empty, 0));

  auto bad = kaplan_meier({{-1, true}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == pvmon::Errc::invalid);
  CHECK_FALSE(kaplan_meier({{1, true}}, 1.5));
}
