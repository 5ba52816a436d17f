#include <algorithm>
#include <cctype>

#include "pvmon/safety/classification.hpp"
#include "pvmon/text.hpp"

namespace pvmon::safety {

std::vector<FieldError> check_seriousness(int grade, const Seriousness& s) {
  std::vector<FieldError> out;
  if (grade < 1 || grade > 5) {
    out.push_back({"grade", "grade " + std::to_string(grade) + " is not a CTCAE grade (1..5)"});
    return out;
  }
  // CTCAE v5.0: grade 5 is death related to the AE, so ICH E2A's death criterion holds.
  if (grade == 5 && !s.death)
    out.push_back({"serious.death", "grade 5 (death related to the AE) requires the death criterion"});
  return out;
}

std::optional<Causality> parse_causality(std::string_view s) {
  if (s == "unrelated" || s == "not_related") return Causality::unrelated;
  if (s == "unlikely") return Causality::unlikely;
  if (s == "possible") return Causality::possible;
  if (s == "probable") return Causality::probable;
  // WHO-UMC causality categories: "certain" is the top category, our "definite".
  if (s == "definite" || s == "certain") return Causality::definite;
  // WHO-UMC "unassessable/unclassifiable": insufficient information to judge.
  if (s == "unassessable" || s == "unclassifiable") return Causality::unassessable;
  return std::nullopt;
}

std::string_view to_string(Causality c) {
  switch (c) {
    case Causality::unrelated: return "unrelated";
    case Causality::unlikely: return "unlikely";
    case Causality::possible: return "possible";
    case Causality::probable: return "probable";
    case Causality::definite: return "definite";
    case Causality::unassessable: return "unassessable";
  }
  return "unassessable";
}

bool is_related(Causality c) {
  // ICH E2A III.A.1 and CLINICAL.md: a reasonable possibility, i.e. the relationship cannot be
  // ruled out; an assessment that cannot be made does not rule it out either.
  return c == Causality::possible || c == Causality::probable || c == Causality::definite ||
         c == Causality::unassessable;
}

namespace {

const ExpectedTerm* listed(const Intervention& iv, std::string_view meddra_code, std::string_view term) {
  for (const auto& t : iv.expected_terms) {
    if (!meddra_code.empty() && t.term == meddra_code) return &t;
    if (!term.empty() && iequals(t.term, term)) return &t;
  }
  return nullptr;
}

}  // namespace

bool is_expected(const Intervention& iv, std::string_view meddra_code, std::string_view term) {
  return listed(iv, meddra_code, term) != nullptr;
}

std::optional<std::string> unexpected_because(const Intervention& iv, const AeFacts& ae) {
  const ExpectedTerm* t = listed(iv, ae.meddra_code, ae.term);
  if (!t) return "not in " + iv.id + "'s reference safety information";
  // EU CT-3 7.2.3: a fatal or life-threatening outcome of a listed reaction is unexpected
  // unless the RSI lists that outcome; so is a reaction more severe than the RSI describes.
  if (ae.grade == 5 || ae.seriousness.death) {
    if (!t->fatal) return "fatal, and " + iv.id + "'s reference safety information lists no fatal " + t->term;
  } else if (ae.seriousness.life_threatening || ae.grade == 4) {
    if (!t->life_threatening)
      return "life-threatening, and " + iv.id + "'s reference safety information lists no life-threatening " +
             t->term;
  }
  if (ae.grade > t->max_grade)
    return "grade " + std::to_string(ae.grade) + " is more severe than the grade " +
           std::to_string(t->max_grade) + " " + iv.id + "'s reference safety information lists for " + t->term;
  return std::nullopt;
}

Classification classify(const AeFacts& ae, const std::vector<Intervention>& interventions) {
  Classification c;
  c.serious = ae.seriousness.serious() || ae.grade == 5;
  c.fatal_or_life_threatening =
      ae.seriousness.death || ae.seriousness.life_threatening || ae.grade == 5;
  if (!c.serious) c.reasons.push_back("not serious: no ICH E2A seriousness criterion");
  if (ae.grade == 5 && !ae.seriousness.death)
    c.reasons.push_back("grade 5 implies the death criterion");

  for (const auto& iv : interventions) {
    const auto site = ae.site_causality.find(iv.id);
    const auto sponsor = ae.sponsor_causality.find(iv.id);
    const bool assessed = site != ae.site_causality.end() || sponsor != ae.sponsor_causality.end();
    bool related = false;
    if (!assessed) {
      related = true;
      c.reasons.push_back("no causality given for " + iv.id + ": treated as cannot be ruled out");
    } else {
      if (site != ae.site_causality.end() && is_related(site->second)) {
        related = true;
        c.reasons.push_back("site assesses " + iv.id + " as " + std::string(to_string(site->second)));
      }
      if (sponsor != ae.sponsor_causality.end() && is_related(sponsor->second)) {
        related = true;
        c.reasons.push_back("sponsor assesses " + iv.id + " as " +
                            std::string(to_string(sponsor->second)));
      }
    }
    if (related) c.related_to.push_back(iv.id);
    if (!iv.investigational_product) continue;

    const auto why = unexpected_because(iv, ae);
    ProductAssessment p{iv.id, related, !why};
    if (related)
      c.reasons.push_back(why ? "unexpected for " + iv.id + ": " + *why
                              : "expected for " + iv.id + " (reference safety information)");
    if (c.serious && p.related && !p.expected) c.susar = true;
    c.products.push_back(std::move(p));
  }
  if (c.susar) {
    c.reasons.push_back(c.fatal_or_life_threatening
                            ? "SUSAR, fatal or life-threatening: 7-day report"
                            : "SUSAR: 15-day report");
  } else if (c.serious) {
    c.reasons.push_back("serious but not a SUSAR");
  }
  return c;
}

}  // namespace pvmon::safety
