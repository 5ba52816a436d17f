// pvmon::ctcae — the embedded CTCAE v5.0 dictionary (837 terms, generated at build time from
// ctcae/data/ctcae_v5.0.csv), term resolution (code, exact, synonym, protocol term, ranked
// suggestions), grade checks and lab grading. No I/O. Every function is safe from any thread;
// a Resolver is immutable after construction. Input-driven failures are Result/Status values.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::ctcae {

constexpr std::string_view kVersion = "5.0";

/// One CTCAE term (or a protocol-specific term, `protocol` true). Grade texts are "" where the
/// CSV says "-" (that grade does not exist for the term).
struct Term {
  std::string_view meddra_code, soc, term;
  std::array<std::string_view, 5> grades;
  std::string_view definition, navigational_note;
  bool protocol = false;
  bool other_specify = false;  // "... - Other, specify": a verbatim must say what it is

  /// g in 1..5 and the row defines that grade.
  constexpr bool has_grade(int g) const {
    return g >= 1 && g <= 5 && !grades[static_cast<std::size_t>(g - 1)].empty();
  }
  std::vector<int> allowed_grades() const;
};

/// The 837 embedded CTCAE v5.0 terms, in the published order (SOC, then term).
std::span<const Term> terms();
/// Embedded term by its 8-digit MedDRA code; nullptr if none.
const Term* find_code(std::string_view meddra_code);
/// Embedded term by its exact published name (case-sensitive); nullptr if none.
const Term* find_term(std::string_view name);

/// The curated synonym table: verbatim text sites write -> published CTCAE term name.
struct Synonym {
  std::string_view text;
  std::string_view term;
};
std::span<const Synonym> synonyms();

/// Lower-case ASCII letters and digits only: "Hand-foot  Syndrome" -> "handfootsyndrome".
/// The key for code/exact/synonym matching ("ignoring case, spacing and punctuation").
std::string normalize_key(std::string_view text);

// ---------------------------------------------------------------- resolution

struct ProtocolTermDef {
  std::string code;  // e.g. "PROTO-RCCEP"
  std::string term;
  std::vector<std::string> synonyms;
  std::array<std::string, 5> grades;  // "" = grade does not exist
  std::string definition;
};

enum class MatchKind { code, exact, synonym, protocol };
std::string_view to_string(MatchKind kind);

struct Match {
  const Term* term = nullptr;
  MatchKind kind = MatchKind::exact;
  std::string_view synonym;  // the synonym that matched (synonym and protocol kinds), else ""
  bool verbatim_required() const { return term != nullptr && term->other_specify; }
};

struct Suggestion {
  const Term* term = nullptr;
  double score = 0.0;         // 0..1, higher is better
  std::string_view via;       // the name or synonym that scored best
};

struct Resolution {
  std::optional<Match> match;           // set when the text resolved
  std::vector<Suggestion> suggestions;  // up to 5, best first, only when it did not
};

/// Resolves verbatim AE terms against the embedded dictionary plus protocol terms.
/// Immutable after construction; Term pointers stay valid for the Resolver's lifetime
/// (embedded terms: forever). Movable, not copyable.
class Resolver {
 public:
  /// Embedded dictionary and curated synonyms only.
  Resolver();
  /// Adds protocol terms. Fails (Errc::invalid, field "protocol_terms[i]...") when a code,
  /// name or synonym is empty or would collide with an existing key: two equally good matches
  /// must never exist.
  static Result<Resolver> with_protocol_terms(std::vector<ProtocolTermDef> defs);

  Resolver(Resolver&&) noexcept;
  Resolver& operator=(Resolver&&) noexcept;
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  /// Order: MedDRA code, exact term (normalised), curated synonym, protocol term (code, name or
  /// synonym). Otherwise up to `max_suggestions` ranked suggestions; never a silent pick.
  Resolution resolve(std::string_view text, std::size_t max_suggestions = 5) const;
  /// Ranked suggestions only (token overlap weighted by rarity, plus edit distance).
  std::vector<Suggestion> suggest(std::string_view text, std::size_t max = 5) const;
  /// Embedded or protocol term by code.
  const Term* find_code(std::string_view code) const;
  std::span<const Term> protocol_terms() const;

  /// For intake: the match, or Errc::invalid on `field` listing the suggestions with codes.
  Result<Match> resolve_field(std::string_view text, std::string_view field = "term") const;

 private:
  struct Impl;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// "Other, specify" terms need a non-blank verbatim saying what the event was:
/// Errc::invalid on `field` otherwise.
Status check_verbatim(const Term& term, std::string_view verbatim,
                      std::string_view field = "verbatim");

// ---------------------------------------------------------------- grades

bool grade_defined(const Term& term, int grade);
/// "grades 1, 2 only" (Alopecia), "grades 1, 2, 3, 4, 5".
std::string allowed_grades_text(const Term& term);
/// Errc::invalid on `field` when the grade does not exist for the term; the message names
/// the allowed grades.
Status check_grade(const Term& term, int grade, std::string_view field = "grade");

// ---------------------------------------------------------------- lab grading

/// A lab value to grade. `uln`, `lln` and `baseline` are in the same unit as `value`.
struct LabInput {
  std::string test;  // term name, MedDRA code or synonym ("ALT", "platelets", "Hb", ...)
  double value = 0.0;
  std::string unit;
  std::optional<double> uln, lln, baseline;
  bool baseline_abnormal = false;
  bool on_anticoagulation = false;           // INR increased: grade against baseline
  std::optional<double> systolic, diastolic;  // hypertension (mm Hg); value/unit unused
};

struct LabGrade {
  const Term* term = nullptr;
  int grade = 0;          // 0 = within normal / below the grade 1 threshold: not an AE
  std::string criterion;  // the CTCAE grade text that decided (and any caveat), or why 0
  std::string basis;      // "ULN", "LLN", "baseline", "absolute"
};

/// Grades a lab value by the CTCAE v5.0 row of its term. Errors name the field:
/// lab.test (unknown or not gradable from a value), lab.unit, lab.value, lab.uln, lab.lln,
/// lab.baseline, lab.systolic. Where the value alone cannot choose between two grades
/// (clinical context such as "symptomatic"), the lower grade the value supports is returned and
/// the criterion says which higher grade the clinical context would give.
Result<LabGrade> grade_lab(const LabInput& input);

/// Whether grade_lab grades `test` from a value: a term name, MedDRA code, synonym or lab test
/// name ("ALT", "platelets", "total_bilirubin"), read as grade_lab reads it.
bool is_lab_test(std::string_view test);

/// The lab tests grade_lab understands (term names), for help texts.
std::vector<std::string_view> gradable_tests();

/// Dipstick reading "negative", "trace", "1+" .. "4+" -> 0, 0.5, 1..4 (the value grade_lab
/// expects with unit "dipstick"); nullopt when not a reading.
std::optional<double> parse_dipstick(std::string_view text);

}  // namespace pvmon::ctcae
