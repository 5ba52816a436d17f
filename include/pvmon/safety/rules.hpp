// pvmon::safety — the safety rules engine: which alerts a change causes (SAE, death, SUSAR, late
// site report, clocks, AESI, clusters, lab discrepancies, stopping boundaries), each with a rule
// id, a severity and a dedupe key, plus the study's rule configuration (StudyRules).
// Pure functions (no I/O, no clock reads: "now" is passed in), callable from any thread. Nothing
// here fails on input: the facts are already validated; a rule that does not apply returns
// nothing. The caller stores the drafts with the change in one transaction; a UNIQUE dedupe_key
// makes a replay of the same facts a no-op, while a real change gets a key of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pvmon/boundary.hpp"
#include "pvmon/safety/classification.hpp"
#include "pvmon/safety/clocks.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/safety/labs.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

enum class Severity { info, high, critical };  // ordered: a minimum severity compares with <
std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

/// Rule ids, as stored with each alert and used by webhook subscriptions.
namespace rule {
inline constexpr std::string_view kSae = "sae";                        // high
inline constexpr std::string_view kSaeUpdate = "sae_update";           // high
inline constexpr std::string_view kSaeDowngrade = "sae_downgrade";     // high
inline constexpr std::string_view kNullified = "nullified";            // high
inline constexpr std::string_view kDeath = "death";                    // critical
inline constexpr std::string_view kDeath30d = "death_30d_post_surgery";  // critical
inline constexpr std::string_view kSusar = "susar";                    // critical
inline constexpr std::string_view kSusarEnded = "susar_ended";         // high
inline constexpr std::string_view kLateSiteReport = "late_site_report";  // high
inline constexpr std::string_view kClockDueSoon = "clock_due_soon";    // high
inline constexpr std::string_view kClockOverdue = "clock_overdue";     // critical
inline constexpr std::string_view kAesi = "aesi";                      // high
inline constexpr std::string_view kCluster = "cluster";                // high
inline constexpr std::string_view kLabDiscrepancy = "lab_discrepancy";  // info
inline constexpr std::string_view kStoppingBoundary = "stopping_boundary";  // critical
inline constexpr std::string_view kDeathReconciliation = "death_reconciliation";  // high
inline constexpr std::string_view kVitalStatusOverdue = "vital_status_overdue";   // high
inline constexpr std::string_view kPotentialHysLaw = "potential_hys_law";        // critical
inline constexpr std::string_view kLabWithoutAe = "lab_without_ae";              // high
}  // namespace rule

/// Every rule id with its severity, in the order above (for docs, config checks, subscriptions).
struct RuleInfo {
  std::string_view id;
  Severity severity;
};
const std::vector<RuleInfo>& rule_catalogue();

struct AlertDraft {
  std::string rule;
  Severity severity = Severity::info;
  std::string dedupe_key;  // unique per alert: equal facts give an equal key
  std::string title;       // one human line
  std::string subject;     // empty for study-level alerts
  std::optional<std::int64_t> report;  // server id of the AE report, when there is one
  nlohmann::json payload = nlohmann::json::object();
};

// ---- Study configuration ("safety_rules" in a study file) -----------------------------------

/// Adverse event of special interest. An AE matches when its term name (ASCII case ignored) or
/// code is in `terms`, or its SOC is in `socs`, its grade is at least `min_grade`, and (unless
/// `interventions` is empty) it is judged related to one of `interventions`.
struct AesiRule {
  std::string id;
  std::vector<std::string> terms;  // CTCAE v5.0 term names, MedDRA codes or protocol codes
  std::vector<std::string> socs;
  int min_grade = 1;
  std::vector<std::string> interventions;
};

/// k AEs of one term at grade >= min_grade with onsets within `days` consecutive calendar days.
struct ClusterRule {
  std::string id;
  std::string term;  // CTCAE term name or code
  int min_grade = 1;
  int count = 3;
  int days = 14;
};

enum class StoppingEvent { death_30d_post_surgery, grade3plus_related, clavien_dindo_3b_plus };
std::string_view to_string(StoppingEvent e);
std::optional<StoppingEvent> parse_stopping_event(std::string_view s);

enum class StoppingMethod { pocock, bayes };
std::string_view to_string(StoppingMethod m);
std::optional<StoppingMethod> parse_stopping_method(std::string_view s);

/// A stopping rule as configured; the boundary itself is built at start-up with boundary.hpp
/// (pocock -> stats::toxicity_boundary, bayes -> stats::bayes_boundary).
struct StoppingRule {
  std::string id;
  StoppingEvent event = StoppingEvent::death_30d_post_surgery;
  std::vector<std::string> interventions;  // grade3plus_related: related to any of these
  StoppingMethod method = StoppingMethod::pocock;
  int n_max = 0;
  // pocock (Ivanova, Qaqish & Schell 2005)
  double p_lo = 0, p_hi = 0, alpha = 0.1, shape = 0;
  // bayes (Thall & Simon 1994)
  double prior_a = 1, prior_b = 1, p0 = 0, cutoff = 0;
};

inline constexpr int kDefaultClockWarningHours = 48;

inline constexpr int kDefaultVitalStatusGraceDays = 7;  // issue 17 §2: the site's week to answer

struct StudyRules {
  int clock_warning_hours = kDefaultClockWarningHours;
  /// Days after a mortality window's last day before a subject of unknown vital status is
  /// chased with a vital_status_overdue alert.
  int vital_status_grace_days = kDefaultVitalStatusGraceDays;
  std::vector<AesiRule> aesi;
  std::vector<ClusterRule> clusters;
  std::vector<StoppingRule> stopping;
  /// The liver rules of the lab stream (labs.hpp): the multiples and window of the potential
  /// Hy's law rule ("hys_law" in the study file), the lab finding without an AE ("lab_without_ae").
  HysLawParams hys_law;
  LabAeParams lab_without_ae;
};

// ---- AE versions ------------------------------------------------------------------------------

/// What the rules need of the version before this one (and of the case's history so far).
struct PriorVersion {
  int version = 0;
  int grade = 1;
  std::string term, meddra_code, soc;
  Seriousness criteria;
  Classification classification;
  std::vector<std::string> related_to;
  bool fatal = false;  // grade 5, outcome fatal or the death criterion
  /// Over every earlier version, not only this one: lets a re-upgrade after a downgrade raise
  /// its own alert instead of colliding with the first one's key.
  bool ever_serious = false;
  bool ever_susar = false;
};

struct AeVersionFacts {
  std::string study;
  std::int64_t report = 0;  // server id
  std::string site_report_id;
  std::string subject;
  int version = 1;
  bool nullified = false;
  std::string term, meddra_code, soc;  // as coded (protocol terms: code "PROTO-...")
  int grade = 1;
  std::string outcome;  // "fatal", "recovered", ...
  bool grade_discrepancy = false;
  std::optional<int> reported_grade, lab_grade;
  Seriousness criteria;
  Classification classification;
  std::vector<std::string> related_to;  // interventions judged related (usually classification's)
  std::optional<PriorVersion> previous;  // nullopt for the first version
  bool site_report_late = false;
  Timestamp site_report_due, received_at;
  Date onset;
};

/// Grade 5, outcome "fatal", or the death criterion (ICH E2A II.B; CTCAE v5.0 grade 5).
bool is_fatal(int grade, std::string_view outcome, const Seriousness& s);

/// Another AE of the same term, for the cluster rule: the study's non-nullified AEs with onset
/// from (onset - 2 * days) to (onset + days) for the longest cluster window configured.
struct RecentAe {
  std::int64_t report = 0;
  std::string subject;
  std::string term, meddra_code;
  int grade = 1;
  Date onset;
};

/// The alerts one stored AE version causes:
/// - sae: serious now, not before (first version, or a non-serious one). Key sae:<report>, or
///   sae:<report>:v<version> when an earlier version was serious and then downgraded;
/// - sae_update: still serious, and the criteria or the grade changed. sae_update:<report>:v<n>;
/// - sae_downgrade: serious -> non-serious (CLINICAL.md: itself reported).
///   sae_downgrade:<report>:v<n>; nullified: a nullification of any case. nullified:<report>;
/// - death: fatal now, not before. death:<subject> (one per subject, shared with subject events);
/// - susar: SUSAR now, not before. susar:<report>, or :v<n> after a lost-and-regained SUSAR;
/// - susar_ended: a SUSAR before, not now (causality downgraded, now expected, or no longer
///   serious): what changed, per product. susar_ended:<report>:v<n>;
/// - late_site_report: late_site_report:<report>;
/// - aesi: per matching rule: aesi:<id>:<report>; again as aesi:<id>:<report>:g<grade> when a
///   follow-up raises the grade of a case that matched or newly matches by grade;
/// - lab_discrepancy: lab_discrepancy:<report>:v<n>;
/// - cluster: cluster:<rule id>:<first report of the window> (see cluster_anchor).
/// A nullified version raises only `nullified`.
/// `raised`, when given, says whether a key was raised before: a cluster already alerted is
/// then left out without building its member list (the store would ignore it as a repeat).
std::vector<AlertDraft> on_ae_version(
    const AeVersionFacts& f, const StudyRules& rules, const std::vector<RecentAe>& recent_same_term,
    const std::function<bool(const std::string& key)>& raised = {});

/// What the rules engine reads inside the transaction that writes a version (the store's
/// indexed columns): the study's AEs in force coded `meddra_code`, at `min_grade` or above,
/// with onset in [from, to], earliest first, at most `limit` (the cluster rules); and whether
/// an alert key was raised before (empty: nothing is known).
struct RuleReads {
  std::function<std::vector<RecentAe>(const std::string& meddra_code, int min_grade, Date from,
                                      Date to, int limit)>
      recent;
  std::function<bool(const std::string& key)> raised;
};

/// on_ae_version with the cluster rules' windows read through `reads`: for each cluster rule
/// of the term, the AEs from onset - 2 x days to onset + days, at most 4 x count + 64 per rule,
/// earliest first (exact for any realistic trial; under a flood of one term the cluster still
/// fires, its anchor taken from the earliest rows).
std::vector<AlertDraft> version_alerts(const AeVersionFacts& f, const StudyRules& rules,
                                       const RuleReads& reads);

/// Does the AE match the AESI rule (term/code/SOC, grade, relatedness)?
bool aesi_matches(const AesiRule& r, std::string_view term, std::string_view meddra_code,
                  std::string_view soc, int grade, const std::vector<std::string>& related_to);

/// Cluster windows. The qualifying AEs (term matches, grade >= min_grade), sorted by onset then
/// report, are split greedily: the earliest AE not yet in a cluster opens a window of `days`
/// calendar days (its onset is day 1); if the window holds >= count AEs they form a cluster and
/// the next window opens at the first AE after it; otherwise the next AE is tried. Returns the
/// report id of the first AE of the cluster that contains `report`, if any. Deterministic for a
/// given set of AEs, whatever the order they arrived in.
std::optional<std::int64_t> cluster_anchor(const ClusterRule& r, const std::vector<RecentAe>& aes,
                                           std::int64_t report);

// ---- Subject events, clocks, boundaries ------------------------------------------------------

/// A recorded subject event: `death` -> death (death:<subject>) and, when the subject died
/// within 30 days of the index surgery (day 0) or during the index admission (CLINICAL.md,
/// assess_subject), death_30d_post_surgery (death_30d_post_surgery:<subject>). `facts` are the
/// subject's facts including this event. Other kinds raise nothing.
std::vector<AlertDraft> on_subject_event(const std::string& study, const SubjectEvent& event,
                                         const SubjectFacts& facts);

/// An open reporting clock with what identifies its case.
struct OpenClock {
  Clock clock;  // clock.id is the store's id
  std::string study;
  std::int64_t report = 0;
  std::string site_report_id;
  std::string subject;
};

/// clock_overdue when now > due_at (clock_overdue:<id>); clock_due_soon when
/// due_at - clock_warning_hours <= now <= due_at (clock_due_soon:<id>).
std::vector<AlertDraft> on_clocks(const std::vector<OpenClock>& open, Timestamp now,
                                  const StudyRules& rules);

/// The data queries of the subjects' courses (course.hpp), as of `today`:
/// - death_reconciliation (death_reconciliation:<subject>:<query kind>:<death date>): each query
///   of a course, asking the site for the missing or contradicting record;
/// - vital_status_overdue (vital_status_overdue:<subject>:<30|90>): a 30- or 90-day window whose
///   status is unknown more than `grace_days` after its last day (CLINICAL.md: chased with the
///   site, never dropped).
std::vector<AlertDraft> on_courses(const std::string& study, const std::vector<SubjectCourse>& courses,
                                   const SurgicalSafety& surgical, Date today, int grace_days);

/// One stopping_boundary alert (stopping_boundary:<study>:<rule id>) when `events` among `n`
/// evaluable subjects reach the stopping count (stats::boundary_crossed); nothing otherwise.
std::vector<AlertDraft> on_boundary(const std::string& study, const std::string& rule_id, int n,
                                    int events, const std::vector<stats::BoundaryRow>& rows);

/// A potential Hy's law case found in a subject's lab stream (labs.hpp potential_hys_law): a
/// critical alert naming the values and dates, keyed by the pair of results so that it is
/// raised once. The officer's assessment (confirmed DILI / other cause) answers it.
AlertDraft hys_law_alert(const std::string& study, const std::string& subject, const HysLawCase& c);

/// A lab finding without an AE report (labs.hpp lab_without_ae): asks the site to report the AE
/// of the result's CTCAE term or to say why not; keyed by subject, term and panel.
AlertDraft lab_without_ae_alert(const std::string& study, const std::string& subject, const UnreportedFinding& f,
                                const LabAeParams& p);

}  // namespace pvmon::safety
