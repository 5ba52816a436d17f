// pvmon::service — the regulatory end of an AE report (issue 20): its ICH E2B(R3) ICSR and
// CIOMS I form, assembled from the report's versions, its subject and the study file, and the
// gateway's acknowledgements that close the reporting clocks on proof of receipt.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/icsr.hpp"
#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// Everything an ICSR says, as read from the store (build_case is pure over it).
struct CaseSources {
  const config::Study* study = nullptr;
  std::int64_t report = 0;
  std::vector<store::VersionRow> versions;  // 1 .. the version reported, in order
  std::optional<store::SubjectRow> subject;
  std::vector<safety::SubjectEvent> events;  // the subject's, any order
  Timestamp now;                             // the message's creation time
  int attempt = 1;                           // a resend of the same version: a new message id
};

/// C.1.1: "<case_prefix>-<the report's server id>", stable for the case (server ids are unique
/// in a database) and the same in every version's message.
std::string safety_report_id(const config::IcsrSettings& s, std::int64_t report);
/// N.2.r.1: "<C.1.1>-V<version>", with "-A<attempt>" for a resend (attempt > 1).
std::string icsr_message_id(const std::string& safety_report_id, int version, int attempt);

/// The case as E2B(R3) and CIOMS I see it. Needs `study->icsr`.
icsr::Case build_case(const CaseSources& src);

struct IcsrDocument {
  icsr::Case c;
  icsr::Profile profile = icsr::Profile::ich;
  std::string xml;  // validated: never served otherwise
};

/// The report's ICSR for `version` (default: the current one), validated against the ICH
/// schema and, for the fda profile, FDA's checked rules: an invalid message is an internal
/// error with the findings logged, never a document. 404: no such report or version (or the
/// caller's site does not own it); 409: the study file has no "icsr" settings.
Result<IcsrDocument> icsr_document(const Context& cx, const config::Study& st, std::int64_t report,
                                   std::optional<int> version, int attempt = 1);

/// The report's CIOMS I form (printable HTML) for `version`.
Result<std::string> cioms_document(const Context& cx, const config::Study& st, std::int64_t report,
                                   std::optional<int> version);

/// A gateway's acknowledgement (MCCI_IN200101UV01 XML), officer: each acknowledged message
/// must be one a submission of the study names (422 otherwise, nothing recorded). A positive
/// verdict (CA) stops the clocks that submission answers at the gateway's receipt time (ACK.M.4);
/// a negative one (CR, or a batch AE/AR) keeps them open and raises a critical
/// `icsr.rejected` alert carrying the gateway's text. The same document again is a replay.
Result<store::Stored> record_icsr_ack(const Context& cx, const Caller& who, const config::Study& st,
                                      std::string_view xml);

/// The report's submissions with their messages and acknowledgements (officer).
Result<nlohmann::json> report_submissions(const Context& cx, const config::Study& st, std::int64_t report);

}  // namespace pvmon::service
