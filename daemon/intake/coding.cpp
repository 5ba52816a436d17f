// Coding an AE against CTCAE v5.0: term, grade, lab grade, and the grade-5 consistency rules.
#include <cmath>

#include "pvmon/intake.hpp"

namespace pvmon::intake {

using nlohmann::json;

namespace {

// MedDRA PT -> the CTCAE v5.0 term, an LLT of another name under that PT. CTCAE v5.0 codes every
// term by a MedDRA LLT (v20.1); many are PTs too (every PT is also an LLT of the same code), but
// some are LLTs in US spelling or a plainer word under a PT that is not a CTCAE term. The
// published CSV has one code column and the SOC name: no PT, no LLT level, no SOC code, so the
// PT side cannot be derived from it. Only PTs whose codes are widely published are listed; each
// row is checked by tests/unit/intake against the embedded dictionary.
constexpr PtWithCtcaeLlt kPtsWithCtcaeLlt[] = {
    {"10012735", "Diarrhoea", "10012727"},  // CTCAE: Diarrhea
    {"10002034", "Anaemia", "10002272"},    // CTCAE: Anemia
    {"10013968", "Dyspnoea", "10013963"},   // CTCAE: Dyspnea
    {"10037660", "Pyrexia", "10016558"},    // CTCAE: Fever
};

/// The subject's baseline for the analyte this term grades, found by resolving each baseline
/// key ("alt", "platelets") to its CTCAE term.
std::optional<std::pair<double, bool>> baseline_for(const ctcae::Term& term,
                                                    const ctcae::Resolver& resolver,
                                                    const json& baseline) {
  if (!baseline.is_object()) return std::nullopt;
  for (auto it = baseline.begin(); it != baseline.end(); ++it) {
    auto res = resolver.resolve(it.key());
    if (!res.match || res.match->term != &term) continue;
    const json& b = it.value();
    if (!b.is_object() || !b.contains("value") || !b["value"].is_number()) continue;
    const double v = b["value"].get<double>();
    // Abnormal baseline: outside the reference range the site gave with it.
    bool abnormal = false;
    if (b.contains("uln") && b["uln"].is_number() && v > b["uln"].get<double>()) abnormal = true;
    if (b.contains("lln") && b["lln"].is_number() && v < b["lln"].get<double>()) abnormal = true;
    return std::make_pair(v, abnormal);
  }
  return std::nullopt;
}

}  // namespace

std::span<const PtWithCtcaeLlt> pts_with_ctcae_llt() { return kPtsWithCtcaeLlt; }

const PtWithCtcaeLlt* ctcae_llt_under_pt(std::string_view code) {
  for (const auto& p : kPtsWithCtcaeLlt)
    if (p.pt_code == code) return &p;
  return nullptr;
}

Result<Coded> code_ae(const AeDraft& d, const ctcae::Resolver& resolver, const json& baseline) {
  std::vector<FieldError> errors;
  // A PT code is not coded silently as the CTCAE LLT under it: the site's system is told the
  // CTCAE code, so that it can map the PT itself (its MedDRA browser decides, not pvmon).
  std::string_view code = d.term;
  while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
  while (!code.empty() && code.back() == ' ') code.remove_suffix(1);
  const PtWithCtcaeLlt* pt = ctcae_llt_under_pt(code);
  // Every row names an embedded term (tests/unit/intake holds the table to the dictionary).
  if (const ctcae::Term* llt = pt ? ctcae::find_code(pt->ctcae_code) : nullptr) {
    return Error::field(Errc::invalid, "term",
                        "'" + std::string(code) + "' is the MedDRA PT " + std::string(pt->pt_name) +
                            ", not a CTCAE v5.0 term: CTCAE v5.0 codes it as the LLT " +
                            std::string(llt->term) + " (" + std::string(llt->meddra_code) +
                            ") under that PT; did you mean: " + std::string(llt->term) + " (" +
                            std::string(llt->meddra_code) + ")");
  }
  auto resolved = resolver.resolve_field(d.term, "term");
  if (!resolved) return resolved.error();
  const ctcae::Match& m = resolved.value();
  Coded c;
  c.term = m.term;
  c.match = m.kind;
  c.synonym = std::string(m.synonym);
  if (auto st = ctcae::check_verbatim(*m.term, d.verbatim); !st)
    for (const auto& f : st.error().fields) errors.push_back(f);
  if (d.grade) {
    c.reported_grade = d.grade;
    if (auto st = ctcae::check_grade(*m.term, *d.grade); !st)
      for (const auto& f : st.error().fields) errors.push_back(f);
  }

  if (d.lab) {
    ctcae::LabInput in;
    in.test = std::string(m.term->meddra_code);
    in.value = d.lab->value.value_or(0.0);
    in.unit = d.lab->unit;
    in.uln = d.lab->uln;
    in.lln = d.lab->lln;
    in.systolic = d.lab->systolic;
    in.diastolic = d.lab->diastolic;
    in.on_anticoagulation = d.lab->on_anticoagulation;
    // CTCAE v5.0 grades liver tests against baseline when baseline was abnormal: the report's
    // own baseline wins, else the subject's stored one.
    if (d.lab->baseline) {
      in.baseline = d.lab->baseline;
      in.baseline_abnormal =
          d.lab->baseline_abnormal.value_or(d.lab->uln && *d.lab->baseline > *d.lab->uln);
    } else if (auto b = baseline_for(*m.term, resolver, baseline)) {
      in.baseline = b->first;
      in.baseline_abnormal = b->second;
    }
    auto g = ctcae::grade_lab(in);
    if (!g) {
      // A lab value the term has no rule for is kept as data when the site graded the event;
      // without a grade it is an error.
      const bool no_rule = g.error().fields.size() == 1 && g.error().fields[0].field == "lab.test";
      if (!(no_rule && d.grade))
        for (const auto& f : g.error().fields)
          errors.push_back({f.field == "lab.test" ? "lab" : f.field,
                            f.field == "lab.test"
                                ? "no CTCAE lab rule grades '" + std::string(m.term->term) +
                                      "': give the grade"
                                : f.message});
    } else {
      c.lab_grade = g->grade;
      c.lab_criterion = g->criterion;
      c.lab_basis = g->basis;
      if (g->grade == 0 && !d.grade)
        errors.push_back({"lab.value", "is within the normal range for " +
                                           std::string(m.term->term) +
                                           " (grade 0 is not an adverse event): " + g->criterion});
    }
  }

  if (!d.grade && !c.lab_grade && errors.empty())
    errors.push_back({"grade", "is required unless a lab value decides it"});
  c.grade = d.grade ? *d.grade : c.lab_grade.value_or(0);
  if (d.grade && c.lab_grade)
    c.grade_basis = *c.lab_grade == *d.grade ? "reported+lab" : "discrepancy";
  else
    c.grade_basis = d.grade ? "reported" : "lab";

  // CTCAE v5.0: grade 5 is death related to the AE; ICH E2A: death is a seriousness criterion.
  if (c.grade == 5) {
    if (!d.serious.death)
      errors.push_back({"serious.death", "must be true for a grade 5 (fatal) event"});
    if (d.outcome != "fatal") errors.push_back({"outcome", "must be 'fatal' for a grade 5 event"});
  } else if (d.outcome == "fatal" && !d.death_unrelated) {
    errors.push_back({"grade", "must be 5 when the outcome is fatal (or set death_unrelated: "
                               "the subject died of something else)"});
    errors.push_back({"outcome", "is 'fatal' but the grade is " + std::to_string(c.grade)});
  }
  // ICH E2A II.B: "results in death" says the event caused the death, so the event is fatal:
  // CTCAE v5.0 grade 5 with outcome fatal (a death from something else is death_unrelated).
  if (d.serious.death && c.grade != 5 && c.grade != 0)
    errors.push_back({"serious.death",
                      "is true (results in death, ICH E2A II.B) but the grade is " +
                          std::to_string(c.grade) +
                          ": an event that results in death is grade 5 with outcome 'fatal'"});
  // And its outcome is the death (grade 5 names it above).
  if (d.serious.death && c.grade != 5 && d.outcome != "fatal")
    errors.push_back({"outcome", "is '" + d.outcome +
                                     "' but serious.death is true (results in death, ICH E2A II.B): "
                                     "the outcome of an event that results in death is 'fatal'"});
  if (d.death_unrelated && d.outcome != "fatal")
    errors.push_back({"death_unrelated", "applies only when the outcome is fatal"});

  if (!errors.empty()) return Error::invalid(std::move(errors));
  return c;
}

json to_json(const Coded& c) {
  json j{{"version", std::string(ctcae::kVersion)},
         {"meddra_code", std::string(c.term->meddra_code)},
         {"term", std::string(c.term->term)},
         {"soc", std::string(c.term->soc)},
         {"protocol_term", c.term->protocol},
         {"match", std::string(ctcae::to_string(c.match))},
         {"synonym", c.synonym.empty() ? json(nullptr) : json(c.synonym)},
         {"grade", c.grade},
         {"grade_text", c.grade >= 1 && c.grade <= 5
                            ? json(std::string(c.term->grades[static_cast<std::size_t>(c.grade - 1)]))
                            : json(nullptr)},
         {"grade_basis", c.grade_basis},
         {"reported_grade", c.reported_grade ? json(*c.reported_grade) : json(nullptr)},
         {"lab_grade", c.lab_grade ? json(*c.lab_grade) : json(nullptr)},
         {"lab_criterion", c.lab_grade ? json(c.lab_criterion) : json(nullptr)},
         {"lab_basis", c.lab_grade ? json(c.lab_basis) : json(nullptr)},
         {"grade_discrepancy", c.grade_basis == "discrepancy"}};
  return j;
}

}  // namespace pvmon::intake
