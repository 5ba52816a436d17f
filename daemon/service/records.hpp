// Between stored JSON records and pvmon::safety's types: the classification of a report, its
// clocks, the facts the rules engine reads and the alerts a version raises (private to
// pvmon::service; no I/O).
#pragma once

#include <nlohmann/json.hpp>

#include "pvmon/intake.hpp"
#include "pvmon/safety.hpp"
#include "pvmon/service/runtime.hpp"
#include "pvmon/store.hpp"

namespace pvmon::service {

/// SHA-256 of the canonical form of a JSON body: same content, same hash, whatever the
/// key order or spacing (the idempotency key of a replayed post).
std::string canonical_hash(const nlohmann::json& j);

/// The study's interventions as pvmon::safety takes them.
std::vector<safety::Intervention> interventions_of(const config::Study& st);

/// ICH E2A classification of a stored (or about to be stored) report record.
safety::Classification classify_record(const config::Study& st, const nlohmann::json& record);

/// The `safety` block of a record: the classification, its criteria.
nlohmann::json classification_json(const safety::Classification& c);
nlohmann::json criteria_of(const nlohmann::json& record);

/// What intake derives for a new report, from its typed draft and coding: the `safety` block
/// of the record, clocks to open, the site's clock (closed at receipt). Alerts come later, from
/// the rules in the writer.
struct IntakeSafety {
  safety::Classification classification;
  nlohmann::json block;
  std::vector<safety::Clock> clocks;
  std::vector<store::ClockRow> closed;
};
IntakeSafety intake_safety(const config::Study& st, const intake::AeDraft& d, const intake::Coded& c,
                           Timestamp received_at);

/// ICH E2A classification of a new report from its typed draft and coding.
safety::Classification classify_draft(const config::Study& st, const intake::AeDraft& d,
                                      const intake::Coded& c);

/// A new report's version facts for the rules engine, from its typed values; the store fills
/// in the report's server id.
safety::AeVersionFacts new_report_facts(const config::Study& st, const intake::AeDraft& d,
                                        const intake::Coded& c, const IntakeSafety& derived,
                                        Timestamp received_at);

/// The facts of a version the rules engine reads, from its record (report 0: not yet known).
safety::AeVersionFacts version_facts(const config::Study& st, const nlohmann::json& record,
                                     std::int64_t report, int version,
                                     const safety::Classification& cls);
/// What the rules compare a new version with.
safety::PriorVersion prior_of(const config::Study& st, const nlohmann::json& prev, int version);

/// Checks a report about to be stored (its `grade` as coded) against the subject's course as the
/// store holds it (safety::ae_course_errors): nothing begins after death, a fatal AE dates the
/// one death. A conflict is a 422 with every field error, its message naming the first.
Status check_against_course(store::SubjectStore& subjects, const std::string& study,
                            const intake::AeDraft& d, int grade);

/// The submitted fields of a stored record, as the site would post them again.
nlohmann::json submitted_fields(const nlohmann::json& record);
/// The fields a site submits; a follow-up patches these and is validated again whole.
extern const std::vector<std::string> kSubmitted;

std::vector<store::AlertRecord> to_records(const std::vector<safety::AlertDraft>& ds);



}  // namespace pvmon::service
