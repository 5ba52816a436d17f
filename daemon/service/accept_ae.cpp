// Use case: a new AE report. Everything that does not need the transaction's reads is done
// here, on the caller's thread: validation against the study, CTCAE coding with the subject's
// baseline, ICH E2A classification and the clocks it opens. The writer then inserts the report
// and runs the rules engine over what the transaction reads (the cluster rules).
#include "pvmon/intake.hpp"
#include "pvmon/service/ae.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;

Result<store::Stored> accept_ae(const AeDeps& cx, const Caller& who, const config::Study& st,
                                const json& body, const json& fhir_source) {
  intake::SubjectFacts facts;
  json baseline = json::object();
  if (body.is_object() && body.contains("subject") && body["subject"].is_string()) {
    auto row = cx.subjects.find_subject(st.id, body["subject"].get<std::string>());
    if (!row) return row.error();
    // Another site's subject is not enrolled as far as the caller can know: the answer is the
    // one for an id nobody enrolled, so that it tells nothing about other sites' subjects.
    if (row.value() && row.value()->site == who.site) {
      facts.known = true;
      facts.enrolled = row.value()->enrolled;
      baseline = row.value()->record.value("baseline", json::object());
    }
  }
  intake::StudyRules rules{st.intervention_ids()};
  auto draft = intake::parse_ae(body, rules, cx.clock.now(), facts);
  if (!draft) return draft.error();
  auto coded = intake::code_ae(draft.value(), *cx.rt.resolvers.at(st.id), baseline);
  if (!coded) return coded.error();
  if (facts.known) {
    // Nothing begins after death, and a fatal AE dates the one death (CLINICAL.md; issue 17):
    // checked against the subject's events and reports, naming the record contradicted. The
    // report's own stored version is left out, so a replay still reaches the store's answer.
    if (auto ok = check_against_course(cx.subjects, st.id, draft.value(), coded->grade); !ok) return ok.error();
  }
  // Classified and checked against the rules from the typed values; the record (the version
  // text, the authoritative record) is written once, from them.
  const Timestamp received = cx.clock.now();
  auto derived = intake_safety(st, draft.value(), coded.value(), received);
  store::AeWrite w;
  w.study = st.id;
  w.site = who.site;
  // Everything the rules need but the server id is worked out here, outside the writer; the
  // writer runs safety::version_alerts over these facts and what its transaction reads.
  w.rules = store::VersionRules{new_report_facts(st, draft.value(), coded.value(), derived, received), &st.rules};
  json record = intake::to_json(draft.value());
  record["grade"] = coded->grade;  // the site's grade when reported, else the lab's
  record["ctcae"] = intake::to_json(coded.value());
  record["site"] = who.site;
  if (!fhir_source.is_null()) record["fhir"] = fhir_source;
  record["safety"] = std::move(derived.block);
  w.record = std::move(record);
  // The hash of what was posted, mapped: the same FHIR resource again is a replay.
  w.body_sha256 =
      canonical_hash(fhir_source.is_null() ? body : json{{"body", body}, {"fhir", fhir_source}});
  w.received_at = received;
  w.clocks = std::move(derived.clocks);
  w.closed = std::move(derived.closed);
  return cx.aes.insert_ae(std::move(w), who.actor());
}

}  // namespace pvmon::service
