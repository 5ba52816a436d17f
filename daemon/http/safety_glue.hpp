// Between stored JSON records and pvmon::safety's types: classification of a report, its
// clocks, the alerts a change raises, follow-ups, submissions and the safety figures (private
// to pvmon::http; no I/O).
#pragma once

#include <nlohmann/json.hpp>

#include "pvmon/http.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/safety.hpp"
#include "pvmon/store.hpp"

namespace pvmon::http {

/// The study's interventions as pvmon::safety takes them.
std::vector<safety::Intervention> interventions_of(const config::Study& st);

/// ICH E2A classification of a stored (or about to be stored) report record.
safety::Classification classify_record(const config::Study& st, const nlohmann::json& record);

/// What intake derives for a new report: the `safety` block of the record, clocks to open, the
/// site's clock (closed at receipt). Alerts come later, from version_alerts.
struct IntakeSafety {
  safety::Classification classification;
  nlohmann::json block;
  std::vector<safety::Clock> clocks;
  std::vector<store::ClockRow> closed;
};
IntakeSafety intake_safety(const Runtime& rt, const config::Study& st, const nlohmann::json& record,
                           Timestamp received_at);

struct Followup {
  std::string followup_id;
  bool nullify = false;
  std::string reason;
  nlohmann::json changes = nlohmann::json::object();
};
Result<Followup> parse_followup(const nlohmann::json& body);

Result<store::FollowupDecision> decide_followup(Services& s, const Call& c, const config::Study& st,
                                                const Followup& f, std::int64_t report,
                                                const nlohmann::json& current, int version,
                                                const std::vector<store::ClockRow>& open,
                                                const store::RuleLookup& lookup, Timestamp now);

/// A new report's version facts, computed before the writer runs; `report` is left 0 for
/// new_report_alerts to fill in once the server id is known.
safety::AeVersionFacts new_report_facts(const config::Study& st, const nlohmann::json& record,
                                        const safety::Classification& cls, Timestamp received_at);
/// The alerts of a new report (rules engine), in the transaction that assigns its id.
std::vector<store::AlertRecord> new_report_alerts(const config::Study& st, safety::AeVersionFacts f,
                                                  std::int64_t report, const store::RuleLookup& lookup);

/// The alerts of a version (rules engine), once the report's server id is known.
std::vector<store::AlertRecord> version_alerts(const config::Study& st, const nlohmann::json& record,
                                               std::int64_t report, int version,
                                               const safety::Classification& cls,
                                               const std::optional<safety::PriorVersion>& prev,
                                               const store::RuleLookup& lookup);

struct Submission {
  safety::SubmissionKind kind;
  Timestamp submitted;
  nlohmann::json record;
};
Result<Submission> parse_submission(const nlohmann::json& body, Timestamp now);

std::vector<store::AlertRecord> event_alerts(const Runtime& rt, const config::Study& st,
                                             const store::SubjectRow& subject,
                                             const std::vector<safety::SubjectEvent>& existing,
                                             const safety::SubjectEvent& ev);

nlohmann::json surgical_json(const safety::SubjectSurgical& s);

/// A stopping rule's current count against its boundary.
struct BoundaryState {
  const Boundary* boundary = nullptr;
  int n = 0;       // evaluable subjects
  int events = 0;  // subjects with the event
  bool crossed = false;
  std::vector<std::pair<int, int>> path;  // (evaluable so far, events so far), in order
};
/// The surgical figures of a snapshot as of `cutoff`.
safety::SurgicalSafety surgical_of(const store::Snapshot& snap, Date cutoff);
/// Each stopping rule's count, from the snapshot and its surgical figures (computed once by
/// the caller, which needs them too).
std::vector<BoundaryState> evaluate_boundaries(const Runtime& rt, const config::Study& st,
                                               const store::Snapshot& snap,
                                               const safety::SurgicalSafety& surg);

/// GET /safety: surgical safety, AE and SAE counts and open clocks as of the snapshot.
nlohmann::json safety_figures(const Runtime& rt, const config::Study& st,
                              const store::Snapshot& snap, Date cutoff);

}  // namespace pvmon::http
