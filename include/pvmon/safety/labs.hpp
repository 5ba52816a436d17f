// pvmon::safety — laboratory results as a stream: a posted panel validated and graded (CTCAE
// v5.0, against the subject's baseline where CTCAE says so), the potential Hy's law rule, the lab
// finding without an AE report, and the DSMB's eDISH points and shift tables.
// Pure functions (no I/O; "today" and the cut-off are passed in), callable from any thread.
// CLINICAL.md "Drug-induced liver injury"; "CTCAE v5.0 liver tests are graded against baseline
// when baseline is abnormal".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pvmon/core.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

/// The analytes the liver rules read, by their CTCAE v5.0 term. Every other gradable test is
/// accepted and graded (ctcae::gradable_tests()) with `Analyte::other`.
enum class Analyte { alt, ast, alp, bilirubin, other };
std::string_view to_string(Analyte a);
/// The analyte a CTCAE term grades ("Alanine aminotransferase increased" -> alt, ...).
Analyte analyte_of(const ctcae::Term& term);

/// The subject's baseline value of one analyte (the subject's `baseline` object as stored).
struct BaselineValue {
  double value = 0;
  std::optional<double> uln, lln;
  std::string unit;  // as stored; a panel's result of the term must be in the same unit
  bool abnormal() const { return (uln && value > *uln) || (lln && value < *lln); }
};

/// One graded result as stored.
struct LabResult {
  std::int64_t panel = 0;          // the stored panel's id (0 until stored)
  std::string panel_ref;           // the site's panel id
  Timestamp collected_at;          // the panel's collection time
  std::string test;                // as posted ("ALT")
  const ctcae::Term* term = nullptr;  // what it grades (never null once validated)
  Analyte analyte = Analyte::other;
  double value = 0;
  std::string unit;
  std::optional<double> uln, lln;
  std::optional<BaselineValue> baseline;  // the subject's, for this term
  int grade = 0;                   // CTCAE v5.0, 0 = not an AE grade
  std::string criterion, basis;    // ctcae::LabGrade's
  std::optional<double> x_uln;     // value / ULN
  std::optional<double> x_baseline;  // value / baseline
};

/// A graded result as every view gives it (the panel's stored record, the subject's results):
/// test, term, meddra_code, analyte, value, unit, uln, lln, baseline, grade, criterion, basis,
/// x_uln, x_baseline, and `panel_id` and `collected_at` once they are known.
nlohmann::json result_json(const LabResult& r);

struct LabPanel {
  std::string panel_id;  // the site's, unique per study: the idempotency key
  Timestamp collected_at;
  std::vector<LabResult> results;
};

struct LabContext {
  Date enrolled;
  Timestamp now;                      // nothing collected in the future
  std::optional<Date> death;          // the course's date of death: nothing collected after it
  nlohmann::json baseline = nlohmann::json::object();  // the subject's baseline object
  const ctcae::Resolver* resolver = nullptr;
};

/// Validates and grades a posted panel: {"panel_id", "collected_at", "results": [{"test",
/// "value", "unit", "uln", "lln"}]}. `test` is resolved by ctx.resolver (code, term, synonym),
/// else as a lab test name grade_lab knows ("platelets", "total bilirubin", "Hb"). Errors
/// (Errc::invalid) name each field ("results[2].unit"): unknown or ungradable test (with
/// suggestions), unit (also one other than the subject's baseline unit for the term),
/// non-finite or negative value, ULN/LLN missing where the grade needs them or not positive,
/// the same test twice in a panel, collected before enrolment, after the death or in the future
/// (5 minutes of clock skew tolerated, as for site_aware_at), unknown fields. ctx.resolver null:
/// the embedded dictionary.
Result<LabPanel> validate_panel(const nlohmann::json& body, const LabContext& ctx);

/// Potential Hy's law (FDA guidance "Drug-Induced Liver Injury: Premarketing Clinical
/// Evaluation", July 2009): ALT or AST >= 3 x ULN with total bilirubin >= 2 x ULN, without ALP
/// >= 2 x ULN at that time (no initial cholestasis). For an analyte whose baseline is abnormal
/// (above ULN), the multiples apply to the baseline instead of the ULN (Treem et al., Drug Saf
/// 2021;44:133: in chronic liver disease, multiples of baseline, not solely of ULN). The study
/// file may set the multiples and the window.
struct HysLawParams {
  double transaminase_x = 3.0;  // ALT or AST, x ULN (or x baseline when abnormal)
  double bilirubin_x = 2.0;     // total bilirubin
  double alp_x = 2.0;           // ALP at or above this: cholestatic, not a Hy's law pattern
  int window_days = 0;          // 0: the same panel; else results within this many days
};

struct HysLawCase {
  LabResult transaminase;  // the ALT or AST result that met its threshold
  LabResult bilirubin;     // the bilirubin result that met its threshold
  std::optional<LabResult> alp;  // the ALP nearest in time, if any (below its threshold)
  std::string text;        // what was found, naming values, multiples and dates
};

/// The first potential Hy's law case among the subject's results (any order) that involves at
/// least one result of `new_panel` (the site's panel id, LabResult::panel_ref), so a case is
/// raised when its last piece arrives; nullopt when none. "First": the pair completed earliest
/// (the later of its two collection times, then the earlier one, ALT before AST).
std::optional<HysLawCase> potential_hys_law(const std::vector<LabResult>& subject_results,
                                            const std::string& new_panel, const HysLawParams& p);

/// A lab finding without an AE report: a result of grade >= `min_grade` (per analyte, study
/// file) with no AE report of the same CTCAE term whose onset lies within `window_days` of the
/// collection date (either side).
struct LabAeParams {
  int min_grade = 3;
  std::map<std::string, int> min_grade_by_term;  // CTCAE term name -> its own threshold
  int window_days = 7;
};
struct AeOfTerm {
  std::string report_id;
  std::string term;  // CTCAE term name
  Date onset;
};
struct UnreportedFinding {
  LabResult result;
  Date due;  // collection date + window: the alert is raised once `today` is past it
};
/// Every result of grade at or above its threshold, whatever the AE reports, one per (term,
/// panel), in collection order, each with its due date.
std::vector<UnreportedFinding> graded_findings(const std::vector<LabResult>& subject_results, const LabAeParams& p);
/// Those of graded_findings with no matching AE report (answers) whose window has passed by
/// `today`.
std::vector<UnreportedFinding> lab_without_ae(const std::vector<LabResult>& subject_results,
                                              const std::vector<AeOfTerm>& aes, const LabAeParams& p,
                                              Date today);
/// Whether an AE report of `term` with `onset` answers the finding (same term, within the window).
bool answers(const UnreportedFinding& f, const AeOfTerm& ae, const LabAeParams& p);

/// eDISH (evaluation of drug-induced serious hepatotoxicity; Watkins et al., Drug Saf
/// 2011;34:243): per subject, peak ALT (x ULN) against peak total bilirubin (x ULN) after
/// baseline, with the reference lines at 3 x ULN and 2 x ULN. The peaks may come from different
/// days (the plot's convention); the Hy's law quadrant's subjects are listed with their dates.
enum class EdishQuadrant { normal, hyperbilirubinaemia, temple_corollary, hys_law };
std::string_view to_string(EdishQuadrant q);
struct EdishPoint {
  std::string subject;
  double peak_alt_x_uln = 0, peak_bilirubin_x_uln = 0;
  Timestamp alt_at, bilirubin_at;
  EdishQuadrant quadrant = EdishQuadrant::normal;
};
struct Edish {
  std::vector<EdishPoint> points;  // subjects with both an ALT and a bilirubin with ULN
  std::array<int, 4> quadrant_counts{};  // by EdishQuadrant
};
Edish edish(const std::map<std::string, std::vector<LabResult>>& by_subject, Timestamp cutoff);

/// Shift table of one CTCAE term: baseline grade (from the subject's baseline value, graded as
/// a result would be) against worst post-baseline grade, subject counts; `counts[b][w]`.
struct ShiftTable {
  std::string term;
  std::array<std::array<int, 5>, 5> counts{};  // grades 0..4 (a lab value is never grade 5)
  int subjects = 0;     // subjects in `counts` (the sum of its cells)
  int no_baseline = 0;  // subjects with results but no baseline value (or one that cannot be
                        // graded, e.g. stored without its ULN): left out of the table
};
std::vector<ShiftTable> shift_tables(const std::map<std::string, std::vector<LabResult>>& by_subject,
                                     Timestamp cutoff);

}  // namespace pvmon::safety
