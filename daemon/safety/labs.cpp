// Laboratory results as a stream: panel validation and CTCAE v5.0 grading, potential Hy's law,
// the lab finding without an AE report, eDISH and shift tables. Pure; see labs.hpp.
#include "pvmon/safety/labs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <tuple>

#include "pvmon/fields.hpp"

namespace pvmon::safety {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxPanelId = 100;
constexpr std::size_t kMaxResults = 100;
constexpr std::size_t kMaxTest = 200;
constexpr std::size_t kMaxUnit = 32;
// Clock skew tolerated on collected_at, as intake tolerates on site_aware_at.
constexpr std::int64_t kSkewMs = 5 * 60'000;

// a >= b, with the relative tolerance ctcae's lab grading uses at its boundaries (0.3 / 0.1 is
// exactly 3.0 x ULN): every threshold here is inclusive.
bool at_least(double a, double b) {
  return a >= b || std::fabs(a - b) <= 1e-9 * std::max({std::fabs(a), std::fabs(b), 1e-300});
}

// A value as posted, to six significant digits ("248.75", "12345").
std::string fmt_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A multiple to two decimals, trailing zeros dropped down to one decimal ("6.25", "2.0").
std::string fmt_multiple(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

// Units compared as ctcae's grading compares them (case, spaces, µ/μ as u), and IU/L as U/L.
std::string unit_key(std::string_view u) {
  std::string out;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const auto c = static_cast<unsigned char>(u[i]);
    const auto next = i + 1 < u.size() ? static_cast<unsigned char>(u[i + 1]) : 0;
    if (c == ' ') continue;
    if ((c == 0xC2 && next == 0xB5) || (c == 0xCE && next == 0xBC)) {  // µ, μ
      out += 'u';
      ++i;
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  if (out.rfind("iu/", 0) == 0) out.erase(0, 1);
  return out;
}

const ctcae::Resolver& default_resolver() {
  static const ctcae::Resolver r;
  return r;
}

/// The CTCAE term a lab test name stands for: the resolver's match (code, term, synonym,
/// protocol), else a lab test name grade_lab knows ("platelets", "total bilirubin", "Hb": lab
/// names, not AE synonyms, so the resolver does not match them). grade_lab is asked with
/// neutral numbers, so only the name and `unit` can fail it; `probe_error` gets its error.
const ctcae::Term* lab_term(std::string_view text, std::string_view unit, const ctcae::Resolver& r,
                            bool* by_resolver = nullptr, std::optional<Error>* probe_error = nullptr) {
  auto res = r.resolve(text, 0);
  if (by_resolver) *by_resolver = res.match.has_value();
  if (res.match) return res.match->term;
  ctcae::LabInput in;
  in.test = std::string(text);
  in.value = 1.0;
  in.unit = std::string(unit);
  in.uln = 1.0;
  in.lln = 1.0;
  in.systolic = 100.0;
  auto g = ctcae::grade_lab(in);
  if (g) return g->term;
  if (probe_error) *probe_error = g.error();
  return nullptr;
}

/// The subject's baseline for `term`: the rule of intake's baseline_for (coding.cpp) — each key
/// of the baseline object ("alt", "total_bilirubin") resolved to its term, the first whose entry
/// has a numeric value — with lab test names accepted as keys too, as for a result's test.
std::optional<BaselineValue> baseline_for(const ctcae::Term& term, const ctcae::Resolver& resolver,
                                          const json& baseline) {
  if (!baseline.is_object()) return std::nullopt;
  for (auto it = baseline.begin(); it != baseline.end(); ++it) {
    const json& b = it.value();
    if (!b.is_object() || !b.contains("value") || !b["value"].is_number()) continue;
    const std::string unit = b.contains("unit") && b["unit"].is_string() ? b["unit"].get<std::string>() : "";
    if (lab_term(it.key(), unit, resolver) != &term) continue;
    BaselineValue v;
    v.value = b["value"].get<double>();
    if (b.contains("uln") && b["uln"].is_number()) v.uln = b["uln"].get<double>();
    if (b.contains("lln") && b["lln"].is_number()) v.lln = b["lln"].get<double>();
    v.unit = unit;
    return v;
  }
  return std::nullopt;
}

/// Whether the result's baseline lies above ULN (its own ULN, else the result's: the units are
/// the same). This is "abnormal baseline" for the liver rows CTCAE v5.0 grades against baseline
/// (ALT, AST, ALP, GGT, bilirubin: all "increased" terms) and for Treem et al. 2021; a baseline
/// below LLN is not a reason to grade a rise against it.
bool baseline_above_uln(const BaselineValue& b, std::optional<double> result_uln) {
  const auto uln = b.uln ? b.uln : result_uln;
  return uln && b.value > *uln;
}

// The test name grade_lab is given for a stored result: the term's code, as coding.cpp passes
// it, unless the posted name is a lab test name grade_lab resolves to the same term with a rule
// of its own ("ionized calcium").
std::string grade_test_for(const LabResult& r) {
  ctcae::LabInput probe;
  probe.test = r.test;
  probe.value = 1.0;
  probe.unit = r.unit;
  probe.uln = 1.0;
  probe.lln = 1.0;
  probe.systolic = 100.0;
  auto g = ctcae::grade_lab(probe);
  if (g && g->term == r.term) return r.test;
  return std::string(r.term->meddra_code);
}

std::string path_of(std::size_t i, std::string_view key = {}) {
  std::string p = "results[" + std::to_string(i) + "]";
  if (!key.empty()) p += "." + std::string(key);
  return p;
}

// grade_lab's "lab.unit" etc. re-labelled to the result's path.
FieldError relabel(const FieldError& f, std::size_t i, const ctcae::Term* term) {
  static constexpr std::string_view kOwn[] = {"test", "value", "unit", "uln", "lln"};
  const std::string_view field = f.field;
  const std::string_view key = field.rfind("lab.", 0) == 0 ? field.substr(4) : field;
  for (auto k : kOwn)
    if (key == k) {
      if (k == "test" && term) {
        std::string list;
        for (auto t : ctcae::gradable_tests()) list += (list.empty() ? "" : ", ") + std::string(t);
        return {path_of(i, "test"), "'" + std::string(term->term) + "' (" + std::string(term->meddra_code) +
                                        ") is not graded from a lab value; gradable tests: " + list};
      }
      return {path_of(i, k), f.message};
    }
  if (key == "systolic" || key == "diastolic")
    return {path_of(i, "test"), "blood pressure is not a lab panel result (Hypertension is graded from "
                                "systolic and diastolic pressure in an AE report)"};
  if (key == "baseline") return {path_of(i, "test"), "the subject's baseline: " + f.message};
  return {path_of(i, "test"), f.message};
}

}  // namespace

std::string_view to_string(Analyte a) {
  switch (a) {
    case Analyte::alt: return "alt";
    case Analyte::ast: return "ast";
    case Analyte::alp: return "alp";
    case Analyte::bilirubin: return "bilirubin";
    case Analyte::other: return "other";
  }
  return "other";
}

Analyte analyte_of(const ctcae::Term& term) {
  // CTCAE v5.0 Investigations terms (MedDRA 10001551, 10003481, 10001675, 10005364).
  if (term.term == "Alanine aminotransferase increased") return Analyte::alt;
  if (term.term == "Aspartate aminotransferase increased") return Analyte::ast;
  if (term.term == "Alkaline phosphatase increased") return Analyte::alp;
  if (term.term == "Blood bilirubin increased") return Analyte::bilirubin;
  return Analyte::other;
}

std::string_view to_string(EdishQuadrant q) {
  switch (q) {
    case EdishQuadrant::normal: return "normal";
    case EdishQuadrant::hyperbilirubinaemia: return "hyperbilirubinaemia";
    case EdishQuadrant::temple_corollary: return "temple_corollary";
    case EdishQuadrant::hys_law: return "hys_law";
  }
  return "normal";
}

// ---------------------------------------------------------------- validate_panel

Result<LabPanel> validate_panel(const json& body, const LabContext& ctx) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  const ctcae::Resolver& resolver = ctx.resolver ? *ctx.resolver : default_resolver();
  std::vector<FieldError> errors;
  FieldReader r(body, "", errors);
  LabPanel panel;
  auto panel_id = r.string("panel_id", true, kMaxPanelId);
  auto collected = r.timestamp("collected_at", true);
  if (collected) {
    // Chronology by calendar day (UTC), as for every dated event of the course.
    const Date day = collected->date();
    if (day < ctx.enrolled)
      r.error("collected_at", "is before enrolment (" + format_date(ctx.enrolled) + ")");
    if (ctx.death && day > *ctx.death)
      r.error("collected_at", "is after the subject's death (" + format_date(*ctx.death) + ")");
    if (*collected > ctx.now.plus_ms(kSkewMs))
      r.error("collected_at", "is in the future (now " + format_timestamp(ctx.now) + ")");
  }

  const json* results = r.get("results", true);
  if (results && !results->is_array()) {
    r.error("results", "must be an array of results");
    results = nullptr;
  } else if (results && results->empty()) {
    r.error("results", "must not be empty");
    results = nullptr;
  } else if (results && results->size() > kMaxResults) {
    r.error("results", "has more than " + std::to_string(kMaxResults) + " results");
    results = nullptr;
  }
  r.finish();

  // term -> index of the result that first graded it
  std::vector<std::pair<const ctcae::Term*, std::size_t>> seen;
  for (std::size_t i = 0; results && i < results->size(); ++i) {
    const json& item = (*results)[i];
    if (!item.is_object()) {
      errors.push_back({path_of(i), "must be an object {test, value, unit, uln, lln}"});
      continue;
    }
    const std::size_t before = errors.size();
    FieldReader ir(item, path_of(i), errors);
    auto test = ir.string("test", true, kMaxTest);
    std::optional<double> value;
    if (const json* v = ir.get("value", true)) {
      if (!v->is_number() || !std::isfinite(v->get<double>()))
        ir.error("value", "must be a number");
      else if (v->get<double>() < 0)
        ir.error("value", "must be zero or more");
      else
        value = v->get<double>();
    }
    auto unit = ir.string("unit", true, kMaxUnit);
    auto reference = [&](const char* key) -> std::optional<double> {
      const json* v = ir.get(key, false);  // null = absent
      if (!v) return std::nullopt;
      if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() <= 0) {
        ir.error(key, "must be a positive number (or null)");
        return std::nullopt;
      }
      return v->get<double>();
    };
    auto uln = reference("uln");
    auto lln = reference("lln");
    ir.finish();
    if (uln && lln && *lln > *uln) ir.error("lln", "is above uln");
    if (!test) continue;

    // The term: resolver first (code, term, synonym, protocol term), then grade_lab's lab names.
    bool by_resolver = false;
    std::optional<Error> probe_error;
    const ctcae::Term* term = lab_term(*test, unit.value_or(""), resolver, &by_resolver, &probe_error);
    if (!term) {
      const bool unit_problem = probe_error && probe_error->fields.size() == 1 &&
                                probe_error->fields[0].field == "lab.unit";
      if (unit_problem && unit) {
        errors.push_back(relabel(probe_error->fields[0], i, nullptr));
      } else if (!unit_problem) {
        auto rf = resolver.resolve_field(*test, path_of(i, "test"));
        if (!rf) {
          for (const auto& f : rf.error().fields) errors.push_back(f);
        } else {
          errors.push_back({path_of(i, "test"), "is not a lab test CTCAE v5.0 grades"});
        }
      }
      continue;
    }
    if (auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == term; });
        dup != seen.end()) {
      errors.push_back({path_of(i, "test"), "'" + *test + "' is " + std::string(term->term) + ", already given in " +
                                                path_of(dup->second) + ": one result per test in a panel"});
      continue;
    }
    seen.emplace_back(term, i);

    LabResult res;
    res.test = *test;
    res.term = term;
    res.analyte = analyte_of(*term);
    res.baseline = baseline_for(*term, resolver, ctx.baseline);
    if (errors.size() != before) continue;  // nothing to grade with
    // A baseline is read in the unit of the value (ctcae::LabInput): one in another unit
    // (bilirubin in mg/dL against µmol/L is a factor of 17) cannot be graded against. The
    // result is still graded without it, for its other errors.
    const bool unit_mismatch = res.baseline && !res.baseline->unit.empty() &&
                               unit_key(res.baseline->unit) != unit_key(*unit);

    res.value = *value;
    res.unit = *unit;
    res.uln = uln;
    res.lln = lln;
    ctcae::LabInput in;
    // The term's code, as coding.cpp passes it; a lab name only the grader knows goes as posted.
    in.test = by_resolver ? std::string(term->meddra_code) : *test;
    in.value = res.value;
    in.unit = res.unit;
    in.uln = uln;
    in.lln = lln;
    if (res.baseline && !unit_mismatch) {
      // CTCAE v5.0: ALT, AST, ALP, GGT and bilirubin are graded against baseline when baseline
      // was abnormal; creatinine reads the baseline whatever it was.
      in.baseline = res.baseline->value;
      in.baseline_abnormal = baseline_above_uln(*res.baseline, uln);
    }
    auto g = ctcae::grade_lab(in);
    if (!g)
      for (const auto& f : g.error().fields) errors.push_back(relabel(f, i, term));
    const bool unit_refused = !g && std::any_of(g.error().fields.begin(), g.error().fields.end(),
                                                [](const FieldError& f) { return f.field == "lab.unit"; });
    if (unit_mismatch && !unit_refused)
      errors.push_back({path_of(i, "unit"), "is '" + *unit + "' but the subject's baseline of " +
                                                std::string(term->term) + " is in '" + res.baseline->unit +
                                                "': give the result in the baseline's unit"});
    if (errors.size() != before) continue;
    res.grade = g->grade;
    res.criterion = g->criterion;
    res.basis = g->basis;
    if (uln) res.x_uln = res.value / *uln;
    if (res.baseline && res.baseline->value > 0) res.x_baseline = res.value / res.baseline->value;
    panel.results.push_back(std::move(res));
  }

  if (!errors.empty()) return Error::invalid(std::move(errors));
  panel.panel_id = *panel_id;
  panel.collected_at = *collected;
  for (auto& res : panel.results) {
    res.panel_ref = panel.panel_id;
    res.collected_at = panel.collected_at;
  }
  return panel;
}

// ---------------------------------------------------------------- potential Hy's law

namespace {

// The reference a liver multiple is taken of: ULN, or the baseline value when the baseline was
// above ULN (Treem et al., Drug Saf 2021;44:133: multiples of baseline in chronic liver disease,
// as in this HCC population).
struct Reference {
  double value = 0;
  bool baseline = false;
};

std::optional<Reference> reference_of(const LabResult& r) {
  if (r.baseline && r.baseline->value > 0 && baseline_above_uln(*r.baseline, r.uln))
    return Reference{r.baseline->value, true};
  if (r.uln && *r.uln > 0) return Reference{*r.uln, false};
  return std::nullopt;  // no ULN: no multiple, the result cannot take part
}

std::string_view analyte_label(Analyte a) {
  switch (a) {
    case Analyte::alt: return "ALT";
    case Analyte::ast: return "AST";
    case Analyte::alp: return "ALP";
    case Analyte::bilirubin: return "total bilirubin";
    case Analyte::other: break;
  }
  return "?";
}

// "ALT 250 U/L = 6.25 × ULN 40 on 2026-10-02" or "... = 3.13 × baseline 80 (abnormal baseline;
// ULN 40) on ...".
std::string describe(const LabResult& r, const Reference& ref) {
  std::string s = std::string(analyte_label(r.analyte)) + " " + fmt_value(r.value) + " " + r.unit + " = " +
                  fmt_multiple(r.value / ref.value) + " × " + (ref.baseline ? "baseline " : "ULN ") +
                  fmt_value(ref.value);
  if (ref.baseline) {
    const auto uln = r.baseline->uln ? r.baseline->uln : r.uln;
    s += " (abnormal baseline; ULN " + fmt_value(*uln) + ")";
  }
  return s + " on " + format_date(r.collected_at.date());
}

std::int64_t day_gap(const LabResult& a, const LabResult& b) {
  return std::llabs(static_cast<std::int64_t>(a.collected_at.date().days) - b.collected_at.date().days);
}

// Same panel (window 0; the site's panel id is unique per study, and a new panel's results
// have no stored id yet), else collected within `window_days` calendar days of each other.
bool together(const LabResult& a, const LabResult& b, int window_days) {
  if (a.panel_ref == b.panel_ref) return true;
  return window_days > 0 && day_gap(a, b) <= window_days;
}

}  // namespace

std::optional<HysLawCase> potential_hys_law(const std::vector<LabResult>& subject_results,
                                            const std::string& new_panel, const HysLawParams& p) {
  struct Piece {
    const LabResult* r;
    Reference ref;
  };
  std::vector<Piece> transaminases, bilirubins, alps;
  for (const auto& r : subject_results) {
    auto ref = reference_of(r);
    if (!ref) continue;
    const double x = r.value / ref->value;
    switch (r.analyte) {
      case Analyte::alt:
      case Analyte::ast:
        if (at_least(x, p.transaminase_x)) transaminases.push_back({&r, *ref});
        break;
      case Analyte::bilirubin:
        if (at_least(x, p.bilirubin_x)) bilirubins.push_back({&r, *ref});
        break;
      case Analyte::alp: alps.push_back({&r, *ref}); break;
      case Analyte::other: break;
    }
  }

  // Earliest completed pair: the later collection, then the earlier one, ALT before AST, then
  // the panels (for a deterministic pick whatever the input order).
  auto key = [](const Piece& t, const Piece& b) {
    return std::make_tuple(std::max(t.r->collected_at, b.r->collected_at),
                           std::min(t.r->collected_at, b.r->collected_at), static_cast<int>(t.r->analyte),
                           t.r->panel_ref, b.r->panel_ref, t.r->panel, b.r->panel);
  };
  std::optional<std::pair<Piece, Piece>> best;
  for (const auto& t : transaminases)
    for (const auto& b : bilirubins) {
      if (t.r->panel_ref != new_panel && b.r->panel_ref != new_panel) continue;
      if (!together(*t.r, *b.r, p.window_days)) continue;
      // FDA 2009: no initial cholestasis. An ALP at or above alp_x × its reference in the
      // bilirubin's panel (window 0) or window excludes the pair; no ALP does not.
      const bool cholestatic = std::any_of(alps.begin(), alps.end(), [&](const Piece& a) {
        return together(*a.r, *b.r, p.window_days) && at_least(a.r->value / a.ref.value, p.alp_x);
      });
      if (cholestatic) continue;
      if (!best || key(t, b) < key(best->first, best->second)) best = std::make_pair(t, b);
    }
  if (!best) return std::nullopt;

  // Named references, not a structured binding: clang 14 cannot capture a binding (alp_key).
  const Piece& t = best->first;
  const Piece& b = best->second;
  HysLawCase c;
  c.transaminase = *t.r;
  c.bilirubin = *b.r;
  // The ALP nearest in time to the bilirubin among those that could have excluded it.
  const Piece* alp = nullptr;
  auto alp_key = [&](const Piece& a) {
    return std::make_tuple(std::llabs(a.r->collected_at.ms - b.r->collected_at.ms), a.r->collected_at,
                           a.r->panel_ref);
  };
  for (const auto& a : alps)
    if (together(*a.r, *b.r, p.window_days) && (!alp || alp_key(a) < alp_key(*alp))) alp = &a;
  c.text = "potential Hy's law: " + describe(*t.r, t.ref) + "; " + describe(*b.r, b.ref) + "; ";
  if (alp) {
    c.alp = *alp->r;
    c.text += describe(*alp->r, alp->ref) + ", below " + fmt_multiple(p.alp_x) + " × (no cholestasis)";
  } else {
    c.text += "no ALP result " + std::string(p.window_days > 0 ? "within " + std::to_string(p.window_days) +
                                                                     " days"
                                                               : "in the panel");
  }
  return c;
}

// ---------------------------------------------------------------- lab finding without an AE

bool answers(const UnreportedFinding& f, const AeOfTerm& ae, const LabAeParams& p) {
  if (!f.result.term || ae.term != f.result.term->term) return false;
  const auto gap = std::abs(ae.onset.days - f.result.collected_at.date().days);
  return gap <= p.window_days;  // inclusive, either side
}

std::vector<UnreportedFinding> graded_findings(const std::vector<LabResult>& subject_results, const LabAeParams& p) {
  std::vector<UnreportedFinding> out;
  std::set<std::pair<std::string_view, std::string>> done;  // (term, the site's panel id)
  for (const auto& r : subject_results) {
    if (!r.term) continue;
    const auto it = p.min_grade_by_term.find(std::string(r.term->term));
    const int threshold = std::max(1, it != p.min_grade_by_term.end() ? it->second : p.min_grade);
    if (r.grade < threshold) continue;
    if (!done.emplace(r.term->term, r.panel_ref).second) continue;
    out.push_back(UnreportedFinding{r, r.collected_at.date().plus_days(p.window_days)});
  }
  std::sort(out.begin(), out.end(), [](const UnreportedFinding& a, const UnreportedFinding& b) {
    return std::tie(a.result.collected_at, a.result.panel_ref, a.result.term->term) <
           std::tie(b.result.collected_at, b.result.panel_ref, b.result.term->term);
  });
  return out;
}

std::vector<UnreportedFinding> lab_without_ae(const std::vector<LabResult>& subject_results,
                                              const std::vector<AeOfTerm>& aes, const LabAeParams& p,
                                              Date today) {
  auto out = graded_findings(subject_results, p);
  std::erase_if(out, [&](const UnreportedFinding& f) {
    return !(today > f.due) ||  // the site still has the window to report it
           std::any_of(aes.begin(), aes.end(), [&](const AeOfTerm& ae) { return answers(f, ae, p); });
  });
  return out;
}

// ---------------------------------------------------------------- eDISH

Edish edish(const std::map<std::string, std::vector<LabResult>>& by_subject, Timestamp cutoff) {
  Edish e;
  for (const auto& [subject, results] : by_subject) {
    // Peak x ULN per analyte; the earliest of equal peaks.
    const LabResult* alt = nullptr;
    const LabResult* bili = nullptr;
    auto better = [](const LabResult& r, const LabResult* cur) {
      if (!cur) return true;
      const double x = r.value / *r.uln, y = cur->value / *cur->uln;
      return x > y || (x == y && r.collected_at < cur->collected_at);
    };
    for (const auto& r : results) {
      if (r.collected_at > cutoff || !r.uln || *r.uln <= 0) continue;
      if (r.analyte == Analyte::alt && better(r, alt)) alt = &r;
      if (r.analyte == Analyte::bilirubin && better(r, bili)) bili = &r;
    }
    if (!alt || !bili) continue;
    EdishPoint pt;
    pt.subject = subject;
    pt.peak_alt_x_uln = alt->value / *alt->uln;
    pt.peak_bilirubin_x_uln = bili->value / *bili->uln;
    pt.alt_at = alt->collected_at;
    pt.bilirubin_at = bili->collected_at;
    // Reference lines ALT 3 x ULN and bilirubin 2 x ULN (Watkins et al. 2011), inclusive.
    const bool high_alt = at_least(pt.peak_alt_x_uln, 3.0);
    const bool high_bili = at_least(pt.peak_bilirubin_x_uln, 2.0);
    pt.quadrant = high_alt ? (high_bili ? EdishQuadrant::hys_law : EdishQuadrant::temple_corollary)
                           : (high_bili ? EdishQuadrant::hyperbilirubinaemia : EdishQuadrant::normal);
    ++e.quadrant_counts[static_cast<std::size_t>(pt.quadrant)];
    e.points.push_back(std::move(pt));
  }
  return e;
}

// ---------------------------------------------------------------- shift tables

std::vector<ShiftTable> shift_tables(const std::map<std::string, std::vector<LabResult>>& by_subject,
                                     Timestamp cutoff) {
  std::map<std::string_view, ShiftTable> tables;  // by term name: sorted
  for (const auto& [subject, results] : by_subject) {
    struct Row {
      int worst = 0;
      const LabResult* with_baseline = nullptr;
    };
    std::map<std::string_view, Row> rows;  // this subject's, by term
    for (const auto& r : results) {
      if (!r.term || r.collected_at > cutoff) continue;
      Row& row = rows[r.term->term];
      row.worst = std::max(row.worst, std::clamp(r.grade, 0, 4));
      if (!row.with_baseline && r.baseline) row.with_baseline = &r;
    }
    for (const auto& [term, row] : rows) {
      ShiftTable& t = tables[term];
      t.term = std::string(term);
      if (!row.with_baseline) {
        ++t.no_baseline;
        continue;
      }
      // The baseline grade: the baseline value graded as a result would be, against its own
      // ULN/LLN and with no baseline — a baseline cannot be graded against itself.
      const LabResult& r = *row.with_baseline;
      ctcae::LabInput in;
      in.test = grade_test_for(r);
      in.value = r.baseline->value;
      in.unit = r.baseline->unit.empty() ? r.unit : r.baseline->unit;
      in.uln = r.baseline->uln;
      in.lln = r.baseline->lln;
      auto g = ctcae::grade_lab(in);
      if (!g) {
        ++t.no_baseline;  // e.g. stored without the ULN its row needs: no row to place it in
        continue;
      }
      ++t.counts[static_cast<std::size_t>(std::clamp(g->grade, 0, 4))][static_cast<std::size_t>(row.worst)];
      ++t.subjects;
    }
  }
  std::vector<ShiftTable> out;
  out.reserve(tables.size());
  for (auto& [term, t] : tables) out.push_back(std::move(t));
  return out;
}

nlohmann::json result_json(const LabResult& r) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j{{"test", r.test},
         {"term", r.term ? std::string(r.term->term) : std::string()},
         {"meddra_code", r.term ? std::string(r.term->meddra_code) : std::string()},
         {"analyte", std::string(to_string(r.analyte))},
         {"value", r.value},
         {"unit", r.unit},
         {"uln", opt(r.uln)},
         {"lln", opt(r.lln)},
         {"baseline", r.baseline ? json(r.baseline->value) : json(nullptr)},
         {"grade", r.grade},
         {"criterion", r.criterion},
         {"basis", r.basis},
         {"x_uln", opt(r.x_uln)},
         {"x_baseline", opt(r.x_baseline)}};
  if (!r.panel_ref.empty()) {
    j["panel_id"] = r.panel_ref;
    j["collected_at"] = format_timestamp(r.collected_at);
  }
  return j;
}

}  // namespace pvmon::safety
