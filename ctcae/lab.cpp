// Lab grading by the CTCAE v5.0 rows. Each rule cites its row; thresholds are the published
// text, boundaries as written: ">3.0 - 5.0 x ULN" is above 3.0 x ULN up to and including
// 5.0 x ULN; "<75.0 - 50.0" is below 75.0 down to and including 50.0; "1.5 - 3.0" (no sign)
// includes both ends. ULN, LLN and baseline are in the unit of the value.
//
// Clinical context: when the value ranges of two grades do not overlap, the value decides and
// the clinical words of the row are shown in the criterion (e.g. Hyperkalemia grade 3
// ">6.0 - 7.0 mmol/L; hospitalization indicated"). When two grades share the same value range
// and differ only by clinical context (Hypokalemia 1/2, Hyponatremia 2/3, Lipase and amylase
// 2/3 and 3/4), the LOWER grade is returned and the criterion names the higher grade and what
// it needs. Grades that need clinical consequences only (Anemia 4, Hypoalbuminemia 4,
// Hypertension 4, grade 5) are never given from a value.
#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>

#include "normalize.hpp"
#include "pvmon/ctcae.hpp"

namespace pvmon::ctcae {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative tolerance for boundaries: 0.3 / 0.1 must count as exactly 3.0 x ULN.
int compare(double a, double b) {
  if (std::isinf(b)) return a < b ? -1 : (a > b ? 1 : 0);
  double tol = 1e-9 * std::max({std::fabs(a), std::fabs(b), 1e-300});
  if (std::fabs(a - b) <= tol) return 0;
  return a < b ? -1 : 1;
}

// A grade starts above `at` (or at it, when inclusive) on an increasing scale, and below `at`
// (or at it) on a decreasing one. Cuts are listed from grade 1 upwards.
struct Cut {
  int grade;
  double at;
  bool inclusive;
};

int grade_up(double x, std::initializer_list<Cut> cuts) {
  int g = 0;
  for (const Cut& c : cuts) {
    int cmp = compare(x, c.at);
    if (cmp > 0 || (cmp == 0 && c.inclusive)) g = c.grade;
  }
  return g;
}

int grade_down(double x, std::initializer_list<Cut> cuts) {
  int g = 0;
  for (const Cut& c : cuts) {
    int cmp = compare(x, c.at);
    if (cmp < 0 || (cmp == 0 && c.inclusive)) g = c.grade;
  }
  return g;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Units compared without case or spaces, with µ/μ as u and ³ as 3.
std::string unit_key(std::string_view u) {
  std::string out;
  for (std::size_t i = 0; i < u.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(u[i]);
    if (c == ' ') continue;
    if (c == 0xC2 && i + 1 < u.size() && static_cast<unsigned char>(u[i + 1]) == 0xB5) {  // µ
      out += 'u';
      ++i;
    } else if (c == 0xCE && i + 1 < u.size() && static_cast<unsigned char>(u[i + 1]) == 0xBC) {  // μ
      out += 'u';
      ++i;
    } else if (c == 0xC2 && i + 1 < u.size() && static_cast<unsigned char>(u[i + 1]) == 0xB3) {  // ³
      out += '3';
      ++i;
    } else {
      out += detail::lower_ascii(static_cast<char>(c));
    }
  }
  return out;
}

struct UnitFactor {
  std::string_view unit;  // as shown in messages; matched through unit_key
  double factor;          // multiply a value in this unit to get the rule's unit
};

Error field_error(std::string field, std::string msg) {
  return Error::field(Errc::invalid, std::move(field), std::move(msg));
}

struct Ctx {
  const LabInput& in;
  const Term* term;
  double value = 0.0;  // converted to the rule's unit
  double factor = 1.0;
};

Result<double> convert(Ctx& c, std::span<const UnitFactor> units) {
  const std::string key = unit_key(c.in.unit);
  for (const UnitFactor& u : units) {
    if (unit_key(u.unit) == key) {
      c.factor = u.factor;
      c.value = c.in.value * u.factor;
      return c.value;
    }
  }
  std::string list;
  for (const UnitFactor& u : units) list += (list.empty() ? "" : ", ") + std::string(u.unit);
  return field_error("lab.unit", "unit '" + c.in.unit + "' is not accepted for " + std::string(c.term->term) +
                                     "; use one of: " + list);
}

Result<double> convert(Ctx& c, std::initializer_list<UnitFactor> units) {
  return convert(c, std::span<const UnitFactor>(units.begin(), units.size()));
}

Result<double> need_ref(const Ctx& c, const std::optional<double>& ref, std::string_view field,
                        std::string_view what) {
  if (!ref) return field_error(std::string(field), std::string(what) + " is required to grade " + std::string(c.term->term));
  if (!std::isfinite(*ref) || *ref <= 0.0)
    return field_error(std::string(field), std::string(what) + " must be a positive number");
  return *ref * c.factor;
}

// The adult paragraph of a grade text (Hypertension and Proteinuria also carry pediatric ones).
std::string adult_text(std::string_view text) {
  std::size_t p = text.find("\n\n");
  std::string_view s = p == std::string_view::npos ? text : text.substr(0, p);
  while (!s.empty() && (s.back() == ';' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

LabGrade graded(const Ctx& c, int grade, std::string detail_text, std::string basis, std::string caveat = {}) {
  LabGrade g;
  g.term = c.term;
  g.grade = grade;
  g.basis = std::move(basis);
  if (grade == 0) {
    g.criterion = std::move(detail_text);
  } else {
    g.criterion = "grade " + std::to_string(grade) + ": " +
                  adult_text(c.term->grades[static_cast<std::size_t>(grade - 1)]) + " [" + detail_text + "]";
  }
  if (!caveat.empty()) g.criterion += "; " + caveat;
  return g;
}

// Enzyme activities: 1 µkat/L = 60 U/L (1 U = 1 µmol/min, 1 kat = 1 mol/s).
constexpr UnitFactor kEnzymeUnits[] = {
    {"U/L", 1.0}, {"IU/L", 1.0}, {"µkat/L", 60.0}};

// ALT, AST, ALP, GGT, blood bilirubin: CTCAE v5.0 grades against ULN when baseline was normal
// and against baseline when it was abnormal (CLINICAL.md "liver tests").
struct LiverCuts {
  std::initializer_list<Cut> uln;
  std::initializer_list<Cut> baseline;
  std::string_view baseline_g1;  // the grade 1 lower bound as written, for the grade 0 text
};

Result<LabGrade> grade_liver(Ctx& c, std::span<const UnitFactor> units, const LiverCuts& cuts) {
  auto v = convert(c, units);
  if (!v) return v.error();
  if (c.in.baseline_abnormal) {
    auto b = need_ref(c, c.in.baseline, "lab.baseline", "the baseline value (baseline was abnormal)");
    if (!b) return b.error();
    double r = c.value / *b;
    int g = grade_up(r, cuts.baseline);
    std::string d = fmt(c.in.value) + " " + c.in.unit + " = " + fmt(r) + " x baseline " + fmt(*c.in.baseline);
    if (g == 0)
      return graded(c, 0, d + ": not above the grade 1 bound (" + std::string(cuts.baseline_g1) +
                              " x baseline when baseline was abnormal); not an adverse event", "baseline");
    return graded(c, g, d, "baseline");
  }
  auto u = need_ref(c, c.in.uln, "lab.uln", "ULN");
  if (!u) return u.error();
  double r = c.value / *u;
  int g = grade_up(r, cuts.uln);
  std::string d = fmt(c.in.value) + " " + c.in.unit + " = " + fmt(r) + " x ULN " + fmt(*c.in.uln);
  if (g == 0) return graded(c, 0, d + ": not above ULN, within normal; not an adverse event", "ULN");
  return graded(c, g, d, "ULN");
}

// CTCAE v5.0 Investigations, Alanine aminotransferase increased (10001551) and Aspartate
// aminotransferase increased (10003481): G1 >ULN - 3.0 x ULN | 1.5 - 3.0 x baseline;
// G2 >3.0 - 5.0; G3 >5.0 - 20.0; G4 >20.0 (x ULN | x baseline).
Result<LabGrade> rule_transaminase(Ctx& c) {
  return grade_liver(c, kEnzymeUnits,
                     {{{1, 1.0, false}, {2, 3.0, false}, {3, 5.0, false}, {4, 20.0, false}},
                      {{1, 1.5, true}, {2, 3.0, false}, {3, 5.0, false}, {4, 20.0, false}},
                      "1.5"});
}

// Alkaline phosphatase increased (10001675) and GGT increased (10056910): G1 >ULN - 2.5 x ULN |
// 2.0 - 2.5 x baseline; G2 >2.5 - 5.0; G3 >5.0 - 20.0; G4 >20.0.
Result<LabGrade> rule_alp_ggt(Ctx& c) {
  return grade_liver(c, kEnzymeUnits,
                     {{{1, 1.0, false}, {2, 2.5, false}, {3, 5.0, false}, {4, 20.0, false}},
                      {{1, 2.0, true}, {2, 2.5, false}, {3, 5.0, false}, {4, 20.0, false}},
                      "2.0"});
}

// Blood bilirubin increased (10005364): G1 >ULN - 1.5 x ULN | >1.0 - 1.5 x baseline;
// G2 >1.5 - 3.0; G3 >3.0 - 10.0; G4 >10.0. Bilirubin 1 mg/dL = 17.1 µmol/L (molar mass
// 584.66 g/mol: 10 mg/L / 584.66 g/mol = 17.10 µmol/L).
Result<LabGrade> rule_bilirubin(Ctx& c) {
  static constexpr UnitFactor kUnits[] = {{"µmol/L", 1.0}, {"umol/L", 1.0}, {"mg/dL", 17.104}};
  return grade_liver(c, kUnits,
                     {{{1, 1.0, false}, {2, 1.5, false}, {3, 3.0, false}, {4, 10.0, false}},
                      {{1, 1.0, false}, {2, 1.5, false}, {3, 3.0, false}, {4, 10.0, false}},
                      ">1.0"});
}

// Creatinine increased (10011368): G1 >ULN - 1.5 x ULN; G2 >1.5 - 3.0 x baseline; >1.5 - 3.0 x
// ULN; G3 >3.0 x baseline; >3.0 - 6.0 x ULN; G4 >6.0 x ULN. The baseline criteria apply whatever
// the baseline was (the row does not condition them); the higher of the two grades counts.
// Creatinine 1 mg/dL = 88.4 µmol/L (molar mass 113.12 g/mol).
Result<LabGrade> rule_creatinine(Ctx& c) {
  auto v = convert(c, {{"µmol/L", 1.0}, {"umol/L", 1.0}, {"mg/dL", 88.42}});
  if (!v) return v.error();
  auto u = need_ref(c, c.in.uln, "lab.uln", "ULN");
  if (!u) return u.error();
  double ru = c.value / *u;
  int gu = grade_up(ru, {{1, 1.0, false}, {2, 1.5, false}, {3, 3.0, false}, {4, 6.0, false}});
  int gb = 0;
  double rb = 0.0;
  if (c.in.baseline) {
    auto b = need_ref(c, c.in.baseline, "lab.baseline", "the baseline value");
    if (!b) return b.error();
    rb = c.value / *b;
    gb = grade_up(rb, {{2, 1.5, false}, {3, 3.0, false}});
  }
  std::string d = fmt(c.in.value) + " " + c.in.unit + " = " + fmt(ru) + " x ULN " + fmt(*c.in.uln);
  if (c.in.baseline) d += ", " + fmt(rb) + " x baseline " + fmt(*c.in.baseline);
  if (gb > gu) return graded(c, gb, d + "; decided by the baseline criterion", "baseline");
  if (gu == 0)
    return graded(c, 0, d + ": not above ULN" + std::string(c.in.baseline ? " nor above 1.5 x baseline" : "") +
                            "; not an adverse event", "ULN");
  return graded(c, gu, d, "ULN");
}

// Lipase increased (10024574), Serum amylase increased (10040139): G1 >ULN - 1.5 x ULN;
// G2 >1.5 - 2.0 x ULN; >2.0 - 5.0 x ULN and asymptomatic; G3 >2.0 - 5.0 x ULN with signs or
// symptoms; >5.0 x ULN and asymptomatic; G4 >5.0 x ULN and with signs or symptoms.
// Symptoms are not in a lab value: the asymptomatic (lower) grade is returned.
Result<LabGrade> rule_pancreatic(Ctx& c) {
  auto v = convert(c, kEnzymeUnits);
  if (!v) return v.error();
  auto u = need_ref(c, c.in.uln, "lab.uln", "ULN");
  if (!u) return u.error();
  double r = c.value / *u;
  int g = grade_up(r, {{1, 1.0, false}, {2, 1.5, false}, {3, 5.0, false}});
  std::string d = fmt(c.in.value) + " " + c.in.unit + " = " + fmt(r) + " x ULN " + fmt(*c.in.uln);
  if (g == 0) return graded(c, 0, d + ": not above ULN, within normal; not an adverse event", "ULN");
  std::string caveat;
  if (g == 2 && compare(r, 2.0) > 0)
    caveat = "graded from the value alone as asymptomatic; grade 3 if with signs or symptoms";
  if (g == 3) caveat = "graded from the value alone as asymptomatic; grade 4 if with signs or symptoms";
  return graded(c, g, d, "ULN", caveat);
}

// Counts graded below LLN, thresholds in 10e9/L; 1 x 10e9/L = 1000/mm3 (1 mm3 = 1 µL), exactly
// as the rows pair them (75,000/mm3 = 75.0 x 10e9/L).
constexpr UnitFactor kCountUnits[] = {
    {"10e9/L", 1.0},  {"x 10e9/L", 1.0}, {"10^9/L", 1.0},  {"x10^9/L", 1.0},   {"G/L", 1.0},
    {"10^3/µL", 1.0}, {"K/µL", 1.0},      {"/mm3", 0.001}, {"cells/mm3", 0.001}, {"/µL", 0.001},
    {"cells/µL", 0.001}};

Result<LabGrade> grade_count(Ctx& c, std::initializer_list<Cut> cuts) {
  auto v = convert(c, kCountUnits);
  if (!v) return v.error();
  auto l = need_ref(c, c.in.lln, "lab.lln", "LLN");
  if (!l) return l.error();
  std::string d = fmt(c.in.value) + " " + c.in.unit + " (LLN " + fmt(*c.in.lln) + ")";
  if (compare(c.value, *l) >= 0) return graded(c, 0, d + ": not below LLN, within normal; not an adverse event", "LLN");
  int g = std::max(1, grade_down(c.value, cuts));
  return graded(c, g, d, g == 1 ? "LLN" : "absolute");
}

// Platelet count decreased (10035528): G1 <LLN - 75.0; G2 <75.0 - 50.0; G3 <50.0 - 25.0;
// G4 <25.0 x 10e9/L.
Result<LabGrade> rule_platelets(Ctx& c) {
  return grade_count(c, {{2, 75.0, false}, {3, 50.0, false}, {4, 25.0, false}});
}
// Neutrophil count decreased (10029366): G1 <LLN - 1.5; G2 <1.5 - 1.0; G3 <1.0 - 0.5; G4 <0.5.
Result<LabGrade> rule_neutrophils(Ctx& c) {
  return grade_count(c, {{2, 1.5, false}, {3, 1.0, false}, {4, 0.5, false}});
}
// White blood cell decreased (10049182): G1 <LLN - 3.0; G2 <3.0 - 2.0; G3 <2.0 - 1.0; G4 <1.0.
Result<LabGrade> rule_wbc(Ctx& c) {
  return grade_count(c, {{2, 3.0, false}, {3, 2.0, false}, {4, 1.0, false}});
}
// Lymphocyte count decreased (10025256): G1 <LLN - 0.8; G2 <0.8 - 0.5; G3 <0.5 - 0.2; G4 <0.2.
Result<LabGrade> rule_lymphocytes(Ctx& c) {
  return grade_count(c, {{2, 0.8, false}, {3, 0.5, false}, {4, 0.2, false}});
}

// Low analytes whose row gives thresholds per unit: graded in the reported unit with the
// row's own numbers (6.2 mmol/L is the row's figure, not a conversion of 10.0 g/dL).
struct UnitCuts {
  std::string_view unit;
  std::initializer_list<Cut> cuts;  // grades 2.. (grade 1 starts below LLN)
};

/// The cut set for the reported unit, or an error on lab.unit listing the accepted units.
Result<const UnitCuts*> find_unit_cuts(const Ctx& c, std::initializer_list<UnitCuts> sets) {
  const std::string key = unit_key(c.in.unit);
  std::string list;
  for (const UnitCuts& s : sets) {
    list += (list.empty() ? "" : ", ") + std::string(s.unit);
    if (unit_key(s.unit) == key) return &s;
  }
  return field_error("lab.unit", "unit '" + c.in.unit + "' is not accepted for " +
                                     std::string(c.term->term) + "; use one of: " + list);
}

Result<LabGrade> grade_low(Ctx& c, std::initializer_list<UnitCuts> sets, std::string caveat_top, int top) {
  auto found = find_unit_cuts(c, sets);
  if (!found) return found.error();
  const UnitCuts* set = found.value();
  c.value = c.in.value;
  auto l = need_ref(c, c.in.lln, "lab.lln", "LLN");
  if (!l) return l.error();
  std::string d = fmt(c.in.value) + " " + c.in.unit + " (LLN " + fmt(*c.in.lln) + ")";
  if (compare(c.value, *l) >= 0) return graded(c, 0, d + ": not below LLN, within normal; not an adverse event", "LLN");
  int g = std::max(1, grade_down(c.value, set->cuts));
  return graded(c, g, d, g == 1 ? "LLN" : "absolute", g == top ? caveat_top : std::string());
}

// Anemia (10002272): G1 Hgb <LLN - 10.0 g/dL; <LLN - 6.2 mmol/L; <LLN - 100 g/L; G2 <10.0 - 8.0
// g/dL; <6.2 - 4.9 mmol/L; <100 - 80 g/L; G3 <8.0 g/dL; <4.9 mmol/L; <80 g/L; G4 clinical only.
Result<LabGrade> rule_anemia(Ctx& c) {
  return grade_low(c,
                   {{"g/dL", {{2, 10.0, false}, {3, 8.0, false}}},
                    {"g/L", {{2, 100.0, false}, {3, 80.0, false}}},
                    {"mmol/L", {{2, 6.2, false}, {3, 4.9, false}}}},
                   "grade 4 (life-threatening consequences; urgent intervention indicated) cannot be decided "
                   "from the value",
                   3);
}

// Hypoalbuminemia (10020943): G1 <LLN - 3 g/dL; <LLN - 30 g/L; G2 <3 - 2 g/dL; <30 - 20 g/L;
// G3 <2 g/dL; <20 g/L; G4 clinical only.
Result<LabGrade> rule_albumin(Ctx& c) {
  return grade_low(c, {{"g/dL", {{2, 3.0, false}, {3, 2.0, false}}}, {"g/L", {{2, 30.0, false}, {3, 20.0, false}}}},
                   "grade 4 (life-threatening consequences; urgent intervention indicated) cannot be decided "
                   "from the value",
                   3);
}

// Hypokalemia (10021018): G1 <LLN - 3.0 mmol/L; G2 symptomatic with <LLN - 3.0 mmol/L;
// intervention indicated; G3 <3.0 - 2.5 mmol/L; G4 <2.5 mmol/L. Grades 1 and 2 share the value
// range: grade 1 is returned. K+ is monovalent: 1 mEq/L = 1 mmol/L.
Result<LabGrade> rule_hypokalemia(Ctx& c) {
  auto r = grade_low(c, {{"mmol/L", {{3, 3.0, false}, {4, 2.5, false}}}, {"mEq/L", {{3, 3.0, false}, {4, 2.5, false}}}},
                     {}, 0);
  if (r && r->grade == 1)
    r->criterion += "; graded from the value alone; grade 2 if symptomatic and intervention indicated";
  return r;
}

// Hyponatremia (10021038): G1 <LLN - 130 mmol/L; G2 125-129 mmol/L and asymptomatic; G3 125-129
// mmol/L symptomatic; 120-124 mmol/L regardless of symptoms; G4 <120 mmol/L. The integer ranges
// are read as contiguous bands: G2 [125, 130), G3 [120, 125), G4 <120. 1 mEq/L = 1 mmol/L.
Result<LabGrade> rule_hyponatremia(Ctx& c) {
  auto r = grade_low(c,
                     {{"mmol/L", {{2, 130.0, false}, {3, 125.0, false}, {4, 120.0, false}}},
                      {"mEq/L", {{2, 130.0, false}, {3, 125.0, false}, {4, 120.0, false}}}},
                     {}, 0);
  if (r && r->grade == 2) r->criterion += "; graded from the value alone as asymptomatic; grade 3 if symptomatic";
  return r;
}

// High analytes graded above ULN with absolute thresholds in the reported unit.
Result<LabGrade> grade_high(Ctx& c, std::initializer_list<UnitCuts> sets) {
  auto found = find_unit_cuts(c, sets);
  if (!found) return found.error();
  const UnitCuts* set = found.value();
  c.value = c.in.value;
  auto u = need_ref(c, c.in.uln, "lab.uln", "ULN");
  if (!u) return u.error();
  std::string d = fmt(c.in.value) + " " + c.in.unit + " (ULN " + fmt(*c.in.uln) + ")";
  if (compare(c.value, *u) <= 0) return graded(c, 0, d + ": not above ULN, within normal; not an adverse event", "ULN");
  int g = std::max(1, grade_up(c.value, set->cuts));
  return graded(c, g, d, g == 1 ? "ULN" : "absolute");
}

// Hyperkalemia (10020647): G1 >ULN - 5.5 mmol/L; G2 >5.5 - 6.0; G3 >6.0 - 7.0; G4 >7.0 mmol/L.
Result<LabGrade> rule_hyperkalemia(Ctx& c) {
  return grade_high(c, {{"mmol/L", {{2, 5.5, false}, {3, 6.0, false}, {4, 7.0, false}}},
                        {"mEq/L", {{2, 5.5, false}, {3, 6.0, false}, {4, 7.0, false}}}});
}

// Hypercalcemia (10020587), corrected serum calcium: G1 >ULN - 11.5 mg/dL; >ULN - 2.9 mmol/L;
// G2 >11.5 - 12.5 mg/dL; >2.9 - 3.1 mmol/L; G3 >12.5 - 13.5 mg/dL; >3.1 - 3.4 mmol/L;
// G4 >13.5 mg/dL; >3.4 mmol/L. Ca2+ is divalent: 1 mEq/L = 0.5 mmol/L (graded on the mmol/L
// figures). Ionized calcium ("ionized calcium" as the test): >ULN - 1.5; >1.5 - 1.6; >1.6 - 1.8;
// >1.8 mmol/L.
Result<LabGrade> rule_hypercalcemia(Ctx& c, bool ionized) {
  if (ionized) return grade_high(c, {{"mmol/L", {{2, 1.5, false}, {3, 1.6, false}, {4, 1.8, false}}}});
  if (unit_key(c.in.unit) == "meq/l") {
    LabInput copy = c.in;
    copy.unit = "mmol/L";
    copy.value *= 0.5;
    if (copy.uln) *copy.uln *= 0.5;
    Ctx c2{copy, c.term};
    auto r = rule_hypercalcemia(c2, false);
    if (r) r->criterion += " (converted from " + fmt(c.in.value) + " mEq/L at 0.5 mmol/L per mEq/L)";
    return r;
  }
  return grade_high(c, {{"mg/dL", {{2, 11.5, false}, {3, 12.5, false}, {4, 13.5, false}}},
                        {"mmol/L", {{2, 2.9, false}, {3, 3.1, false}, {4, 3.4, false}}}});
}

// INR increased (10022402): G1 >1.2 - 1.5; >1 - 1.5 x baseline if on anticoagulation; G2 >1.5 -
// 2.5; >1.5 - 2.5 x baseline if on anticoagulation; G3 >2.5; >2.5 x baseline if on
// anticoagulation. No grade 4 or 5. INR is a ratio: no unit (or "INR", "ratio").
Result<LabGrade> rule_inr(Ctx& c) {
  auto v = convert(c, {{"", 1.0}, {"INR", 1.0}, {"ratio", 1.0}});
  if (!v) return v.error();
  if (c.in.on_anticoagulation) {
    auto b = need_ref(c, c.in.baseline, "lab.baseline", "the baseline INR (on anticoagulation)");
    if (!b) return b.error();
    double r = c.value / *b;
    int g = grade_up(r, {{1, 1.0, false}, {2, 1.5, false}, {3, 2.5, false}});
    std::string d = "INR " + fmt(c.value) + " = " + fmt(r) + " x baseline " + fmt(*b) + " on anticoagulation";
    if (g == 0) return graded(c, 0, d + ": not above baseline; not an adverse event", "baseline");
    return graded(c, g, d, "baseline");
  }
  int g = grade_up(c.value, {{1, 1.2, false}, {2, 1.5, false}, {3, 2.5, false}});
  std::string d = "INR " + fmt(c.value);
  if (g == 0) return graded(c, 0, d + ": not above 1.2; not an adverse event", "absolute");
  return graded(c, g, d, "absolute");
}

// Proteinuria (10037032), adult: G1 1+ proteinuria; urinary protein >=ULN - <1.0 g/24 hrs;
// G2 2+ and 3+ proteinuria; urinary protein 1.0 - <3.5 g/24 hrs; G3 urinary protein >=3.5 g/24
// hrs; 4+ proteinuria. Navigational note: 24-hour urine collection takes precedence over dipstick.
Result<LabGrade> rule_proteinuria(Ctx& c) {
  if (unit_key(c.in.unit) == "dipstick") {
    double v = c.in.value;
    int g = -1;
    if (v == 0.0 || v == 0.5) g = 0;
    else if (v == 1.0) g = 1;
    else if (v == 2.0 || v == 3.0) g = 2;
    else if (v == 4.0) g = 3;
    if (g < 0)
      return field_error("lab.value", "a dipstick reading is 0 (negative), 0.5 (trace) or 1 to 4 (1+ to 4+)");
    std::string d = "dipstick " + (v < 1.0 ? std::string(v == 0.0 ? "negative" : "trace") : fmt(v) + "+");
    std::string note = "24-hour urine collection takes precedence over dipstick";
    if (g == 0) return graded(c, 0, d + ": below 1+; not an adverse event", "absolute");
    return graded(c, g, d, "absolute", note);
  }
  auto v = convert(c, {{"g/24 h", 1.0}, {"g/24h", 1.0}, {"g/24 hrs", 1.0}, {"g/day", 1.0},
                       {"mg/24 h", 0.001}, {"mg/24h", 0.001}, {"mg/day", 0.001}, {"dipstick", 1.0}});
  if (!v) return v.error();
  // Grades 2 and 3 have absolute thresholds (1.0 and 3.5 g/24 h): the ULN decides only below
  // 1.0 g/24 h (grade 1 from ULN, nothing below it), so it is required only there.
  const int absolute = grade_up(c.value, {{2, 1.0, true}, {3, 3.5, true}});
  if (absolute >= 2 && !c.in.uln)
    return graded(c, absolute, fmt(c.value) + " g/24 h", "absolute");
  auto u = need_ref(c, c.in.uln, "lab.uln", "ULN");
  if (!u) return u.error();
  std::string d = fmt(c.value) + " g/24 h (ULN " + fmt(*u) + " g/24 h)";
  if (absolute < 2 && compare(c.value, *u) < 0)
    return graded(c, 0, d + ": below ULN, within normal; not an adverse event", "ULN");
  int g = std::max(1, absolute);
  return graded(c, g, d, g == 1 ? "ULN" : "absolute");
}

// Hypertension (10020772), adult: G1 systolic 120 - 139 or diastolic 80 - 89 mm Hg; G2 systolic
// 140 - 159 or diastolic 90 - 99 mm Hg (if previously WNL); G3 systolic >=160 or diastolic >=100
// mm Hg. The integer ranges are read as contiguous bands ([120, 140), [140, 160), >=160). A
// pressure decides grades 0..3 only: grade 4 needs life-threatening consequences (malignant
// hypertension, neurologic deficit, hypertensive crisis) and the other grade 2/3 criteria
// (recurrent or persistent, symptomatic increase, drugs indicated) need clinical information.
// Pediatric and adolescent criteria use percentiles and are not graded here.
Result<LabGrade> rule_hypertension(Ctx& c) {
  const std::string key = unit_key(c.in.unit);
  if (!key.empty() && key != "mmhg")
    return field_error("lab.unit", "blood pressure is graded in mm Hg");
  if (!c.in.systolic && !c.in.diastolic)
    return field_error("lab.systolic", "systolic and/or diastolic pressure is required to grade Hypertension");
  for (auto [p, f] : {std::pair{c.in.systolic, "lab.systolic"}, std::pair{c.in.diastolic, "lab.diastolic"}})
    if (p && (!std::isfinite(*p) || *p <= 0.0 || *p > 400.0))
      return field_error(f, "a blood pressure in mm Hg between 0 and 400");
  int gs = c.in.systolic ? grade_up(*c.in.systolic, {{1, 120.0, true}, {2, 140.0, true}, {3, 160.0, true}}) : 0;
  int gd = c.in.diastolic ? grade_up(*c.in.diastolic, {{1, 80.0, true}, {2, 90.0, true}, {3, 100.0, true}}) : 0;
  std::string d = "BP " + (c.in.systolic ? fmt(*c.in.systolic) : std::string("?")) + "/" +
                  (c.in.diastolic ? fmt(*c.in.diastolic) : std::string("?")) + " mm Hg";
  int g = std::max(gs, gd);
  if (g == 0) return graded(c, 0, d + ": systolic below 120 and diastolic below 80; not an adverse event", "absolute");
  std::string caveat = "adult criteria from the pressure alone";
  if (g == 2) caveat += " (grade 2 assumes the pressure was previously within normal limits)";
  if (g == 3) caveat += "; grade 4 needs life-threatening consequences and cannot be decided from a pressure";
  return graded(c, g, d, "absolute", caveat);
}

using RuleFn = Result<LabGrade> (*)(Ctx&);

struct Rule {
  std::string_view code;
  RuleFn fn;
};

Result<LabGrade> rule_hypercalcemia_total(Ctx& c) { return rule_hypercalcemia(c, false); }
Result<LabGrade> rule_hypercalcemia_ionized(Ctx& c) { return rule_hypercalcemia(c, true); }

constexpr Rule kRules[] = {
    {"10001551", rule_transaminase}, {"10003481", rule_transaminase},  {"10001675", rule_alp_ggt},
    {"10056910", rule_alp_ggt},      {"10005364", rule_bilirubin},     {"10011368", rule_creatinine},
    {"10035528", rule_platelets},    {"10029366", rule_neutrophils},   {"10049182", rule_wbc},
    {"10025256", rule_lymphocytes},  {"10002272", rule_anemia},        {"10020943", rule_albumin},
    {"10022402", rule_inr},          {"10020647", rule_hyperkalemia},  {"10021018", rule_hypokalemia},
    {"10021038", rule_hyponatremia}, {"10020587", rule_hypercalcemia_total}, {"10024574", rule_pancreatic},
    {"10040139", rule_pancreatic},   {"10037032", rule_proteinuria},   {"10020772", rule_hypertension},
};

// Lab test names as written on lab reports, for the `test` field only (they name an analyte,
// not an adverse event, so they are not AE synonyms).
struct TestAlias {
  std::string_view name;
  std::string_view code;
  RuleFn fn = nullptr;  // overrides the term's rule
};
constexpr TestAlias kTestAliases[] = {
    {"Hb", "10002272"},          {"Hgb", "10002272"},          {"hemoglobin", "10002272"},
    {"haemoglobin", "10002272"}, {"platelets", "10035528"},    {"platelet count", "10035528"},
    {"PLT", "10035528"},         {"ANC", "10029366"},          {"neutrophils", "10029366"},
    {"neutrophil count", "10029366"}, {"WBC", "10049182"},     {"white cell count", "10049182"},
    {"leukocytes", "10049182"},  {"lymphocytes", "10025256"},  {"ALC", "10025256"},
    {"lymphocyte count", "10025256"}, {"albumin", "10020943"}, {"bilirubin", "10005364"},
    {"total bilirubin", "10005364"}, {"creatinine", "10011368"}, {"INR", "10022402"},
    {"lipase", "10024574"},      {"amylase", "10040139"},      {"urine protein", "10037032"},
    {"blood pressure", "10020772"}, {"BP", "10020772"},        {"alkaline phosphatase", "10001675"},
    {"alanine aminotransferase", "10001551"}, {"aspartate aminotransferase", "10003481"},
    {"corrected calcium", "10020587"}, {"calcium", "10020587"},
    {"ionized calcium", "10020587", rule_hypercalcemia_ionized},
    {"ionised calcium", "10020587", rule_hypercalcemia_ionized},
};

const Resolver& default_resolver() {
  static const Resolver r;
  return r;
}

/// The term a lab test names (a lab test name first, then the dictionary) and the rule that
/// grades it (null when the term is not graded from a value); no term when neither knows it.
struct TestRule {
  const Term* term = nullptr;
  RuleFn fn = nullptr;
};
TestRule find_test(std::string_view test) {
  TestRule out;
  const std::string key = normalize_key(test);
  for (const TestAlias& a : kTestAliases) {
    if (normalize_key(a.name) == key) {
      out.term = find_code(a.code);
      out.fn = a.fn;
      break;
    }
  }
  if (!out.term) {
    Resolution r = default_resolver().resolve(test, 0);
    if (!r.match) return out;
    out.term = r.match->term;
  }
  if (!out.fn) {
    for (const Rule& rule : kRules)
      if (rule.code == out.term->meddra_code) out.fn = rule.fn;
  }
  return out;
}

}  // namespace

bool is_lab_test(std::string_view test) {
  test = detail::trim(test);
  return !test.empty() && find_test(test).fn != nullptr;
}

Result<LabGrade> grade_lab(const LabInput& in) {
  std::string_view test = detail::trim(in.test);
  if (test.empty()) return field_error("lab.test", "required: the lab test (term, MedDRA code or name such as ALT)");
  const auto [term, fn] = find_test(test);
  if (!term) return field_error("lab.test", "'" + std::string(test) + "' is not a lab test CTCAE v5.0 grades");
  if (!fn)
    return field_error("lab.test", "'" + std::string(term->term) +
                                       "' is not graded from a lab value here; report its grade instead");
  bool is_bp = term->meddra_code == "10020772";
  if (!is_bp && (!std::isfinite(in.value) || in.value < 0.0))
    return field_error("lab.value", "the value must be a finite number, zero or more");
  Ctx c{in, term};
  return fn(c);
}

std::vector<std::string_view> gradable_tests() {
  std::vector<std::string_view> out;
  for (const Rule& r : kRules) out.push_back(find_code(r.code)->term);
  return out;
}

std::optional<double> parse_dipstick(std::string_view text) {
  std::string k = unit_key(detail::trim(text));
  if (k == "negative" || k == "neg" || k == "0" || k == "-") return 0.0;
  if (k == "trace" || k == "+/-" || k == "tr") return 0.5;
  if (k.size() == 2 && k[1] == '+' && k[0] >= '1' && k[0] <= '4') return static_cast<double>(k[0] - '0');
  return std::nullopt;
}

}  // namespace pvmon::ctcae
