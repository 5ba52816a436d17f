// The liver tests section of the DSMB report (safety/labs.hpp's figures, computed by the caller):
// the model's `labs` keys, edish.csv, shift_tables.csv, lab_time_course.csv and
// hys_law_cases.csv, and the HTML section with the eDISH scatter; a study without lab data, and
// a report stored before the section was kept.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pvmon/reports.hpp"

using namespace pvmon;
using namespace pvmon::reports;
using nlohmann::json;

namespace {

Timestamp t(const char* s) { return parse_timestamp(s).value(); }

// The CTCAE terms the results grade (as ctcae::find_term would give them).
ctcae::Term term(std::string_view code, std::string_view name) {
  ctcae::Term x;
  x.meddra_code = code;
  x.soc = "Investigations";
  x.term = name;
  return x;
}
const ctcae::Term kAlt = term("10001551", "Alanine aminotransferase increased");
const ctcae::Term kAst = term("10003481", "Aspartate aminotransferase increased");
const ctcae::Term kBili = term("10005364", "Blood bilirubin increased");

safety::LabResult result(const char* at, const char* test, const ctcae::Term& term, safety::Analyte a, double value,
                         const char* unit, std::optional<double> uln, int grade) {
  safety::LabResult r;
  r.collected_at = t(at);
  r.test = test;
  r.term = &term;
  r.analyte = a;
  r.value = value;
  r.unit = unit;
  r.uln = uln;
  r.grade = grade;
  if (uln) r.x_uln = value / *uln;
  return r;
}

safety::EdishPoint point(const char* subject, double alt, const char* alt_at, double bili, const char* bili_at,
                         safety::EdishQuadrant q) {
  return {subject, alt, bili, t(alt_at), t(bili_at), q};
}

const char* kHys = "S01-<0002>";

/// One subject per eDISH quadrant, on and just off the reference lines (3× ULN ALT, 2× ULN
/// bilirubin: at the line is in the upper or right quadrant); ALT of the normal subject below
/// the plot's floor (0.1× ULN). Two shift tables, the Hy's law subject's series (given out of
/// order, one result without a ULN), two potential Hy's law cases.
Input with_labs() {
  Input in;
  in.study = "labs";
  in.title = "Liver tests";
  in.cutoff = t("2026-06-30T23:59:59.999Z");
  in.as_of = t("2026-07-01T08:00:00Z");
  LabsInput l;
  using Q = safety::EdishQuadrant;
  l.edish.points = {
      point("S01-0001", 0.05, "2026-03-01T08:00:00Z", 0.4, "2026-03-08T08:00:00Z", Q::normal),
      point(kHys, 3.0, "2026-03-16T08:00:00Z", 2.0, "2026-03-19T09:15:00Z", Q::hys_law),
      point("S01-0003", 8.123456, "2026-04-02T08:00:00Z", 1.9999, "2026-04-02T08:00:00Z", Q::temple_corollary),
      point("S02-0001", 2.9999, "2026-02-20T08:00:00Z", 2.5, "2026-02-27T08:00:00Z", Q::hyperbilirubinaemia)};
  l.edish.quadrant_counts = {1, 1, 1, 1};
  safety::ShiftTable alt{"Alanine aminotransferase increased", {}, 7, 1};
  alt.counts[0] = {3, 1, 0, 1, 0};
  alt.counts[1] = {0, 1, 1, 0, 0};
  safety::ShiftTable bili{"Blood bilirubin increased", {}, 6, 0};
  bili.counts[0] = {4, 0, 1, 0, 0};
  bili.counts[2] = {0, 0, 1, 0, 0};
  l.shifts = {alt, bili};
  using A = safety::Analyte;
  l.hys_law_series[kHys] = {
      result("2026-03-01T08:00:00Z", "ALT", kAlt, A::alt, 48, "U/L", 40, 0),
      result("2026-03-01T08:00:00Z", "AST", kAst, A::ast, 44, "U/L", 40, 0),
      result("2026-03-01T08:00:00Z", "TBIL", kBili, A::bilirubin, 16, "umol/L", 20, 0),
      result("2026-03-19T09:15:00Z", "TBIL", kBili, A::bilirubin, 40, "umol/L", 20, 2),  // before the 16th's
      result("2026-03-16T08:00:00Z", "ALT", kAlt, A::alt, 120, "U/L", 40, 1),
      result("2026-03-16T08:00:00Z", "AST", kAst, A::ast, 96, "U/L", 40, 1),
      result("2026-03-30T08:00:00Z", "ALT", kAlt, A::alt, 61.234567, "U/L", 40, 1),
      result("2026-03-30T08:00:00Z", "AST", kAst, A::ast, 50, "U/L", std::nullopt, 0)};
  l.cases = {{kHys, t("2026-03-19T10:00:00Z"), "ALT 120 U/L (3.0× ULN) on 2026-03-16 with total bilirubin 40 umol/L "
                                                 "(2.0× ULN) on 2026-03-19; ALP 1.1× ULN",
              ""},
             {"S01-0007", t("2026-02-11T07:00:00Z"), "AST 5.2× ULN, total bilirubin 3.1× ULN, 2026-02-10",
              "confirmed_dili"}};
  in.labs = l;
  return in;
}

Input without_labs() {
  Input in = with_labs();
  in.labs.reset();
  return in;
}

std::string file(const std::vector<CsvFile>& files, const std::string& name) {
  for (const auto& f : files)
    if (f.name == name) return f.text;
  FAIL("no file " << name);
  return std::string();
}

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

/// Occurrences of "null" that are not the word "nullified" (a JSON null printed as text).
std::size_t printed_nulls(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = s.find("null", p)) != std::string::npos; p += 4)
    if (s.compare(p, 9, "nullified") != 0) ++n;
  return n;
}

/// The text between the first `from` and the next `to` after it.
std::string between(const std::string& s, const std::string& from, const std::string& to) {
  const auto a = s.find(from);
  if (a == std::string::npos) return "";
  const auto b = s.find(to, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

const HtmlMeta kMeta{"1", "2026-07-01T09:00:00.000Z", "feed"};

const char* kEdishHead = "subject,peak_alt_x_uln,alt_at,peak_bilirubin_x_uln,bilirubin_at,quadrant\r\n";
const char* kShiftHead = "term,baseline_grade,worst_grade_0,worst_grade_1,worst_grade_2,worst_grade_3,worst_grade_4,"
                         "total,subjects,no_baseline\r\n";
const char* kCourseHead = "subject,collected_at,analyte,test,term,value,unit,x_uln,grade\r\n";
const char* kCasesHead = "subject,raised_at,assessment,text\r\n";

}  // namespace

TEST_CASE("labs model: eDISH points and quadrants, shift tables, the Hy's law series in time order, the cases") {
  const json m = build(with_labs());
  REQUIRE(m.contains("labs"));
  const json& l = m["labs"];
  CHECK(l["available"] == true);
  CHECK(l["source"] == "FDA DILI guidance 2009 (Hy's law); eDISH: Watkins et al., Drug Saf 2011");

  const json points = json::parse(R"([
    {"subject": "S01-0001", "peak_alt_x_uln": 0.05, "peak_bilirubin_x_uln": 0.4,
     "alt_at": "2026-03-01T08:00:00.000Z", "bilirubin_at": "2026-03-08T08:00:00.000Z", "quadrant": "normal"},
    {"subject": "S01-<0002>", "peak_alt_x_uln": 3.0, "peak_bilirubin_x_uln": 2.0,
     "alt_at": "2026-03-16T08:00:00.000Z", "bilirubin_at": "2026-03-19T09:15:00.000Z", "quadrant": "hys_law"},
    {"subject": "S01-0003", "peak_alt_x_uln": 8.1235, "peak_bilirubin_x_uln": 1.9999,
     "alt_at": "2026-04-02T08:00:00.000Z", "bilirubin_at": "2026-04-02T08:00:00.000Z", "quadrant": "temple_corollary"},
    {"subject": "S02-0001", "peak_alt_x_uln": 2.9999, "peak_bilirubin_x_uln": 2.5,
     "alt_at": "2026-02-20T08:00:00.000Z", "bilirubin_at": "2026-02-27T08:00:00.000Z",
     "quadrant": "hyperbilirubinaemia"}])");
  CHECK(l["edish"]["points"] == points);
  CHECK(l["edish"]["quadrant_counts"] ==
        json({{"normal", 1}, {"hyperbilirubinaemia", 1}, {"temple_corollary", 1}, {"hys_law", 1}}));
  CHECK(canonical_json(l["edish"]["reference"]) == R"({"alt_x_uln":3,"bilirubin_x_uln":2})");
  CHECK(l["edish"]["hys_law_quadrant"] == json::parse(R"([
    {"subject": "S01-<0002>", "peak_alt_x_uln": 3.0, "alt_at": "2026-03-16T08:00:00.000Z",
     "peak_bilirubin_x_uln": 2.0, "bilirubin_at": "2026-03-19T09:15:00.000Z"}])"));

  CHECK(l["shift_tables"] == json::parse(R"([
    {"term": "Alanine aminotransferase increased", "subjects": 7, "no_baseline": 1,
     "counts": [[3,1,0,1,0],[0,1,1,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0]]},
    {"term": "Blood bilirubin increased", "subjects": 6, "no_baseline": 0,
     "counts": [[4,0,1,0,0],[0,0,0,0,0],[0,0,1,0,0],[0,0,0,0,0],[0,0,0,0,0]]}])"));

  // In time order (the 19th's bilirubin after the 16th's results); a result without a ULN has
  // no multiple; values and multiples to four decimals.
  REQUIRE(l["time_course"].size() == 1);
  CHECK(l["time_course"][0]["subject"] == kHys);
  const json& r = l["time_course"][0]["results"];
  REQUIRE(r.size() == 8);
  CHECK(r[0] == json::parse(R"({"collected_at": "2026-03-01T08:00:00.000Z", "analyte": "alt", "test": "ALT",
    "term": "Alanine aminotransferase increased", "value": 48.0, "unit": "U/L", "x_uln": 1.2, "grade": 0})"));
  CHECK(r[2]["analyte"] == "bilirubin");
  CHECK(r[2]["x_uln"] == 0.8);
  CHECK(r[3]["collected_at"] == "2026-03-16T08:00:00.000Z");
  CHECK(r[3]["x_uln"] == 3.0);
  CHECK(r[5] == json::parse(R"({"collected_at": "2026-03-19T09:15:00.000Z", "analyte": "bilirubin", "test": "TBIL",
    "term": "Blood bilirubin increased", "value": 40.0, "unit": "umol/L", "x_uln": 2.0, "grade": 2})"));
  CHECK(r[6]["value"] == 61.2346);
  CHECK(r[6]["x_uln"] == 1.5309);
  CHECK(r[7]["x_uln"].is_null());
  CHECK(r[7]["term"] == "Aspartate aminotransferase increased");

  // By time raised.
  CHECK(l["potential_hys_law_cases"] == json::parse(R"([
    {"subject": "S01-0007", "raised_at": "2026-02-11T07:00:00.000Z",
     "text": "AST 5.2× ULN, total bilirubin 3.1× ULN, 2026-02-10", "assessment": "confirmed_dili"},
    {"subject": "S01-<0002>", "raised_at": "2026-03-19T10:00:00.000Z",
     "text": "ALT 120 U/L (3.0× ULN) on 2026-03-16 with total bilirubin 40 umol/L (2.0× ULN) on 2026-03-19; ALP 1.1× ULN",
     "assessment": ""}])"));

  // The same model from an input given up.
  CHECK(build(with_labs())["labs"] == build(Input(with_labs()))["labs"]);
}

TEST_CASE("labs model: a study without lab data says so") {
  const json m = build(without_labs());
  CHECK(canonical_json(m["labs"]) == R"({"available":false})");
}

TEST_CASE("labs CSV: eDISH points, shift tables in long form, the time course, the cases") {
  const auto files = to_csv(build(with_labs()));
  CHECK(file(files, "edish.csv") == std::string(kEdishHead) +
                                        "S01-0001,0.05,2026-03-01T08:00:00.000Z,0.4,2026-03-08T08:00:00.000Z,normal\r\n"
                                        "S01-<0002>,3.0,2026-03-16T08:00:00.000Z,2.0,2026-03-19T09:15:00.000Z,hys_law\r\n"
                                        "S01-0003,8.1235,2026-04-02T08:00:00.000Z,1.9999,2026-04-02T08:00:00.000Z,"
                                        "temple_corollary\r\n"
                                        "S02-0001,2.9999,2026-02-20T08:00:00.000Z,2.5,2026-02-27T08:00:00.000Z,"
                                        "hyperbilirubinaemia\r\n");
  CHECK(file(files, "shift_tables.csv") == std::string(kShiftHead) +
                                               "Alanine aminotransferase increased,0,3,1,0,1,0,5,7,1\r\n"
                                               "Alanine aminotransferase increased,1,0,1,1,0,0,2,7,1\r\n"
                                               "Alanine aminotransferase increased,2,0,0,0,0,0,0,7,1\r\n"
                                               "Alanine aminotransferase increased,3,0,0,0,0,0,0,7,1\r\n"
                                               "Alanine aminotransferase increased,4,0,0,0,0,0,0,7,1\r\n"
                                               "Blood bilirubin increased,0,4,0,1,0,0,5,6,0\r\n"
                                               "Blood bilirubin increased,1,0,0,0,0,0,0,6,0\r\n"
                                               "Blood bilirubin increased,2,0,0,1,0,0,1,6,0\r\n"
                                               "Blood bilirubin increased,3,0,0,0,0,0,0,6,0\r\n"
                                               "Blood bilirubin increased,4,0,0,0,0,0,0,6,0\r\n");
  CHECK(file(files, "lab_time_course.csv") ==
        std::string(kCourseHead) +
            "S01-<0002>,2026-03-01T08:00:00.000Z,alt,ALT,Alanine aminotransferase increased,48.0,U/L,1.2,0\r\n"
            "S01-<0002>,2026-03-01T08:00:00.000Z,ast,AST,Aspartate aminotransferase increased,44.0,U/L,1.1,0\r\n"
            "S01-<0002>,2026-03-01T08:00:00.000Z,bilirubin,TBIL,Blood bilirubin increased,16.0,umol/L,0.8,0\r\n"
            "S01-<0002>,2026-03-16T08:00:00.000Z,alt,ALT,Alanine aminotransferase increased,120.0,U/L,3.0,1\r\n"
            "S01-<0002>,2026-03-16T08:00:00.000Z,ast,AST,Aspartate aminotransferase increased,96.0,U/L,2.4,1\r\n"
            "S01-<0002>,2026-03-19T09:15:00.000Z,bilirubin,TBIL,Blood bilirubin increased,40.0,umol/L,2.0,2\r\n"
            "S01-<0002>,2026-03-30T08:00:00.000Z,alt,ALT,Alanine aminotransferase increased,61.2346,U/L,1.5309,1\r\n"
            "S01-<0002>,2026-03-30T08:00:00.000Z,ast,AST,Aspartate aminotransferase increased,50.0,U/L,,0\r\n");
  CHECK(file(files, "hys_law_cases.csv") ==
        std::string(kCasesHead) +
            "S01-0007,2026-02-11T07:00:00.000Z,confirmed_dili,\"AST 5.2× ULN, total bilirubin 3.1× ULN, 2026-02-10\"\r\n"
            "S01-<0002>,2026-03-19T10:00:00.000Z,,ALT 120 U/L (3.0× ULN) on 2026-03-16 with total bilirubin 40 umol/L "
            "(2.0× ULN) on 2026-03-19; ALP 1.1× ULN\r\n");
}

TEST_CASE("labs CSV: a study without lab data, and a report stored before the section, give the headers alone") {
  json old = build(with_labs());
  old.erase("labs");
  for (const json& m : {build(without_labs()), old}) {
    const auto files = to_csv(m);
    CHECK(file(files, "edish.csv") == kEdishHead);
    CHECK(file(files, "shift_tables.csv") == kShiftHead);
    CHECK(file(files, "lab_time_course.csv") == kCourseHead);
    CHECK(file(files, "hys_law_cases.csv") == kCasesHead);
  }
}

TEST_CASE("labs HTML: the section before time to event, eDISH with its reference lines and quadrants, escaped ids") {
  const std::string html = to_html(build(with_labs()), kMeta);
  CHECK(html.find("<h2>Liver tests: eDISH and shift tables</h2>") != std::string::npos);
  CHECK(html.find("id=\"stopping\"") < html.find("id=\"labs\""));
  CHECK(html.find("id=\"labs\"") < html.find("id=\"tte\""));

  const std::string chart = between(html, "<title>eDISH: peak ALT against peak total bilirubin", "</svg>");
  REQUIRE_FALSE(chart.empty());
  // One dot per subject; the one in the Hy's law range (on both lines: 3.0× and 2.0×) is drawn
  // differently, with its values in its tooltip and its id escaped.
  CHECK(occurrences(chart, "<circle class=\"edish-dot") == 4);
  CHECK(occurrences(chart, "<circle class=\"edish-dot hys-law\"") == 1);
  CHECK(occurrences(chart, "<circle class=\"edish-dot\"") == 3);
  CHECK(chart.find("<circle class=\"edish-dot hys-law\"") > chart.find("<circle class=\"edish-dot\""));  // on top
  CHECK(chart.find("<title>S01-&lt;0002&gt;: peak ALT 3.00× ULN (2026-03-16), peak bilirubin 2.00× ULN (2026-03-19) — "
                   "Hy&#39;s law range</title></circle>") != std::string::npos);
  CHECK(chart.find("<title>S01-0001: peak ALT 0.05× ULN (2026-03-01), peak bilirubin 0.40× ULN (2026-03-08) — Normal "
                   "range</title>") != std::string::npos);
  // Dashed reference lines at 3× ULN (x) and 2× ULN (y); log axes from 0.1.
  CHECK(occurrences(chart, "<line class=\"ref\"") == 2);
  CHECK(chart.find(">3× ULN</text>") != std::string::npos);
  CHECK(chart.find(">2× ULN</text>") != std::string::npos);
  CHECK(chart.find(">0.1</text>") != std::string::npos);
  CHECK(chart.find(">100</text>") != std::string::npos);
  CHECK(chart.find(">50</text>") != std::string::npos);
  CHECK(chart.find("× ULN (log scale)</text>") != std::string::npos);
  for (const char* q : {">Hy&#39;s law range</text>", ">Temple&#39;s corollary</text>", ">Hyperbilirubinaemia</text>",
                        ">Normal range</text>"})
    CHECK(chart.find(q) != std::string::npos);

  // Quadrant counts; the Hy's law range's subjects with their dates.
  CHECK(html.find("<tr><td><strong>Hy&#39;s law range</strong></td><td>ALT ≥ 3× ULN, bilirubin ≥ 2× ULN</td><td>1</td></tr>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>Normal range</td><td>ALT &lt; 3× ULN, bilirubin &lt; 2× ULN</td><td>1</td></tr>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>S01-&lt;0002&gt;</td><td>3.00×</td><td>2026-03-16</td><td>2.00×</td><td>2026-03-19</td></tr>") !=
        std::string::npos);

  // Its ALT, AST and bilirubin over time: three lines, a marker per result with a ULN (7 of 8).
  const std::string course = between(html, "<title>ALT, AST and total bilirubin of S01-&lt;0002&gt;, × ULN", "</svg>");
  REQUIRE_FALSE(course.empty());
  CHECK(occurrences(course, "<g class=\"course ") == 3);
  CHECK(occurrences(course, "class=\"mk\"") == 7);
  CHECK(occurrences(course, "<line class=\"ref\"") == 2);
  CHECK(course.find("<title>total bilirubin 2026-03-19: 40.0 umol/L (2.00× ULN), grade 2</title>") != std::string::npos);

  // The cases with their assessment.
  CHECK(html.find("<tr><td>S01-0007</td><td>2026-02-11T07:00:00.000Z</td><td><strong>confirmed DILI</strong></td>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>S01-&lt;0002&gt;</td><td>2026-03-19T10:00:00.000Z</td><td><span class=\"flag\">not yet "
                  "assessed</span></td>") != std::string::npos);

  // Shift tables: one 5×5 grid per term with row and column headers and totals; worsening marked.
  CHECK(occurrences(html, "<table class=\"shift\">") == 2);
  CHECK(html.find("<figcaption><strong>Alanine aminotransferase increased</strong><br><small>7 subjects; without a "
                  "baseline value (left out): 1</small></figcaption>") != std::string::npos);
  CHECK(html.find("<tr><th>0</th><td class=\"num\">3</td><td class=\"num worse\">1</td><td class=\"num zero\">0</td>"
                  "<td class=\"num worse\">1</td><td class=\"num zero\">0</td><td class=\"num total\">5</td></tr>") !=
        std::string::npos);
  CHECK(html.find("<tr><th>2</th><td class=\"num zero\">0</td><td class=\"num zero\">0</td><td class=\"num\">1</td>") !=
        std::string::npos);
  const std::string grid = between(html, "<table class=\"shift\">", "</table>");
  CHECK(occurrences(grid, "<th class=\"num\">") == 5);
  CHECK(occurrences(grid, "<tr><th>") == 5);
  CHECK(grid.find("<tr class=\"total\"><th>total</th><td class=\"num\">3</td><td class=\"num\">2</td><td "
                  "class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">7</td></tr>") !=
        std::string::npos);

  CHECK(html.find("<0002>") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(printed_nulls(html) == 0);
  CHECK(occurrences(html, "<svg") == occurrences(html, "</svg>"));
}

TEST_CASE("labs HTML: a study without lab data, and a report stored before the section") {
  const std::string none = to_html(build(without_labs()), kMeta);
  CHECK(none.find("<h2>Liver tests: eDISH and shift tables</h2>") != std::string::npos);
  CHECK(none.find("no laboratory data") != std::string::npos);
  CHECK(none.find("eDISH: peak ALT") == std::string::npos);
  CHECK(printed_nulls(none) == 0);

  json old = build(with_labs());
  old.erase("labs");
  const std::string html = to_html(old, kMeta);
  CHECK(html.find("<h2>Liver tests: eDISH and shift tables</h2>") != std::string::npos);
  CHECK(html.find("Liver tests: not in this report") != std::string::npos);
  CHECK(html.find("eDISH: peak ALT") == std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
}
