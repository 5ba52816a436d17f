// The ICH E2B(R3) ICSR message of one case (icsr.hpp `build`): an MCCI_IN200100UV01 batch (N.1)
// wrapping one PORR_IN049016UV (N.2.r), element by element in the order of the ICH schema and
// of FDA's premarket IND example (FAERS2022Scenario3.xml). Element numbers are the ICH E2B(R3)
// Implementation Guide's; OIDs and code values as FDA's data-element table lists them
// (../shared/e2br3/icsr_data_elements.csv). What a case lacks is written with a null flavour the
// IG allows for the element: UNK where allowed, else ASKU for what the site's case report form
// asks (dates of the event and of the drugs), else NASK for what pvmon does not collect; an
// element that allows none is left out, and `validate` reports it when it is required.
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "e2b_terms.hpp"
#include "pvmon/icsr.hpp"
#include "xml_writer.hpp"

namespace pvmon::icsr {
namespace {

using detail::Attr;
using detail::XmlWriter;

// Identifier roots (ICH IG Appendix I).
constexpr std::string_view kRootBatch = "2.16.840.1.113883.3.989.2.1.3.22";             // N.1.2
constexpr std::string_view kRootBatchSender = "2.16.840.1.113883.3.989.2.1.3.13";       // N.1.3
constexpr std::string_view kRootBatchReceiver = "2.16.840.1.113883.3.989.2.1.3.14";     // N.1.4
constexpr std::string_view kRootReportId = "2.16.840.1.113883.3.989.2.1.3.1";  // N.2.r.1, C.1.1
constexpr std::string_view kRootMessageSender = "2.16.840.1.113883.3.989.2.1.3.11";     // N.2.r.2
constexpr std::string_view kRootMessageReceiver = "2.16.840.1.113883.3.989.2.1.3.12";   // N.2.r.3
constexpr std::string_view kRootWorldwideId = "2.16.840.1.113883.3.989.2.1.3.2";        // C.1.8.1
constexpr std::string_view kRootAuthorisation = "2.16.840.1.113883.3.989.2.1.3.4";      // G.k.3.1
constexpr std::string_view kRootSponsorStudy = "2.16.840.1.113883.3.989.2.1.3.5";       // C.5.3
constexpr std::string_view kRootRegistration = "2.16.840.1.113883.3.989.2.1.3.6";       // C.5.1.r.1
constexpr std::string_view kRootInteraction = "2.16.840.1.113883.1.6";
constexpr std::string_view kRootTriggerEvent = "2.16.840.1.113883.1.18";
// Code systems (ICH IG Appendix I).
constexpr std::string_view kCsMessageType = "2.16.840.1.113883.3.989.2.1.1.1";     // N.1.1
constexpr std::string_view kCsReportType = "2.16.840.1.113883.3.989.2.1.1.2";      // C.1.3
constexpr std::string_view kCsFirstSender = "2.16.840.1.113883.3.989.2.1.1.3";     // C.1.8.2
constexpr std::string_view kCsNullification = "2.16.840.1.113883.3.989.2.1.1.5";   // C.1.11.1
constexpr std::string_view kCsQualification = "2.16.840.1.113883.3.989.2.1.1.6";   // C.2.r.4
constexpr std::string_view kCsSenderType = "2.16.840.1.113883.3.989.2.1.1.7";      // C.3.1
constexpr std::string_view kCsStudyType = "2.16.840.1.113883.3.989.2.1.1.8";       // C.5.4
constexpr std::string_view kCsHighlighted = "2.16.840.1.113883.3.989.2.1.1.10";    // E.i.3.1
constexpr std::string_view kCsOutcome = "2.16.840.1.113883.3.989.2.1.1.11";        // E.i.7
constexpr std::string_view kCsDrugRole = "2.16.840.1.113883.3.989.2.1.1.13";       // G.k.1
constexpr std::string_view kCsRoute = "2.16.840.1.113883.3.989.2.1.1.14";          // G.k.4.r.10
constexpr std::string_view kCsAction = "2.16.840.1.113883.3.989.2.1.1.15";         // G.k.8
constexpr std::string_view kCsObservation = "2.16.840.1.113883.3.989.2.1.1.19";
constexpr std::string_view kCsOrganizer = "2.16.840.1.113883.3.989.2.1.1.20";
constexpr std::string_view kCsAuthorRole = "2.16.840.1.113883.3.989.2.1.1.21";
constexpr std::string_view kCsRelatedInvestigation = "2.16.840.1.113883.3.989.2.1.1.22";
constexpr std::string_view kCsCharacteristic = "2.16.840.1.113883.3.989.2.1.1.23";
constexpr std::string_view kCsMeddra = "2.16.840.1.113883.6.163";
constexpr std::string_view kCsCountry = "1.0.3166.1.2.2";
constexpr std::string_view kCsSex = "1.0.5218";
constexpr std::string_view kCsActCode = "2.16.840.1.113883.5.4";
constexpr std::string_view kCsInterpretation = "2.16.840.1.113883.5.83";  // F.r.4 L, F.r.5 H
// FDA regional (FDA's data-element table, FAERS2022Scenario3.xml).
constexpr std::string_view kCsNci = "2.16.840.1.113883.3.26.1.1";
// FDA.C.1.7.1 local criteria report type
constexpr std::string_view kCsFdaReportType = "2.16.840.1.113883.3.989.5.1.2.2.1.1.1";
constexpr std::string_view kRootFdaInd = "2.16.840.1.113883.3.989.5.1.2.2.1.2.1";      // FDA.C.5.5a
// FDA.C.5.6.r cross-reported IND
constexpr std::string_view kRootFdaCrossInd = "2.16.840.1.113883.3.989.5.1.2.2.1.2.3";
// FDA.E.i.3.2h required intervention
constexpr std::string_view kCsFdaSeriousness = "2.16.840.1.113883.3.989.5.1.2.2.1.3";

// ---------------------------------------------------------------------------------------------
// Values

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// A code as the HL7 `cs` type takes it (no whitespace, not empty), or "" when it cannot be one.
std::string code_value(std::string_view s) {
  std::string t = trimmed(s);
  for (const char ch : t)
    if (std::isspace(static_cast<unsigned char>(ch))) return {};
  return t;
}

/// ISO 3166-1 alpha-2 (E2B: upper case), or "" when there is none.
std::string country_code(std::string_view s) {
  std::string t = code_value(s);
  for (char& ch : t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return t;
}

/// E.i.1.1b wants ISO 639-2 alpha-3; the Case carries ISO 639-1 ("en"). The 639-2/T code where
/// /B differs. A code not in the table is written as given, for `validate` to judge.
std::string language_code(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTable{{
      {"en", "eng"}, {"zh", "zho"}, {"fr", "fra"}, {"de", "deu"}, {"es", "spa"}, {"it", "ita"},
      {"ja", "jpn"}, {"ko", "kor"}, {"pt", "por"}, {"ru", "rus"}, {"nl", "nld"}, {"sv", "swe"},
      {"da", "dan"}, {"pl", "pol"}}};
  std::string t = code_value(s);
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [two, three] : kTable)
    if (t == two) return std::string(three);
  return t;
}

/// HL7 TS date "YYYYMMDD".
std::string hl7_date(Date d) {
  std::string out;
  for (const char ch : format_date(d))
    if (ch != '-') out += ch;
  return out;
}

/// HL7 TS to the second with the UTC offset, "20220614101010+0000" (N.1.5, N.2.r.4, C.1.2 want
/// the full precision).
std::string hl7_timestamp(Timestamp t) {
  const Date d = t.date();
  const std::int64_t ms = t.ms - start_of(d).ms;  // 0 <= ms < one day
  const auto secs = static_cast<int>(ms / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d+0000", secs / 3600, secs / 60 % 60, secs % 60);
  return hl7_date(d) + buf;
}

/// The shortest plain decimal that reads back as `v` ("250", "0.00000015"): E2B's numeric
/// fields take no exponent. Negative zero is "0".
std::string number(double v) {
  if (v == 0) return "0";
  char buf[400];  // a finite double has at most 309 integer digits in fixed notation
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

/// A UUID for an entity the message refers to (reaction, drug): the same case and local id give
/// the same UUID, so messages are reproducible. RFC 9562 version 8 (vendor-specific): 128 bits
/// of two FNV-1a hashes finished by splitmix64, not a standard name-based UUID.
std::string entity_uuid(std::string_view case_id, std::string_view kind, std::string_view local) {
  const auto fnv = [](std::string_view s, std::uint64_t h) {
    for (const unsigned char ch : s) {
      h ^= ch;
      h *= 0x100000001b3ULL;
    }
    return h;
  };
  const auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::string seed(case_id);
  seed += '\x1f';
  seed += kind;
  seed += '\x1f';
  seed += local;
  const std::uint64_t hi = mix(fnv(seed, 0xcbf29ce484222325ULL));
  const std::uint64_t lo = mix(fnv(seed, hi ^ 0x9e3779b97f4a7c15ULL));
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[static_cast<std::size_t>(8 + i)] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x80);  // version 8
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0F];
  }
  return out;
}

/// A telecom URL ("tel:", "fax:", "mailto:" + value); spaces and characters a URI may not hold
/// are percent-encoded, so the value is kept exactly.
std::string telecom_url(std::string_view scheme, std::string_view value) {
  std::string out(scheme);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : trimmed(value)) {
    const auto u = static_cast<unsigned char>(ch);
    constexpr std::string_view kUnsafe = "\"<>\\^`{|}%";
    if (u <= 0x20 || u >= 0x7F || kUnsafe.find(ch) != std::string_view::npos) {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string outcome_code(Outcome o) {
  switch (o) {
    case Outcome::recovered:
    case Outcome::recovering:
    case Outcome::not_recovered:
    case Outcome::recovered_with_sequelae:
    case Outcome::fatal: return std::to_string(static_cast<int>(o));
    case Outcome::unknown: break;
  }
  return "0";
}

std::string_view role_name(DrugRole r) {
  switch (r) {
    case DrugRole::suspect: return "Suspect";
    case DrugRole::concomitant: return "Concomitant";
    case DrugRole::interacting: return "Interacting";
    case DrugRole::not_administered: return "Drug Not Administered";
  }
  return {};
}

std::string_view action_name(DrugAction a) {
  switch (a) {
    case DrugAction::withdrawn: return "Drug withdrawn";
    case DrugAction::dose_reduced: return "Dose reduced";
    case DrugAction::dose_increased: return "Dose increased";
    case DrugAction::dose_not_changed: return "Dose not changed";
    case DrugAction::unknown: return "Unknown";
    case DrugAction::not_applicable: return "Not applicable";
  }
  return {};
}

std::string_view fda_report_type_name(std::string_view code) {
  if (code == "1") return "15-Day";
  if (code == "2") return "Non-Expedited AE";
  if (code == "4") return "5-Day";
  if (code == "5") return "30-Day";
  if (code == "6") return "7-Day";
  return {};
}

/// FDA's value for G.k.9.i.2.r.3 (rejection rule R0087: "Suspected" or "Not Suspected") from a
/// causality scale value. Suspected: a relationship that cannot be ruled out (possible,
/// probable/likely, definite/certain, unassessable/unclassifiable), as pvmon's SUSAR rule reads
/// the scale (safety `is_related`; 21 CFR 312.32(a) "reasonable possibility"); not suspected:
/// unrelated, unlikely.
/// Anything else is returned unchanged, for `validate` to report rather than for us to guess.
std::string fda_causality_result(std::string_view result) {
  std::string t = trimmed(result);
  std::string k;
  for (const char ch : t)
    k += ch == '_' || ch == '-' ? ' '
                               : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  constexpr std::string_view kRelated = " related";
  if (k.size() > kRelated.size() && k.ends_with(kRelated)) k.resize(k.size() - kRelated.size());
  if (k == "suspected" || k == "possible" || k == "possibly" || k == "probable" ||
      k == "probably" || k == "likely" || k == "definite" || k == "definitely" || k == "certain" ||
      k == "unassessable" || k == "unclassifiable" || k == "related")
    return "Suspected";
  if (k == "not suspected" || k == "unrelated" || k == "not" || k == "unlikely" ||
      k == "unlikely to be" || k == "not related")
    return "Not Suspected";
  return t;
}

class Builder {
 public:
  Builder(const Case& c, Profile profile) : c_(c), fda_(profile == Profile::fda) {
    reaction_id_ = c.reaction.id.empty() ? "r1" : c.reaction.id;
    reaction_uuid_ = entity_uuid(c.safety_report_id, "reaction", reaction_id_);
    for (std::size_t k = 0; k < c.drugs.size(); ++k)
      drug_uuids_.push_back(entity_uuid(c.safety_report_id, "drug", std::to_string(k + 1)));
  }

  std::string run() && {
    batch();
    return std::move(w_).finish();
  }

 private:
  // ---- small element shapes --------------------------------------------------------------

  /// <id extension root/>, or the root with nullFlavor NI when the value is missing.
  void id(std::string_view extension, std::string_view root) {
    const std::string ext = trimmed(extension);
    if (ext.empty())
      w_.leaf("id", {{"nullFlavor", "NI"}, {"root", root}});
    else
      w_.leaf("id", {{"extension", ext}, {"root", root}});
  }
  void code(std::string_view code, std::string_view system, std::string_view display = {}) {
    w_.leaf("code", {{"code", code}, {"codeSystem", system}, {"displayName", display}});
  }
  void value_bl(bool v) { w_.leaf("value", {{"xsi:type", "BL"}, {"value", v ? "true" : "false"}}); }
  void value_null(std::string_view type, std::string_view flavour) {
    w_.leaf("value", {{"xsi:type", type}, {"nullFlavor", flavour}});
  }
  void value_ce(std::string_view code, std::string_view system, std::string_view display = {}) {
    w_.leaf("value", {{"xsi:type", "CE"},
                      {"code", code},
                      {"codeSystem", system},
                      {"displayName", display}});
  }
  void country(std::string_view element, std::string_view cc) {
    w_.leaf(element, {{"code", cc}, {"codeSystem", kCsCountry}});
  }
  /// <name>text</name>, or <name nullFlavor=.../> when the text is empty.
  void name_or_null(std::string_view element, std::string_view text, std::string_view flavour) {
    const std::string t = trimmed(text);
    if (t.empty())
      w_.leaf(element, {{"nullFlavor", flavour}});
    else
      w_.text_element(element, {}, t);
  }
  /// One observation inside a PERT outboundRelationship2 (E.i.3.x, E.i.7 and the like).
  void start_pert(std::string_view code_value, std::string_view system, std::string_view display) {
    w_.start("outboundRelationship2", {{"typeCode", "PERT"}});
    w_.start("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    code(code_value, system, display);
  }
  void end_pert() {
    w_.end();
    w_.end();
  }
  /// A component/observationEvent of the investigation (C.1.6.1, C.1.7, FDA.C.1.7.1 ...).
  void start_event(std::string_view code_value, std::string_view system, std::string_view display) {
    w_.start("component", {{"typeCode", "COMP"}});
    w_.start("observationEvent", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    code(code_value, system, display);
  }
  void end_event() {
    w_.end();
    w_.end();
  }
  /// A subjectOf2/investigationCharacteristic (C.1.3, C.1.9.1, C.1.11).
  void start_characteristic(std::string_view code_value, std::string_view display) {
    w_.start("subjectOf2", {{"typeCode", "SUBJ"}});
    w_.start("investigationCharacteristic", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    code(code_value, kCsCharacteristic, display);
  }
  void end_characteristic() {
    w_.end();
    w_.end();
  }
  /// A subjectOf2/observation of the patient (D.2.2, D.9.2.r, FDA.D.11.r ...).
  void start_patient_observation(std::string_view code_value, std::string_view system,
                                 std::string_view display) {
    w_.start("subjectOf2", {{"typeCode", "SBJ"}});
    w_.start("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    code(code_value, system, display);
  }
  void end_patient_observation() {
    w_.end();
    w_.end();
  }

  // ---- N: batch and message wrapper ------------------------------------------------------

  void batch() {
    w_.start("MCCI_IN200100UV01", {{"xmlns", "urn:hl7-org:v3"},
                                   {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
                                   {"ITSVersion", "XML_1.0"}});
    id(c_.batch_id, kRootBatch);                                              // N.1.2
    w_.leaf("creationTime", {{"value", hl7_timestamp(c_.created)}});          // N.1.5
    w_.leaf("responseModeCode", {{"code", "D"}});
    w_.leaf("interactionId", {{"extension", "MCCI_IN200100UV01"}, {"root", kRootInteraction}});
    w_.leaf("name", {{"code", "1"}, {"codeSystem", kCsMessageType}, {"displayName", "ichicsr"}});
    message();
    device("receiver", "RCV", c_.batch_receiver, kRootBatchReceiver);         // N.1.4
    device("sender", "SND", c_.batch_sender, kRootBatchSender);               // N.1.3
    w_.end();
  }

  void device(std::string_view element, std::string_view type, std::string_view value,
              std::string_view root) {
    w_.start(element, {{"typeCode", type}});
    w_.start("device", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    id(value, root);
    w_.end();
    w_.end();
  }

  void message() {
    const std::string created = hl7_timestamp(c_.created);
    w_.start("PORR_IN049016UV");
    id(c_.message_id, kRootReportId);                                         // N.2.r.1
    w_.leaf("creationTime", {{"value", created}});                            // N.2.r.4
    w_.leaf("interactionId", {{"extension", "PORR_IN049016UV"}, {"root", kRootInteraction}});
    w_.leaf("processingCode", {{"code", "P"}});
    w_.leaf("processingModeCode", {{"code", "T"}});
    w_.leaf("acceptAckCode", {{"code", "AL"}});
    device("receiver", "RCV", c_.message_receiver, kRootMessageReceiver);     // N.2.r.3
    device("sender", "SND", c_.message_sender, kRootMessageSender);           // N.2.r.2
    w_.start("controlActProcess", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    code("PORR_TE049016UV", kRootTriggerEvent);
    w_.leaf("effectiveTime", {{"value", created}});                           // C.1.2
    w_.start("subject", {{"typeCode", "SUBJ"}});
    investigation();
    w_.end();
    w_.end();
    w_.end();
  }

  // ---- C: the investigation (case) ---------------------------------------------------------

  void investigation() {
    w_.start("investigationEvent", {{"classCode", "INVSTG"}, {"moodCode", "EVN"}});
    id(c_.safety_report_id, kRootReportId);                                   // C.1.1
    id(c_.worldwide_case_id, kRootWorldwideId);                               // C.1.8.1
    code("PAT_ADV_EVNT", kCsActCode);
    if (!trimmed(c_.narrative).empty()) w_.text_element("text", {}, c_.narrative);  // H.1
    w_.leaf("statusCode", {{"code", "active"}});
    w_.start("effectiveTime");
    w_.leaf("low", {{"value", hl7_date(c_.first_received)}});                 // C.1.4
    w_.end();
    w_.leaf("availabilityTime", {{"value", hl7_date(c_.most_recent)}});       // C.1.5

    w_.start("component", {{"typeCode", "COMP"}});
    assessment();
    w_.end();

    start_event("1", kCsObservation, "additionalDocumentsAvailable");         // C.1.6.1
    value_bl(false);
    end_event();
    start_event("23", kCsObservation, "localCriteriaForExpedited");           // C.1.7
    value_bl(c_.expedited);
    end_event();
    if (fda_) {
      const std::string type = code_value(c_.fda_report_type);
      if (!type.empty()) {                                                   // FDA.C.1.7.1
        start_event("C54588", kCsNci, "localCriteriaReportType");
        value_ce(type, kCsFdaReportType, fda_report_type_name(type));
        end_event();
      }
      start_event("C156384", kCsNci, "Combination Product Report Indicator");  // FDA.C.1.12
      value_bl(c_.combination_product);
      end_event();
    }

    // C.1.8.2 first sender: 2 other (a sponsor, not a regulator).
    w_.start("outboundRelationship", {{"typeCode", "SPRT"}});
    w_.start("relatedInvestigation", {{"classCode", "INVSTG"}, {"moodCode", "EVN"}});
    code("1", kCsRelatedInvestigation, "initialReport");
    w_.start("subjectOf2", {{"typeCode", "SUBJ"}});
    w_.start("controlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    w_.start("author", {{"typeCode", "AUT"}});
    w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
    code("2", kCsFirstSender, "other");
    for (int i = 0; i < 6; ++i) w_.end();

    primary_source();
    sender();

    start_characteristic("1", "ichReportType");                               // C.1.3
    value_ce("2", kCsReportType, "Report from study");
    end_characteristic();
    // C.1.9.1: "true" or nullFlavor NI only (the IG refuses false); pvmon sends no other ids.
    start_characteristic("2", "otherCaseIds");
    value_null("BL", "NI");
    end_characteristic();
    if (c_.nullified) {
      start_characteristic("3", "nullificationAmendmentCode");                // C.1.11.1
      value_ce("1", kCsNullification, "Nullification");
      end_characteristic();
      const std::string reason = trimmed(c_.nullification_reason);
      if (!reason.empty()) {                                                  // C.1.11.2
        start_characteristic("4", "nullificationAmendmentReason");
        w_.start("value", {{"xsi:type", "CE"}});
        w_.text_element("originalText", {}, reason);
        w_.end();
        end_characteristic();
      }
    }
    w_.end();
  }

  /// C.2.r: one primary source, the site's investigator (never a person's name).
  void primary_source() {
    w_.start("outboundRelationship", {{"typeCode", "SPRT"}});
    w_.leaf("priorityNumber", {{"value", "1"}});                              // C.2.r.5
    w_.start("relatedInvestigation", {{"classCode", "INVSTG"}, {"moodCode", "EVN"}});
    code("2", kCsRelatedInvestigation, "sourceReport");
    w_.start("subjectOf2", {{"typeCode", "SUBJ"}});
    w_.start("controlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    w_.start("author", {{"typeCode", "AUT"}});
    w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
    // FDA.C.2.r.2.8 reporter's e-mail (FDA requires it): pvmon keeps no investigator contact.
    if (fda_) w_.leaf("telecom", {{"nullFlavor", "NASK"}, {"value", "mailto"}});
    w_.start("assignedPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    w_.start("asQualifiedEntity", {{"classCode", "QUAL"}});
    code("1", kCsQualification, "Physician");                                 // C.2.r.4
    w_.end();
    std::string cc = country_code(c_.reporter_country);
    if (cc.empty()) cc = country_code(c_.primary_source_country);
    w_.start("asLocatedEntity", {{"classCode", "LOCE"}});
    w_.start("location", {{"classCode", "COUNTRY"}, {"determinerCode", "INSTANCE"}});
    if (cc.empty())                                                           // C.2.r.3
      w_.leaf("code", {{"nullFlavor", "UNK"}, {"codeSystem", kCsCountry}});
    else
      country("code", cc);
    w_.end();
    w_.end();
    w_.end();  // assignedPerson
    w_.start("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
    w_.start("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    name_or_null("name", c_.reporter_organisation, "NASK");                   // C.2.r.2.1
    for (int i = 0; i < 9; ++i) w_.end();
  }

  /// C.3: the sender, the sponsor (C.3.1 = 1 pharmaceutical company).
  void sender() {
    w_.start("subjectOf1", {{"typeCode", "SUBJ"}});
    w_.start("controlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    w_.start("author", {{"typeCode", "AUT"}});
    w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
    code("1", kCsSenderType, "pharmaceuticalCompany");                        // C.3.1
    const std::string street = trimmed(c_.sender_street), city = trimmed(c_.sender_city),
                      state = trimmed(c_.sender_state), postcode = trimmed(c_.sender_postcode);
    if (!street.empty() || !city.empty() || !state.empty() || !postcode.empty()) {
      w_.start("addr");
      if (!street.empty()) w_.text_element("streetAddressLine", {}, street);  // C.3.4.1
      if (!city.empty()) w_.text_element("city", {}, city);                   // C.3.4.2
      if (!state.empty()) w_.text_element("state", {}, state);                // C.3.4.3
      if (!postcode.empty()) w_.text_element("postalCode", {}, postcode);     // C.3.4.4
      w_.end();
    }
    if (!trimmed(c_.sender_telephone).empty())                                // C.3.4.6
      w_.leaf("telecom", {{"value", telecom_url("tel:", c_.sender_telephone)}});
    if (!trimmed(c_.sender_fax).empty())                                      // C.3.4.7
      w_.leaf("telecom", {{"value", telecom_url("fax:", c_.sender_fax)}});
    if (!trimmed(c_.sender_email).empty())                                    // C.3.4.8
      w_.leaf("telecom", {{"value", telecom_url("mailto:", c_.sender_email)}});
    const std::string title = trimmed(c_.sender_title), given = trimmed(c_.sender_given_name),
                      family = trimmed(c_.sender_family_name);
    const std::string cc = country_code(c_.sender_country);
    if (!title.empty() || !given.empty() || !family.empty() || !cc.empty()) {
      w_.start("assignedPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
      if (!title.empty() || !given.empty() || !family.empty()) {
        w_.start("name");
        if (!title.empty()) w_.text_element("prefix", {}, title);             // C.3.3.2
        if (!given.empty()) w_.text_element("given", {}, given);              // C.3.3.3
        if (!family.empty()) w_.text_element("family", {}, family);           // C.3.3.5
        w_.end();
      }
      if (!cc.empty()) {                                                      // C.3.4.5
        w_.start("asLocatedEntity", {{"classCode", "LOCE"}});
        w_.start("location", {{"classCode", "COUNTRY"}, {"determinerCode", "INSTANCE"}});
        country("code", cc);
        w_.end();
        w_.end();
      }
      w_.end();
    }
    const std::string department = trimmed(c_.sender_department);
    const std::string organisation = trimmed(c_.sender_organisation);
    if (!department.empty() || !organisation.empty()) {
      w_.start("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
      if (!department.empty()) w_.text_element("name", {}, department);       // C.3.3.1
      if (!organisation.empty()) {                                            // C.3.2
        w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
        w_.start("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
        w_.text_element("name", {}, organisation);
        w_.end();
        w_.end();
      }
      w_.end();
    }
    for (int i = 0; i < 4; ++i) w_.end();
  }

  // ---- D, E, F, G, H: the adverse event assessment ------------------------------------------

  void assessment() {
    w_.start("adverseEventAssessment", {{"classCode", "INVSTG"}, {"moodCode", "EVN"}});
    w_.start("subject1", {{"typeCode", "SBJ"}});
    w_.start("primaryRole", {{"classCode", "INVSBJ"}});
    patient();
    study();
    patient_observations();
    reaction();
    tests();
    drugs();
    w_.end();
    w_.end();
    drug_roles_and_causality();
    const std::string comment = trimmed(c_.sender_comment);
    if (!comment.empty()) {                                                   // H.4
      w_.start("component1", {{"typeCode", "COMP"}});
      w_.start("observationEvent", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
      code("10", kCsObservation, "comment");
      w_.text_element("value", {{"xsi:type", "ED"}}, comment);
      w_.start("author", {{"typeCode", "AUT"}});
      w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
      code("1", kCsAuthorRole, "sender");
      for (int i = 0; i < 4; ++i) w_.end();
    }
    w_.end();
  }

  bool dead() const {
    return c_.death_date.has_value() || c_.reaction.death || !c_.death_causes.empty() ||
           c_.reaction.outcome == Outcome::fatal;
  }

  void patient() {
    w_.start("player1", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    name_or_null("name", c_.subject, "UNK");                                  // D.1
    const std::string sex = trimmed(c_.sex);                                  // D.5
    if (sex == "M" || sex == "m")
      w_.leaf("administrativeGenderCode",
              {{"code", "1"}, {"codeSystem", kCsSex}, {"displayName", "Male"}});
    else if (sex == "F" || sex == "f")
      w_.leaf("administrativeGenderCode",
              {{"code", "2"}, {"codeSystem", kCsSex}, {"displayName", "Female"}});
    else
      w_.leaf("administrativeGenderCode", {{"nullFlavor", "UNK"}, {"codeSystem", kCsSex}});
    if (c_.death_date)                                                        // D.9.1
      w_.leaf("deceasedTime", {{"value", hl7_date(*c_.death_date)}});
    else if (dead())
      w_.leaf("deceasedTime", {{"nullFlavor", "ASKU"}});
    w_.end();
  }

  /// C.5: the study, C.5.4 = 1 clinical trials; FDA.C.5.5a and FDA.C.5.6.r under fda.
  void study() {
    w_.start("subjectOf1", {{"typeCode", "SBJ"}});
    w_.start("researchStudy", {{"classCode", "CLNTRL"}, {"moodCode", "EVN"}});
    const std::string study_number = trimmed(c_.sponsor_study_number);        // C.5.3
    if (study_number.empty())
      w_.leaf("id", {{"nullFlavor", "NASK"}, {"root", kRootSponsorStudy}});
    else
      id(study_number, kRootSponsorStudy);
    code("1", kCsStudyType, "Clinical trials");                               // C.5.4
    name_or_null("title", c_.study_name, "NASK");                             // C.5.2
    w_.start("authorization", {{"typeCode", "AUTH"}});                        // C.5.1.r
    w_.start("studyRegistration", {{"classCode", "ACT"}, {"moodCode", "EVN"}});
    const std::string registration = trimmed(c_.registration_number);
    if (registration.empty())
      w_.leaf("id", {{"nullFlavor", "NASK"}, {"root", kRootRegistration}});
    else
      id(registration, kRootRegistration);                                    // C.5.1.r.1
    const std::string cc = country_code(c_.registration_country);
    if (!cc.empty()) {                                                        // C.5.1.r.2
      w_.start("author", {{"typeCode", "AUT"}});
      w_.start("territorialAuthority", {{"classCode", "TERR"}});
      w_.start("governingPlace", {{"classCode", "COUNTRY"}, {"determinerCode", "INSTANCE"}});
      country("code", cc);
      w_.end();
      w_.end();
      w_.end();
    }
    w_.end();
    w_.end();
    if (fda_) {
      w_.start("authorization", {{"typeCode", "AUTH"}});                      // FDA.C.5.5a
      w_.start("studyRegistration", {{"classCode", "ACT"}, {"moodCode", "EVN"}});
      id(c_.ind_number, kRootFdaInd);
      w_.end();
      w_.end();
      bool any = false;
      for (const std::string& ind : c_.cross_reported_inds) {                 // FDA.C.5.6.r
        if (trimmed(ind).empty()) continue;
        any = true;
        w_.start("authorization", {{"typeCode", "AUTH"}});
        w_.start("studyRegistration", {{"classCode", "ACT"}, {"moodCode", "EVN"}});
        id(ind, kRootFdaCrossInd);
        w_.end();
        w_.end();
      }
      if (!any) {  // FDA: nullFlavor NA when no other IND is cross-reported
        w_.start("authorization", {{"typeCode", "AUTH"}});
        w_.start("studyRegistration", {{"classCode", "ACT"}, {"moodCode", "EVN"}});
        w_.leaf("id", {{"nullFlavor", "NA"}, {"root", kRootFdaCrossInd}});
        w_.end();
        w_.end();
      }
    }
    w_.end();
    w_.end();
  }

  void patient_observations() {
    if (c_.age_years) {                                                       // D.2.2a, D.2.2b
      start_patient_observation("3", kCsObservation, "age");
      const std::string age = std::to_string(*c_.age_years);
      w_.leaf("value", {{"xsi:type", "PQ"}, {"value", age}, {"unit", "a"}});
      end_patient_observation();
    }
    if (fda_) {
      // FDA.D.11.r race, FDA.D.12 ethnicity (FDA requires both): pvmon holds neither.
      start_patient_observation("C17049", kCsNci, "Race");
      value_null("CE", "UNK");
      end_patient_observation();
      start_patient_observation("C16564", kCsNci, "Ethnic Group");
      value_null("CE", "UNK");
      end_patient_observation();
    }
    // D.7.2 (required while D.7.1 is empty, which it always is here).
    w_.start("subjectOf2", {{"typeCode", "SBJ"}});
    w_.start("organizer", {{"classCode", "CATEGORY"}, {"moodCode", "EVN"}});
    code("1", kCsOrganizer, "relevantMedicalHistoryAndConcurrentConditions");
    w_.start("component", {{"typeCode", "COMP"}});
    w_.start("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    code("18", kCsObservation, "historyAndConcurrentConditionText");
    const std::string history = trimmed(c_.medical_history);
    if (history.empty())
      value_null("ED", "UNK");
    else
      w_.text_element("value", {{"xsi:type", "ED"}}, history);
    for (int i = 0; i < 4; ++i) w_.end();

    for (std::size_t r = 0; r < c_.death_causes.size(); ++r) {               // D.9.2.r
      const std::string text = trimmed(c_.death_causes[r]);
      const std::string meddra =
          r < c_.death_cause_codes.size() ? code_value(c_.death_cause_codes[r]) : std::string();
      if (text.empty() && meddra.empty()) continue;
      const std::string version = code_value(c_.reaction.meddra_version);  // D.9.2.r.1a
      start_patient_observation("32", kCsObservation, "reportedCauseOfDeath");
      w_.start("value", {{"xsi:type", "CE"},
                         {"code", meddra},                                    // D.9.2.r.1b
                         {"codeSystem", kCsMeddra},
                         {"codeSystemVersion", meddra.empty() ? std::string() : version}});
      if (!text.empty()) w_.text_element("originalText", {}, text);           // D.9.2.r.2
      w_.end();
      end_patient_observation();
    }
    if (dead()) {                                                             // D.9.3
      start_patient_observation("5", kCsObservation, "autopsy");
      value_null("BL", "UNK");
      end_patient_observation();
    }
  }

  void reaction() {
    const Reaction& e = c_.reaction;
    w_.start("subjectOf2", {{"typeCode", "SBJ"}});                           // E.i
    w_.start("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w_.leaf("id", {{"root", reaction_uuid_}});
    code("29", kCsObservation, "reaction");
    w_.start("effectiveTime", {{"xsi:type", "IVL_TS"}});
    if (e.start)                                                              // E.i.4
      w_.leaf("low", {{"value", hl7_date(*e.start)}});
    else
      w_.leaf("low", {{"nullFlavor", "ASKU"}});
    if (e.end) w_.leaf("high", {{"value", hl7_date(*e.end)}});                // E.i.5
    w_.end();
    const std::string meddra = code_value(e.meddra_code);
    w_.start("value", {{"xsi:type", "CE"},
                       {"code", meddra},                                      // E.i.2.1b
                       {"codeSystem", kCsMeddra},
                       {"codeSystemVersion", code_value(e.meddra_version)}});  // E.i.2.1a
    std::string verbatim = trimmed(e.verbatim);
    if (verbatim.empty()) verbatim = trimmed(e.term);
    if (!verbatim.empty())                                                    // E.i.1.1a, b
      w_.text_element("originalText", {{"language", language_code(e.language)}}, verbatim);
    w_.end();
    const std::string cc = country_code(e.country);
    if (!cc.empty()) {                                                        // E.i.9
      w_.start("location", {{"typeCode", "LOC"}});
      w_.start("locatedEntity", {{"classCode", "LOCE"}});
      w_.start("locatedPlace", {{"classCode", "COUNTRY"}, {"determinerCode", "INSTANCE"}});
      country("code", cc);
      w_.end();
      w_.end();
      w_.end();
    }
    const bool serious = e.death || e.life_threatening || e.hospitalization || e.disability ||
                         e.congenital_anomaly || e.medically_important;
    // E.i.3.1: the investigator reported this term as the AE: 3 highlighted, serious; 1
    // highlighted, not serious.
    start_pert("37", kCsObservation, "termHighlightedByReporter");
    value_ce(serious ? "3" : "1", kCsHighlighted);
    end_pert();
    // E.i.3.2a-f: true, or nullFlavor NI (the IG allows no false).
    const auto criterion = [this](std::string_view code_value, std::string_view display, bool v) {
      start_pert(code_value, kCsObservation, display);
      if (v)
        value_bl(true);
      else
        value_null("BL", "NI");
      end_pert();
    };
    criterion("34", "resultsInDeath", e.death);
    criterion("21", "isLifeThreatening", e.life_threatening);
    criterion("33", "requiresInpatientHospitalization", e.hospitalization);
    criterion("35", "resultsInPersistentOrSignificantDisability", e.disability);
    criterion("12", "congenitalAnomalyBirthDefect", e.congenital_anomaly);
    criterion("26", "otherMedicallyImportantCondition", e.medically_important);
    if (fda_) {  // FDA.E.i.3.2h required intervention: always NI in premarket reports
      start_pert("7", kCsFdaSeriousness, "requiredIntervention");
      value_null("BL", "NI");
      end_pert();
    }
    start_pert("27", kCsObservation, "outcome");                              // E.i.7
    value_ce(outcome_code(e.outcome), kCsOutcome, outcome_text(e.outcome));
    end_pert();
    w_.end();
    w_.end();
  }

  /// F.r: results of tests. A result whose unit is no UCUM-shaped code (empty, or with spaces)
  /// goes to F.r.3.4 as text with its unit and range, so that nothing is lost or mislabelled.
  void tests() {
    if (c_.labs.empty()) return;
    w_.start("subjectOf2", {{"typeCode", "SBJ"}});
    w_.start("organizer", {{"classCode", "CATEGORY"}, {"moodCode", "EVN"}});
    code("3", kCsOrganizer, "testsAndProceduresRelevantToTheInvestigation");
    for (const LabTest& t : c_.labs) {
      w_.start("component", {{"typeCode", "COMP"}});
      w_.start("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
      w_.start("code", {{"codeSystem", kCsMeddra}});
      const std::string name = trimmed(t.name);
      if (!name.empty()) w_.text_element("originalText", {}, name);           // F.r.2.1
      w_.end();
      if (t.date)                                                             // F.r.1
        w_.leaf("effectiveTime", {{"value", hl7_date(*t.date)}});
      else
        w_.leaf("effectiveTime", {{"nullFlavor", "UNK"}});
      const std::string unit = code_value(t.unit);
      const bool structured = std::isfinite(t.value) && !unit.empty();
      const auto finite = [](const std::optional<double>& v) { return v && std::isfinite(*v); };
      if (structured) {                                                       // F.r.3.2, F.r.3.3
        w_.start("value", {{"xsi:type", "IVL_PQ"}});
        w_.leaf("center", {{"value", number(t.value)}, {"unit", unit}});
        w_.end();
      } else if (std::isfinite(t.value)) {                                    // F.r.3.4
        std::string text = number(t.value);
        if (!trimmed(t.unit).empty()) text += " " + trimmed(t.unit);
        if (finite(t.low) || finite(t.high)) {
          text += " (normal range ";
          text += finite(t.low) ? number(*t.low) : std::string("-");
          text += " to ";
          text += finite(t.high) ? number(*t.high) : std::string("-");
          text += ")";
        }
        w_.text_element("value", {{"xsi:type", "ED"}}, text);
      }
      if (structured) {
        const auto range = [&](const std::optional<double>& v, std::string_view which) {
          if (!finite(v)) return;
          w_.start("referenceRange", {{"typeCode", "REFV"}});
          w_.start("observationRange", {{"classCode", "OBS"}, {"moodCode", "EVN.CRT"}});
          w_.leaf("value", {{"xsi:type", "PQ"}, {"value", number(*v)}, {"unit", unit}});
          w_.leaf("interpretationCode", {{"code", which}, {"codeSystem", kCsInterpretation}});
          w_.end();
          w_.end();
        };
        range(t.low, "L");                                                    // F.r.4
        range(t.high, "H");                                                   // F.r.5
      }
      const std::string comment = trimmed(t.comment);
      if (!comment.empty()) {                                                 // F.r.6
        start_pert("10", kCsObservation, "comment");
        w_.text_element("value", {{"xsi:type", "ED"}}, comment);
        end_pert();
      }
      w_.end();
      w_.end();
    }
    w_.end();
    w_.end();
  }

  void drugs() {
    w_.start("subjectOf2", {{"typeCode", "SBJ"}});
    w_.start("organizer", {{"classCode", "CATEGORY"}, {"moodCode", "EVN"}});
    code("4", kCsOrganizer, "drugInformation");
    for (std::size_t k = 0; k < c_.drugs.size(); ++k) {
      const Drug& d = c_.drugs[k];
      w_.start("component", {{"typeCode", "COMP"}});
      w_.start("substanceAdministration", {{"classCode", "SBADM"}, {"moodCode", "EVN"}});
      w_.leaf("id", {{"root", drug_uuids_[k]}});
      w_.start("consumable", {{"typeCode", "CSM"}});
      w_.start("instanceOfKind", {{"classCode", "INST"}});
      w_.start("kindOfProduct", {{"classCode", "MMAT"}, {"determinerCode", "KIND"}});
      const std::string name = trimmed(d.name);
      if (!name.empty()) w_.text_element("name", {}, name);                   // G.k.2.2
      const std::string ind = trimmed(d.ind_number);
      if (fda_ && !ind.empty()) {  // G.k.3.1 the IND (an FDA application: G.k.3.2 US)
        w_.start("asManufacturedProduct", {{"classCode", "MANU"}});
        w_.start("subjectOf", {{"typeCode", "SBJ"}});
        w_.start("approval", {{"classCode", "CNTRCT"}, {"moodCode", "EVN"}});
        id(ind, kRootAuthorisation);
        w_.start("author", {{"typeCode", "AUT"}});
        w_.start("territorialAuthority", {{"classCode", "TERR"}});
        w_.start("territory", {{"classCode", "NAT"}, {"determinerCode", "INSTANCE"}});
        country("code", "US");
        for (int i = 0; i < 6; ++i) w_.end();
      }
      w_.end();
      w_.end();
      w_.end();
      if (d.blinded) {  // G.k.2.5 blinded: sent only when true (IG)
        start_pert("6", kCsObservation, "blinded");
        value_bl(true);
        end_pert();
      }
      dosage(d);
      w_.start("inboundRelationship", {{"typeCode", "CAUS"}});               // G.k.8
      w_.start("act", {{"classCode", "ACT"}, {"moodCode", "EVN"}});
      code(std::to_string(static_cast<int>(d.action)), kCsAction, action_name(d.action));
      w_.end();
      w_.end();
      w_.end();
      w_.end();
    }
    w_.end();
    w_.end();
  }

  /// G.k.4.r: one dosage. A start date missing is ASKU; an end date missing stays out (the
  /// drug may go on). A dose whose unit is no code goes to G.k.4.r.8 as text.
  void dosage(const Drug& d) {
    w_.start("outboundRelationship2", {{"typeCode", "COMP"}});
    w_.start("substanceAdministration", {{"classCode", "SBADM"}, {"moodCode", "EVN"}});
    const std::string unit = code_value(d.dose_unit);
    const bool dose_ok = d.dose && std::isfinite(*d.dose);
    if (dose_ok && unit.empty()) {                                            // G.k.4.r.8
      std::string text = number(*d.dose);
      if (!trimmed(d.dose_unit).empty()) text += " " + trimmed(d.dose_unit);
      w_.text_element("text", {}, text);
    }
    w_.start("effectiveTime", {{"xsi:type", "IVL_TS"}});
    if (d.start)                                                              // G.k.4.r.4
      w_.leaf("low", {{"value", hl7_date(*d.start)}});
    else
      w_.leaf("low", {{"nullFlavor", "ASKU"}});
    if (d.end) w_.leaf("high", {{"value", hl7_date(*d.end)}});                // G.k.4.r.5
    w_.end();
    w_.start("routeCode", {{"codeSystem", kCsRoute}});                        // G.k.4.r.10.1
    const std::string route = trimmed(d.route);
    if (route.empty())
      w_.leaf("originalText", {{"nullFlavor", "UNK"}});
    else
      w_.text_element("originalText", {}, route);
    w_.end();
    if (dose_ok && !unit.empty())                                             // G.k.4.r.1a, b
      w_.leaf("doseQuantity", {{"value", number(*d.dose)}, {"unit", unit}});
    w_.end();
    w_.end();
  }

  /// G.k.1 for every drug, then G.k.9.i.2.r for every assessment. Under fda the method is
  /// "FDA", the source defaults to "Sponsor" and the result reads "Suspected" / "Not Suspected"
  /// (FDA rules R0085-R0087).
  void drug_roles_and_causality() {
    for (std::size_t k = 0; k < c_.drugs.size(); ++k) {
      const Drug& d = c_.drugs[k];
      w_.start("component", {{"typeCode", "COMP"}});
      w_.start("causalityAssessment", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
      code("20", kCsObservation, "interventionCharacterization");
      value_ce(std::to_string(static_cast<int>(d.role)), kCsDrugRole, role_name(d.role));
      product_reference(k);
      w_.end();
      w_.end();
    }
    for (std::size_t k = 0; k < c_.drugs.size(); ++k) {
      for (const Causality& a : c_.drugs[k].causality) {
        const std::string result = fda_ ? fda_causality_result(a.result) : trimmed(a.result);
        const std::string method = fda_ ? std::string("FDA") : trimmed(a.method);
        std::string source = trimmed(a.source);
        if (fda_ && source.empty()) source = "Sponsor";
        w_.start("component", {{"typeCode", "COMP"}});
        w_.start("causalityAssessment", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
        code("39", kCsObservation, "causality");
        if (!result.empty()) w_.text_element("value", {{"xsi:type", "ST"}}, result);  // .r.3
        if (!method.empty()) {                                                // G.k.9.i.2.r.2
          w_.start("methodCode");
          w_.text_element("originalText", {}, method);
          w_.end();
        }
        if (!source.empty()) {                                                // G.k.9.i.2.r.1
          w_.start("author", {{"typeCode", "AUT"}});
          w_.start("assignedEntity", {{"classCode", "ASSIGNED"}});
          w_.start("code");
          w_.text_element("originalText", {}, source);
          w_.end();
          w_.end();
          w_.end();
        }
        // The reaction assessed (G.k.9.i.1): pvmon's one reaction; another id is referred to
        // as given, never silently moved onto the case's reaction.
        const std::string_view rid = a.reaction_id.empty() ? std::string_view(reaction_id_)
                                                           : std::string_view(a.reaction_id);
        w_.start("subject1", {{"typeCode", "SUBJ"}});
        w_.start("adverseEffectReference", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
        const std::string ref = rid == reaction_id_
                                    ? reaction_uuid_
                                    : entity_uuid(c_.safety_report_id, "reaction", rid);
        w_.leaf("id", {{"root", ref}});
        w_.end();
        w_.end();
        product_reference(k);
        w_.end();
        w_.end();
      }
    }
  }

  void product_reference(std::size_t k) {
    w_.start("subject2", {{"typeCode", "SUBJ"}});
    w_.start("productUseReference", {{"classCode", "SBADM"}, {"moodCode", "EVN"}});
    w_.leaf("id", {{"root", drug_uuids_[k]}});
    w_.end();
    w_.end();
  }

  const Case& c_;
  const bool fda_;
  XmlWriter w_;
  std::string reaction_id_, reaction_uuid_;
  std::vector<std::string> drug_uuids_;
};

}  // namespace

std::string build(const Case& c, Profile profile) { return Builder(c, profile).run(); }

}  // namespace pvmon::icsr
