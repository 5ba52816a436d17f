#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "pvmon/boundary.hpp"

using namespace pvmon::stats;

namespace {

// Independent of Boost: binomial pmf from log-gamma, and R's qbinom definition by summation.
double pmf(int k, int n, double p) {
  if (k < 0 || k > n) return 0.0;
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                  k * std::log(p) + (n - k) * std::log1p(-p));
}
// R's qbinom compares against level * (1 - 64 DBL_EPSILON) so that exact ties (Bin(5, .5):
// P(X<=2) = 1/2) resolve to the smaller x despite rounding in the summed cdf.
int qbinom_by_sum(double level, int n, double p) {
  double cdf = 0.0;
  const double fuzzed = level * (1 - 64 * 2.220446049250313e-16);
  for (int x = 0; x <= n; ++x) {
    cdf += pmf(x, n, p);
    if (cdf >= fuzzed) return x;
  }
  return n;
}

// Brute force over all 2^N event sequences (no recursion): for each sequence find the first
// look where the count exceeds r. Gives P(cross), P(cross before the last look) and E[N].
OcRow enumerate(const std::vector<int>& looks, const std::vector<int>& r, double p) {
  const int n = looks.back();
  OcRow o;
  o.rate = p;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    int events = 0;
    for (int i = 0; i < n; ++i) events += (mask >> i) & 1u;
    const double prob = std::pow(p, events) * std::pow(1 - p, n - events);
    int enrolled = n;
    int count = 0;
    int subject = 0;
    for (std::size_t l = 0; l < looks.size(); ++l) {
      for (; subject < looks[l]; ++subject) count += (mask >> subject) & 1u;
      if (count > r[l]) {
        enrolled = looks[l];
        o.p_cross += prob;
        if (l + 1 < looks.size()) o.p_stop_early += prob;
        break;
      }
    }
    o.expected_n += prob * enrolled;
  }
  return o;
}

std::vector<int> one_to(int n) {
  std::vector<int> v;
  for (int i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

std::vector<int> max_events(const std::vector<BoundaryRow>& rows) {
  std::vector<int> r;
  for (const auto& row : rows) r.push_back(row.max_events);
  return r;
}

}  // namespace

TEST_CASE("binomial_quantile follows R's qbinom (smallest x with P(X<=x) >= level)") {
  // Hand values: Bin(10, 0.1): P(X<=1) = 0.7361, P(X<=2) = 0.9298, so qbinom(0.9) = 2.
  CHECK(binomial_quantile(0.9, 10, 0.1) == 2);
  // Bin(50, 0.5): P(X<=18) = 0.0325, P(X<=19) = 0.0595 -> 19. Boost's default policy (round
  // outwards, i.e. down below the median) would give 18 here: the policy is deliberate.
  CHECK(binomial_quantile(0.05, 50, 0.5) == 19);
  // P(X<=30) = 0.9405, P(X<=31) = 0.9675 -> 31 for level 0.95.
  CHECK(binomial_quantile(0.95, 50, 0.5) == 31);
  // level below P(X=0) = 0.9^10 = 0.3487 -> 0.
  CHECK(binomial_quantile(0.30, 10, 0.1) == 0);
  CHECK(binomial_quantile(1.0, 10, 0.1) == 10);
  for (int n : {1, 2, 5, 17, 40, 120}) {
    for (double p : {0.03, 0.1, 0.25, 0.5}) {
      for (double level : {0.01, 0.2, 0.5, 0.77, 0.9, 0.99, 0.9999}) {
        CAPTURE(n);
        CAPTURE(p);
        CAPTURE(level);
        CHECK(binomial_quantile(level, n, p) == qbinom_by_sum(level, n, p));
      }
    }
  }
}

TEST_CASE("crossing probabilities: closed forms") {
  const double p = 0.1;
  const double q = 1 - p;
  SUBCASE("stop at the first event, looks 1..10") {
    // Cross iff any event: 1 - q^10; early iff an event among the first 9: 1 - q^9.
    // N = min(first event time, 10): E = sum_{n<=10} n p q^(n-1) + 10 q^10 = (1 - q^10) / p.
    const auto o = operating_characteristics(one_to(10), std::vector<int>(10, 0), p);
    CHECK(o.p_cross == doctest::Approx(1 - std::pow(q, 10)).epsilon(1e-12));
    CHECK(o.p_stop_early == doctest::Approx(1 - std::pow(q, 9)).epsilon(1e-12));
    CHECK(o.expected_n == doctest::Approx((1 - std::pow(q, 10)) / p).epsilon(1e-12));
  }
  SUBCASE("constant boundary 1: crossing iff the final count is >= 2") {
    const auto o = operating_characteristics(one_to(10), std::vector<int>(10, 1), p);
    CHECK(o.p_cross == doctest::Approx(1 - std::pow(q, 10) - 10 * p * std::pow(q, 9)));
  }
  SUBCASE("0 events allowed up to n = 5, then 1") {
    // No crossing = no event in subjects 1-5 and at most one in 6-10.
    std::vector<int> r{0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    const double survive = std::pow(q, 5) * (std::pow(q, 5) + 5 * p * std::pow(q, 4));
    CHECK(operating_characteristics(one_to(10), r, p).p_cross == doctest::Approx(1 - survive));
    // The same rule checked only at looks 5 and 10: same crossing, E[N] = 5 P(cross at 5) +
    // 10 (1 - P(cross at 5)) since stopping at 10 or finishing both enrol 10.
    const auto g = operating_characteristics({5, 10}, {0, 1}, p);
    CHECK(g.p_cross == doctest::Approx(1 - survive));
    CHECK(g.p_stop_early == doctest::Approx(1 - std::pow(q, 5)));
    CHECK(g.expected_n == doctest::Approx(5 * (1 - std::pow(q, 5)) + 10 * std::pow(q, 5)));
  }
  SUBCASE("a look that cannot stop (r_n >= n) and rates 0 and 1") {
    CHECK(operating_characteristics({1, 2}, {1, 2}, 0.4).p_cross == 0.0);
    CHECK(operating_characteristics({3}, {0}, 0.0).p_cross == 0.0);
    const auto all = operating_characteristics({3, 6}, {1, 6}, 1.0);
    CHECK(all.p_cross == 1.0);
    CHECK(all.expected_n == 3.0);
  }
}

TEST_CASE("crossing probabilities agree with brute-force enumeration of every sequence") {
  const std::vector<std::vector<int>> boundaries{
      {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3},
      {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3},
      {0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4},
  };
  for (const auto& r : boundaries) {
    for (double p : {0.05, 0.2, 0.45}) {
      const auto want = enumerate(one_to(12), r, p);
      const auto got = operating_characteristics(one_to(12), r, p);
      CHECK(got.p_cross == doctest::Approx(want.p_cross).epsilon(1e-12));
      CHECK(got.p_stop_early == doctest::Approx(want.p_stop_early).epsilon(1e-12));
      CHECK(got.expected_n == doctest::Approx(want.expected_n).epsilon(1e-12));
    }
  }
  // Grouped looks.
  const std::vector<int> looks{3, 6, 9, 12};
  const std::vector<int> r{0, 1, 2, 3};
  const auto want = enumerate(looks, r, 0.15);
  const auto got = operating_characteristics(looks, r, 0.15);
  CHECK(got.p_cross == doctest::Approx(want.p_cross).epsilon(1e-12));
  CHECK(got.expected_n == doctest::Approx(want.expected_n).epsilon(1e-12));
}

TEST_CASE("Pocock boundary at a given a follows r_n = qbinom(1 - Phi(Phi^-1(a)/(n/N)^delta))") {
  // Phi^-1(0.05) = -1.6448536269514722 (normal tables). 1 - Phi(x) = erfc(x / sqrt 2) / 2, so
  // this check uses neither Boost's normal nor its binomial quantile.
  const double z = -1.6448536269514722;
  for (double shape : {0.0, 0.25, 0.5}) {
    ToxicityDesign d;
    d.n_max = 25;
    d.p_lo = 0.15;
    d.p_hi = 0.3;
    d.shape = shape;
    const auto r = pocock_max_events(d, 0.05);
    REQUIRE(r.size() == 25);
    for (int n = 1; n <= 25; ++n) {
      const double level = 0.5 * std::erfc(z / std::pow(n / 25.0, shape) / std::sqrt(2.0));
      CAPTURE(shape);
      CAPTURE(n);
      CHECK(r[static_cast<std::size_t>(n - 1)] == qbinom_by_sum(level, n, 0.15));
    }
  }
}

TEST_CASE("boundary search, worked by hand: N = 2, p_lo = 0.1") {
  // delta = 0, so r_n = qbinom(1 - a, n, 0.1). Bin(1, .1): P(X<=0) = 0.9. Bin(2, .1):
  // P(X<=0) = 0.81, P(X<=1) = 0.99. As a grows the family runs through
  //   a < 0.01: (r1, r2) = (1, 2) never stops, crossing 0
  //   0.01 <= a < 0.10: (1, 1) stop at 2/2, crossing 0.1^2 = 0.01
  //   0.10 <= a < 0.19: (0, 1) stop at the first event, as subject 2 alone cannot make
  //                     2 events: crossing 0.1 (subject 1) + 0.9 * 0 = 0.10
  //   a >= 0.19: (0, 0) crossing 1 - 0.81 = 0.19.
  ToxicityDesign d;
  d.n_max = 2;
  d.p_lo = 0.1;
  d.p_hi = 0.3;
  d.alpha = 0.05;
  auto b = toxicity_boundary(d);
  REQUIRE(b);
  CHECK(max_events(b->rows) == std::vector<int>{1, 1});
  CHECK(b->rows[1].stop_at == 2);
  CHECK(b->type1_error == doctest::Approx(0.01));
  CHECK(max_events(b->tighter_rows) == std::vector<int>{0, 1});
  CHECK(b->tighter_type1_error == doctest::Approx(0.10));
  CHECK(b->power == doctest::Approx(0.09));  // 0.3^2

  d.alpha = 0.15;
  b = toxicity_boundary(d);
  REQUIRE(b);
  CHECK(max_events(b->rows) == std::vector<int>{0, 1});
  CHECK(b->type1_error == doctest::Approx(0.10));
  CHECK(b->power == doctest::Approx(0.30));  // the first subject has the event
  CHECK(max_events(b->tighter_rows) == std::vector<int>{0, 0});
  CHECK(b->tighter_type1_error == doctest::Approx(0.19));

  // alpha above 0.19: even "stop at the first event" is within it; nothing tighter exists.
  d.alpha = 0.25;
  b = toxicity_boundary(d);
  REQUIRE(b);
  CHECK(max_events(b->rows) == std::vector<int>{0, 0});
  CHECK(b->tighter_rows.empty());
}

TEST_CASE("boundary search: within alpha, and the next tighter member of the family is not") {
  struct Case {
    int n_max;
    double p_lo, p_hi, alpha, shape;
    std::vector<int> looks;
  };
  const std::vector<Case> cases{
      {12, 0.1, 0.3, 0.1, 0.0, {}},
      {12, 0.2, 0.4, 0.05, 0.5, {}},
      {12, 0.1, 0.3, 0.1, 0.0, {4, 8, 12}},
      {30, 0.05, 0.20, 0.10, 0.0, {}},
      {30, 0.1, 0.3, 0.1, 0.0, one_to(30)},
      {60, 0.2, 0.35, 0.1, 0.25, {}},
      // clinfun's documented example toxbdry(0.1, 0.3, 2:30): looks from 2 on.
      {30, 0.1, 0.3, 0.1, 0.0, [] { auto v = one_to(30); v.erase(v.begin()); return v; }()},
  };
  for (const auto& c : cases) {
    CAPTURE(c.n_max);
    CAPTURE(c.p_lo);
    CAPTURE(c.shape);
    ToxicityDesign d{c.n_max, c.p_lo, c.p_hi, c.alpha, c.shape, c.looks, {}};
    const auto b = toxicity_boundary(d);
    REQUIRE(b);
    const auto looks = c.looks.empty() ? one_to(c.n_max) : c.looks;
    const auto r = max_events(b->rows);
    const auto t = max_events(b->tighter_rows);
    REQUIRE(t.size() == r.size());
    // Exactly one look differs, by one event.
    int gap = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
      CHECK(t[i] <= r[i]);
      gap += r[i] - t[i];
      if (i > 0) CHECK(r[i] >= r[i - 1]);  // more subjects never allow fewer events
    }
    CHECK(gap == 1);
    CHECK(b->type1_error <= c.alpha);
    CHECK(b->tighter_type1_error > c.alpha);
    CHECK(operating_characteristics(looks, r, c.p_lo).p_cross == doctest::Approx(b->type1_error));
    if (c.n_max <= 12) {
      CHECK(enumerate(looks, r, c.p_lo).p_cross == doctest::Approx(b->type1_error));
      CHECK(enumerate(looks, t, c.p_lo).p_cross == doctest::Approx(b->tighter_type1_error));
      CHECK(enumerate(looks, r, c.p_hi).p_cross == doctest::Approx(b->power));
    }
    // Both boundaries are members of the family: the reported a reproduces the chosen one.
    CHECK(pocock_max_events(d, b->nominal_level) == r);
  }
}

TEST_CASE("operating characteristics table covers p_lo, p_hi and 0.05 steps") {
  const auto grid = default_rate_grid(0.05, 0.20);
  CHECK(grid == std::vector<double>{0.05, 0.10, 0.15, 0.20, 0.25, 0.30});
  const auto g2 = default_rate_grid(0.12, 0.33);
  CHECK(g2.front() == doctest::Approx(0.05));
  CHECK(std::count(g2.begin(), g2.end(), 0.12) == 1);
  CHECK(std::count(g2.begin(), g2.end(), 0.33) == 1);

  ToxicityDesign d{30, 0.05, 0.20, 0.10, 0.0, {}, {}};
  const auto b = toxicity_boundary(d);
  REQUIRE(b);
  REQUIRE(b->oc.size() == 6);
  CHECK(b->oc.front().p_cross == doctest::Approx(b->type1_error));
  CHECK(b->oc[3].p_cross == doctest::Approx(b->power));
  for (std::size_t i = 1; i < b->oc.size(); ++i) {
    CHECK(b->oc[i].p_cross > b->oc[i - 1].p_cross);        // a worse drug stops more often
    CHECK(b->oc[i].expected_n < b->oc[i - 1].expected_n);  // and sooner
  }
}

TEST_CASE("invalid designs are Result errors naming the field") {
  ToxicityDesign d{30, 0.2, 0.1, 0.1, 0.0, {}, {}};
  auto b = toxicity_boundary(d);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == pvmon::Errc::invalid);
  CHECK(b.error().fields.at(0).field == "p_hi");
  d = {0, 0.1, 0.3, 0.1, 0.0, {}, {}};
  CHECK_FALSE(toxicity_boundary(d));
  d = {30, 0.1, 0.3, 1.5, 0.0, {}, {}};
  CHECK_FALSE(toxicity_boundary(d));
  d = {30, 0.1, 0.3, 0.1, 0.7, {}, {}};
  CHECK(toxicity_boundary(d).error().fields.at(0).field == "shape");
  d = {30, 0.1, 0.3, 0.1, 0.0, {10, 5, 30}, {}};
  CHECK(toxicity_boundary(d).error().fields.at(0).field == "looks");
  d = {30, 0.1, 0.3, 0.1, 0.0, {10, 20}, {}};
  CHECK_FALSE(toxicity_boundary(d));
}

TEST_CASE("boundary_crossed uses the last look at or before n") {
  const std::vector<BoundaryRow> rows{{5, 0, 1}, {10, 2, 3}, {15, 3, 4}};
  CHECK_FALSE(boundary_crossed(rows, 4, 4));  // before the first look
  CHECK(boundary_crossed(rows, 5, 1));
  CHECK(boundary_crossed(rows, 9, 1));
  CHECK_FALSE(boundary_crossed(rows, 10, 2));
  CHECK(boundary_crossed(rows, 12, 3));
  CHECK(boundary_crossed(rows, 40, 4));  // beyond the final look
  CHECK(row_for(rows, 4) == nullptr);
  CHECK(row_for(rows, 14)->n == 10);
}

TEST_CASE("matches clinfun toxbdry (hi.bdry = chosen, lo.bdry = tighter) where clinfun converges") {
  // Expected values from clinfun's getBoundary/bdrycross.prob (R/toxbdry.R with the delta
  // shape, github.com/veseshan/clinfun) ported line by line to Python with exact binomial sums and
  // the standard library's NormalDist, run outside this code base. The first and the last
  // two are designs from the package's own examples: toxbdry(0.1, 0.3, 2:30),
  // toxbdry(0.2, 0.35, c(20,40,60,75)), toxbdry(0.2, 0.3, c(20,40,60,75), cP0=0.15).
  struct Case {
    ToxicityDesign d;
    std::vector<int> hi, lo;
    double hi_p, lo_p;
  };
  auto from = [](int a, int b) {
    std::vector<int> v;
    for (int i = a; i <= b; ++i) v.push_back(i);
    return v;
  };
  const std::vector<Case> cases{
      {{30, 0.1, 0.3, 0.1, 0.0, from(2, 30), {}},
       {1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6},
       {1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6},
       0.097413, 0.100202},
      {{30, 0.05, 0.2, 0.1, 0.0, {}, {}},
       {1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4},
       {0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4},
       0.091277, 0.123647},
      {{30, 0.05, 0.2, 0.1, 0.5, {}, {}},
       {1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
       {1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3},
       0.096446, 0.102391},
      {{75, 0.2, 0.35, 0.1, 0.0, {20, 40, 60, 75}, {}}, {7, 12, 17, 21}, {7, 12, 17, 20}, 0.087506,
       0.101301},
      {{75, 0.2, 0.3, 0.15, 0.0, {20, 40, 60, 75}, {}}, {7, 12, 16, 20}, {6, 12, 16, 20}, 0.11697,
       0.152143},
  };
  for (const auto& c : cases) {
    CAPTURE(c.d.n_max);
    CAPTURE(c.d.p_lo);
    CAPTURE(c.d.shape);
    const auto b = toxicity_boundary(c.d);
    REQUIRE(b);
    CHECK(max_events(b->rows) == c.hi);
    CHECK(max_events(b->tighter_rows) == c.lo);
    CHECK(b->type1_error == doctest::Approx(c.hi_p).epsilon(1e-5));
    CHECK(b->tighter_type1_error == doctest::Approx(c.lo_p).epsilon(1e-5));
  }
}
