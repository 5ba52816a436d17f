// Lab grading: every threshold of every rule walked from both sides. The expected grades are
// written by hand from the CTCAE v5.0 row quoted above each block (ctcae_v5.0.csv), not taken
// from the code: ">A - B" is above A up to and including B, "<A - B" is below A down to and
// including B.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "pvmon/ctcae.hpp"

namespace ct = pvmon::ctcae;

namespace {

constexpr double N = std::numeric_limits<double>::quiet_NaN();  // "not given"

std::optional<double> opt(double v) { return std::isnan(v) ? std::nullopt : std::optional<double>(v); }

struct Row {
  const char* test;
  double value;
  const char* unit;
  double uln, lln, baseline;
  bool abnormal;
  int grade;
};

void walk(std::initializer_list<Row> rows) {
  for (const Row& r : rows) {
    ct::LabInput in;
    in.test = r.test;
    in.value = r.value;
    in.unit = r.unit;
    in.uln = opt(r.uln);
    in.lln = opt(r.lln);
    in.baseline = opt(r.baseline);
    in.baseline_abnormal = r.abnormal;
    CAPTURE(r.test);
    CAPTURE(r.value);
    CAPTURE(r.unit);
    auto g = ct::grade_lab(in);
    REQUIRE_MESSAGE(g.ok(), (g.ok() ? std::string() : g.error().message));
    CHECK(g->grade == r.grade);
    CHECK_FALSE(g->criterion.empty());
  }
}

// Builds a LabInput (aggregate initialisation would leave the pressures unnamed).
ct::LabInput lab(std::string test, double value = 0, std::string unit = "", std::optional<double> uln = {},
                 std::optional<double> lln = {}, std::optional<double> baseline = {}, bool abnormal = false,
                 bool anticoagulation = false, std::optional<double> systolic = {}) {
  ct::LabInput in;
  in.test = std::move(test);
  in.value = value;
  in.unit = std::move(unit);
  in.uln = uln;
  in.lln = lln;
  in.baseline = baseline;
  in.baseline_abnormal = abnormal;
  in.on_anticoagulation = anticoagulation;
  in.systolic = systolic;
  return in;
}

std::string error_field(const ct::LabInput& in) {
  auto g = ct::grade_lab(in);
  if (g.ok() || g.error().fields.empty()) return "(none)";
  return g.error().fields[0].field;
}

}  // namespace

TEST_CASE("ALT and AST increased, baseline normal and abnormal") {
  // ALT (10001551): G1 >ULN - 3.0 x ULN; G2 >3.0 - 5.0; G3 >5.0 - 20.0; G4 >20.0 x ULN.
  // ULN 40 U/L: 3x = 120, 5x = 200, 20x = 800.
  walk({{"ALT", 40, "U/L", 40, N, N, false, 0},    {"ALT", 40.1, "U/L", 40, N, N, false, 1},
        {"ALT", 120, "U/L", 40, N, N, false, 1},   {"ALT", 120.1, "U/L", 40, N, N, false, 2},
        {"ALT", 200, "U/L", 40, N, N, false, 2},   {"ALT", 200.1, "U/L", 40, N, N, false, 3},
        {"ALT", 800, "U/L", 40, N, N, false, 3},   {"ALT", 800.1, "U/L", 40, N, N, false, 4}});
  // Baseline abnormal: G1 1.5 - 3.0 x baseline; G2 >3.0 - 5.0; G3 >5.0 - 20.0; G4 >20.0 x baseline.
  // Baseline 60 U/L: 1.5x = 90, 3x = 180, 5x = 300, 20x = 1200.
  walk({{"ALT", 89.9, "U/L", 40, N, 60, true, 0},  {"ALT", 90, "U/L", 40, N, 60, true, 1},
        {"ALT", 180, "U/L", 40, N, 60, true, 1},   {"ALT", 180.1, "U/L", 40, N, 60, true, 2},
        {"ALT", 300, "U/L", 40, N, 60, true, 2},   {"ALT", 300.1, "U/L", 40, N, 60, true, 3},
        {"ALT", 1200, "U/L", 40, N, 60, true, 3},  {"ALT", 1200.1, "U/L", 40, N, 60, true, 4}});
  // A baseline that was normal does not change the ULN rule.
  walk({{"ALT", 120.1, "U/L", 40, N, 30, false, 2}});
  // AST (10003481), same thresholds; ULN 35: 3x = 105, 5x = 175, 20x = 700.
  walk({{"AST", 35, "U/L", 35, N, N, false, 0},    {"AST", 35.1, "U/L", 35, N, N, false, 1},
        {"AST", 105, "U/L", 35, N, N, false, 1},   {"AST", 105.1, "U/L", 35, N, N, false, 2},
        {"AST", 175, "U/L", 35, N, N, false, 2},   {"AST", 175.1, "U/L", 35, N, N, false, 3},
        {"AST", 700, "U/L", 35, N, N, false, 3},   {"AST", 700.1, "U/L", 35, N, N, false, 4},
        {"AST", 74.9, "U/L", 35, N, 50, true, 0},  {"AST", 75, "U/L", 35, N, 50, true, 1},
        {"AST", 150.1, "U/L", 35, N, 50, true, 2}, {"AST", 1000.1, "U/L", 35, N, 50, true, 4}});
}

TEST_CASE("alkaline phosphatase and GGT increased") {
  // ALP (10001675) and GGT (10056910): G1 >ULN - 2.5 x ULN | 2.0 - 2.5 x baseline;
  // G2 >2.5 - 5.0; G3 >5.0 - 20.0; G4 >20.0. ALP ULN 120: 2.5x = 300, 5x = 600, 20x = 2400.
  walk({{"ALP", 120, "U/L", 120, N, N, false, 0},     {"ALP", 120.1, "U/L", 120, N, N, false, 1},
        {"ALP", 300, "U/L", 120, N, N, false, 1},     {"ALP", 300.1, "U/L", 120, N, N, false, 2},
        {"ALP", 600, "U/L", 120, N, N, false, 2},     {"ALP", 600.1, "U/L", 120, N, N, false, 3},
        {"ALP", 2400, "U/L", 120, N, N, false, 3},    {"ALP", 2400.1, "U/L", 120, N, N, false, 4}});
  // Baseline 200 (abnormal): 2.0x = 400, 2.5x = 500, 5x = 1000, 20x = 4000.
  walk({{"alkaline phosphatase", 399.9, "U/L", 120, N, 200, true, 0},
        {"alkaline phosphatase", 400, "U/L", 120, N, 200, true, 1},
        {"alkaline phosphatase", 500, "U/L", 120, N, 200, true, 1},
        {"alkaline phosphatase", 500.1, "U/L", 120, N, 200, true, 2},
        {"alkaline phosphatase", 1000, "U/L", 120, N, 200, true, 2},
        {"alkaline phosphatase", 1000.1, "U/L", 120, N, 200, true, 3},
        {"alkaline phosphatase", 4000, "U/L", 120, N, 200, true, 3},
        {"alkaline phosphatase", 4000.1, "U/L", 120, N, 200, true, 4}});
  // GGT ULN 60: 2.5x = 150, 5x = 300, 20x = 1200; baseline 100 abnormal: 2.0x = 200, 2.5x = 250.
  walk({{"GGT", 60, "U/L", 60, N, N, false, 0},       {"GGT", 60.1, "U/L", 60, N, N, false, 1},
        {"GGT", 150, "U/L", 60, N, N, false, 1},      {"GGT", 150.1, "U/L", 60, N, N, false, 2},
        {"GGT", 300, "U/L", 60, N, N, false, 2},      {"GGT", 300.1, "U/L", 60, N, N, false, 3},
        {"GGT", 1200, "U/L", 60, N, N, false, 3},     {"GGT", 1200.1, "U/L", 60, N, N, false, 4},
        {"GGT", 199.9, "U/L", 60, N, 100, true, 0},   {"GGT", 200, "U/L", 60, N, 100, true, 1},
        {"GGT", 250, "U/L", 60, N, 100, true, 1},     {"GGT", 250.1, "U/L", 60, N, 100, true, 2},
        {"GGT", 500, "U/L", 60, N, 100, true, 2},     {"GGT", 500.1, "U/L", 60, N, 100, true, 3},
        {"GGT", 2000, "U/L", 60, N, 100, true, 3},    {"GGT", 2000.1, "U/L", 60, N, 100, true, 4}});
}

TEST_CASE("blood bilirubin increased, ULN and baseline") {
  // Blood bilirubin increased (10005364): G1 >ULN - 1.5 x ULN | >1.0 - 1.5 x baseline;
  // G2 >1.5 - 3.0; G3 >3.0 - 10.0; G4 >10.0. ULN 1.2 mg/dL: 1.5x = 1.8, 3x = 3.6, 10x = 12.
  walk({{"bilirubin", 1.2, "mg/dL", 1.2, N, N, false, 0},  {"bilirubin", 1.21, "mg/dL", 1.2, N, N, false, 1},
        {"bilirubin", 1.8, "mg/dL", 1.2, N, N, false, 1},  {"bilirubin", 1.81, "mg/dL", 1.2, N, N, false, 2},
        {"bilirubin", 3.6, "mg/dL", 1.2, N, N, false, 2},  {"bilirubin", 3.61, "mg/dL", 1.2, N, N, false, 3},
        {"bilirubin", 12, "mg/dL", 1.2, N, N, false, 3},   {"bilirubin", 12.01, "mg/dL", 1.2, N, N, false, 4}});
  // Baseline 2.0 mg/dL (abnormal): 1.0x = 2.0, 1.5x = 3.0, 3x = 6.0, 10x = 20.
  walk({{"Blood bilirubin increased", 2.0, "mg/dL", 1.2, N, 2.0, true, 0},
        {"Blood bilirubin increased", 2.01, "mg/dL", 1.2, N, 2.0, true, 1},
        {"Blood bilirubin increased", 3.0, "mg/dL", 1.2, N, 2.0, true, 1},
        {"Blood bilirubin increased", 3.01, "mg/dL", 1.2, N, 2.0, true, 2},
        {"Blood bilirubin increased", 6.0, "mg/dL", 1.2, N, 2.0, true, 2},
        {"Blood bilirubin increased", 6.01, "mg/dL", 1.2, N, 2.0, true, 3},
        {"Blood bilirubin increased", 20, "mg/dL", 1.2, N, 2.0, true, 3},
        {"Blood bilirubin increased", 20.01, "mg/dL", 1.2, N, 2.0, true, 4}});
  // µmol/L, ULN 21: 1.5x = 31.5.
  walk({{"bili", 21, "µmol/L", 21, N, N, false, 0}, {"bili", 31.5, "umol/L", 21, N, N, false, 1},
        {"bili", 31.6, "µmol/L", 21, N, N, false, 2}});
}

TEST_CASE("creatinine increased: ULN and baseline criteria") {
  // Creatinine increased (10011368): G1 >ULN - 1.5 x ULN; G2 >1.5 - 3.0 x baseline; >1.5 - 3.0 x
  // ULN; G3 >3.0 x baseline; >3.0 - 6.0 x ULN; G4 >6.0 x ULN. ULN 1.1 mg/dL: 1.5x = 1.65,
  // 3x = 3.3, 6x = 6.6.
  walk({{"creatinine", 1.1, "mg/dL", 1.1, N, N, false, 0},   {"creatinine", 1.11, "mg/dL", 1.1, N, N, false, 1},
        {"creatinine", 1.65, "mg/dL", 1.1, N, N, false, 1},  {"creatinine", 1.66, "mg/dL", 1.1, N, N, false, 2},
        {"creatinine", 3.3, "mg/dL", 1.1, N, N, false, 2},   {"creatinine", 3.31, "mg/dL", 1.1, N, N, false, 3},
        {"creatinine", 6.6, "mg/dL", 1.1, N, N, false, 3},   {"creatinine", 6.61, "mg/dL", 1.1, N, N, false, 4}});
  // Baseline 0.5 mg/dL: 1.5x = 0.75, 3x = 1.5 (both still at or under 1.5 x ULN 1.65).
  walk({{"Creatinine increased", 0.75, "mg/dL", 1.1, N, 0.5, false, 0},
        {"Creatinine increased", 0.76, "mg/dL", 1.1, N, 0.5, false, 2},
        {"Creatinine increased", 1.5, "mg/dL", 1.1, N, 0.5, false, 2},
        {"Creatinine increased", 1.51, "mg/dL", 1.1, N, 0.5, false, 3}});
  // µmol/L, ULN 97: 1.5x = 145.5.
  walk({{"creatinine", 97, "µmol/L", 97, N, N, false, 0}, {"creatinine", 145.5, "µmol/L", 97, N, N, false, 1},
        {"creatinine", 146, "µmol/L", 97, N, N, false, 2}});
}

TEST_CASE("blood counts below LLN, in 10e9/L and per mm3") {
  // Platelet count decreased (10035528): G1 <LLN - 75,000/mm3; <LLN - 75.0 x 10e9/L; G2 <75.0 -
  // 50.0; G3 <50.0 - 25.0; G4 <25.0 x 10e9/L.
  walk({{"platelets", 150, "10e9/L", N, 150, N, false, 0},  {"platelets", 149.9, "10e9/L", N, 150, N, false, 1},
        {"platelets", 75, "10e9/L", N, 150, N, false, 1},   {"platelets", 74.9, "10e9/L", N, 150, N, false, 2},
        {"platelets", 50, "10e9/L", N, 150, N, false, 2},   {"platelets", 49.9, "10e9/L", N, 150, N, false, 3},
        {"platelets", 25, "10e9/L", N, 150, N, false, 3},   {"platelets", 24.9, "10e9/L", N, 150, N, false, 4},
        {"Platelet count decreased", 75000, "/mm3", N, 150000, N, false, 1},
        {"Platelet count decreased", 74999, "/mm3", N, 150000, N, false, 2},
        {"Platelet count decreased", 25000, "cells/mm3", N, 150000, N, false, 3},
        {"Platelet count decreased", 24999, "cells/µL", N, 150000, N, false, 4}});
  // Neutrophil count decreased (10029366): G1 <LLN - 1.5; G2 <1.5 - 1.0; G3 <1.0 - 0.5; G4 <0.5.
  walk({{"ANC", 2.0, "10e9/L", N, 2.0, N, false, 0},  {"ANC", 1.99, "10e9/L", N, 2.0, N, false, 1},
        {"ANC", 1.5, "10e9/L", N, 2.0, N, false, 1},  {"ANC", 1.49, "10e9/L", N, 2.0, N, false, 2},
        {"ANC", 1.0, "10e9/L", N, 2.0, N, false, 2},  {"ANC", 0.99, "10e9/L", N, 2.0, N, false, 3},
        {"ANC", 0.5, "10e9/L", N, 2.0, N, false, 3},  {"ANC", 0.49, "10e9/L", N, 2.0, N, false, 4},
        {"neutrophils", 1500, "/mm3", N, 2000, N, false, 1}, {"neutrophils", 1499, "/mm3", N, 2000, N, false, 2},
        {"neutrophils", 500, "/mm3", N, 2000, N, false, 3},  {"neutrophils", 499, "/mm3", N, 2000, N, false, 4}});
  // White blood cell decreased (10049182): G1 <LLN - 3.0; G2 <3.0 - 2.0; G3 <2.0 - 1.0; G4 <1.0.
  walk({{"WBC", 4.0, "10^9/L", N, 4.0, N, false, 0},  {"WBC", 3.99, "10^9/L", N, 4.0, N, false, 1},
        {"WBC", 3.0, "10^9/L", N, 4.0, N, false, 1},  {"WBC", 2.99, "10^9/L", N, 4.0, N, false, 2},
        {"WBC", 2.0, "10^9/L", N, 4.0, N, false, 2},  {"WBC", 1.99, "10^9/L", N, 4.0, N, false, 3},
        {"WBC", 1.0, "10^9/L", N, 4.0, N, false, 3},  {"WBC", 0.99, "10^9/L", N, 4.0, N, false, 4}});
  // Lymphocyte count decreased (10025256): G1 <LLN - 0.8; G2 <0.8 - 0.5; G3 <0.5 - 0.2; G4 <0.2.
  walk({{"lymphopenia", 1.0, "10e9/L", N, 1.0, N, false, 0},  {"lymphopenia", 0.99, "10e9/L", N, 1.0, N, false, 1},
        {"lymphopenia", 0.8, "10e9/L", N, 1.0, N, false, 1},  {"lymphopenia", 0.79, "10e9/L", N, 1.0, N, false, 2},
        {"lymphopenia", 0.5, "10e9/L", N, 1.0, N, false, 2},  {"lymphopenia", 0.49, "10e9/L", N, 1.0, N, false, 3},
        {"lymphopenia", 0.2, "10e9/L", N, 1.0, N, false, 3},  {"lymphopenia", 0.19, "10e9/L", N, 1.0, N, false, 4},
        {"lymphocytes", 800, "/mm3", N, 1000, N, false, 1},   {"lymphocytes", 799, "/mm3", N, 1000, N, false, 2}});
}

TEST_CASE("anemia and hypoalbuminemia in each published unit") {
  // Anemia (10002272): G1 <LLN - 10.0 g/dL; <LLN - 6.2 mmol/L; <LLN - 100 g/L; G2 <10.0 - 8.0
  // g/dL; <6.2 - 4.9 mmol/L; <100 - 80 g/L; G3 <8.0 g/dL; <4.9 mmol/L; <80 g/L.
  walk({{"Hb", 12, "g/dL", N, 12, N, false, 0},    {"Hb", 11.9, "g/dL", N, 12, N, false, 1},
        {"Hb", 10.0, "g/dL", N, 12, N, false, 1},  {"Hb", 9.9, "g/dL", N, 12, N, false, 2},
        {"Hb", 8.0, "g/dL", N, 12, N, false, 2},   {"Hb", 7.9, "g/dL", N, 12, N, false, 3},
        {"anaemia", 120, "g/L", N, 120, N, false, 0}, {"anaemia", 100, "g/L", N, 120, N, false, 1},
        {"anaemia", 99, "g/L", N, 120, N, false, 2},  {"anaemia", 80, "g/L", N, 120, N, false, 2},
        {"anaemia", 79, "g/L", N, 120, N, false, 3},
        {"hemoglobin", 7.4, "mmol/L", N, 7.4, N, false, 0}, {"hemoglobin", 6.2, "mmol/L", N, 7.4, N, false, 1},
        {"hemoglobin", 6.1, "mmol/L", N, 7.4, N, false, 2}, {"hemoglobin", 4.9, "mmol/L", N, 7.4, N, false, 2},
        {"hemoglobin", 4.8, "mmol/L", N, 7.4, N, false, 3}});
  // Hypoalbuminemia (10020943): G1 <LLN - 3 g/dL; <LLN - 30 g/L; G2 <3 - 2 g/dL; <30 - 20 g/L;
  // G3 <2 g/dL; <20 g/L.
  walk({{"albumin", 3.5, "g/dL", N, 3.5, N, false, 0}, {"albumin", 3.4, "g/dL", N, 3.5, N, false, 1},
        {"albumin", 3.0, "g/dL", N, 3.5, N, false, 1}, {"albumin", 2.9, "g/dL", N, 3.5, N, false, 2},
        {"albumin", 2.0, "g/dL", N, 3.5, N, false, 2}, {"albumin", 1.9, "g/dL", N, 3.5, N, false, 3},
        {"Hypoalbuminemia", 35, "g/L", N, 35, N, false, 0}, {"Hypoalbuminemia", 30, "g/L", N, 35, N, false, 1},
        {"Hypoalbuminemia", 29, "g/L", N, 35, N, false, 2}, {"Hypoalbuminemia", 20, "g/L", N, 35, N, false, 2},
        {"Hypoalbuminemia", 19, "g/L", N, 35, N, false, 3}});
}

TEST_CASE("electrolytes") {
  // Hyperkalemia (10020647): G1 >ULN - 5.5; G2 >5.5 - 6.0; G3 >6.0 - 7.0; G4 >7.0 mmol/L.
  walk({{"Hyperkalemia", 5.0, "mmol/L", 5.0, N, N, false, 0},  {"Hyperkalemia", 5.1, "mmol/L", 5.0, N, N, false, 1},
        {"Hyperkalemia", 5.5, "mmol/L", 5.0, N, N, false, 1},  {"Hyperkalemia", 5.51, "mmol/L", 5.0, N, N, false, 2},
        {"Hyperkalemia", 6.0, "mmol/L", 5.0, N, N, false, 2},  {"Hyperkalemia", 6.01, "mmol/L", 5.0, N, N, false, 3},
        {"Hyperkalemia", 7.0, "mEq/L", 5.0, N, N, false, 3},   {"Hyperkalemia", 7.01, "mEq/L", 5.0, N, N, false, 4}});
  // Hypokalemia (10021018): G1 <LLN - 3.0; G2 symptomatic with <LLN - 3.0 (not from a value);
  // G3 <3.0 - 2.5; G4 <2.5 mmol/L.
  walk({{"Hypokalemia", 3.5, "mmol/L", N, 3.5, N, false, 0},  {"Hypokalemia", 3.49, "mmol/L", N, 3.5, N, false, 1},
        {"Hypokalemia", 3.0, "mmol/L", N, 3.5, N, false, 1},  {"Hypokalemia", 2.99, "mmol/L", N, 3.5, N, false, 3},
        {"Hypokalemia", 2.5, "mmol/L", N, 3.5, N, false, 3},  {"Hypokalemia", 2.49, "mmol/L", N, 3.5, N, false, 4}});
  // Hyponatremia (10021038): G1 <LLN - 130; G2 125-129 asymptomatic; G3 120-124; G4 <120 mmol/L.
  walk({{"Hyponatremia", 135, "mmol/L", N, 135, N, false, 0},   {"Hyponatremia", 134, "mmol/L", N, 135, N, false, 1},
        {"Hyponatremia", 130, "mmol/L", N, 135, N, false, 1},   {"Hyponatremia", 129, "mmol/L", N, 135, N, false, 2},
        {"Hyponatremia", 129.9, "mmol/L", N, 135, N, false, 2}, {"Hyponatremia", 125, "mmol/L", N, 135, N, false, 2},
        {"Hyponatremia", 124, "mmol/L", N, 135, N, false, 3},   {"Hyponatremia", 120, "mmol/L", N, 135, N, false, 3},
        {"Hyponatremia", 119, "mmol/L", N, 135, N, false, 4}});
  // Hypercalcemia (10020587), corrected: G1 >ULN - 11.5 mg/dL; >ULN - 2.9 mmol/L; G2 >11.5 - 12.5;
  // >2.9 - 3.1; G3 >12.5 - 13.5; >3.1 - 3.4; G4 >13.5 mg/dL; >3.4 mmol/L.
  walk({{"calcium", 10.2, "mg/dL", 10.2, N, N, false, 0}, {"calcium", 10.3, "mg/dL", 10.2, N, N, false, 1},
        {"calcium", 11.5, "mg/dL", 10.2, N, N, false, 1}, {"calcium", 11.6, "mg/dL", 10.2, N, N, false, 2},
        {"calcium", 12.5, "mg/dL", 10.2, N, N, false, 2}, {"calcium", 12.6, "mg/dL", 10.2, N, N, false, 3},
        {"calcium", 13.5, "mg/dL", 10.2, N, N, false, 3}, {"calcium", 13.6, "mg/dL", 10.2, N, N, false, 4},
        {"Hypercalcemia", 2.6, "mmol/L", 2.6, N, N, false, 0},  {"Hypercalcemia", 2.61, "mmol/L", 2.6, N, N, false, 1},
        {"Hypercalcemia", 2.9, "mmol/L", 2.6, N, N, false, 1},  {"Hypercalcemia", 2.91, "mmol/L", 2.6, N, N, false, 2},
        {"Hypercalcemia", 3.1, "mmol/L", 2.6, N, N, false, 2},  {"Hypercalcemia", 3.11, "mmol/L", 2.6, N, N, false, 3},
        {"Hypercalcemia", 3.4, "mmol/L", 2.6, N, N, false, 3},  {"Hypercalcemia", 3.41, "mmol/L", 2.6, N, N, false, 4},
        // mEq/L: 1 mEq/L = 0.5 mmol/L for Ca2+; ULN 5.2 mEq/L = 2.6 mmol/L; 5.8 = 2.9, 5.82 = 2.91.
        {"Hypercalcemia", 5.8, "mEq/L", 5.2, N, N, false, 1},   {"Hypercalcemia", 5.82, "mEq/L", 5.2, N, N, false, 2}});
  // Ionized calcium: G1 >ULN - 1.5; G2 >1.5 - 1.6; G3 >1.6 - 1.8; G4 >1.8 mmol/L.
  walk({{"ionized calcium", 1.3, "mmol/L", 1.3, N, N, false, 0}, {"ionized calcium", 1.31, "mmol/L", 1.3, N, N, false, 1},
        {"ionized calcium", 1.5, "mmol/L", 1.3, N, N, false, 1}, {"ionized calcium", 1.51, "mmol/L", 1.3, N, N, false, 2},
        {"ionized calcium", 1.6, "mmol/L", 1.3, N, N, false, 2}, {"ionized calcium", 1.61, "mmol/L", 1.3, N, N, false, 3},
        {"ionized calcium", 1.8, "mmol/L", 1.3, N, N, false, 3}, {"ionized calcium", 1.81, "mmol/L", 1.3, N, N, false, 4}});
}

TEST_CASE("INR, lipase and amylase") {
  // INR increased (10022402): G1 >1.2 - 1.5; G2 >1.5 - 2.5; G3 >2.5.
  walk({{"INR", 1.2, "", N, N, N, false, 0},  {"INR", 1.21, "", N, N, N, false, 1},
        {"INR", 1.5, "", N, N, N, false, 1},  {"INR", 1.51, "", N, N, N, false, 2},
        {"INR", 2.5, "", N, N, N, false, 2},  {"INR", 2.51, "", N, N, N, false, 3}});
  // On anticoagulation: G1 >1 - 1.5 x baseline; G2 >1.5 - 2.5; G3 >2.5 x baseline. Baseline 2.0.
  for (auto [v, g] : {std::pair{2.0, 0}, {2.01, 1}, {3.0, 1}, {3.01, 2}, {5.0, 2}, {5.01, 3}}) {
    ct::LabInput in = lab("INR increased", v, "ratio", {}, {}, 2.0);
    in.on_anticoagulation = true;
    CAPTURE(v);
    auto r = ct::grade_lab(in);
    REQUIRE(r.ok());
    CHECK(r->grade == g);
    CHECK(r->basis == "baseline");
  }
  // Lipase increased (10024574): G1 >ULN - 1.5 x ULN; G2 >1.5 - 2.0, or >2.0 - 5.0 asymptomatic;
  // G3 >5.0 asymptomatic. ULN 60: 1.5x = 90, 2x = 120, 5x = 300.
  walk({{"lipase", 60, "U/L", 60, N, N, false, 0},    {"lipase", 60.1, "U/L", 60, N, N, false, 1},
        {"lipase", 90, "U/L", 60, N, N, false, 1},    {"lipase", 90.1, "U/L", 60, N, N, false, 2},
        {"lipase", 120, "U/L", 60, N, N, false, 2},   {"lipase", 120.1, "U/L", 60, N, N, false, 2},
        {"lipase", 300, "U/L", 60, N, N, false, 2},   {"lipase", 300.1, "U/L", 60, N, N, false, 3}});
  // Serum amylase increased (10040139), same row; ULN 100.
  walk({{"amylase", 100, "U/L", 100, N, N, false, 0}, {"amylase", 150, "U/L", 100, N, N, false, 1},
        {"amylase", 150.1, "U/L", 100, N, N, false, 2}, {"amylase", 500, "U/L", 100, N, N, false, 2},
        {"amylase", 500.1, "U/L", 100, N, N, false, 3}});
}

TEST_CASE("proteinuria by 24 h collection and dipstick") {
  // Proteinuria (10037032), adult: G1 1+; >=ULN - <1.0 g/24 hrs; G2 2+ and 3+; 1.0 - <3.5 g/24
  // hrs; G3 >=3.5 g/24 hrs; 4+.
  walk({{"Proteinuria", 0.149, "g/24 h", 0.15, N, N, false, 0}, {"Proteinuria", 0.15, "g/24 h", 0.15, N, N, false, 1},
        {"Proteinuria", 0.99, "g/24 h", 0.15, N, N, false, 1},  {"Proteinuria", 1.0, "g/24 h", 0.15, N, N, false, 2},
        {"Proteinuria", 3.49, "g/24 h", 0.15, N, N, false, 2},  {"Proteinuria", 3.5, "g/24 h", 0.15, N, N, false, 3},
        {"urine protein", 149, "mg/24 h", 150, N, N, false, 0}, {"urine protein", 150, "mg/24h", 150, N, N, false, 1},
        {"urine protein", 1000, "mg/day", 150, N, N, false, 2},
        {"Proteinuria", 0, "dipstick", N, N, N, false, 0},   {"Proteinuria", 0.5, "dipstick", N, N, N, false, 0},
        {"Proteinuria", 1, "dipstick", N, N, N, false, 1},   {"Proteinuria", 2, "dipstick", N, N, N, false, 2},
        {"Proteinuria", 3, "dipstick", N, N, N, false, 2},   {"Proteinuria", 4, "dipstick", N, N, N, false, 3}});
  CHECK(ct::parse_dipstick("2+") == 2.0);
  CHECK(ct::parse_dipstick("trace") == 0.5);
  CHECK(ct::parse_dipstick("Negative") == 0.0);
  CHECK_FALSE(ct::parse_dipstick("5+"));
}

TEST_CASE("adult hypertension from systolic and diastolic pressure") {
  // Hypertension (10020772), adult: G1 SBP 120 - 139 or DBP 80 - 89; G2 SBP 140 - 159 or DBP
  // 90 - 99; G3 SBP >=160 or DBP >=100. Grade 4 needs life-threatening consequences.
  struct Bp {
    double s, d;
    int g;
  };
  for (Bp b : {Bp{119, 79, 0}, Bp{120, 79, 1}, Bp{119, 80, 1}, Bp{139, 89, 1}, Bp{140, 89, 2}, Bp{139, 90, 2},
               Bp{159, 99, 2}, Bp{160, 99, 3}, Bp{159, 100, 3}, Bp{230, 130, 3}}) {
    ct::LabInput in;
    in.test = "Hypertension";
    in.unit = "mm Hg";
    in.systolic = b.s;
    in.diastolic = b.d;
    CAPTURE(b.s);
    CAPTURE(b.d);
    auto r = ct::grade_lab(in);
    REQUIRE(r.ok());
    CHECK(r->grade == b.g);
  }
  ct::LabInput only_sbp;
  only_sbp.test = "HTN";
  only_sbp.systolic = 165;
  auto r = ct::grade_lab(only_sbp);
  REQUIRE(r.ok());
  CHECK(r->grade == 3);
  CHECK(r->criterion.find("grade 4 needs life-threatening consequences") != std::string::npos);
  CHECK(r->criterion.find("Pediatric") == std::string::npos);  // adult text only
}

TEST_CASE("criterion texts, basis and clinical-context caveats") {
  ct::LabInput alt = lab("ALT", 150, "U/L", 40.0);
  auto a = ct::grade_lab(alt);
  REQUIRE(a.ok());
  CHECK(a->term->meddra_code == "10001551");
  CHECK(a->basis == "ULN");
  CHECK(a->criterion.find(">3.0 - 5.0 x ULN if baseline was normal") != std::string::npos);

  ct::LabInput abn = lab("SGPT", 300.1, "IU/L", 40.0, {}, 60.0, true);
  auto b = ct::grade_lab(abn);
  REQUIRE(b.ok());
  CHECK(b->grade == 3);
  CHECK(b->basis == "baseline");

  ct::LabInput k = lab("low potassium", 3.2, "mmol/L", {}, 3.5);
  auto kr = ct::grade_lab(k);
  REQUIRE(kr.ok());
  CHECK(kr->grade == 1);
  CHECK(kr->criterion.find("grade 2 if symptomatic") != std::string::npos);

  ct::LabInput lip = lab("Lipase increased", 200, "U/L", 60.0);
  auto lr = ct::grade_lab(lip);
  REQUIRE(lr.ok());
  CHECK(lr->grade == 2);
  CHECK(lr->criterion.find("grade 3 if with signs or symptoms") != std::string::npos);

  ct::LabInput normal = lab("ALT", 30, "U/L", 40.0);
  auto n = ct::grade_lab(normal);
  REQUIRE(n.ok());
  CHECK(n->grade == 0);
  CHECK(n->criterion.find("not an adverse event") != std::string::npos);

  // The MedDRA code works as the test name.
  CHECK(ct::grade_lab(lab("10035528", 40, "10e9/L", {}, 150.0))->grade == 3);
}

TEST_CASE("unit conversions give the same grade in every unit") {
  // Bilirubin 1 mg/dL = 17.1 µmol/L: 2.0 mg/dL with ULN 1.2 is 1.67 x ULN (grade 2), and so is
  // 34.2 µmol/L with ULN 20.5.
  CHECK(ct::grade_lab(lab("bilirubin", 2.0, "mg/dL", 1.2))->grade == 2);
  CHECK(ct::grade_lab(lab("bilirubin", 34.2, "µmol/L", 20.5))->grade == 2);
  // Creatinine 1 mg/dL = 88.4 µmol/L: 2.0 mg/dL (176.8 µmol/L) with ULN 1.1 (97.2) is 1.82 x ULN.
  CHECK(ct::grade_lab(lab("creatinine", 2.0, "mg/dL", 1.1))->grade == 2);
  CHECK(ct::grade_lab(lab("creatinine", 176.8, "µmol/L", 97.2))->grade == 2);
  // ALT 1 µkat/L = 60 U/L: 2.5 µkat/L = 150 U/L, ULN 0.67 µkat/L = 40 U/L: 3.7 x ULN, grade 2.
  CHECK(ct::grade_lab(lab("ALT", 2.5, "µkat/L", 0.67))->grade == 2);
  CHECK(ct::grade_lab(lab("ALT", 2.5, "ukat/L", 0.67))->grade == 2);
  // Platelets 60,000/mm3 = 60 x 10e9/L: grade 2 either way (also as 10^3/µL and with μ, U+03BC).
  CHECK(ct::grade_lab(lab("platelets", 60000, "/mm3", {}, 150000.0))->grade == 2);
  CHECK(ct::grade_lab(lab("platelets", 60, "10^3/\xCE\xBCL", {}, 150.0))->grade == 2);
  CHECK(ct::grade_lab(lab("platelets", 60, "x 10e9 /L", {}, 150.0))->grade == 2);
}

TEST_CASE("proteinuria at 1.0 g/24 h or more needs no ULN: CTCAE's grade 2 and 3 thresholds are absolute") {
  // CTCAE v5.0 Proteinuria (10037032): G2 1.0 - <3.5 g/24 hrs; G3 >=3.5 g/24 hrs.
  const struct { double v; const char* unit; int grade; } cases[] = {
      {1.0, "g/24 h", 2}, {1.2, "g/24 h", 2}, {3.49, "g/24 h", 2}, {3.5, "g/24 h", 3}, {1500, "mg/24 h", 2}};
  for (const auto& c : cases) {
    CAPTURE(c.v);
    auto g = ct::grade_lab(lab("Proteinuria", c.v, c.unit));
    REQUIRE(g);
    CHECK(g->grade == c.grade);
    CHECK(g->basis == "absolute");
  }
  // Below 1.0 g/24 h the ULN decides between grade 0 and grade 1: it is required.
  CHECK(error_field(lab("Proteinuria", 0.99, "g/24 h")) == "lab.uln");
}

TEST_CASE("input errors name the field") {
  CHECK(error_field(lab("Fatigue", 1, "U/L", 40.0)) == "lab.test");
  CHECK(error_field(lab("frobnicate", 1, "U/L", 40.0)) == "lab.test");
  CHECK(error_field(lab("", 1, "U/L", 40.0)) == "lab.test");
  CHECK(error_field(lab("ALT", 100, "mg/dL", 40.0)) == "lab.unit");
  CHECK(error_field(lab("ALT", 100, "U/L")) == "lab.uln");
  CHECK(error_field(lab("ALT", 100, "U/L", 0.0)) == "lab.uln");
  CHECK(error_field(lab("ALT", 100, "U/L", 40.0, {}, {}, true)) == "lab.baseline");
  CHECK(error_field(lab("ALT", -1, "U/L", 40.0)) == "lab.value");
  CHECK(error_field(lab("ALT", std::numeric_limits<double>::infinity(), "U/L", 40.0)) == "lab.value");
  CHECK(error_field(lab("platelets", 40, "10e9/L")) == "lab.lln");
  CHECK(error_field(lab("Hb", 9, "mg", {}, 12.0)) == "lab.unit");
  CHECK(error_field(lab("Proteinuria", 5, "dipstick")) == "lab.value");
  CHECK(error_field(lab("Proteinuria", 0.5, "g/24 h")) == "lab.uln");
  CHECK(error_field(lab("Hypertension", 0, "mm Hg")) == "lab.systolic");
  CHECK(error_field(lab("Hypertension", 0, "kPa", {}, {}, {}, false, false, 150.0)) == "lab.unit");
  ct::LabInput bad_dbp = lab("Hypertension");
  bad_dbp.diastolic = -5;
  CHECK(error_field(bad_dbp) == "lab.diastolic");
  ct::LabInput anticoag = lab("INR", 2.0, "");
  anticoag.on_anticoagulation = true;
  CHECK(error_field(anticoag) == "lab.baseline");
  CHECK(ct::gradable_tests().size() == 21);
}

TEST_CASE("is_lab_test: the names grade_lab grades from a value, and nothing else") {
  // The analyte keys sites and the simulator give a baseline under (daemon/sim/plan.cpp).
  for (const char* key : {"alt", "ast", "alp", "bilirubin", "total_bilirubin", "platelets", "neutrophils",
                          "haemoglobin", "hemoglobin", "creatinine", "ALT", "Hb", "inr", "albumin", "10001551",
                          "Alanine aminotransferase increased", "blood pressure"}) {
    CAPTURE(key);
    CHECK(ct::is_lab_test(key));
  }
  // Unknown names, a typo, and a term CTCAE grades by its clinical description only.
  for (const char* key : {"atl", "glucose_x", "", "   ", "nausea", "Fatigue", "colour"}) {
    CAPTURE(key);
    CHECK_FALSE(ct::is_lab_test(key));
  }
}
