#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "pvmon/boundary.hpp"

using namespace pvmon::stats;

namespace {

// For integer A, B the beta tail is a binomial sum: 1 - I_p(A, B) = P(Bin(A + B - 1, p) <= A - 1).
// With a Beta(a, b) prior and x events in n: P(p > p0 | x, n) = P(Bin(a + b + n - 1, p0) <= a + x - 1).
double binom_cdf(int k, int n, double p) {
  double sum = 0.0;
  for (int i = 0; i <= k; ++i) {
    sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
                    i * std::log(p) + (n - i) * std::log1p(-p));
  }
  return sum;
}

}  // namespace

TEST_CASE("posterior tail probability, closed forms") {
  // Uniform prior Beta(1, 1): x = 0 of n gives Beta(1, n + 1), tail (1 - p0)^(n + 1);
  // x = n gives Beta(n + 1, 1), tail 1 - p0^(n + 1).
  CHECK(posterior_prob_above(1, 1, 0.3, 0, 4) == doctest::Approx(0.16807));  // 0.7^5
  CHECK(posterior_prob_above(1, 1, 0.3, 4, 4) == doctest::Approx(0.99757));  // 1 - 0.3^5
  // Beta(1, 9), p0 = 0.1, x = 1 of n = 1: P(Bin(10, 0.1) <= 1) = 0.9^10 + 10 (0.1) 0.9^9
  // = 0.348678 + 0.387420 = 0.736099.
  CHECK(posterior_prob_above(1, 9, 0.1, 1, 1) == doctest::Approx(0.736099).epsilon(1e-5));
  for (int n : {1, 5, 12, 30}) {
    for (int x = 0; x <= n; x += 3) {
      CHECK(posterior_prob_above(1, 9, 0.1, x, n) ==
            doctest::Approx(binom_cdf(x, n + 9, 0.1)).epsilon(1e-10));
      CHECK(posterior_prob_above(2, 3, 0.25, x, n) ==
            doctest::Approx(binom_cdf(1 + x, n + 4, 0.25)).epsilon(1e-10));
    }
  }
}

TEST_CASE("Thall-Simon table for prior Beta(1, 9), p0 = 0.1, cutoff 0.8, N = 30") {
  BayesDesign d;
  d.prior_a = 1;
  d.prior_b = 9;
  d.p0 = 0.1;
  d.cutoff = 0.8;
  d.n_max = 30;
  const auto b = bayes_boundary(d);
  REQUIRE(b);
  REQUIRE(b->rows.size() == 30);
  // Worked by hand with P(p > 0.1 | x, n) = P(Bin(n + 9, 0.1) <= x):
  // n = 1: x = 1 gives 0.7361 <= 0.8, so one subject can never stop the trial.
  CHECK(b->rows[0].n == 1);
  CHECK(b->rows[0].stop_at == 2);
  CHECK(b->rows[0].max_events == 1);
  // n = 2: Bin(11, .1): P(<=1) = 0.313811 + 0.383546 = 0.697357; P(<=2) adds
  // 55 (0.01) 0.9^9 = 0.213081 -> 0.910438 > 0.8: stop at 2 events.
  CHECK(b->rows[1].stop_at == 2);
  // n = 10: Bin(19, .1): P(<=2) = 0.135085 + 0.285180 + 0.285180 = 0.705445;
  // P(<=3) adds 969 (0.001) 0.9^16 = 0.179558 -> 0.885003 > 0.8: stop at 3.
  CHECK(b->rows[9].stop_at == 3);
  // Every row: the smallest x past the cutoff, by the binomial identity.
  for (const auto& row : b->rows) {
    CAPTURE(row.n);
    if (row.stop_at <= row.n) CHECK(binom_cdf(row.stop_at, row.n + 9, 0.1) > 0.8);
    if (row.stop_at >= 1 && row.stop_at - 1 <= row.n)
      CHECK(binom_cdf(row.stop_at - 1, row.n + 9, 0.1) <= 0.8);
  }
  CHECK(b->type1_error ==
        doctest::Approx(operating_characteristics(
                            [] { std::vector<int> v; for (int i = 1; i <= 30; ++i) v.push_back(i); return v; }(),
                            [&] { std::vector<int> r; for (const auto& x : b->rows) r.push_back(x.max_events); return r; }(),
                            0.1)
                            .p_cross));
  CHECK(b->power == 0.0);  // no p_hi given
  REQUIRE_FALSE(b->oc.empty());
  CHECK(b->oc.front().rate == doctest::Approx(0.05));
}

TEST_CASE("Bayesian operating characteristics, N = 3, worked by hand") {
  // Prior Beta(1, 1), p0 = 0.5, cutoff 0.9. P(p > .5 | x, n) = P(Bin(n + 1, .5) <= x):
  // n = 1: x = 1 -> P(Bin(2) <= 1) = 0.75, no stop. n = 2: x = 2 -> 7/8 = 0.875, no stop.
  // n = 3: x = 3 -> 1 - 1/16 = 0.9375 > 0.9, x = 2 -> 11/16 = 0.6875: stop only at 3/3.
  // So P(stop) = p^3 and E[N] = 3.
  BayesDesign d;
  d.prior_a = 1;
  d.prior_b = 1;
  d.p0 = 0.5;
  d.cutoff = 0.9;
  d.n_max = 3;
  d.p_hi = 0.8;
  d.oc_rates = {0.5, 0.8};
  const auto b = bayes_boundary(d);
  REQUIRE(b);
  CHECK(b->rows[0].stop_at == 2);
  CHECK(b->rows[1].stop_at == 3);
  CHECK(b->rows[2].stop_at == 3);
  CHECK(b->type1_error == doctest::Approx(0.125));
  CHECK(b->power == doctest::Approx(0.512));
  REQUIRE(b->oc.size() == 2);
  CHECK(b->oc[1].p_cross == doctest::Approx(0.512));
  CHECK(b->oc[1].p_stop_early == doctest::Approx(0.0));
  CHECK(b->oc[1].expected_n == doctest::Approx(3.0));
}

TEST_CASE("invalid Bayesian designs") {
  BayesDesign d;
  d.prior_a = 0;
  d.prior_b = 9;
  d.p0 = 0.1;
  d.cutoff = 0.8;
  d.n_max = 30;
  auto b = bayes_boundary(d);
  REQUIRE_FALSE(b);
  CHECK(b.error().fields.at(0).field == "prior");
  d.prior_a = 1;
  d.cutoff = 1.0;
  CHECK(bayes_boundary(d).error().fields.at(0).field == "cutoff");
  d.cutoff = 0.8;
  d.p0 = 0;
  CHECK(bayes_boundary(d).error().fields.at(0).field == "p0");
}
