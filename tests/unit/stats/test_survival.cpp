#include <doctest/doctest.h>

#include <algorithm>
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

namespace {

// R survival's aml data set (Miller 1981; both arms, n = 23): weeks to relapse, status 1 =
// relapse, 0 = censored. Ties: 5 5, 8 8, 13 13+, 45+ 45.
std::vector<SurvivalObservation> aml() {
  return {{9, true},  {13, true}, {13, false}, {18, true}, {23, true}, {28, false}, {31, true}, {34, true},
          {45, false}, {48, true}, {161, false}, {5, true}, {5, true},  {8, true},  {8, true},  {12, true},
          {16, false}, {23, true}, {27, true},  {30, true}, {33, true}, {43, true},  {45, true}};
}

// R survival's lung data set, subjects of institution 1 (n = 36) and 22 (n = 17): days, true =
// dead (status 2). R: l <- lung[!is.na(lung$inst) & lung$inst == 1, ]
std::vector<SurvivalObservation> lung_inst1() {
  return {{883, true},  {218, true},  {144, true},  {61, true},   {12, true},   {26, true},  {122, true}, {93, true},
          {731, true},  {303, true},  {246, true},  {65, true},   {345, true},  {705, true}, {176, true}, {163, true},
          {588, false}, {559, false}, {11, true},   {181, true},  {13, true},   {524, true}, {558, true}, {267, true},
          {457, true},  {62, true},   {376, false}, {303, false}, {180, true},  {145, true}, {284, false},
          {225, false}, {276, false}, {252, false}, {116, true},  {188, false}};
}
std::vector<SurvivalObservation> lung_inst22() {
  return {{613, true}, {814, true}, {765, true},  {132, true}, {444, true},  {428, true},
          {641, true}, {239, true}, {442, true},  {207, true}, {511, false}, {444, false},
          {286, true}, {269, true}, {59, true},   {197, false}, {177, false}};
}

}  // namespace

TEST_CASE("reverse Kaplan-Meier and median follow-up (Schemper & Smith 1996) match R: aml") {
  // R 4.2, survival 3.5-3:
  //   f <- survfit(Surv(time, 1 - status) ~ 1, data = aml); summary(f); print(f)
  //    time n.risk n.event survival std.err lower 95% CI upper 95% CI
  //      13     17       1 0.941176 0.0570672  0.835717 1
  //      16     15       1 0.878431 0.0806933  0.733696 1
  //      28     10       1 0.790588 0.1105396  0.601085 1
  //      45      4       1 0.592941 0.1901880  0.316217 1
  //     161      1       1 0.000000       NaN        NA NA
  //   n 23, events 5, median 161, 0.95LCL 45, 0.95UCL NA
  // At 13 the censored subject (now the event) was at risk with the relapse there (now a
  // censoring): 23 - 4 (5 5 8 8) - 1 (9) - 1 (12) = 17.
  const auto rev = reverse_kaplan_meier(aml());
  REQUIRE(rev);
  struct Row {
    double t;
    int n_risk;
    double s, se, lo;
  };
  const Row want[] = {{13, 17, 0.941176, 0.0570672, 0.835717},
                      {16, 15, 0.878431, 0.0806933, 0.733696},
                      {28, 10, 0.790588, 0.1105396, 0.601085},
                      {45, 4, 0.592941, 0.1901880, 0.316217}};
  for (const auto& w : want) {
    CAPTURE(w.t);
    const auto it = std::find_if(rev->steps.begin(), rev->steps.end(), [&](const KmStep& s) { return s.time == w.t; });
    REQUIRE(it != rev->steps.end());
    CHECK(it->n_risk == w.n_risk);
    CHECK(it->n_event == 1);
    CHECK(it->survival == doctest::Approx(w.s).epsilon(1e-5));
    CHECK(*it->std_err == doctest::Approx(w.se).epsilon(1e-5));
    CHECK(it->ci_log->lower == doctest::Approx(w.lo).epsilon(1e-5));
  }
  CHECK(rev->steps.back().survival == 0.0);
  const auto fu = median_follow_up(aml());
  REQUIRE(fu);
  REQUIRE(fu->time);
  CHECK(*fu->time == 161);
  REQUIRE(fu->lower);
  CHECK(*fu->lower == 45);
  CHECK_FALSE(fu->upper);  // the upper band never falls to 0.5 before it is undefined (S = 0)
}

TEST_CASE("median follow-up matches R on lung subsets with ties; not reached is nullopt") {
  // R: l <- lung[!is.na(lung$inst) & lung$inst == 1, ]
  //    quantile(survfit(Surv(time, status == 1) ~ 1, data = l), c(0.25, 0.5, 0.75))
  //    quantile 284 559 NA; lower 252 303 588; upper NA NA NA   (print(f): median 559, LCL 303)
  const auto rev1 = reverse_kaplan_meier(lung_inst1());
  REQUIRE(rev1);
  const auto q25 = km_quantile(*rev1, 0.25);
  CHECK(*q25->time == 284);
  CHECK(*q25->lower == 252);
  CHECK_FALSE(q25->upper);
  const auto fu1 = median_follow_up(lung_inst1());
  CHECK(*fu1->time == 559);
  CHECK(*fu1->lower == 303);
  CHECK_FALSE(fu1->upper);
  const auto q75 = km_quantile(*rev1, 0.75);
  CHECK_FALSE(q75->time);
  CHECK(*q75->lower == 588);
  CHECK_FALSE(q75->upper);
  // Institution 22: quantile 444 NA NA; lower 197 511 NA; upper NA NA NA
  // (print(f): median NA, 0.95LCL 511, 0.95UCL NA): the median follow-up is not reached.
  const auto fu22 = median_follow_up(lung_inst22());
  REQUIRE(fu22);
  CHECK_FALSE(fu22->time);
  CHECK(*fu22->lower == 511);
  CHECK_FALSE(fu22->upper);
  const auto q22 = km_quantile(*reverse_kaplan_meier(lung_inst22()), 0.25);
  CHECK(*q22->time == 444);
  CHECK(*q22->lower == 197);
}

TEST_CASE("Kaplan-Meier quantiles with both confidence limits, and R's midpoint rule") {
  // R: quantile(survfit(Surv(time, status) ~ 1, data = aml), c(0.25, 0.5, 0.75))
  //    quantile 12 27 43; lower 8 18 31; upper 30 48 NA
  // (S: 23 -> 0.5466, 27 -> 0.4969, so the median is 27; the lower band is 0.4753 at 18 and the
  // upper band 0.4623 at 48.)
  const auto km = kaplan_meier(aml());
  REQUIRE(km);
  const auto m = km_median(*km);
  CHECK(*m.time == 27);
  CHECK(*m.lower == 18);
  CHECK(*m.upper == 48);
  const auto q25 = km_quantile(*km, 0.25);
  CHECK(*q25->time == 12);
  CHECK(*q25->lower == 8);
  CHECK(*q25->upper == 30);
  const auto q75 = km_quantile(*km, 0.75);
  CHECK(*q75->time == 43);
  CHECK(*q75->lower == 31);
  CHECK_FALSE(q75->upper);

  // S = 0.75 0.5 0.25 0 at 1 2 3 4: S is exactly 0.5 on [2, 3), so the median is their midpoint.
  // R: print(survfit(Surv(time, status) ~ 1, data = data.frame(time = 1:4, status = 1)))
  //    median 2.5, 0.95LCL 1, 0.95UCL NA
  const auto four = kaplan_meier({{1, true}, {2, true}, {3, true}, {4, true}});
  const auto m4 = km_median(*four);
  CHECK(*m4.time == 2.5);
  CHECK(*m4.lower == 1);
  CHECK_FALSE(m4.upper);

  // No event: never reached; empty: nothing; p outside (0, 1): an error.
  const auto none = km_median(*kaplan_meier({{5, false}, {8, false}}));
  CHECK_FALSE(none.time);
  CHECK_FALSE(none.lower);
  CHECK_FALSE(km_median(*kaplan_meier({})).time);
  CHECK_FALSE(km_quantile(*km, 0.0));
  CHECK_FALSE(km_quantile(*km, 1.0));
  CHECK_FALSE(median_follow_up({{-1, false}}));
}
