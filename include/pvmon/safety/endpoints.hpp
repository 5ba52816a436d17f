// pvmon::safety — the protocol's efficacy endpoints at a cut-off, computed once from the
// reconciled subject courses (course.hpp) and read by every view (GET /safety's benefit–risk
// block, the DSMB report's time-to-event and benefit–risk sections, their CSV and HTML).
// Pure functions (no I/O; the cut-off is passed in), callable from any thread.
//
// CLINICAL.md "The protocol's endpoints" (the registry record of the study):
// - time zero for OS and EFS is the start of study treatment; DFS starts at the hepatectomy;
// - EFS events: progression or relapse by mRECIST, death from any cause; else censored at the
//   last contact; the primary endpoint is the 1-year EFS rate;
// - MPR (≤ 10 % viable tumour) and R0 resection over operated subjects;
// - objective response of the primary tumour and the PVTT by the protocol's combination rule.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/safety/course.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/survival.hpp"

namespace pvmon::safety {

inline constexpr double kDaysPerMonth = 30.4375;  // 365.25 / 12
/// The primary endpoint's landmark: 12 months = 365.25 days from the start of treatment.
inline constexpr int kPrimaryEndpointMonths = 12;

/// One subject's time on one endpoint.
struct EndpointTime {
  std::string subject;
  int days = 0;        // from the endpoint's time zero
  bool event = false;  // false: censored at `days`
  std::string event_ref;  // what ended it (a death, a progression), empty when censored
};

/// A Kaplan–Meier endpoint: its subjects' times and the estimate (Greenwood variance, R
/// survfit's log-transformed CI), with the subjects left out and why.
struct SurvivalEndpoint {
  std::vector<EndpointTime> times;  // one per included subject, in course order
  std::optional<stats::KaplanMeier> km;  // nullopt when no subject is included
  std::vector<std::string> excluded;  // no time zero (not treated; for DFS: not operated)
  /// The median with its 95% limits (R's quantile.survfit), and the median follow-up (reverse
  /// Kaplan–Meier, Schemper & Smith 1996); nullopt when no subject is included.
  std::optional<stats::KmQuantile> median, follow_up;
  std::vector<stats::SurvivalObservation> observations() const;
  int events() const;
  /// S(t) at `months` (R's summary(fit, times = t)); nullopt beyond the last observation.
  std::optional<stats::KmEstimate> at_months(double months) const;
};

/// One subject's row of the endpoints listing.
struct SubjectEndpoints {
  std::string subject;
  std::optional<Date> treatment_start;
  std::optional<EndpointTime> os, efs, dfs;
  std::optional<Response> best_response;
  int assessments = 0;
  std::optional<Pathology> pathology;
  std::optional<Margin> margin;  // the margin the R0 rate counts (pathology's, else surgery's)
  bool operated = false;
  std::vector<TumourEvent> other_progressions;
};

struct Endpoints {
  Date cutoff;
  int enrolled = 0;
  int treated = 0;
  int operated = 0;
  std::vector<std::string> not_treated;
  SurvivalEndpoint os, efs, dfs;
  /// The primary endpoint: EFS at 12 months with its Greenwood log CI and the number at risk
  /// then; nullopt while no subject's follow-up reaches 12 months.
  std::optional<stats::KmEstimate> efs_12_months;
  /// Over operated subjects with a pathology report; the others listed.
  Rate mpr;
  std::vector<std::string> pathology_missing;
  // The R0 rate is SurgicalSafety::r0 (one figure, computed there from the course's margin).
  /// Subjects whose best overall response is CR or PR, over subjects with an assessment.
  Rate orr;
  std::array<int, 5> best_response{};  // subjects by best overall response, index Response
  std::vector<std::string> not_assessed;  // treated subjects without an assessment
  std::vector<SubjectEndpoints> subjects;  // every enrolled subject, in course order
};

/// The endpoints of the courses at `cutoff` (each course built with the same cut-off).
/// OS: death from any source (course.death), else censored at the last contact. EFS: the
/// first of death and progression or relapse by mRECIST, else censored at the last contact.
/// DFS (operated subjects): the first of death and a progression or relapse after the
/// hepatectomy, from the hepatectomy. Subjects never treated have no time zero: they are
/// listed in `not_treated` and in each endpoint's `excluded`, never counted as censored at 0.
Endpoints endpoints(const std::vector<SubjectCourse>& courses, Date cutoff);

}  // namespace pvmon::safety
