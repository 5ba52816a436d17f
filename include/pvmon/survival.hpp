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

}  // namespace pvmon::stats
