// pvmon::service — the AE report's use cases: a new report (pvmon's JSON or a FHIR resource
// mapped to it), a follow-up or nullification, a regulatory submission. Each validates, codes
// and classifies outside the writer, then hands the store one write; errors are Result values
// naming the field. Callable from any thread; each call blocks until its COMMIT returned.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// What the AE use cases work with: the subjects (the reporter's site, enrolment, baseline) and
/// the AE reports.
struct AeDeps {
  const Runtime& rt;
  const Clock& clock;
  store::SubjectStore& subjects;
  store::AeStore& aes;
};

/// A new AE report from a site: validated against the study, coded with CTCAE v5.0 and the
/// subject's baseline, classified (ICH E2A), stored with its clocks and alerts in one
/// transaction. `fhir_source`, when not null, is what a FHIR resource carried beyond the body
/// (stored with the record; the same resource again is a replay). The same body again: the
/// stored record, `created` false. Another site's subject is answered as a subject nobody
/// enrolled (422 on `subject`).
Result<store::Stored> accept_ae(const AeDeps& cx, const Caller& who, const config::Study& st,
                                const nlohmann::json& body,
                                const nlohmann::json& fhir_source = nullptr);

/// A follow-up (`changes`) or a nullification of report `report`, by the site that owns it.
/// Idempotent on `followup_id` with the body's hash.
Result<store::Stored> add_followup(const AeDeps& cx, const Caller& who, const config::Study& st,
                                   std::int64_t report, const nlohmann::json& body);

/// A regulatory submission (officer): stops the open clock of its kind; the stored record.
Result<nlohmann::json> record_submission(const AeDeps& cx, const Caller& who,
                                         const config::Study& st, std::int64_t report,
                                         const nlohmann::json& body);

/// The submitted fields of a stored record, as the site would post them again: what a
/// follow-up's `changes` patch (the desk's follow-up form starts from them).
nlohmann::json submitted_fields(const nlohmann::json& record);

// The same, from the edges' context (the whole store).
inline AeDeps ae_deps(const Context& cx) { return AeDeps{cx.rt, cx.clock, cx.store, cx.store}; }
inline Result<store::Stored> accept_ae(const Context& cx, const Caller& who, const config::Study& st,
                                       const nlohmann::json& body,
                                       const nlohmann::json& fhir_source = nullptr) {
  return accept_ae(ae_deps(cx), who, st, body, fhir_source);
}
inline Result<store::Stored> add_followup(const Context& cx, const Caller& who,
                                          const config::Study& st, std::int64_t report,
                                          const nlohmann::json& body) {
  return add_followup(ae_deps(cx), who, st, report, body);
}
inline Result<nlohmann::json> record_submission(const Context& cx, const Caller& who,
                                                const config::Study& st, std::int64_t report,
                                                const nlohmann::json& body) {
  return record_submission(ae_deps(cx), who, st, report, body);
}

}  // namespace pvmon::service
