#include "pvmon/boundary.hpp"

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

namespace pvmon::stats {

namespace {

namespace bm = boost::math;

// R's qbinom returns the smallest x with P(X <= x) >= p. Boost's default for discrete
// quantiles rounds outwards (down below the median), which would differ from R above and
// below 0.5 in different directions; integer_round_up is R's rule on both sides.
using RoundUpPolicy =
    bm::policies::policy<bm::policies::discrete_quantile<bm::policies::integer_round_up>>;

// Search range for z = Phi^-1(a): Phi(+-37) stays a normal double, wide enough to reach both
// "never stop" (r_n = n) and "stop at the first event" (r_n = 0) for any practical design.
constexpr double kZMax = 37.0;

std::vector<int> looks_or_all(const std::vector<int>& looks, int n_max) {
  if (!looks.empty()) return looks;
  std::vector<int> all(static_cast<std::size_t>(n_max));
  for (int i = 0; i < n_max; ++i) all[static_cast<std::size_t>(i)] = i + 1;
  return all;
}

void check_looks(const std::vector<int>& looks, int n_max, std::vector<FieldError>& errors) {
  if (looks.empty()) return;
  for (std::size_t i = 0; i < looks.size(); ++i) {
    if (looks[i] < 1 || (i > 0 && looks[i] <= looks[i - 1])) {
      errors.push_back({"looks", "looks must be strictly increasing subject counts >= 1"});
      return;
    }
  }
  if (looks.back() != n_max) errors.push_back({"looks", "the last look must be at n_max"});
}

bool rate_in_unit(double p) { return std::isfinite(p) && p > 0.0 && p < 1.0; }

void check_rates(const std::vector<double>& rates, std::vector<FieldError>& errors) {
  for (double r : rates) {
    if (!(std::isfinite(r) && r >= 0.0 && r <= 1.0)) {
      errors.push_back({"oc_rates", "rates must lie in [0, 1]"});
      return;
    }
  }
}

std::vector<BoundaryRow> to_rows(const std::vector<int>& looks, const std::vector<int>& r) {
  std::vector<BoundaryRow> rows;
  rows.reserve(looks.size());
  for (std::size_t i = 0; i < looks.size(); ++i) rows.push_back({looks[i], r[i], r[i] + 1});
  return rows;
}

std::vector<int> max_events_for_z(const std::vector<int>& looks, double p_lo, double shape,
                                  double z) {
  const bm::normal_distribution<double> std_normal;
  const double n_max = looks.back();
  std::vector<int> r(looks.size());
  for (std::size_t i = 0; i < looks.size(); ++i) {
    // Ivanova et al. 2005, eq. for the power family: nominal level a_n = Phi(Phi^-1(a) /
    // t_n^delta), t_n = n/N; r_n = qbinom(1 - a_n, n, p_lo) (clinfun getBoundary).
    const double t = looks[i] / n_max;
    const double scaled = z / std::pow(t, shape);
    const double level = bm::cdf(bm::complement(std_normal, scaled));  // 1 - Phi(scaled)
    r[i] = binomial_quantile(level, looks[i], p_lo);
  }
  return r;
}

int total_gap(const std::vector<int>& looser, const std::vector<int>& tighter) {
  int gap = 0;
  for (std::size_t i = 0; i < looser.size(); ++i) gap += looser[i] - tighter[i];
  return gap;
}

std::vector<OcRow> oc_table(const std::vector<int>& looks, const std::vector<int>& r,
                            const std::vector<double>& rates) {
  std::vector<OcRow> oc;
  oc.reserve(rates.size());
  for (double p : rates) oc.push_back(operating_characteristics(looks, r, p));
  return oc;
}

}  // namespace

int binomial_quantile(double level, int n, double p) {
  assert(n >= 0 && p >= 0.0 && p <= 1.0 && "binomial_quantile: bad distribution");
  if (n == 0 || level <= 0.0) return 0;
  if (level >= 1.0) return n;
  if (p == 0.0) return 0;
  if (p == 1.0) return n;
  const bm::binomial_distribution<double, RoundUpPolicy> dist(n, p);
  return static_cast<int>(bm::quantile(dist, level));
}

OcRow operating_characteristics(const std::vector<int>& looks, const std::vector<int>& max_events,
                                double rate) {
  assert(!looks.empty() && looks.size() == max_events.size() && "one boundary per look");
  assert(rate >= 0.0 && rate <= 1.0);
  // Forward recursion (clinfun bdrycross.prob): cur[k] = P(k events so far and not stopped).
  // Between looks dn new subjects add Bin(dn, rate) events; any path above r_i stops there.
  OcRow out;
  out.rate = rate;
  std::vector<double> cur{1.0};
  std::vector<double> next;
  std::vector<double> pmf;
  int prev = 0;
  int pmf_dn = -1;
  double last_stop = 0.0;
  for (std::size_t i = 0; i < looks.size(); ++i) {
    const int dn = looks[i] - prev;
    assert(dn >= 1 && "looks must increase");
    if (dn != pmf_dn) {
      pmf.assign(static_cast<std::size_t>(dn) + 1, 0.0);
      if (rate == 0.0) {
        pmf[0] = 1.0;
      } else if (rate == 1.0) {
        pmf[static_cast<std::size_t>(dn)] = 1.0;
      } else {
        const bm::binomial_distribution<double> step(dn, rate);
        for (int j = 0; j <= dn; ++j) pmf[static_cast<std::size_t>(j)] = bm::pdf(step, j);
      }
      pmf_dn = dn;
    }
    const int keep = std::max(-1, std::min(max_events[i], looks[i]));
    next.assign(static_cast<std::size_t>(keep + 1), 0.0);
    double stop = 0.0;
    for (std::size_t k = 0; k < cur.size(); ++k) {
      if (cur[k] == 0.0) continue;
      for (int j = 0; j <= dn; ++j) {
        const double pr = cur[k] * pmf[static_cast<std::size_t>(j)];
        const int c = static_cast<int>(k) + j;
        if (c <= keep) {
          next[static_cast<std::size_t>(c)] += pr;
        } else {
          stop += pr;
        }
      }
    }
    out.p_cross += stop;
    out.expected_n += looks[i] * stop;
    last_stop = stop;
    cur.swap(next);
    prev = looks[i];
  }
  out.p_cross = std::min(out.p_cross, 1.0);
  out.expected_n += looks.back() * std::max(0.0, 1.0 - out.p_cross);
  out.p_stop_early = std::max(0.0, out.p_cross - last_stop);
  return out;
}

std::vector<double> default_rate_grid(double p_lo, double p_hi) {
  std::vector<double> grid{p_lo, p_hi};
  const double top = std::min(p_hi + 0.15, 1.0);
  // k / 20.0 is the double nearest to 0.05 k, so 0.15 in the grid equals the literal 0.15.
  for (int k = 1; k / 20.0 < top - 1e-12; ++k) grid.push_back(k / 20.0);
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end(),
                         [](double a, double b) { return std::fabs(a - b) < 1e-9; }),
             grid.end());
  return grid;
}

std::vector<int> pocock_max_events(const ToxicityDesign& design, double a) {
  assert(a > 0.0 && a < 1.0);
  const auto looks = looks_or_all(design.looks, design.n_max);
  const bm::normal_distribution<double> std_normal;
  return max_events_for_z(looks, design.p_lo, design.shape, bm::quantile(std_normal, a));
}

Result<ToxicityBoundary> toxicity_boundary(const ToxicityDesign& d) {
  std::vector<FieldError> errors;
  if (d.n_max < 1 || d.n_max > 2000) errors.push_back({"n_max", "n_max must be in 1..2000"});
  if (!rate_in_unit(d.p_lo)) errors.push_back({"p_lo", "p_lo must lie in (0, 1)"});
  if (!rate_in_unit(d.p_hi)) errors.push_back({"p_hi", "p_hi must lie in (0, 1)"});
  if (rate_in_unit(d.p_lo) && rate_in_unit(d.p_hi) && d.p_hi <= d.p_lo)
    errors.push_back({"p_hi", "p_hi must be greater than p_lo"});
  if (!rate_in_unit(d.alpha)) errors.push_back({"alpha", "alpha must lie in (0, 1)"});
  // clinfun restricts the power family to 0 <= delta <= 0.5 (Pocock .. O'Brien-Fleming).
  if (!(std::isfinite(d.shape) && d.shape >= 0.0 && d.shape <= 0.5))
    errors.push_back({"shape", "shape must lie in [0, 0.5]"});
  if (d.n_max >= 1) check_looks(d.looks, d.n_max, errors);
  check_rates(d.oc_rates, errors);
  if (!errors.empty()) return Error::invalid(std::move(errors), "invalid toxicity boundary design");

  const auto looks = looks_or_all(d.looks, d.n_max);
  auto crossing = [&](const std::vector<int>& r) {
    return operating_characteristics(looks, r, d.p_lo).p_cross;
  };

  // Every r_n is non-increasing in a (equivalently z), and lowering any r_n can only raise
  // the crossing probability, so the boundaries form a chain and bisection on z finds the
  // two adjacent members around alpha. This replaces clinfun's fixed 10 secant steps with a
  // search run to convergence; the answer is its hi.bdry whenever clinfun has converged.
  double z_lo = -kZMax;  // r_n = n everywhere: never stops, crossing 0 <= alpha
  double z_hi = kZMax;
  std::vector<int> r_lo = max_events_for_z(looks, d.p_lo, d.shape, z_lo);
  std::vector<int> r_hi = max_events_for_z(looks, d.p_lo, d.shape, z_hi);
  double p_lo_cross = crossing(r_lo);
  double p_hi_cross = crossing(r_hi);

  ToxicityBoundary out;
  if (p_hi_cross <= d.alpha) {
    // Even "stop at the first event" keeps within alpha: nothing tighter exists.
    r_lo = r_hi;
    p_lo_cross = p_hi_cross;
    z_lo = z_hi;
  } else {
    // Start from clinfun's Bonferroni bound a = alpha / #looks when it is valid: fewer steps.
    const bm::normal_distribution<double> std_normal;
    const double z0 = bm::quantile(std_normal, d.alpha / static_cast<double>(looks.size()));
    if (z0 > z_lo) {
      auto r0 = max_events_for_z(looks, d.p_lo, d.shape, z0);
      const double p0 = crossing(r0);
      if (p0 <= d.alpha) {
        z_lo = z0;
        r_lo = std::move(r0);
        p_lo_cross = p0;
      }
    }
    for (int iter = 0; iter < 200 && total_gap(r_lo, r_hi) > 1 && z_hi - z_lo > 1e-12; ++iter) {
      const double z = 0.5 * (z_lo + z_hi);
      auto r = max_events_for_z(looks, d.p_lo, d.shape, z);
      const double p = crossing(r);
      if (p <= d.alpha) {
        z_lo = z;
        r_lo = std::move(r);
        p_lo_cross = p;
      } else {
        z_hi = z;
        r_hi = std::move(r);
        p_hi_cross = p;
      }
    }
    out.tighter_rows = to_rows(looks, r_hi);
    out.tighter_type1_error = p_hi_cross;
  }

  out.rows = to_rows(looks, r_lo);
  out.type1_error = p_lo_cross;
  out.power = operating_characteristics(looks, r_lo, d.p_hi).p_cross;
  out.nominal_level = bm::cdf(bm::normal_distribution<double>(), z_lo);
  out.oc = oc_table(looks, r_lo, d.oc_rates.empty() ? default_rate_grid(d.p_lo, d.p_hi)
                                                    : d.oc_rates);
  return out;
}

double posterior_prob_above(double prior_a, double prior_b, double p0, int x, int n) {
  assert(prior_a > 0 && prior_b > 0 && x >= 0 && x <= n && p0 > 0 && p0 < 1);
  // Beta(a, b) prior and x of n events give a Beta(a + x, b + n - x) posterior (Thall & Simon
  // 1994); its upper tail beyond p0 is the complemented regularised incomplete beta.
  return bm::ibetac(prior_a + x, prior_b + (n - x), p0);
}

Result<BayesBoundary> bayes_boundary(const BayesDesign& d) {
  std::vector<FieldError> errors;
  if (!(std::isfinite(d.prior_a) && d.prior_a > 0) || !(std::isfinite(d.prior_b) && d.prior_b > 0))
    errors.push_back({"prior", "prior parameters a and b must be positive"});
  if (!rate_in_unit(d.p0)) errors.push_back({"p0", "p0 must lie in (0, 1)"});
  if (!rate_in_unit(d.cutoff)) errors.push_back({"cutoff", "cutoff must lie in (0, 1)"});
  if (d.n_max < 1 || d.n_max > 2000) errors.push_back({"n_max", "n_max must be in 1..2000"});
  if (d.p_hi != 0.0 && !rate_in_unit(d.p_hi)) errors.push_back({"p_hi", "p_hi must lie in (0, 1)"});
  if (d.n_max >= 1) check_looks(d.looks, d.n_max, errors);
  check_rates(d.oc_rates, errors);
  if (!errors.empty()) return Error::invalid(std::move(errors), "invalid Bayesian boundary design");

  const auto looks = looks_or_all(d.looks, d.n_max);
  std::vector<int> r(looks.size());
  for (std::size_t i = 0; i < looks.size(); ++i) {
    const int n = looks[i];
    // The posterior tail grows with x, so the first x past the cutoff is the stopping count;
    // r_n = n when even n events out of n do not convince (this look cannot stop).
    int x = 0;
    while (x <= n && !(posterior_prob_above(d.prior_a, d.prior_b, d.p0, x, n) > d.cutoff)) ++x;
    r[i] = x - 1;
  }
  BayesBoundary out;
  out.rows = to_rows(looks, r);
  out.type1_error = operating_characteristics(looks, r, d.p0).p_cross;
  if (d.p_hi != 0.0) out.power = operating_characteristics(looks, r, d.p_hi).p_cross;
  std::vector<double> rates = d.oc_rates;
  if (rates.empty()) {
    rates = default_rate_grid(d.p0, std::min(2 * d.p0, 0.95));
    if (d.p_hi != 0.0) {
      rates.push_back(d.p_hi);
      std::sort(rates.begin(), rates.end());
      rates.erase(std::unique(rates.begin(), rates.end(),
                              [](double a, double b) { return std::fabs(a - b) < 1e-9; }),
                  rates.end());
    }
  }
  out.oc = oc_table(looks, r, rates);
  return out;
}

const BoundaryRow* row_for(const std::vector<BoundaryRow>& rows, int n) {
  const BoundaryRow* found = nullptr;
  for (const auto& row : rows) {
    if (row.n > n) break;
    found = &row;
  }
  return found;
}

bool boundary_crossed(const std::vector<BoundaryRow>& rows, int n, int events) {
  const BoundaryRow* row = row_for(rows, n);
  return row != nullptr && events >= row->stop_at;
}

}  // namespace pvmon::stats
