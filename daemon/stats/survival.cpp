#include "pvmon/survival.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace pvmon::stats {

namespace {

struct Bands {
  std::optional<Interval> plain;
  std::optional<Interval> log;
};

Bands bands(double s, std::optional<double> se, double z) {
  Bands b;
  if (!se || s <= 0.0) return b;
  // R survival survfit_confint: plain = S -/+ z*SE within [0, 1]; log = exp(log S -/+ z*SE/S)
  // with the upper limit capped at 1 (Klein & Moeschberger 4.3.1 and 4.3.2). SE = 0 (no event
  // yet) gives the degenerate interval [S, S] in both.
  b.plain = Interval{std::max(0.0, s - z * *se), std::min(1.0, s + z * *se)};
  const double log_se = *se / s;
  b.log = Interval{s * std::exp(-z * log_se), std::min(1.0, s * std::exp(z * log_se))};
  return b;
}

/// R survival's findq (survival 3.5, quantile.survfit), the p-quantile of a distribution
/// function F given at x = (0, t_1, ..., t_k) as y = (0, 1 - c_1, ..., 1 - c_k), c being the
/// survival curve or one of its bands (missing where the band is undefined). Its steps: nothing
/// when max F < p; repeated values of F dropped (the first kept); i1 and i2 the points whose F is
/// the smallest with F + tol >= p and with F - tol >= p (approx(..., "constant", f = 1), missing
/// when p falls outside their range, missing values skipped); the quantile is the midpoint of
/// x[i1] and x[i2] (the same point unless F = p over an interval), or of x[i1] and the last time
/// when the last F equals p.
std::optional<double> find_quantile(const std::vector<double>& x_all, const std::vector<std::optional<double>>& y_all,
                                    double p) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  double y_max = -std::numeric_limits<double>::infinity();
  for (const auto& y : y_all)
    if (y) y_max = std::max(y_max, *y);
  if (y_max < p) return std::nullopt;
  const double x_max = x_all.back();
  std::vector<double> x;
  std::vector<std::optional<double>> y;
  std::set<double> seen;
  bool seen_missing = false;
  for (std::size_t i = 0; i < y_all.size(); ++i) {
    if (y_all[i] ? !seen.insert(*y_all[i]).second : std::exchange(seen_missing, true)) continue;
    x.push_back(x_all[i]);
    y.push_back(y_all[i]);
  }
  auto smallest_reaching = [&](double shift) -> std::optional<std::size_t> {
    std::optional<std::size_t> best;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (!y[i]) continue;
      const double v = *y[i] + shift;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      if (v >= p && (!best || v < *y[*best] + shift)) best = i;
    }
    if (p < lo || p > hi) return std::nullopt;
    return best;
  };
  const auto i1 = smallest_reaching(tol);
  const auto i2 = smallest_reaching(-tol);
  std::optional<double> q;
  if (i1 && i2) q = (x[*i1] + x[*i2]) / 2;
  if (y.back() && std::abs(p - *y.back()) < tol) q = i1 ? std::optional<double>((x[*i1] + x_max) / 2) : std::nullopt;
  return q;
}

}  // namespace

Result<KaplanMeier> kaplan_meier(std::vector<SurvivalObservation> data, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    return Error::field(Errc::invalid, "confidence", "confidence must lie in (0, 1)");
  for (const auto& o : data) {
    if (!std::isfinite(o.time) || o.time < 0.0)
      return Error::field(Errc::invalid, "time", "times must be finite and >= 0");
  }
  std::sort(data.begin(), data.end(),
            [](const SurvivalObservation& a, const SurvivalObservation& b) { return a.time < b.time; });
  const double z =
      boost::math::quantile(boost::math::normal_distribution<double>(), 1 - (1 - confidence) / 2);

  KaplanMeier km;
  km.n = static_cast<int>(data.size());
  km.confidence = confidence;
  double s = 1.0;
  double greenwood = 0.0;  // sum over event times of d / (n (n - d))
  bool se_defined = true;
  int at_risk = km.n;
  for (std::size_t i = 0; i < data.size();) {
    KmStep step;
    step.time = data[i].time;
    step.n_risk = at_risk;
    for (; i < data.size() && data[i].time == step.time; ++i) {
      if (data[i].event) {
        ++step.n_event;
      } else {
        ++step.n_censor;
      }
    }
    if (step.n_event > 0) {
      // Kaplan & Meier 1958: S(t) = prod (1 - d_i / n_i) over event times <= t.
      s *= 1.0 - static_cast<double>(step.n_event) / step.n_risk;
      if (step.n_event < step.n_risk) {
        greenwood += static_cast<double>(step.n_event) /
                     (static_cast<double>(step.n_risk) * (step.n_risk - step.n_event));
      } else {
        se_defined = false;  // everyone at risk had the event: S = 0
      }
    }
    step.survival = s;
    if (se_defined) step.std_err = s * std::sqrt(greenwood);
    const Bands b = bands(s, step.std_err, z);
    step.ci_plain = b.plain;
    step.ci_log = b.log;
    at_risk -= step.n_event + step.n_censor;
    km.steps.push_back(step);
  }
  return km;
}

std::optional<KmEstimate> km_at(const KaplanMeier& km, double t) {
  if (!(t >= 0.0) || km.steps.empty() || t > km.steps.back().time) return std::nullopt;
  KmEstimate e;
  e.time = t;
  e.std_err = 0.0;
  e.ci_plain = Interval{1.0, 1.0};
  e.ci_log = Interval{1.0, 1.0};
  // Last step at or before t supplies S; subjects with time >= t are those at risk at t itself
  // if t is an observed time, else at the next observed time.
  const auto next = std::upper_bound(km.steps.begin(), km.steps.end(), t,
                                     [](double v, const KmStep& s) { return v < s.time; });
  if (next != km.steps.begin()) {
    const KmStep& last = *(next - 1);
    e.survival = last.survival;
    e.std_err = last.std_err;
    e.ci_plain = last.ci_plain;
    e.ci_log = last.ci_log;
  }
  if (next != km.steps.begin() && (next - 1)->time == t) {
    e.n_risk = (next - 1)->n_risk;
  } else {
    e.n_risk = next->n_risk;  // t <= last time and not an observed time: next exists
  }
  return e;
}

Result<KmQuantile> km_quantile(const KaplanMeier& km, double p) {
  if (!(p > 0.0 && p < 1.0)) return Error::field(Errc::invalid, "probability", "the probability must lie in (0, 1)");
  KmQuantile q;
  q.probability = p;
  if (km.steps.empty()) return q;
  // R: doquant(p, time, surv, upper, lower) on the survfit object (every distinct time, censored
  // ones included); the lower band gives the lower limit, the upper band the upper limit.
  std::vector<double> x{0.0};
  std::vector<std::optional<double>> f{0.0}, f_lower{0.0}, f_upper{0.0};
  for (const auto& s : km.steps) {
    x.push_back(s.time);
    f.push_back(1.0 - s.survival);
    f_lower.push_back(s.ci_log ? std::optional<double>(1.0 - s.ci_log->lower) : std::nullopt);
    f_upper.push_back(s.ci_log ? std::optional<double>(1.0 - s.ci_log->upper) : std::nullopt);
  }
  q.time = find_quantile(x, f, p);
  q.lower = find_quantile(x, f_lower, p);
  q.upper = find_quantile(x, f_upper, p);
  return q;
}

KmQuantile km_median(const KaplanMeier& km) { return km_quantile(km, 0.5).value(); }

Result<KaplanMeier> reverse_kaplan_meier(std::vector<SurvivalObservation> data, double confidence) {
  // Schemper & Smith 1996: follow-up is "censored" by the event and "ends" at a censoring.
  for (auto& o : data) o.event = !o.event;
  return kaplan_meier(std::move(data), confidence);
}

Result<KmQuantile> median_follow_up(std::vector<SurvivalObservation> data, double confidence) {
  auto km = reverse_kaplan_meier(std::move(data), confidence);
  if (!km) return km.error();
  return km_median(*km);
}

}  // namespace pvmon::stats
