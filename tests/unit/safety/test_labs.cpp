// Lab stream: panel validation and CTCAE v5.0 grading, potential Hy's law at and around each
// threshold, the lab finding without an AE report, eDISH quadrants and shift tables. Every
// expected figure is worked by hand in the comments.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "when.hpp"
#include "pvmon/safety/labs.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using nlohmann::json;

using namespace pvmon::test;

namespace {

const ctcae::Term* term_named(const char* name) {
  const ctcae::Term* t = ctcae::find_term(name);
  REQUIRE(t != nullptr);
  return t;
}

const char* term_name(Analyte a) {
  switch (a) {
    case Analyte::alt: return "Alanine aminotransferase increased";
    case Analyte::ast: return "Aspartate aminotransferase increased";
    case Analyte::alp: return "Alkaline phosphatase increased";
    case Analyte::bilirubin: return "Blood bilirubin increased";
    case Analyte::other: break;
  }
  return "Platelet count decreased";
}

// A stored result of one liver analyte; `when` is the panel's collection time.
LabResult res(Analyte a, double value, std::optional<double> uln, const char* panel, const char* when,
              std::optional<BaselineValue> baseline = std::nullopt) {
  LabResult r;
  r.panel_ref = panel;
  r.collected_at = ts(when);
  r.term = term_named(term_name(a));
  r.analyte = a;
  r.test = std::string(to_string(a));
  r.value = value;
  r.unit = a == Analyte::bilirubin ? "µmol/L" : "U/L";
  r.uln = uln;
  r.baseline = baseline;
  return r;
}

BaselineValue base(double value, double uln, const char* unit = "U/L") {
  BaselineValue b;
  b.value = value;
  b.uln = uln;
  b.unit = unit;
  return b;
}

bool has_field(const Error& e, const std::string& field) {
  return std::any_of(e.fields.begin(), e.fields.end(), [&](const FieldError& f) { return f.field == field; });
}

std::string message_of(const Error& e, const std::string& field) {
  for (const auto& f : e.fields)
    if (f.field == field) return f.message;
  return {};
}

}  // namespace

// ---------------------------------------------------------------- analyte_of, to_string

TEST_CASE("analyte_of: the four liver terms by name, every other term is other") {
  CHECK(analyte_of(*term_named("Alanine aminotransferase increased")) == Analyte::alt);
  CHECK(analyte_of(*term_named("Aspartate aminotransferase increased")) == Analyte::ast);
  CHECK(analyte_of(*term_named("Alkaline phosphatase increased")) == Analyte::alp);
  CHECK(analyte_of(*term_named("Blood bilirubin increased")) == Analyte::bilirubin);
  CHECK(analyte_of(*term_named("GGT increased")) == Analyte::other);
  CHECK(analyte_of(*term_named("Platelet count decreased")) == Analyte::other);
  CHECK(to_string(Analyte::bilirubin) == "bilirubin");
  CHECK(to_string(EdishQuadrant::temple_corollary) == "temple_corollary");
  CHECK(to_string(EdishQuadrant::hys_law) == "hys_law");
}

// ---------------------------------------------------------------- potential Hy's law

TEST_CASE("Hy's law: ALT exactly 3.0 x ULN and bilirubin exactly 2.0 x ULN count (inclusive)") {
  // ALT 120 / ULN 40 = 3.0; bilirubin 42 / ULN 21 = 2.0; same panel, no ALP.
  std::vector<LabResult> v{res(Analyte::alt, 120, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 42, 21, "P1", "2026-10-02T08:00:00Z")};
  auto c = potential_hys_law(v, "P1", {});
  REQUIRE(c);
  CHECK(c->transaminase.analyte == Analyte::alt);
  CHECK(c->bilirubin.value == 42);
  CHECK_FALSE(c->alp);  // no ALP result does not exclude
  CHECK(c->text ==
        "potential Hy's law: ALT 120 U/L = 3.0 × ULN 40 on 2026-10-02; total bilirubin 42 µmol/L = 2.0 × "
        "ULN 21 on 2026-10-02; no ALP result in the panel");
}

TEST_CASE("Hy's law: ALT 2.99 x ULN or bilirubin 1.99 x ULN is not a case") {
  // ALT 119.6 / 40 = 2.99 < 3; bilirubin 42 / 21 = 2.0.
  std::vector<LabResult> a{res(Analyte::alt, 119.6, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 42, 21, "P1", "2026-10-02T08:00:00Z")};
  CHECK_FALSE(potential_hys_law(a, "P1", {}));
  // ALT 120 / 40 = 3.0; bilirubin 41.79 / 21 = 1.99 < 2.
  std::vector<LabResult> b{res(Analyte::alt, 120, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 41.79, 21, "P1", "2026-10-02T08:00:00Z")};
  CHECK_FALSE(potential_hys_law(b, "P1", {}));
}

TEST_CASE("Hy's law: AST instead of ALT") {
  // AST 150 / 40 = 3.75 >= 3; ALT 100 / 40 = 2.5 does not qualify; bilirubin 45 / 21 = 2.14.
  std::vector<LabResult> v{res(Analyte::alt, 100, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::ast, 150, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 45, 21, "P1", "2026-10-02T08:00:00Z")};
  auto c = potential_hys_law(v, "P1", {});
  REQUIRE(c);
  CHECK(c->transaminase.analyte == Analyte::ast);
  CHECK(c->text.rfind("potential Hy's law: AST 150 U/L = 3.75 × ULN 40 on 2026-10-02; total bilirubin 45 "
                      "µmol/L = 2.14 × ULN 21",
                      0) == 0);
}

TEST_CASE("Hy's law: ALP 1.99 x ULN does not exclude, 2.0 x ULN does (cholestasis)") {
  auto panel = [](double alp) {
    return std::vector<LabResult>{res(Analyte::alt, 250, 40, "P1", "2026-10-02T08:00:00Z"),
                                  res(Analyte::bilirubin, 45, 21, "P1", "2026-10-02T08:00:00Z"),
                                  res(Analyte::alp, alp, 125, "P1", "2026-10-02T08:00:00Z")};
  };
  // ALP 248.75 / 125 = 1.99 < 2.0: a case, with the ALP named.
  auto c = potential_hys_law(panel(248.75), "P1", {});
  REQUIRE(c);
  REQUIRE(c->alp);
  CHECK(c->alp->value == 248.75);
  // ALT 250 / 40 = 6.25; bilirubin 45 / 21 = 2.142857 -> "2.14".
  CHECK(c->text ==
        "potential Hy's law: ALT 250 U/L = 6.25 × ULN 40 on 2026-10-02; total bilirubin 45 µmol/L = 2.14 × "
        "ULN 21 on 2026-10-02; ALP 248.75 U/L = 1.99 × ULN 125 on 2026-10-02, below 2.0 × (no cholestasis)");
  // ALP 250 / 125 = 2.0: cholestatic, not a Hy's law pattern.
  CHECK_FALSE(potential_hys_law(panel(250), "P1", {}));
  // The study file's own ALP multiple: at 3.0, ALP 2.0 x ULN no longer excludes.
  HysLawParams p;
  p.alp_x = 3.0;
  CHECK(potential_hys_law(panel(250), "P1", p));
}

TEST_CASE("Hy's law: abnormal baseline ALT 80 (ULN 40): the threshold is 3 x 80 = 240, not 120") {
  const auto b = base(80, 40);
  auto with_alt = [&](double alt) {
    return std::vector<LabResult>{res(Analyte::alt, alt, 40, "P1", "2026-10-02T08:00:00Z", b),
                                  res(Analyte::bilirubin, 42, 21, "P1", "2026-10-02T08:00:00Z")};
  };
  // 130 = 3.25 x ULN but 1.625 x baseline: no.
  CHECK_FALSE(potential_hys_law(with_alt(130), "P1", {}));
  // 239 = 2.9875 x baseline: no.
  CHECK_FALSE(potential_hys_law(with_alt(239), "P1", {}));
  // 240 = 3.0 x baseline: yes.
  auto c = potential_hys_law(with_alt(240), "P1", {});
  REQUIRE(c);
  CHECK(c->text.rfind("potential Hy's law: ALT 240 U/L = 3.0 × baseline 80 (abnormal baseline; ULN 40) on "
                      "2026-10-02; total bilirubin 42 µmol/L = 2.0 × ULN 21",
                      0) == 0);
  // A normal baseline (32, ULN 40) leaves the reference at ULN: 120 = 3.0 x ULN counts.
  std::vector<LabResult> normal{res(Analyte::alt, 120, 40, "P1", "2026-10-02T08:00:00Z", base(32, 40)),
                                res(Analyte::bilirubin, 42, 21, "P1", "2026-10-02T08:00:00Z")};
  CHECK(potential_hys_law(normal, "P1", {}));
}

TEST_CASE("Hy's law: window 0 is the same panel; window 3 joins results 3 days apart") {
  // ALT 200 / 40 = 5.0 in P1 on 10-01; bilirubin 63 / 21 = 3.0 in P2 on 10-04 (3 days later).
  std::vector<LabResult> v{res(Analyte::alt, 200, 40, "P1", "2026-10-01T08:00:00Z"),
                           res(Analyte::bilirubin, 63, 21, "P2", "2026-10-04T23:00:00Z")};
  CHECK_FALSE(potential_hys_law(v, "P2", {}));  // window 0: not the same panel
  HysLawParams w2;
  w2.window_days = 2;
  CHECK_FALSE(potential_hys_law(v, "P2", w2));  // 3 days > 2
  HysLawParams w3;
  w3.window_days = 3;
  auto c = potential_hys_law(v, "P2", w3);  // 3 days <= 3 (inclusive, calendar days)
  REQUIRE(c);
  CHECK(c->transaminase.panel_ref == "P1");
  CHECK(c->bilirubin.panel_ref == "P2");
  CHECK(c->text.find("no ALP result within 3 days") != std::string::npos);

  // ALP 260 / 125 = 2.08 x ULN on 10-06: 2 days from the bilirubin, inside the window: excludes.
  auto excluded = v;
  excluded.push_back(res(Analyte::alp, 260, 125, "P3", "2026-10-06T08:00:00Z"));
  CHECK_FALSE(potential_hys_law(excluded, "P2", w3));
  // The same ALP on 10-08 is 4 days from the bilirubin: outside, does not exclude, not named.
  auto outside = v;
  outside.push_back(res(Analyte::alp, 260, 125, "P3", "2026-10-08T08:00:00Z"));
  auto c2 = potential_hys_law(outside, "P2", w3);
  REQUIRE(c2);
  CHECK_FALSE(c2->alp);
}

TEST_CASE("Hy's law: a case not involving the new panel is not raised again") {
  std::vector<LabResult> v{res(Analyte::alt, 250, 40, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 45, 21, "P1", "2026-10-02T08:00:00Z"),
                           // P2 a week later: ALT 30 / 40 = 0.75, bilirubin 10 / 21 = 0.48.
                           res(Analyte::alt, 30, 40, "P2", "2026-10-09T08:00:00Z"),
                           res(Analyte::bilirubin, 10, 21, "P2", "2026-10-09T08:00:00Z")};
  CHECK(potential_hys_law(v, "P1", {}));
  CHECK_FALSE(potential_hys_law(v, "P2", {}));
  CHECK_FALSE(potential_hys_law(v, "P9", {}));
}

TEST_CASE("Hy's law: the earliest qualifying pair, whatever the input order") {
  // P1 (10-01) and P2 (10-05) each qualify on their own; window 7 also pairs them across.
  // New panel P2: the pairs involving P2 complete on 10-05; the earlier other end is 10-01, and
  // of (ALT P1, bili P2) and (ALT P2, bili P1) the first by ALT's panel is ALT P1.
  std::vector<LabResult> v{res(Analyte::alt, 200, 40, "P1", "2026-10-01T08:00:00Z"),
                           res(Analyte::bilirubin, 50, 21, "P1", "2026-10-01T08:00:00Z"),
                           res(Analyte::alt, 300, 40, "P2", "2026-10-05T08:00:00Z"),
                           res(Analyte::bilirubin, 60, 21, "P2", "2026-10-05T08:00:00Z")};
  HysLawParams p;
  p.window_days = 7;
  auto c = potential_hys_law(v, "P2", p);
  REQUIRE(c);
  CHECK(c->transaminase.panel_ref == "P1");
  CHECK(c->bilirubin.panel_ref == "P2");
  std::reverse(v.begin(), v.end());
  auto c2 = potential_hys_law(v, "P2", p);
  REQUIRE(c2);
  CHECK(c2->text == c->text);
  // Window 0: only P2's own pair.
  auto c3 = potential_hys_law(v, "P2", {});
  REQUIRE(c3);
  CHECK(c3->transaminase.value == 300);
  CHECK(c3->bilirubin.value == 60);
}

TEST_CASE("Hy's law: a result without ULN (and no abnormal baseline) takes no part") {
  std::vector<LabResult> v{res(Analyte::alt, 500, std::nullopt, "P1", "2026-10-02T08:00:00Z"),
                           res(Analyte::bilirubin, 45, 21, "P1", "2026-10-02T08:00:00Z")};
  CHECK_FALSE(potential_hys_law(v, "P1", {}));
}

// ---------------------------------------------------------------- lab finding without an AE

TEST_CASE("lab_without_ae: raised only after the window, answered by an AE within it") {
  // ALT grade 3 collected 2026-10-02; window 7: due 2026-10-09.
  LabResult alt = res(Analyte::alt, 250, 40, "P1", "2026-10-02T08:00:00Z");
  alt.grade = 3;
  const LabAeParams p;  // min grade 3, window 7
  const std::vector<AeOfTerm> none;

  CHECK(lab_without_ae({alt}, none, p, d("2026-10-09")).empty());  // today == due: not yet
  auto f = lab_without_ae({alt}, none, p, d("2026-10-10"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].due == d("2026-10-09"));
  CHECK(f[0].result.panel_ref == "P1");

  const char* kAlt = "Alanine aminotransferase increased";
  // Onset 7 days after collection: answers. 8 days after: does not.
  CHECK(lab_without_ae({alt}, {{"R1", kAlt, d("2026-10-09")}}, p, d("2026-10-20")).empty());
  CHECK(lab_without_ae({alt}, {{"R1", kAlt, d("2026-10-10")}}, p, d("2026-10-20")).size() == 1);
  // Either side: 7 days before answers, 8 days before does not.
  CHECK(lab_without_ae({alt}, {{"R1", kAlt, d("2026-09-25")}}, p, d("2026-10-20")).empty());
  CHECK(lab_without_ae({alt}, {{"R1", kAlt, d("2026-09-24")}}, p, d("2026-10-20")).size() == 1);
  // Another term on the same day does not answer.
  CHECK(lab_without_ae({alt}, {{"R2", "Aspartate aminotransferase increased", d("2026-10-02")}}, p,
                       d("2026-10-20"))
            .size() == 1);

  // answers() directly.
  const UnreportedFinding uf{alt, d("2026-10-09")};
  CHECK(answers(uf, {"R1", kAlt, d("2026-10-09")}, p));
  CHECK_FALSE(answers(uf, {"R1", kAlt, d("2026-10-10")}, p));
}

TEST_CASE("lab_without_ae: thresholds, per-term override, one per (term, panel)") {
  LabResult alt2 = res(Analyte::alt, 150, 40, "P1", "2026-10-02T08:00:00Z");
  alt2.grade = 2;  // 150 / 40 = 3.75 x ULN: grade 2
  LabResult bili3 = res(Analyte::bilirubin, 70, 21, "P1", "2026-10-02T08:00:00Z");
  bili3.grade = 3;  // 70 / 21 = 3.33 x ULN: grade 3
  const Date today = d("2026-10-20");
  LabAeParams p;
  auto f = lab_without_ae({alt2, bili3}, {}, p, today);
  REQUIRE(f.size() == 1);  // grade 2 < 3
  CHECK(f[0].result.analyte == Analyte::bilirubin);

  p.min_grade_by_term["Alanine aminotransferase increased"] = 2;
  CHECK(lab_without_ae({alt2, bili3}, {}, p, today).size() == 2);
  p.min_grade_by_term["Blood bilirubin increased"] = 4;
  auto g = lab_without_ae({alt2, bili3}, {}, p, today);
  REQUIRE(g.size() == 1);
  CHECK(g[0].result.analyte == Analyte::alt);

  // The same result stored twice: one finding.
  CHECK(lab_without_ae({alt2, alt2}, {}, p, today).size() == 1);
  // Grade 0 never, even with a threshold of 0.
  LabResult normal = res(Analyte::alt, 30, 40, "P2", "2026-10-03T08:00:00Z");
  p.min_grade_by_term["Alanine aminotransferase increased"] = 0;
  CHECK(lab_without_ae({normal}, {}, p, today).empty());
}

// ---------------------------------------------------------------- eDISH

TEST_CASE("eDISH: peaks x ULN by the cut-off, quadrants at the 3 x and 2 x lines") {
  const Timestamp cutoff = ts("2026-10-31T23:59:59.999Z");
  std::map<std::string, std::vector<LabResult>> by;
  // S1: ALT peak 120 / 40 = 3.0 on 10-02, bilirubin peak 42 / 21 = 2.0 on 10-05: Hy's law
  // quadrant (both lines inclusive), peaks from different days.
  by["S1"] = {res(Analyte::alt, 120, 40, "A", "2026-10-02T08:00:00Z"),
              res(Analyte::alt, 80, 40, "B", "2026-10-05T08:00:00Z"),
              res(Analyte::bilirubin, 30, 21, "A", "2026-10-02T08:00:00Z"),
              res(Analyte::bilirubin, 42, 21, "B", "2026-10-05T08:00:00Z")};
  // S2: ALT 119.6 / 40 = 2.99, bilirubin 42 / 21 = 2.0: hyperbilirubinaemia.
  by["S2"] = {res(Analyte::alt, 119.6, 40, "C", "2026-10-02T08:00:00Z"),
              res(Analyte::bilirubin, 42, 21, "C", "2026-10-02T08:00:00Z")};
  // S3: ALT 200 / 40 = 5.0, bilirubin 41.79 / 21 = 1.99: Temple's corollary.
  by["S3"] = {res(Analyte::alt, 200, 40, "D", "2026-10-02T08:00:00Z"),
              res(Analyte::bilirubin, 41.79, 21, "D", "2026-10-02T08:00:00Z")};
  // S4: ALT 400 / 40 = 10 after the cut-off does not count; 60 / 40 = 1.5 does; an ALT of 900
  // without ULN takes no part; bilirubin 10 / 21 = 0.48: normal.
  by["S4"] = {res(Analyte::alt, 60, 40, "E", "2026-10-02T08:00:00Z"),
              res(Analyte::alt, 900, std::nullopt, "F", "2026-10-03T08:00:00Z"),
              res(Analyte::alt, 400, 40, "G", "2026-11-01T00:00:00Z"),
              res(Analyte::bilirubin, 10, 21, "E", "2026-10-02T08:00:00Z")};
  // S5: ALT only: no point.
  by["S5"] = {res(Analyte::alt, 300, 40, "H", "2026-10-02T08:00:00Z")};

  const Edish e = edish(by, cutoff);
  REQUIRE(e.points.size() == 4);
  CHECK(e.points[0].subject == "S1");
  CHECK(e.points[0].peak_alt_x_uln == doctest::Approx(3.0));
  CHECK(e.points[0].peak_bilirubin_x_uln == doctest::Approx(2.0));
  CHECK(e.points[0].alt_at == ts("2026-10-02T08:00:00Z"));
  CHECK(e.points[0].bilirubin_at == ts("2026-10-05T08:00:00Z"));
  CHECK(e.points[0].quadrant == EdishQuadrant::hys_law);
  CHECK(e.points[1].subject == "S2");
  CHECK(e.points[1].quadrant == EdishQuadrant::hyperbilirubinaemia);
  CHECK(e.points[2].subject == "S3");
  CHECK(e.points[2].quadrant == EdishQuadrant::temple_corollary);
  CHECK(e.points[3].subject == "S4");
  CHECK(e.points[3].peak_alt_x_uln == doctest::Approx(1.5));
  CHECK(e.points[3].quadrant == EdishQuadrant::normal);
  // By EdishQuadrant: normal, hyperbilirubinaemia, temple_corollary, hys_law.
  CHECK(e.quadrant_counts == std::array<int, 4>{1, 1, 1, 1});

  // An earlier cut-off (10-03 end): S1's bilirubin peak is 30 / 21 = 1.43 -> Temple's corollary.
  const Edish early = edish(by, ts("2026-10-03T23:59:59.999Z"));
  REQUIRE(early.points.size() == 4);
  CHECK(early.points[0].quadrant == EdishQuadrant::temple_corollary);
  CHECK(early.quadrant_counts == std::array<int, 4>{1, 1, 2, 0});
}

// ---------------------------------------------------------------- shift tables

TEST_CASE("shift tables: baseline grade against worst post-baseline grade, per term") {
  const Timestamp cutoff = ts("2026-10-31T23:59:59.999Z");
  auto graded = [](LabResult r, int g) {
    r.grade = g;
    return r;
  };
  std::map<std::string, std::vector<LabResult>> by;
  // S1: baseline ALT 30, ULN 40: 0.75 x ULN, grade 0. Results grade 1 and 3: worst 3 -> [0][3].
  // And platelets: baseline 200 (LLN 150): grade 0; a result of grade 2 -> platelets [0][2].
  LabResult plt;
  plt.panel_ref = "A";
  plt.collected_at = ts("2026-10-02T08:00:00Z");
  plt.term = term_named("Platelet count decreased");
  plt.test = "platelets";
  plt.value = 60;
  plt.unit = "10^9/L";
  plt.lln = 150;
  BaselineValue pb;
  pb.value = 200;
  pb.lln = 150;
  pb.unit = "10^9/L";
  plt.baseline = pb;
  plt.grade = 2;  // 60 < 75: grade 2
  by["S1"] = {graded(res(Analyte::alt, 60, 40, "A", "2026-10-02T08:00:00Z", base(30, 40)), 1),
              graded(res(Analyte::alt, 250, 40, "B", "2026-10-09T08:00:00Z", base(30, 40)), 3), plt};
  // S2: baseline ALT 60, ULN 40: 1.5 x ULN, grade 1 (>ULN - 3.0 x ULN). Result grade 0 -> [1][0].
  by["S2"] = {graded(res(Analyte::alt, 35, 40, "C", "2026-10-02T08:00:00Z", base(60, 40)), 0)};
  // S3: baseline ALT 150, ULN 40: 3.75 x ULN, grade 2 (>3.0 - 5.0). Results grade 2, and grade 4
  // after the cut-off (left out): worst 2 -> [2][2].
  by["S3"] = {graded(res(Analyte::alt, 300, 40, "D", "2026-10-02T08:00:00Z", base(150, 40)), 2),
              graded(res(Analyte::alt, 4000, 40, "E", "2026-11-02T08:00:00Z", base(150, 40)), 4)};
  // S4: no baseline: counted in no_baseline, not in the table.
  by["S4"] = {graded(res(Analyte::alt, 250, 40, "F", "2026-10-02T08:00:00Z"), 3)};
  // S5: results only after the cut-off: not in the ALT table at all.
  by["S5"] = {graded(res(Analyte::alt, 250, 40, "G", "2026-11-02T08:00:00Z", base(30, 40)), 3)};

  const auto tables = shift_tables(by, cutoff);
  REQUIRE(tables.size() == 2);
  // Sorted by term name.
  const ShiftTable& alt = tables[0];
  CHECK(alt.term == "Alanine aminotransferase increased");
  CHECK(alt.subjects == 3);
  CHECK(alt.no_baseline == 1);
  CHECK(alt.counts[0][3] == 1);
  CHECK(alt.counts[1][0] == 1);
  CHECK(alt.counts[2][2] == 1);
  int total = 0;
  for (const auto& row : alt.counts)
    for (int n : row) total += n;
  CHECK(total == 3);

  const ShiftTable& p = tables[1];
  CHECK(p.term == "Platelet count decreased");
  CHECK(p.subjects == 1);
  CHECK(p.no_baseline == 0);
  CHECK(p.counts[0][2] == 1);
}

TEST_CASE("shift tables: a baseline its row cannot grade (no ULN) counts as no baseline") {
  BaselineValue b;
  b.value = 30;  // no ULN: ALT cannot be graded
  b.unit = "U/L";
  std::map<std::string, std::vector<LabResult>> by;
  LabResult r = res(Analyte::alt, 250, 40, "A", "2026-10-02T08:00:00Z", b);
  r.grade = 3;
  by["S1"] = {r};
  const auto tables = shift_tables(by, ts("2026-10-31T00:00:00Z"));
  REQUIRE(tables.size() == 1);
  CHECK(tables[0].subjects == 0);
  CHECK(tables[0].no_baseline == 1);
}

// ---------------------------------------------------------------- validate_panel

namespace {

struct PanelFixture {
  ctcae::Resolver resolver;
  LabContext ctx;
  PanelFixture() {
    ctx.enrolled = d("2026-09-01");
    ctx.now = ts("2026-10-03T09:00:00Z");
    ctx.baseline = json{{"alt", {{"value", 32}, {"unit", "U/L"}, {"uln", 40}}}};
    ctx.resolver = &resolver;
  }
};

json result(const char* test, double value, const char* unit, std::optional<double> uln = std::nullopt,
            std::optional<double> lln = std::nullopt) {
  json r{{"test", test}, {"value", value}, {"unit", unit}};
  if (uln) r["uln"] = *uln;
  if (lln) r["lln"] = *lln;
  return r;
}

json body(json results, const char* at = "2026-10-02T08:10:00Z") {
  return json{{"panel_id", "LAB-0001"}, {"collected_at", at}, {"results", std::move(results)}};
}

}  // namespace

TEST_CASE("validate_panel: a valid panel graded by CTCAE v5.0, against ULN with a normal baseline") {
  PanelFixture f;
  auto p = validate_panel(body(json::array({result("ALT", 250, "U/L", 40),
                                            result("total bilirubin", 45, "µmol/L", 21, 3),
                                            result("platelets", 60, "10^9/L", 400, 150)})),
                          f.ctx);
  REQUIRE(p.ok());
  CHECK(p->panel_id == "LAB-0001");
  CHECK(p->collected_at == ts("2026-10-02T08:10:00Z"));
  REQUIRE(p->results.size() == 3);

  // ALT 250 U/L, ULN 40, baseline 32 (normal, below ULN 40): 250 / 40 = 6.25 x ULN; CTCAE v5.0
  // grade 3 is >5.0 - 20.0 x ULN. 250 / 32 = 7.8125 x baseline (informative only).
  const LabResult& alt = p->results[0];
  CHECK(alt.test == "ALT");
  CHECK(alt.term == term_named("Alanine aminotransferase increased"));
  CHECK(alt.analyte == Analyte::alt);
  CHECK(alt.grade == 3);
  CHECK(alt.basis == "ULN");
  REQUIRE(alt.x_uln);
  CHECK(*alt.x_uln == doctest::Approx(6.25));
  REQUIRE(alt.baseline);
  CHECK(alt.baseline->value == 32);
  CHECK(alt.baseline->unit == "U/L");
  REQUIRE(alt.x_baseline);
  CHECK(*alt.x_baseline == doctest::Approx(7.8125));
  CHECK(alt.panel_ref == "LAB-0001");
  CHECK(alt.collected_at == ts("2026-10-02T08:10:00Z"));
  CHECK(alt.criterion.find("grade 3") == 0);

  // "total bilirubin" is a lab name grade_lab knows: 45 / 21 = 2.14 x ULN, grade 2 (>1.5 - 3.0).
  const LabResult& bili = p->results[1];
  CHECK(bili.term == term_named("Blood bilirubin increased"));
  CHECK(bili.analyte == Analyte::bilirubin);
  CHECK(bili.grade == 2);
  CHECK_FALSE(bili.baseline);
  CHECK_FALSE(bili.x_baseline);

  // Platelets 60 x 10^9/L (LLN 150): grade 2 is <75.0 - 50.0.
  const LabResult& plt = p->results[2];
  CHECK(plt.term == term_named("Platelet count decreased"));
  CHECK(plt.analyte == Analyte::other);
  CHECK(plt.grade == 2);
  CHECK(plt.basis == "absolute");
}

TEST_CASE("validate_panel: an abnormal baseline ALT 80 (ULN 40): ALT 250 is graded against baseline") {
  PanelFixture f;
  f.ctx.baseline = json{{"alt", {{"value", 80}, {"unit", "U/L"}, {"uln", 40}}}};
  auto p = validate_panel(body(json::array({result("Alanine aminotransferase increased", 250, "U/L", 40)})),
                          f.ctx);
  REQUIRE(p.ok());
  const LabResult& alt = p->results[0];
  // 250 / 80 = 3.125 x baseline: CTCAE v5.0 grade 2 is >3.0 - 5.0 x baseline (abnormal baseline).
  CHECK(alt.grade == 2);
  CHECK(alt.basis == "baseline");
  REQUIRE(alt.x_baseline);
  CHECK(*alt.x_baseline == doctest::Approx(3.125));
  REQUIRE(alt.x_uln);
  CHECK(*alt.x_uln == doctest::Approx(6.25));
}

TEST_CASE("validate_panel: every error names its path") {
  PanelFixture f;
  json b = body(json::array({
      result("ALTT", 10, "U/L", 40),            // 0: unknown test, with a suggestion
      result("ALT", 50, "mg", 40),              // 1: unit not accepted for ALT
      result("AST", -5, "U/L", 40),             // 2: negative value
      result("SGPT", 60, "U/L", 40),            // 3: SGPT is ALT again: duplicate of 1
      result("ALP", 100, "U/L", 120),           // 4: unknown field
      result("bili", 10, "µmol/L", -1),         // 5: ULN not positive
      result("GGT", 100, "U/L"),                // 6: ULN missing where the grade needs it
      result("Fatigue", 1, "U/L", 1),           // 7: a CTCAE term but not a lab test
  }));
  b["results"][4]["flag"] = "H";
  b["site"] = "S01";
  auto p = validate_panel(b, f.ctx);
  REQUIRE_FALSE(p.ok());
  const Error& e = p.error();
  CHECK(e.code == Errc::invalid);
  CHECK(message_of(e, "results[0].test").find("did you mean") != std::string::npos);
  CHECK(message_of(e, "results[1].unit").find("'mg' is not accepted") != std::string::npos);
  CHECK(message_of(e, "results[2].value") == "must be zero or more");
  CHECK(message_of(e, "results[3].test").find("already given in results[1]") != std::string::npos);
  CHECK(message_of(e, "results[4].flag") == "unknown field");
  CHECK(message_of(e, "results[5].uln") == "must be a positive number (or null)");
  CHECK(message_of(e, "results[6].uln").find("ULN is required") != std::string::npos);
  CHECK(message_of(e, "results[7].test").find("not graded from a lab value") != std::string::npos);
  CHECK(message_of(e, "site") == "unknown field");
  CHECK(e.fields.size() == 9);
}

TEST_CASE("validate_panel: collected before enrolment, after death, in the future") {
  PanelFixture f;
  const json ok = json::array({result("ALT", 30, "U/L", 40)});
  // Enrolled 2026-09-01: 2026-08-31T23:00Z is the day before.
  auto before = validate_panel(body(ok, "2026-08-31T23:00:00Z"), f.ctx);
  REQUIRE_FALSE(before.ok());
  CHECK(message_of(before.error(), "collected_at").find("before enrolment") != std::string::npos);
  // +08:00 makes 2026-09-01T07:00+08:00 the UTC day before enrolment too (2026-08-31T23:00Z).
  CHECK_FALSE(validate_panel(body(ok, "2026-09-01T07:00:00+08:00"), f.ctx).ok());
  CHECK(validate_panel(body(ok, "2026-09-01T00:00:00Z"), f.ctx).ok());  // the enrolment day

  f.ctx.death = d("2026-09-30");
  auto after = validate_panel(body(ok, "2026-10-01T08:00:00Z"), f.ctx);
  REQUIRE_FALSE(after.ok());
  CHECK(message_of(after.error(), "collected_at").find("after the subject's death") != std::string::npos);
  CHECK(validate_panel(body(ok, "2026-09-30T20:00:00Z"), f.ctx).ok());  // the day of death
  f.ctx.death.reset();

  // Now 2026-10-03T09:00Z; five minutes of skew tolerated.
  auto future = validate_panel(body(ok, "2026-10-03T09:06:00Z"), f.ctx);
  REQUIRE_FALSE(future.ok());
  CHECK(message_of(future.error(), "collected_at").find("in the future") != std::string::npos);
  CHECK(validate_panel(body(ok, "2026-10-03T09:04:00Z"), f.ctx).ok());
  CHECK_FALSE(validate_panel(body(ok, "2026-10-04T08:00:00Z"), f.ctx).ok());
}

TEST_CASE("validate_panel: the panel's own fields") {
  PanelFixture f;
  CHECK(has_field(validate_panel(json::array(), f.ctx).error(), ""));
  auto empty = validate_panel(body(json::array()), f.ctx);
  REQUIRE_FALSE(empty.ok());
  CHECK(message_of(empty.error(), "results") == "must not be empty");
  json many = json::array();
  for (int i = 0; i < 101; ++i) many.push_back(result("ALT", 30, "U/L", 40));
  CHECK(has_field(validate_panel(body(many), f.ctx).error(), "results"));
  json b = body(json::array({result("ALT", 30, "U/L", 40), "x"}));
  b["panel_id"] = std::string(101, 'L');
  b["collected_at"] = "2026-10-02 08:10";
  auto bad = validate_panel(b, f.ctx);
  REQUIRE_FALSE(bad.ok());
  CHECK(has_field(bad.error(), "panel_id"));
  CHECK(has_field(bad.error(), "collected_at"));
  CHECK(has_field(bad.error(), "results[1]"));
  json no_id = body(json::array({result("ALT", 30, "U/L", 40)}));
  no_id["panel_id"] = "";
  CHECK(message_of(validate_panel(no_id, f.ctx).error(), "panel_id") == "must not be empty");
  // null uln/lln are absent, as for any optional field.
  json nulls = body(json::array({result("ALT", 30, "U/L", 40)}));
  nulls["results"][0]["lln"] = nullptr;
  CHECK(validate_panel(nulls, f.ctx).ok());
}

TEST_CASE("validate_panel: a result in another unit than the subject's baseline is an error") {
  PanelFixture f;
  // Baseline bilirubin 1.5 mg/dL (ULN 1.2); the result in µmol/L: 25.7 µmol/L / 1.5 would be a
  // meaningless 17 x baseline.
  f.ctx.baseline = json{{"total_bilirubin", {{"value", 1.5}, {"unit", "mg/dL"}, {"uln", 1.2}}}};
  auto p = validate_panel(body(json::array({result("bilirubin", 25.7, "µmol/L", 21)})), f.ctx);
  REQUIRE_FALSE(p.ok());
  CHECK(message_of(p.error(), "results[0].unit").find("baseline") != std::string::npos);
  // In the baseline's unit: 3.3 mg/dL / 1.5 = 2.2 x baseline (abnormal, above 1.2): CTCAE v5.0
  // grade 2 is >1.5 - 3.0 x baseline. The key "total_bilirubin" is a lab name, found as one.
  auto ok = validate_panel(body(json::array({result("bilirubin", 3.3, "mg/dL", 1.2)})), f.ctx);
  REQUIRE(ok.ok());
  CHECK(ok->results[0].grade == 2);
  CHECK(ok->results[0].basis == "baseline");
  // U/L and IU/L are the same unit.
  PanelFixture g;
  CHECK(validate_panel(body(json::array({result("ALT", 30, "IU/L", 40)})), g.ctx).ok());
}

TEST_CASE("validate_panel: without a resolver, the embedded dictionary") {
  LabContext ctx;
  ctx.enrolled = d("2026-09-01");
  ctx.now = ts("2026-10-03T09:00:00Z");
  auto p = validate_panel(body(json::array({result("AST", 130, "U/L", 40)})), ctx);
  REQUIRE(p.ok());
  // 130 / 40 = 3.25 x ULN: grade 2 (>3.0 - 5.0 x ULN).
  CHECK(p->results[0].grade == 2);
  CHECK(p->results[0].analyte == Analyte::ast);
}
