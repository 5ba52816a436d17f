// pvmon::stats — stopping boundaries for continuous toxicity monitoring in a single-arm trial
// (Ivanova, Qaqish & Schell, Biometrics 2005; Thall & Simon 1994) and their operating
// characteristics. Pure functions, no I/O, callable from any thread.
// Invalid designs (rates outside (0,1), looks not increasing, ...) come back as Result errors
// (Errc::invalid with the offending field); inconsistent calls to the low-level helpers assert.
#pragma once

#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::stats {

/// R's qbinom(level, n, p): the smallest x in 0..n with P(X <= x) >= level, X ~ Bin(n, p).
/// Boost.Math's binomial quantile with the integer_round_up policy.
int binomial_quantile(double level, int n, double p);

/// One look of a boundary table. Monitoring continues while events <= max_events and stops
/// as soon as events >= stop_at (= max_events + 1). stop_at > n means this look cannot stop.
struct BoundaryRow {
  int n = 0;
  int max_events = 0;
  int stop_at = 1;
  bool operator==(const BoundaryRow&) const = default;
};

/// Operating characteristics of a boundary at one true event rate.
struct OcRow {
  double rate = 0;
  double p_cross = 0;       // probability of ever crossing, final look included
  double p_stop_early = 0;  // probability of crossing before the final look
  double expected_n = 0;    // expected number of subjects enrolled
};

/// Exact crossing probability and expected sample size by forward recursion over the
/// binomial counts (clinfun `bdrycross.prob`). looks strictly increasing and >= 1,
/// max_events the same length (asserts otherwise).
OcRow operating_characteristics(const std::vector<int>& looks, const std::vector<int>& max_events,
                                double rate);

/// p_lo, p_hi and every multiple of 0.05 in (0, min(p_hi + 0.15, 1)), sorted, duplicates removed.
std::vector<double> default_rate_grid(double p_lo, double p_hi);

struct ToxicityDesign {
  int n_max = 0;
  double p_lo = 0;     // acceptable event rate
  double p_hi = 0;     // unacceptable event rate (power is reported there)
  double alpha = 0.1;  // allowed probability of crossing under p_lo
  double shape = 0;    // delta: 0 Pocock, 0.5 O'Brien-Fleming-like
  std::vector<int> looks;        // empty = every subject 1..n_max; else increasing, ends at n_max
  std::vector<double> oc_rates;  // empty = default_rate_grid(p_lo, p_hi)
};

struct ToxicityBoundary {
  std::vector<BoundaryRow> rows;  // the conservative boundary: crossing under p_lo <= alpha
  double type1_error = 0;         // exact crossing probability under p_lo
  double power = 0;               // exact crossing probability under p_hi
  double nominal_level = 0;       // the a of level 1 - Phi(Phi^-1(a) / (n/N)^delta)
  // The adjacent, one-step tighter boundary of the same family (clinfun's lo.bdry): its
  // crossing probability exceeds alpha. Empty when the tightest possible boundary (stop at the
  // first event) already keeps the crossing probability within alpha.
  std::vector<BoundaryRow> tighter_rows;
  double tighter_type1_error = 0;
  std::vector<OcRow> oc;
};

/// Boundary r_n = qbinom(1 - Phi(Phi^-1(a) / (n/N)^delta), n, p_lo) at each look, for a given a.
/// Exposed for tests and reports; the design must be valid.
std::vector<int> pocock_max_events(const ToxicityDesign& design, double a);

/// Ivanova-Qaqish-Schell boundary, searched over a to the largest crossing probability under
/// p_lo that does not exceed alpha, with its operating characteristics.
Result<ToxicityBoundary> toxicity_boundary(const ToxicityDesign& design);

struct BayesDesign {
  double prior_a = 1;
  double prior_b = 1;
  double p0 = 0;      // the rate the posterior is compared with
  double cutoff = 0;  // stop when P(p > p0 | data) > cutoff
  int n_max = 0;
  std::vector<int> looks;        // empty = 1..n_max
  std::vector<double> oc_rates;  // empty = default_rate_grid(p0, min(2 p0, 0.95))
  double p_hi = 0;               // optional (0 = none): rate at which power is reported
};

struct BayesBoundary {
  std::vector<BoundaryRow> rows;
  double type1_error = 0;  // crossing probability when the true rate is p0
  double power = 0;        // crossing probability at p_hi (0 when p_hi is not given)
  std::vector<OcRow> oc;
};

/// P(p > p0 | x events in n) under a Beta(a, b) prior: 1 - I_{p0}(a + x, b + n - x).
double posterior_prob_above(double prior_a, double prior_b, double p0, int x, int n);

/// Thall-Simon beta-binomial monitoring: at each look, the smallest x with
/// P(p > p0 | x, n) > cutoff, and the operating characteristics of that rule.
Result<BayesBoundary> bayes_boundary(const BayesDesign& design);

/// The row that applies with n evaluable subjects: the last look <= n, or nullptr before the
/// first look. Beyond the final look the final row applies.
const BoundaryRow* row_for(const std::vector<BoundaryRow>& rows, int n);

/// True when `events` among `n` evaluable subjects reach the stopping count of row_for(n).
/// Callers evaluate it on every change so an earlier crossing is never skipped.
bool boundary_crossed(const std::vector<BoundaryRow>& rows, int n, int events);

}  // namespace pvmon::stats
