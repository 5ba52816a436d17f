// pvmon::safety — seriousness, causality, expectedness and SUSAR classification of one AE version.
// Pure functions (no I/O, no clock reads), callable from any thread. Bad input strings are
// Result errors naming the field; an inconsistent report gives a list of FieldErrors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::safety {

/// The six seriousness criteria (ICH E2A II.B; 21 CFR 312.32(a) "serious adverse event").
struct Seriousness {
  bool death = false;
  bool life_threatening = false;
  bool hospitalization = false;  // requires or prolongs inpatient hospitalisation
  bool disability = false;       // persistent or significant disability/incapacity
  bool congenital_anomaly = false;
  bool medically_important = false;  // important medical event by medical judgement
  bool serious() const {
    return death || life_threatening || hospitalization || disability || congenital_anomaly ||
           medically_important;
  }
  bool operator==(const Seriousness&) const = default;
};

/// Consistency of a CTCAE grade with the criteria: grade must be 1..5, and grade 5 (death
/// related to the AE, CTCAE v5.0) always carries the death criterion. Fields are
/// "grade" and "serious.death". Empty when consistent.
std::vector<FieldError> check_seriousness(int grade, const Seriousness& s);

/// Causality scale. WHO-UMC "certain" is taken as an alias of definite and "unclassifiable"
/// of unassessable; "not_related" of unrelated.
enum class Causality { unrelated, unlikely, possible, probable, definite, unassessable };

std::optional<Causality> parse_causality(std::string_view s);
std::string_view to_string(Causality c);
/// Suspected related: possible, probable, definite, or unassessable (a relationship that
/// cannot be ruled out counts, CLINICAL.md SUSAR rule; ICH E2A III.A.1).
bool is_related(Causality c);

/// One entry of a product's reference safety information (RSI): a term (CTCAE name, protocol
/// term or MedDRA code) and the most severe form of it the RSI describes. A reaction of a listed
/// term is still unexpected when it is more severe than that, or fatal or life-threatening
/// without the RSI listing that outcome (ICH E2A II.C; EU CT-3 7.2.3). A bare term lists grades
/// 1 to 3, neither fatal nor life-threatening outcomes: the conservative reading when the RSI
/// says nothing of severity.
struct ExpectedTerm {
  std::string term;
  int max_grade = 3;
  bool fatal = false;             // fatal outcomes listed
  bool life_threatening = false;  // life-threatening outcomes listed
  ExpectedTerm() = default;
  ExpectedTerm(std::string t) : term(std::move(t)) {}  // NOLINT: a bare term, implicitly
  ExpectedTerm(const char* t) : term(t) {}             // NOLINT: as above
  ExpectedTerm(std::string t, int max, bool f, bool lt)
      : term(std::move(t)), max_grade(max), fatal(f), life_threatening(lt) {}
  bool operator==(const ExpectedTerm&) const = default;
};

/// A study intervention with its reference safety information.
struct Intervention {
  std::string id;
  std::string kind;  // drug, radiotherapy, surgery
  bool investigational_product = false;
  std::vector<ExpectedTerm> expected_terms;
};

/// What the classifier needs of one AE version. Causality maps intervention id -> assessment;
/// the sponsor's map may be empty. A relationship counts when either party cannot rule it out.
struct AeFacts {
  int grade = 1;
  std::string meddra_code;  // resolved by the ctcae module
  std::string term;         // CTCAE term name (or protocol term)
  Seriousness seriousness;
  std::map<std::string, Causality> site_causality;
  std::map<std::string, Causality> sponsor_causality;
};

struct ProductAssessment {
  std::string intervention;
  bool related = false;
  bool expected = false;
  bool operator==(const ProductAssessment&) const = default;
};

struct Classification {
  bool serious = false;
  bool fatal_or_life_threatening = false;
  std::vector<std::string> related_to;      // every intervention judged related, in study order
  std::vector<ProductAssessment> products;  // one per investigational product, in study order
  bool susar = false;
  std::vector<std::string> reasons;  // human-readable, kept with the report version
};

/// Is `term`/`meddra_code` in the intervention's RSI? Codes compare exactly, names without
/// regard to ASCII case. Severity and outcome are not looked at here: see unexpected_because.
bool is_expected(const Intervention& iv, std::string_view meddra_code, std::string_view term);

/// Why the AE is unexpected for the intervention, or nothing when the RSI lists it at this
/// severity and outcome: not listed; more severe than the RSI's highest grade; fatal (grade 5
/// or the death criterion) or life-threatening (the criterion, or CTCAE grade 4,
/// "life-threatening consequences") without the RSI listing that outcome (ICH E2A II.C;
/// EU CT-3 7.2.3).
std::optional<std::string> unexpected_because(const Intervention& iv, const AeFacts& ae);

/// SUSAR = serious + suspected related to an investigational product + unexpected against that
/// product's RSI (ICH E2A III.A; 21 CFR 312.32(a) "suspected adverse reaction", "unexpected").
/// An intervention with no assessment from either party is treated as "cannot be ruled out"
/// (conservative) and a reason says so; the AE validator should normally require one.
Classification classify(const AeFacts& ae, const std::vector<Intervention>& interventions);

}  // namespace pvmon::safety
