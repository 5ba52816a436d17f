#include "pvmon/survival.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>

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

}  // namespace pvmon::stats
