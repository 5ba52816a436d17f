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

/// A study intervention with its reference safety information (RSI: the terms its
/// investigator brochure lists as expected, as MedDRA codes or CTCAE term names).
struct Intervention {
  std::string id;
  std::string kind;  // drug, radiotherapy, surgery
  bool investigational_product = false;
  std::vector<std::string> expected_terms;
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
/// regard to ASCII case.
bool is_expected(const Intervention& iv, std::string_view meddra_code, std::string_view term);

/// SUSAR = serious + suspected related to an investigational product + unexpected against that
/// product's RSI (ICH E2A III.A; 21 CFR 312.32(a) "suspected adverse reaction", "unexpected").
/// An intervention with no assessment from either party is treated as "cannot be ruled out"
/// (conservative) and a reason says so; the AE validator should normally require one.
Classification classify(const AeFacts& ae, const std::vector<Intervention>& interventions);

}  // namespace pvmon::safety
