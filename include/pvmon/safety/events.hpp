// pvmon::safety — subject events (surgery, discharge, death, ...): the one table of kinds and
// fields, and the validator that checks a new event's fields and its chronology.
// Pure functions (no I/O; "today" is passed in), callable from any thread. A bad event is an
// Error{Errc::invalid} listing every FieldError, each naming the field and the conflicting event.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pvmon/core.hpp"
#include "pvmon/safety/ae_facts.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

enum class FieldType {
  date,        // "YYYY-MM-DD"
  string,      // non-empty text
  enumeration, // one of `allowed`
  study_drug,  // one of the study's drugs (passed to the validator)
  number,      // finite, within [min, max]
  integer,     // whole number, within [min, max]
  boolean,     // true or false
};

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required;
  std::span<const std::string_view> allowed = {};  // enumeration only
  double min = 0;  // number/integer only
  double max = 0;
  std::string_view note = {};  // why the field or constraint exists
};

struct EventKindSpec {
  std::string_view kind;
  std::span<const FieldSpec> fields;  // besides the common ones ("kind", "date", "corrects")
};

/// Every event kind the API accepts, with its fields: the single source the validator,
/// the HTTP docs and the store use.
std::span<const EventKindSpec> event_kinds();
const EventKindSpec* find_event_kind(std::string_view kind);

/// A recorded event as the store holds it (the current view: corrections already applied).
struct SubjectEvent {
  std::int64_t id = 0;  // 0 for a new, not yet stored event
  std::string kind;
  Date date;
  nlohmann::json fields = nlohmann::json::object();  // all fields, including kind and date
};

struct EventContext {
  Date enrolled;
  Date today;  // UTC date "now", from the injected clock
  std::vector<std::string> study_drugs;  // e.g. {"camrelizumab", "apatinib"}
  std::vector<SubjectEvent> existing;    // the subject's events (any order)
  /// The subject's AE reports in force (nullified ones left out): their grade 5 deaths, their
  /// onsets and report ids (SubjectStore::subject_aes).
  std::vector<CourseAe> aes = {};
};

/// Validates a posted event: known kind, required fields present, types and allowed values,
/// no unknown fields, then chronology against the subject's events:
/// - no date before enrolment, none after `today`;
/// - one index surgery: a later operation is a reoperation, and a reoperation needs a prior
///   surgery;
/// - discharge only while admitted (after or on the day of the surgery or a readmission);
///   readmission only after a discharge;
/// - per drug: dose change, hold and stop only after a start, nothing after a stop;
///   radiotherapy end only after a start;
/// - a surgical complication only on or after the index surgery;
/// - nothing dated after a death from any source (a death event, a Clavien–Dindo V
///   complication, a grade 5 AE's death date), one death event only; a death (event or
///   Clavien–Dindo V) not before an AE's onset nor on another day than a grade 5 AE's death
///   (course.hpp, event_course_errors);
/// - a response assessment after the start of study treatment (a drug or radiotherapy start on
///   an earlier day) and not after the index surgery (the tumour is resected then: a later
///   finding is a relapse); its Cheng type before treatment the same in every assessment;
///   the PVTT given as both Cheng types, or the portal-flow finding, or both;
/// - one pathology report, of the index surgery's specimen (dated on the surgery's day);
/// - a death's `related_ae` names one of the subject's AE reports in force;
/// An event may carry `"corrects": <event id>` to replace an earlier event of the same kind
/// (a follow-up correction); the chronology is then checked without the corrected event.
/// That is also how a death is corrected after it is recorded.
/// On success returns the event (id 0) ready to store.
Result<SubjectEvent> validate_event(const nlohmann::json& body, const EventContext& ctx);

/// Clavien–Dindo grade (Dindo, Demartines, Clavien, Ann Surg 2004;240:205), ordered.
enum class ClavienDindo { I, II, IIIa, IIIb, IVa, IVb, V };
struct ClavienDindoGrade {
  ClavienDindo grade = ClavienDindo::I;
  bool disability = false;  // suffix "d": disability present at discharge
  bool operator==(const ClavienDindoGrade&) const = default;
};
/// "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V", each but V with an optional "d".
std::optional<ClavienDindoGrade> parse_clavien_dindo(std::string_view s);
std::string to_string(ClavienDindoGrade g);

}  // namespace pvmon::safety
