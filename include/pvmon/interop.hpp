// pvmon::interop — exchange formats. CDISC SDTM AE and DM domains (SDTMIG v3.3 §6.2 AE, §5.2
// DM) with CDISC controlled terminology, as CSV and as SAS transport v5 (interop/xpt.hpp); HL7
// FHIR R4 AdverseEvent. Pure functions: the same records give the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/interop/xpt.hpp"
#include "pvmon/time.hpp"

namespace pvmon::interop {

/// What SDTM needs of a subject: its id and RFSTDTC, the reference start date for study days
/// (the first dose of a study drug or start of radiotherapy; enrolment when none yet).
struct SdtmSubject {
  std::string subject;
  Date reference_start;
  /// The start of study treatment, none while untreated: an AE before it has no study
  /// treatment to act on (AEACN NOT APPLICABLE).
  std::optional<Date> treatment_start = std::nullopt;
};

/// What SDTM takes of one AE report's version in force: typed values, read from the version's
/// fact columns (schema v6), not from its text.
struct SdtmAe {
  std::string report_id, subject;
  bool nullified = false;
  std::string verbatim, reported_term;  // the site's text and term
  std::string term, meddra_code, soc;   // as coded (CTCAE v5.0 or protocol term)
  int grade = 0;
  bool serious = false;
  std::uint8_t criteria = 0;  // bit i = safety::kSeriousnessCriteria[i]
  std::vector<std::pair<std::string, std::string>> causality, action_taken;  // per intervention
  std::string outcome;
  std::string onset, resolved;  // YYYY-MM-DD, resolved empty when not resolved
};

/// A stored AE record (JSON, the version text) as SdtmAe: for callers that hold the record.
SdtmAe sdtm_row(const nlohmann::json& record);

/// One variable of an SDTM domain as the SDTMIG's domain specification gives it: name, label,
/// type. Character lengths are not in the IG: the transport file gives each the longest value.
struct SdtmVariable {
  const char* name;
  const char* label;
  bool numeric = false;
};

/// A domain's rows, typed: every export (CSV, SAS transport) is written from this one table.
struct SdtmDataset {
  std::string domain, label;  // "AE", "Adverse Events"
  std::vector<SdtmVariable> variables;
  std::vector<std::vector<xpt::Value>> rows;
};

/// The AE domain: one row per AE report version in force (nullified reports are not in force),
/// ordered by USUBJID, AESTDTC, AESPID; AESEQ numbers each subject's rows from 1. Variables, in
/// the IG's order: STUDYID DOMAIN USUBJID AESEQ AESPID AETERM AELLT AELLTCD AEDECOD AEPTCD AEHLT
/// AEHLTCD AEHLGT AEHLGTCD AEBODSYS AEBDSYCD AESOC AESOCCD AESER AEACN AEREL AEOUT AESCONG
/// AESDISAB AESDTH AESHOSP AESLIFE AESMIE AETOXGR AESTDTC AEENDTC AESTDY AEENDY. What goes in
/// each, and why the MedDRA PT, HLT and HLGT are null: sdtm.cpp and README "SDTM".
SdtmDataset sdtm_ae(const std::string& study, const std::vector<SdtmSubject>& subjects,
                    const std::vector<SdtmAe>& rows);

/// What the DM domain takes of a subject: its reconciled course (safety/course.hpp) as typed
/// values, so that DTHFL and DTHDTC say what every other view says.
struct SdtmDm {
  std::string subject, site, sex;
  std::optional<int> age;
  Date enrolled;            // RFICDTC: informed consent is taken at enrolment in this protocol
  Date reference_start;     // RFSTDTC
  Date participation_end;   // RFPENDTC: the death, else the last contact
  std::optional<Date> death;  // DTHDTC; DTHFL "Y" when set
};

/// The DM domain (SDTMIG v3.3 §5.2, DM): one row per subject, ordered by USUBJID. Variables:
/// STUDYID DOMAIN USUBJID SUBJID RFSTDTC RFICDTC RFPENDTC DTHDTC DTHFL SITEID AGE AGEU SEX.
SdtmDataset sdtm_dm(const std::string& study, const std::vector<SdtmDm>& subjects);

/// A domain as CSV (RFC 4180, CRLF): a header of variable names, then the rows; null is an
/// empty cell, numbers are written as integers when whole.
std::string sdtm_csv(const SdtmDataset& data);
/// A domain as a SAS transport v5 file: member name the domain, the IG's labels, each
/// character variable as long as its longest value (at least 1 byte; FDA's Study Data
/// Technical Conformance Guide asks for no more), numbers 8 bytes. `created` dates the headers.
Result<std::string> sdtm_xpt(const SdtmDataset& data, Timestamp created);

std::string sdtm_ae_csv(const std::string& study, const std::vector<SdtmSubject>& subjects,
                        const std::vector<SdtmAe>& rows);
std::string sdtm_dm_csv(const std::string& study, const std::vector<SdtmDm>& subjects);

/// The MedDRA code of a CTCAE v5.0 system organ class (the 26 SOCs), from the embedded CTCAE
/// table: NCI codes each SOC's "<SOC> - Other, specify" term with the SOC's own MedDRA code
/// (Hepatobiliary disorders: 10019805). Empty when `soc` is not one of them.
std::string soc_code(std::string_view soc);

/// SDTMIG study day: date - reference + 1 on or after the reference day, date - reference
/// before it (there is no day 0).
int study_day(Date date, Date reference);

// ---- HL7 FHIR R4 AdverseEvent (fhir.cpp) -------------------------------------------------

namespace fhir {

inline constexpr const char* kMediaType = "application/fhir+json";
/// CTCAE FHIR implementation guide (http://hl7.org/fhir/us/ctcae): the grade extension and its
/// code system, and the resolved-date extension. FHIR R4 `severity` (mild/moderate/severe) is
/// not a CTCAE grade.
inline constexpr const char* kGradeUrl = "http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade";
inline constexpr const char* kGradeSystem = "http://hl7.org/fhir/us/ctcae/CodeSystem/ctcae-grade-code-system";
inline constexpr const char* kResolvedDateUrl =
    "http://hl7.org/fhir/us/ctcae/StructureDefinition/adverse-event-resolved-date";
/// HL7 AE Clinical Research R4 backport IG (hl7.fhir.uv.ae-research-backport-ig 1.0.1): its
/// grade extension, read with its own codes, the NCI Thesaurus concepts of the HL7 value set
/// adverse-event-clinical-research-grades (C41338 grade 1 ... C48275 grade 5).
inline constexpr const char* kBackportGradeUrl =
    "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/ae-grade";
inline constexpr const char* kNciThesaurusSystem = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl";
inline constexpr const char* kMeddraSystem = "http://terminology.hl7.org/CodeSystem/mdr";
inline constexpr const char* kSeriousnessSystem = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness";
inline constexpr const char* kOutcomeSystem = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome";
inline constexpr const char* kCausalitySystem =
    "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess";
/// pvmon's own: its causality scale (which has "unrelated", WHO-UMC does not), protocol terms,
/// and extensions for what R4 AdverseEvent has no element for.
inline constexpr const char* kPvmonCausalitySystem = "urn:pvmon:fhir:causality";
inline constexpr const char* kSeriousnessCriterionUrl = "urn:pvmon:fhir:extension:seriousness-criterion";
inline constexpr const char* kActionTakenUrl = "urn:pvmon:fhir:extension:action-taken";
inline constexpr const char* kNarrativeUrl = "urn:pvmon:fhir:extension:narrative";
inline constexpr const char* kDeathUnrelatedUrl = "urn:pvmon:fhir:extension:death-unrelated";
inline constexpr const char* kStatusUrl = "urn:pvmon:fhir:extension:report-status";

/// What the mapping needs of the study: its id and interventions (id, kind).
struct StudyContext {
  std::string study;
  std::vector<std::pair<std::string, std::string>> interventions;  // id, kind (drug, ...)
};

/// A resource mapped to pvmon's AE report body (the JSON a site would post), what FHIR
/// carries that the body has no field for (`source`, stored with the record), and where each
/// body field came from, to name FHIRPath locations in later validation errors.
struct Mapped {
  nlohmann::json body;
  nlohmann::json source;
  std::map<std::string, std::string> paths;  // body field ("causality.apatinib") -> FHIRPath
};

/// Maps a FHIR R4 AdverseEvent. Every problem is collected; each FieldError's field is its
/// FHIRPath ("AdverseEvent.suspectEntity[1].causality"). Pure.
Result<Mapped> from_fhir(const nlohmann::json& resource, const StudyContext& st);

/// The FHIRPath of a body field: the longest recorded prefix, else "AdverseEvent".
std::string path_of(const Mapped& m, const std::string& field);

/// A stored AE record (any version) as a FHIR R4 AdverseEvent. Pure.
nlohmann::json to_fhir(const nlohmann::json& record, const StudyContext& st);

/// A searchset Bundle of `resources` (FHIR R4 §3.1.1.4): each entry's fullUrl is `base` + its
/// id, `self` and `next` absolute URLs (next empty: last page), `total` the matches over all
/// pages when known.
nlohmann::json searchset(const std::vector<nlohmann::json>& resources, const std::string& base,
                         const std::string& self, const std::string& next,
                         std::optional<std::int64_t> total = std::nullopt);

/// What pvmon's FHIR REST interface does (FHIR R4 capabilitystatement.html), kept beside the
/// mapping so that one file says both: AdverseEvent read, search-type and create; `subject`
/// and `_count`. `base` is the study's FHIR base URL.
nlohmann::json capability_statement(const std::string& base);
/// The search parameters the search-type interaction honours (besides its paging cursor).
inline constexpr const char* kSearchParams[] = {"subject", "_count"};

/// A graded lab result (a row of GET .../subjects/{subject}/labs) as a FHIR R4 laboratory
/// Observation: code by MedDRA (the CTCAE term), valueQuantity, referenceRange from the ULN/LLN,
/// interpretation H/L/N, and the CTCAE v5.0 grade as a component (the US CTCAE IG's grade code
/// system). Pure.
nlohmann::json observation(const nlohmann::json& result, const std::string& subject, const StudyContext& st,
                           std::size_t index);

/// An OperationOutcome for an error: one issue per field (FHIRPath in `expression`), or one for
/// the message.
nlohmann::json operation_outcome(const Error& e);

}  // namespace fhir

}  // namespace pvmon::interop
