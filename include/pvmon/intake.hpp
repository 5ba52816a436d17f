// pvmon::intake — parse and validate what a site posts (subjects, AE reports) into drafts.
// Pure: no I/O and no clock reads ("today" is passed in); callable from any thread. Every
// problem is collected and returned as one Error with a FieldError per field, never just the
// first. This is the function the fuzz target drives.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/time.hpp"

namespace pvmon::intake {

/// A subject id: 1 to 64 of A-Z a-z 0-9 . _ -, the first a letter or digit
/// (^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$), so that it is one URL path segment as the subject's
/// routes take it, never "." or "..", and safe in a file name or an SDTM USUBJID ("S01-0007").
bool valid_subject_id(std::string_view id);
/// What an id that is not valid_subject_id is told.
inline constexpr const char* kSubjectIdRule =
    "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

/// What validation needs to know about the study (from its config).
struct StudyRules {
  std::vector<std::string> interventions;  // ids: causality and action_taken keys
};

struct SubjectDraft {
  std::string subject;
  Date enrolled;
  std::string sex;  // "M", "F", "U"
  int age = 0;
  nlohmann::json baseline = nlohmann::json::object();  // validated lab values by analyte key
};

/// POST /subjects. Direct identifiers (names, dates of birth, ...) are refused by the
/// unknown-field rule: only the listed keys are accepted.
Result<SubjectDraft> parse_subject(const nlohmann::json& body, Date today);

/// Baseline labs: {"alt": {"value": 52, "unit": "U/L", "uln": 40}, ...}; `prefix` names the
/// field path in errors ("baseline").
void validate_baseline(const nlohmann::json& baseline, const std::string& prefix,
                       std::vector<FieldError>& errors);

struct LabValue {
  std::optional<double> value;  // absent only for blood pressure
  std::optional<double> systolic, diastolic;  // mm Hg, for Hypertension
  bool on_anticoagulation = false;            // INR increased is then graded against baseline
  std::string unit;
  std::optional<double> uln, lln, baseline;
  std::optional<bool> baseline_abnormal;
};

/// The six seriousness criteria of ICH E2A II.B.
struct SeriousFlags {
  bool death = false, life_threatening = false, hospitalization = false, disability = false,
       congenital_anomaly = false, medically_important = false;
  bool any() const {
    return death || life_threatening || hospitalization || disability || congenital_anomaly ||
           medically_important;
  }
};

struct AeDraft {
  std::string report_id;
  std::string subject;
  std::string term;
  std::string verbatim;
  std::optional<int> grade;
  std::optional<LabValue> lab;
  Date onset;
  std::optional<Date> resolved;
  Timestamp site_aware_at;
  SeriousFlags serious;
  std::map<std::string, std::string> causality;     // intervention -> scale value
  std::map<std::string, std::string> action_taken;  // intervention -> CDISC AEACN-like value
  std::string outcome;
  std::string narrative;
  bool death_unrelated = false;  // the subject died, but not of this AE (outcome fatal, grade < 5)
};

/// Subject-dependent facts the caller looked up before validation.
struct SubjectFacts {
  bool known = false;
  Date enrolled;
};

/// POST /ae. `now` bounds dates from the future; the subject's enrolment bounds onset. The
/// subject id must be valid_subject_id unless `subject` is known (enrolled before the rule).
Result<AeDraft> parse_ae(const nlohmann::json& body, const StudyRules& rules, Timestamp now,
                         const SubjectFacts& subject);

/// The report coded against CTCAE v5.0 (or a protocol term) and its grade decided.
struct Coded {
  const ctcae::Term* term = nullptr;
  ctcae::MatchKind match{};
  std::string synonym;
  int grade = 0;                    // the grade in force: the site's when reported
  std::optional<int> reported_grade;
  std::optional<int> lab_grade;
  std::string lab_criterion;        // the CTCAE text that decided the lab grade
  std::string lab_basis;            // ULN, LLN, baseline, absolute
  std::string grade_basis;          // reported, lab, reported+lab, discrepancy
};

/// Resolves the term, checks the grade exists for it, grades a lab value (against the
/// subject's baseline where CTCAE v5.0 says so), and checks grade 5 against death and outcome.
/// `baseline` is the subject's baseline object ({"alt": {"value", "unit", "uln", "lln"}}).
Result<Coded> code_ae(const AeDraft& d, const ctcae::Resolver& resolver,
                      const nlohmann::json& baseline);

/// The coding as stored with the report.
nlohmann::json to_json(const Coded& c);

/// A MedDRA PT whose CTCAE v5.0 term is an LLT of another name under it (PT 10012735
/// Diarrhoea, CTCAE LLT 10012727 Diarrhea). Without a MedDRA licence pvmon knows only the
/// CTCAE codes: these few well-known pairs are all it can map (README "HL7 FHIR R4").
struct PtWithCtcaeLlt {
  std::string_view pt_code, pt_name, ctcae_code;
};
std::span<const PtWithCtcaeLlt> pts_with_ctcae_llt();
/// The pair whose PT is `code`, or nullptr.
const PtWithCtcaeLlt* ctcae_llt_under_pt(std::string_view code);

/// The allowed values, exported for error messages, the API document and tests.
extern const std::vector<std::string> kCausalityValues;
extern const std::vector<std::string> kActionValues;
extern const std::vector<std::string> kOutcomeValues;

/// The draft as stored and returned (without server fields).
nlohmann::json to_json(const AeDraft& d);
nlohmann::json to_json(const SubjectDraft& s);

/// Text limits: ids are short printable ASCII; free text is bounded.
inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::size_t kMaxTextLength = 200;
inline constexpr std::size_t kMaxNarrativeLength = 20'000;

}  // namespace pvmon::intake
