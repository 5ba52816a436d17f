// pvmon::stats — Kaplan-Meier survival estimates with Greenwood's variance, for the DSMB's
// overall and event-free survival summaries. Pure functions, no I/O, callable from any thread.
// Bad input (negative or non-finite times, a confidence level outside (0,1)) is a Result error.
#pragma once

#include <optional>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/stats.hpp"

namespace pvmon::stats {

/// One subject: follow-up time (any unit, e.g. days) and whether it ended in the event
/// (false = censored at that time).
struct SurvivalObservation {
  double time = 0;
  bool event = false;
};

/// One distinct observed time (event or censoring), as in R survival's survfit object.
struct KmStep {
  double time = 0;
  int n_risk = 0;    // subjects with time >= this time
  int n_event = 0;
  int n_censor = 0;
  double survival = 1;
  // Greenwood (1926): SE = S * sqrt(sum d / (n (n - d))). nullopt once S = 0, where the
  // formula has 0 * infinity (R prints NaN there).
  std::optional<double> std_err;
  // plain: S -/+ z SE clipped to [0, 1]; log (R survfit's default conf.type = "log"):
  // S * exp(-/+ z SE / S), upper capped at 1. Both nullopt when S = 0.
  std::optional<Interval> ci_plain;
  std::optional<Interval> ci_log;
};

struct KaplanMeier {
  int n = 0;
  double confidence = 0.95;
  std::vector<KmStep> steps;  // increasing time
};

/// Product-limit estimate (Kaplan & Meier, JASA 1958). At tied times events precede
/// censorings (a subject censored at t was at risk at t), as in R survival.
Result<KaplanMeier> kaplan_meier(std::vector<SurvivalObservation> data, double confidence = 0.95);

/// The estimate at time t, as R's summary(fit, times = t): S and its SE from the last step at or
/// before t, n_risk = subjects with time >= t. nullopt when t is beyond the last observed time
/// (not estimable) or negative.
struct KmEstimate {
  double time = 0;
  int n_risk = 0;
  double survival = 1;
  std::optional<double> std_err;
  std::optional<Interval> ci_plain;
  std::optional<Interval> ci_log;
};
std::optional<KmEstimate> km_at(const KaplanMeier& km, double t);

/// A quantile of the survival distribution with its confidence limits, as R survival's
/// quantile.survfit (and print(survfit)'s median): the time is the first at which S(t) <= 1 - p;
/// where S equals 1 - p exactly (within sqrt(machine epsilon)) over an interval, the midpoint of
/// that interval. The limits are the same quantile of the log-transformed band's lower and upper
/// curves (Brookmeyer & Crowley, Biometrics 1982). nullopt where a curve never reaches 1 - p.
struct KmQuantile {
  double probability = 0.5;
  std::optional<double> time;
  std::optional<double> lower;
  std::optional<double> upper;
};
/// p in (0, 1), else an error.
Result<KmQuantile> km_quantile(const KaplanMeier& km, double p);
/// km_quantile(km, 0.5).
KmQuantile km_median(const KaplanMeier& km);

/// The reverse Kaplan–Meier estimate of the follow-up distribution (Schemper & Smith, Control
/// Clin Trials 1996;17:343): the same product-limit estimate with the indicator reversed, so a
/// censoring is the "event" and an event censors follow-up. R: survfit(Surv(time, 1 - status) ~ 1).
Result<KaplanMeier> reverse_kaplan_meier(std::vector<SurvivalObservation> data, double confidence = 0.95);
/// Median follow-up: the median of the reverse Kaplan–Meier estimate, with its confidence limits
/// (time nullopt when not reached).
Result<KmQuantile> median_follow_up(std::vector<SurvivalObservation> data, double confidence = 0.95);

}  // namespace pvmon::stats
