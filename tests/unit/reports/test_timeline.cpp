// The charts the desk draws (svg.cpp): a subject's timeline (days to x, the post-surgical
// windows' bands, the marks and their lanes) with worked dates, its input read from the subject
// view, its SVG; a stopping rule's boundary chart from a /safety rule.
//
// CLINICAL.md "Post-surgical mortality": death within 30 days after the date of surgery (day of
// surgery = day 0), or during the index admission if that is longer; 90 days as well. So surgery
// on 2026-03-01 gives a 30-day window whose last day is 2026-03-31 (day 30) and a 90-day window
// to 2026-05-30 (day 90); a discharge on 2026-04-05 stretches the 30-day window to that day. The
// windows' ends come from safety::assess_subject, as the subject view gives them; the geometry
// only draws them.
#include <doctest/doctest.h>

#include <string>

#include "pvmon/reports.hpp"

using namespace pvmon;
using namespace pvmon::reports;
using nlohmann::json;

namespace {

Date d(const char* s) { return parse_date(s).value(); }

/// A subject enrolled 2026-02-01, operated 2026-03-01, with the given discharges.
safety::SubjectSurgical assessed(std::vector<Date> discharges, std::vector<Date> alive, Date cutoff) {
  safety::SubjectFacts f;
  f.subject = "S01-0001";
  f.enrolled = d("2026-02-01");
  f.surgery = d("2026-03-01");
  f.discharges = std::move(discharges);
  f.alive_on = std::move(alive);
  return safety::assess_subject(f, cutoff);
}

TimelineInput input_of(const safety::SubjectSurgical& s, Date today) {
  TimelineInput in;
  in.subject = "S01-0001";
  in.enrolled = d("2026-02-01");
  in.today = today;
  in.surgery = s.surgery;
  in.window30_last_day = s.window30_last_day;
  in.window90_last_day = s.window90_last_day;
  in.items.push_back({in.enrolled, "enrolment", "Enrolled", "", std::nullopt, std::nullopt, ""});
  in.items.push_back({d("2026-03-01"), "surgery", "Surgery", "", std::nullopt, std::nullopt, ""});
  return in;
}

// 2026-02-01 to 2026-05-30: 28 + 31 + 30 + 30 = 119 days; 110 px of row labels on the left and
// 16 on the right, so a width of 110 + 119 * 5 + 16 = 721 gives each day 5 px.
constexpr double kWidth = 721;

}  // namespace

TEST_CASE("timeline: surgery 2026-03-01, discharged 2026-03-10: the 30-day window ends 2026-03-31, the 90-day 2026-05-30") {
  const auto s = assessed({d("2026-03-10")}, {d("2026-03-10"), d("2026-04-15")}, d("2026-04-20"));
  REQUIRE(s.window30_last_day);
  CHECK(format_date(*s.window30_last_day) == "2026-03-31");
  CHECK(format_date(s.window90_last_day) == "2026-05-30");

  const auto g = timeline_geometry(input_of(s, d("2026-04-20")), kWidth);
  CHECK(format_date(g.first) == "2026-02-01");
  CHECK(format_date(g.last) == "2026-05-30");  // the 90-day window's last day, after today
  CHECK(g.day_width == doctest::Approx(5));
  CHECK(g.x_of(d("2026-02-01")) == doctest::Approx(110));
  CHECK(g.x_of(d("2026-03-01")) == doctest::Approx(110 + 28 * 5));  // 250
  CHECK(g.today_x == doctest::Approx(110 + 78 * 5 + 2.5));          // 2026-04-20, the middle of its day

  REQUIRE(g.bands.size() == 2);
  const auto& b90 = g.bands[0];
  const auto& b30 = g.bands[1];
  CHECK(b30.label == "30-day window");
  CHECK_FALSE(b30.open);
  CHECK(format_date(b30.from) == "2026-03-01");
  CHECK(format_date(b30.to) == "2026-03-31");
  CHECK(b30.x0 == doctest::Approx(250));
  CHECK(b30.x1 == doctest::Approx(110 + 59 * 5));  // the end of 2026-03-31 = the start of 2026-04-01: 405
  CHECK((b30.x1 - b30.x0) / g.day_width == doctest::Approx(31));  // days 0..30
  CHECK(b90.label == "90-day window");
  CHECK(format_date(b90.to) == "2026-05-30");
  CHECK(b90.x0 == doctest::Approx(250));
  CHECK(b90.x1 == doctest::Approx(kWidth - 16));  // the axis ends with the window: 705
  CHECK((b90.x1 - b90.x0) / g.day_width == doctest::Approx(91));  // days 0..90

  // Ticks name dates at their day's middle, within the axis.
  REQUIRE_FALSE(g.ticks.empty());
  CHECK(g.ticks.front().second == "2026-02-01");
  CHECK(g.ticks.front().first == doctest::Approx(112.5));
  for (const auto& [x, label] : g.ticks) {
    CHECK(x >= g.left);
    CHECK(x <= kWidth - g.right);
  }
}

TEST_CASE("timeline: an index admission longer than 30 days stretches the 30-day band to the discharge") {
  // Discharged on 2026-04-05 (day 35): the 30-day window lasts to the end of the admission.
  const auto s = assessed({d("2026-04-05")}, {d("2026-04-05"), d("2026-04-15")}, d("2026-04-20"));
  REQUIRE(s.window30_last_day);
  CHECK(format_date(*s.window30_last_day) == "2026-04-05");
  const auto g = timeline_geometry(input_of(s, d("2026-04-20")), kWidth);
  REQUIRE(g.bands.size() == 2);
  CHECK(format_date(g.bands[1].to) == "2026-04-05");
  CHECK(g.bands[1].x1 == doctest::Approx(110 + 64 * 5));  // the start of 2026-04-06: 430
}

TEST_CASE("timeline: still in the index admission, the 30-day band is open to the axis's end") {
  const auto s = assessed({}, {d("2026-03-05")}, d("2026-03-10"));
  CHECK_FALSE(s.window30_last_day);
  const auto g = timeline_geometry(input_of(s, d("2026-03-10")), kWidth);
  REQUIRE(g.bands.size() == 2);
  CHECK(g.bands[1].open);
  CHECK(format_date(g.bands[1].to) == "2026-05-30");
  CHECK(g.bands[1].x1 == doctest::Approx(kWidth - 16));
  const std::string svg = timeline_svg(input_of(s, d("2026-03-10")), g);
  CHECK(svg.find("30-day window (open)") != std::string::npos);
}

TEST_CASE("timeline: without surgery there is no band; the axis runs from enrolment to today") {
  TimelineInput in;
  in.subject = "S02-0001";
  in.enrolled = d("2026-01-01");
  in.today = d("2026-01-10");
  in.items.push_back({in.enrolled, "enrolment", "Enrolled", "", std::nullopt, std::nullopt, ""});
  const auto g = timeline_geometry(in, 110 + 16 + 10 * 20);
  CHECK(g.bands.empty());
  CHECK(format_date(g.last) == "2026-01-10");
  CHECK(g.day_width == doctest::Approx(20));
  CHECK(g.today_x == doctest::Approx(110 + 9 * 20 + 10));
}

TEST_CASE("timeline: marks sit at their day's middle, in their row; labels that would overlap take the next lane") {
  const auto s = assessed({d("2026-03-10")}, {d("2026-03-10"), d("2026-04-15")}, d("2026-04-20"));
  auto in = input_of(s, d("2026-04-20"));
  in.items.push_back({d("2026-03-05"), "ae", "G3 Alanine aminotransferase increased", "", 3, 7, "S01-0001-AE-1"});
  in.items.push_back({d("2026-03-06"), "ae", "G1 Fatigue", "", 1, 8, "S01-0001-AE-2"});
  in.items.push_back({d("2026-04-30"), "ae", "G2 Rash", "", 2, 9, "S01-0001-AE-3"});
  const auto g = timeline_geometry(in, kWidth);
  REQUIRE(g.marks.size() == 5);
  // The enrolment and the surgery, 28 days (140 px) apart: one lane.
  CHECK(g.marks[0].row == "course");
  CHECK(g.marks[0].lane == 0);
  CHECK(g.marks[1].x == doctest::Approx(252.5));
  CHECK(g.marks[1].lane == 0);
  CHECK(g.course_lanes == 1);
  // The grade 3 AE on 2026-03-05 (day 32 of the axis); the next day's AE would run into its
  // label: lane 1. The AE of 2026-04-30 is clear of both: lane 0 again.
  CHECK(g.marks[2].row == "ae");
  CHECK(g.marks[2].x == doctest::Approx(110 + 32 * 5 + 2.5));
  CHECK(g.marks[2].lane == 0);
  CHECK(g.marks[3].lane == 1);
  CHECK(g.marks[4].lane == 0);
  CHECK(g.ae_lanes == 2);
  CHECK(g.marks[3].y > g.marks[2].y);
  CHECK(g.marks[2].y > g.marks[1].y);  // the AE row lies under the course row
  CHECK(g.axis_y > g.marks[3].y);
}

TEST_CASE("timeline: the subject view's JSON as input; a death known from a grade 5 AE only is drawn") {
  const json view = json::parse(R"({
    "subject": "S01-0009", "site": "S01", "enrolled": "2026-02-01",
    "events": [
      {"id": 1, "kind": "surgery", "date": "2026-03-01", "procedure": "right hemihepatectomy", "margin": "R0"},
      {"id": 2, "kind": "drug_start", "date": "2026-02-05", "drug": "camrelizumab", "dose": 200, "dose_unit": "mg"}],
    "adverse_events": [
      {"id": 12, "report_id": "S01-0009-AE-1", "term": "Hepatic failure", "grade": 5, "onset": "2026-03-04",
       "resolved": null, "outcome": "fatal", "status": "active", "safety": {"serious": true}}],
    "course": {"death_date": "2026-03-06", "death_sources": [{"source": "ae_grade5", "ref": "S01-0009-AE-1",
               "date": "2026-03-06"}]},
    "surgical": {"surgery": "2026-03-01", "window30_last_day": null, "window90_last_day": "2026-05-30",
                 "day30": "dead_within", "day90": "dead_within"}})");
  const auto in = timeline_input(view, d("2026-04-01"));
  CHECK(in.subject == "S01-0009");
  REQUIRE(in.items.size() == 5);  // enrolment, drug start, surgery, the AE, the death
  CHECK(in.items[0].kind == "enrolment");
  CHECK(in.items[1].label == "Start camrelizumab");
  CHECK(in.items[1].detail == "dose: 200; dose_unit: mg; drug: camrelizumab");
  CHECK(in.items[2].label == "Surgery");
  CHECK(in.items[3].kind == "ae");
  CHECK(in.items[3].label == "G5 Hepatic failure");
  CHECK(in.items[3].grade == 5);
  CHECK(in.items[3].report == 12);
  CHECK(in.items[3].detail == "report S01-0009-AE-1; serious; outcome fatal; resolved –");
  CHECK(in.items[4].kind == "death");
  CHECK(format_date(in.items[4].date) == "2026-03-06");
  CHECK(in.items[4].detail == "recorded as ae_grade5 S01-0009-AE-1");
  REQUIRE(in.surgery);
  CHECK(format_date(*in.surgery) == "2026-03-01");
  CHECK_FALSE(in.window30_last_day);  // a death in the index admission: the view gives no day
  CHECK(in.day30_status == "dead_within");

  const auto g = timeline_geometry(in);
  const std::string svg = timeline_svg(in, g);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("<title>Timeline of subject S01-0009</title>") != std::string::npos);
  CHECK(svg.find("<desc>") != std::string::npos);
  CHECK(svg.find(">G5 Hepatic failure</text>") != std::string::npos);  // the grade in words, not only a colour
  CHECK(svg.find("data-grade=\"5\"") != std::string::npos);
  CHECK(svg.find(">Surgery</text>") != std::string::npos);
  CHECK(svg.find(">Death</text>") != std::string::npos);
  CHECK(svg.find("90-day window to 2026-05-30") != std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
}

TEST_CASE("timeline: text from the data is escaped") {
  TimelineInput in;
  in.subject = "S01-<b>";
  in.enrolled = d("2026-01-01");
  in.today = d("2026-01-02");
  in.items.push_back({in.enrolled, "ae", "G2 <script>x</script>", "", 2, 1, "r"});
  const std::string svg = timeline_svg(in, timeline_geometry(in));
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find("&lt;script&gt;") != std::string::npos);
  CHECK(svg.find("S01-&lt;b&gt;") != std::string::npos);
}

TEST_CASE("boundary chart: a /safety rule's boundary and path; the style written into the SVG") {
  const json rule = {{"id", "death-30d"},
                     {"n_max", 4},
                     {"boundary", json::array({{{"n", 1}, {"stop_if_events_at_least", 2}},
                                               {{"n", 2}, {"stop_if_events_at_least", 2}},
                                               {{"n", 3}, {"stop_if_events_at_least", 2}},
                                               {{"n", 4}, {"stop_if_events_at_least", 3}}})},
                     {"path", json::array({{1, 0}, {2, 1}})}};
  const std::string svg = boundary_svg(rule, ".line{fill:none}");
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("<title>Stopping boundary death-30d and the observed path</title>") != std::string::npos);
  CHECK(svg.find("<style>.line{fill:none}</style>") != std::string::npos);
  CHECK(svg.find("class=\"bound\"") != std::string::npos);
  CHECK(svg.find("class=\"line\"") != std::string::npos);
  // Without a style, the DSMB report's bytes: no <style> in the chart.
  CHECK(boundary_svg(rule).find("<style>") == std::string::npos);
  CHECK(boundary_svg(json{{"id", "x"}, {"n_max", 1}, {"boundary", json::array()}}).empty());
}

TEST_CASE("bars chart: bars, whiskers and texts at worked positions; escaped; nothing for no rows") {
  // The plot: 640 wide, 200 left for the labels, 170 right for the texts: 270 units for 0 to 100%.
  // 2/10 = 20% is 54 wide; its exact CI 2.5% to 55.6% (Clopper–Pearson, 2 of 10) runs from
  // x = 200 + 6.75 to 200 + 150.12.
  const std::vector<Bar> rates = {{"30-day <mortality>", 0.2, std::pair{0.025, 0.556}, "2/10 (20.0%; 95% CI 2.5% to 55.6%)"},
                                  {"90-day", 0.0, std::nullopt, "0/3 (0.0%)"}};
  const std::string svg = bars_svg("Mortality", "Bars and whiskers", rates, true, "% of subjects", false, ".bar{}");
  CHECK(svg.find("<title>Mortality</title><desc>Bars and whiskers</desc><style>.bar{}</style>") != std::string::npos);
  CHECK(svg.find("<rect class=\"bar\" x=\"200\" y=\"13\" width=\"54\" height=\"16\"/>") != std::string::npos);
  CHECK(svg.find("<path class=\"whisker\" d=\"M206.75,21 L350.12,21 ") != std::string::npos);
  CHECK(svg.find("30-day &lt;mortality&gt;") != std::string::npos);
  CHECK(svg.find("<mortality>") == std::string::npos);
  CHECK(svg.find(">2/10 (20.0%; 95% CI 2.5% to 55.6%)</text>") != std::string::npos);
  // The second row, 26 lower, has no width and no whisker.
  CHECK(svg.find("<rect class=\"bar\" x=\"200\" y=\"39\" width=\"0\" height=\"16\"/>") != std::string::npos);
  CHECK(svg.find("whisker", svg.find("90-day")) == std::string::npos);
  CHECK(svg.find(">100%</text>") != std::string::npos);
  // Counts: 0 to the largest (4), a grade's class by its row; 2 of 4 is half of 270.
  const std::vector<Bar> grades = {{"Grade 1", 4, std::nullopt, "4"}, {"Grade 2", 2, std::nullopt, "2"}};
  const std::string g = bars_svg("By grade", "", grades, false, "subjects", true);
  CHECK(g.find("<rect class=\"g1\" x=\"200\" y=\"13\" width=\"270\"") != std::string::npos);
  CHECK(g.find("<rect class=\"g2\" x=\"200\" y=\"39\" width=\"135\"") != std::string::npos);
  CHECK(g.find("<style>") == std::string::npos);
  CHECK(bars_svg("None", "", {}, true, "x").empty());
}
