// The DSMB report model of a hand-built cohort, checked figure by figure against values worked
// out by hand in the comments; Kaplan–Meier against R's survival package.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "pvmon/reports.hpp"
#include "pvmon/survival.hpp"

using namespace pvmon;
using namespace pvmon::reports;
using nlohmann::json;

namespace {

Date d(const char* s) { return parse_date(s).value(); }
Timestamp t(const char* s) { return parse_timestamp(s).value(); }

safety::SubjectEvent ev(const char* kind, const char* date, json fields = json::object()) {
  fields["kind"] = kind;
  fields["date"] = date;
  return {0, kind, d(date), fields};
}

safety::AeFact fact(safety::AeFactTables& t, std::int64_t id, const char* subject, int term, int grade,
                    std::vector<std::string> related, const char* onset) {
  safety::AeFact f;
  f.id = id;
  f.report_id = t.add_report_id("R" + std::to_string(id));
  f.subject = t.intern(t.subjects, std::string(subject));
  f.site = static_cast<std::uint16_t>(t.intern(t.sites, std::string(subject).substr(0, 3)));
  f.term = term;
  f.grade = static_cast<std::uint8_t>(grade);
  f.related_to = static_cast<std::uint16_t>(t.intern(t.related, related));
  f.onset = d(onset);
  f.outcome = static_cast<std::uint8_t>(t.intern(t.outcomes, std::string("recovering")));
  return f;
}

/// Six subjects over two sites (cut-off 2026-12-31, previous report 2026-06-30):
///  S01-0001 enrolled 01-10, surgery 03-10 R0, discharged 03-20, alive 12-01: in follow-up
///  S01-0002 enrolled 02-01, surgery 04-01 R0, died 04-15 in hospital (day 14): dead
///  S01-0003 enrolled 03-01, withdrew 05-01: withdrawn
///  S02-0001 enrolled 04-01, apatinib 04-05..04-10 hold, 04-20..04-29 stop: on neoadjuvant
///  S02-0002 enrolled 05-01, surgery 07-01 R1, Clavien–Dindo IIIb 07-03, not discharged: operated
///  S02-0003 enrolled 06-15: on neoadjuvant
/// What the daemon computes once and gives the model (service/dsmb_report.cpp): the AE counts
/// and the surgical figures, from pvmon::safety.
Input with_figures(Input in) {
  in.ae_counts = safety::count_aes(in.reports, in.tables);
  std::vector<safety::SubjectFacts> facts;
  std::vector<safety::SubjectCourse> courses;
  const auto aes = safety::course_aes(in.reports, in.tables, in.cutoff.date());
  for (auto& s : in.subjects) {
    auto a = aes.find(s.subject);
    s.course = safety::subject_course(s.subject, s.enrolled, s.events,
                                      a == aes.end() ? std::vector<safety::CourseAe>{} : a->second, in.cutoff.date());
    facts.push_back(s.course.facts);
    courses.push_back(s.course);
  }
  in.surgical = safety::surgical_safety(facts, in.cutoff.date());
  in.endpoints = safety::endpoints(courses, in.cutoff.date());
  return in;
}

Input cohort() {
  Input in;
  in.study = "s";
  in.title = "Test study";
  in.sites = {"S01", "S02"};
  in.interventions = {{"camrelizumab", "drug"}, {"apatinib", "drug"}, {"imrt", "radiotherapy"}, {"surgery", "surgery"}};
  in.aesi = {{"hypertension-apatinib", {"Hypertension"}, {}, 3, {"apatinib"}},
             {"liver", {}, {"Hepatobiliary disorders"}, 1, {}}};
  in.cutoff = t("2026-12-31T23:59:59.999Z");
  in.as_of = t("2027-01-02T09:00:00Z");  // clocks and alerts in their state then
  in.previous_cutoff = t("2026-06-30T23:59:59.999Z");
  in.number = 2;
  in.protocol_sha256 = "abc";
  in.subjects = {
      {"S01-0001", "S01", d("2026-01-10"),
       {ev("surgery", "2026-03-10", {{"procedure", "hepatectomy"}, {"margin", "R0"}}), ev("discharge", "2026-03-20"),
        ev("last_known_alive", "2026-12-01")}, {}},
      {"S01-0002", "S01", d("2026-02-01"),
       {ev("surgery", "2026-04-01", {{"procedure", "hepatectomy"}, {"margin", "R0"}}),
        ev("death", "2026-04-15", {{"cause", "=HYPERLINK(\"x\") <script>alert(1)</script>"}})}, {}},
      {"S01-0003", "S01", d("2026-03-01"), {ev("withdrawal", "2026-05-01")}, {}},
      {"S02-0001", "S02", d("2026-04-01"),
       {ev("drug_start", "2026-04-05", {{"drug", "apatinib"}}), ev("drug_hold", "2026-04-10", {{"drug", "apatinib"}}),
        ev("drug_start", "2026-04-20", {{"drug", "apatinib"}}), ev("drug_stop", "2026-04-29", {{"drug", "apatinib"}})}, {}},
      {"S02-0002", "S02", d("2026-05-01"),
       {ev("surgery", "2026-07-01", {{"procedure", "hepatectomy"}, {"margin", "R1"}}),
        ev("surgical_complication", "2026-07-03", {{"grade", "IIIb"}, {"term", "bile leak"}})}, {}},
      {"S02-0003", "S02", d("2026-06-15"), {}, {}},
  };
  in.tables.terms = {{"10020772", "Hypertension", "Vascular disorders", false},
              {"10033553", "Palmar-plantar erythrodysesthesia syndrome", "Skin and subcutaneous tissue disorders", false},
              {"10001551", "Alanine aminotransferase increased", "Investigations", false},
              {"10019663", "Hepatic failure", "Hepatobiliary disorders", false}};
  auto f5 = fact(in.tables, 5, "S01-0002", 2, 3, {"camrelizumab"}, "2026-04-05");
  f5.serious = true;
  f5.criteria = 1u << 2;  // hospitalization
  f5.drug_withdrawn = true;
  auto f6 = fact(in.tables, 6, "S01-0002", 3, 5, {"surgery"}, "2026-04-14");
  f6.serious = f6.susar = f6.fatal_or_life_threatening = true;
  f6.criteria = 1u << 0;  // death
  f6.outcome = static_cast<std::uint8_t>(safety::AeFactTables::intern(in.tables.outcomes, std::string("fatal")));
  auto f7 = fact(in.tables, 7, "S02-0002", 2, 4, {}, "2026-07-10");
  f7.nullified = true;
  in.reports = {fact(in.tables, 1, "S01-0001", 0, 2, {"apatinib"}, "2026-02-01"), fact(in.tables, 2, "S01-0001", 0, 3, {"apatinib"}, "2026-02-20"),
                fact(in.tables, 3, "S02-0001", 0, 1, {"apatinib"}, "2026-04-08"), fact(in.tables, 4, "S01-0001", 1, 2, {"apatinib"}, "2026-02-10"),
                f5, f6, f7, fact(in.tables, 8, "S02-0003", 1, 1, {"apatinib"}, "2026-07-01")};
  auto clock = [](safety::ClockKind k, const char* due, std::optional<Timestamp> stopped, bool late) {
    ClockInput c;
    c.report = 6;
    c.report_ref = "R6";
    c.subject = "S01-0002";
    c.site = "S01";
    c.kind = k;
    c.started_at = t("2026-04-14T10:00:00Z");
    c.due_at = t(due);
    c.stopped_at = stopped;
    c.late = late;
    return c;
  };
  in.clocks = {clock(safety::ClockKind::site_report, "2026-04-15T10:00:00Z", t("2026-04-14T12:00:00Z"), false),
               clock(safety::ClockKind::regulatory_initial, "2026-04-21T23:59:59.999Z", t("2026-04-25T09:00:00Z"), true),
               clock(safety::ClockKind::regulatory_complete, "2027-01-05T23:59:59.999Z", std::nullopt, false),
               clock(safety::ClockKind::regulatory_followup, "2026-12-01T23:59:59.999Z", std::nullopt, false)};
  in.alerts = {{1, "sae", "high", "SAE", "S01-0002", t("2026-05-01T00:00:00Z"), t("2026-05-02T00:00:00Z"), "o"},
               {2, "death", "critical", "Death", "S01-0002", t("2026-07-01T00:00:00Z"), std::nullopt, ""},
               {3, "aesi", "high", "AESI", "S01-0001", t("2026-08-01T00:00:00Z"), t("2026-08-02T00:00:00Z"), "o"}};
  return with_figures(std::move(in));
}

}  // namespace

TEST_CASE("DSMB report: enrolment, status and exposure of the hand-built cohort") {
  const json m = build(cohort());
  CHECK(m["header"]["number"] == 2);
  CHECK(m["header"]["schema"] == "pvmon.dsmb-report/4");
  // Two dates: the clinical cut-off, and the database state the report was built from.
  CHECK(m["header"]["data_cutoff"] == "2026-12-31");
  CHECK(m["header"]["as_of"] == "2027-01-02T09:00:00.000Z");
  CHECK(m["header"]["period"] == json{{"from", "2026-06-30"}, {"to", "2026-12-31"}});
  const json& e = m["enrolment"];
  CHECK(e["total"] == 6);
  CHECK(e["by_site"] == json::array({{{"site", "S01"}, {"n", 3}, {"proportion", 0.5}}, {{"site", "S02"}, {"n", 3}, {"proportion", 0.5}}}));
  CHECK(e["by_month"][0] == json{{"month", "2026-01"}, {"n", 1}, {"cumulative", 1}});
  CHECK(e["by_month"].back() == json{{"month", "2026-06"}, {"n", 1}, {"cumulative", 6}});
  CHECK(e["status"]["in_follow_up"]["n"] == 1);
  CHECK(e["status"]["dead"]["n"] == 1);
  CHECK(e["status"]["withdrawn"]["n"] == 1);
  CHECK(e["status"]["operated"]["n"] == 1);
  CHECK(e["status"]["on_neoadjuvant"]["n"] == 2);
  CHECK(e["status"]["on_neoadjuvant"]["proportion"] == 0.333333);
  // Enrolment to surgery: 59 (01-10 -> 03-10), 59 (02-01 -> 04-01), 61 (05-01 -> 07-01);
  // R type 7 quartiles of {59, 59, 61}: 59, 59, 60.
  CHECK(e["enrolment_to_surgery_days"] == json{{"n", 3}, {"median", 59.0}, {"q1", 59.0}, {"q3", 60.0}});
  // Apatinib: 04-05..04-10 (6 days) + 04-20..04-29 (10 days) = 16; one hold, one stop.
  const json& apa = m["exposure"]["drugs"][1];
  CHECK(apa["drug"] == "apatinib");
  CHECK(apa["subjects_started"]["n"] == 1);
  CHECK(apa["exposure_days_total"] == 16);
  CHECK(apa["holds"] == 1);
  CHECK(apa["stopped"] == 1);
  CHECK(m["exposure"]["drugs"][0]["subjects_started"]["n"] == 0);
}

TEST_CASE("DSMB report: AEs counted once per subject at the worst grade; nullified never") {
  const json m = build(cohort());
  const json& o = m["ae_overview"];
  CHECK(o["any_ae"] == json{{"n", 4}, {"proportion", 0.666667}});  // S01-0001, S02-0001, S01-0002, S02-0003
  CHECK(o["grade_3_or_more"]["n"] == 2);                 // S01-0001 (3), S01-0002 (3, 5)
  CHECK(o["serious"]["n"] == 1);
  CHECK(o["led_to_drug_withdrawal"]["n"] == 1);
  CHECK(o["fatal"]["n"] == 1);
  CHECK(o["susar"]["n"] == 1);
  CHECK(o["reports"] == json{{"in_force", 7}, {"serious", 2}, {"nullified", 1}});

  const json& socs = m["ae_by_soc_term"];
  REQUIRE(socs.size() == 4);  // by name
  CHECK(socs[0]["soc"] == "Hepatobiliary disorders");
  CHECK(socs[1]["soc"] == "Investigations");
  CHECK(socs[2]["soc"] == "Skin and subcutaneous tissue disorders");
  CHECK(socs[3]["soc"] == "Vascular disorders");
  // ALT increased: S01-0002 grade 3; S02-0002's grade 4 was nullified.
  CHECK(socs[1]["terms"][0]["grade_3"]["n"] == 1);
  CHECK(socs[1]["terms"][0]["grade_4"]["n"] == 0);
  // Hypertension: S01-0001 at its worst (3, not 2), S02-0001 grade 1.
  const json& htn = socs[3]["terms"][0];
  CHECK(htn["term"] == "Hypertension");
  CHECK(htn["grade_1"]["n"] == 1);
  CHECK(htn["grade_2"]["n"] == 0);
  CHECK(htn["grade_3"]["n"] == 1);
  CHECK(htn["any"] == json{{"n", 2}, {"proportion", 0.333333}});
  CHECK(htn["grade_3_or_more"] == json{{"n", 1}, {"proportion", 0.166667}});
  CHECK(socs[2]["grade_1"]["n"] == 1);
  CHECK(socs[2]["grade_2"]["n"] == 1);

  // Related to camrelizumab: only the ALT increase.
  const json& cam = m["ae_related"][0];
  CHECK(cam["intervention"] == "camrelizumab");
  REQUIRE(cam["rows"].size() == 1);
  CHECK(cam["rows"][0]["soc"] == "Investigations");

  // AESI: hypertension >= 3 related to apatinib (S01-0001); any hepatobiliary AE (S01-0002, grade 5).
  CHECK(m["aesi"][0]["subjects"]["n"] == 1);
  CHECK(m["aesi"][0]["reports"] == 1);
  CHECK(m["aesi"][0]["worst_grade"] == json::array({0, 0, 1, 0, 0}));
  CHECK(m["aesi"][1]["worst_grade"] == json::array({0, 0, 0, 0, 1}));

  REQUIRE(m["sae_listing"].size() == 2);
  CHECK(m["sae_listing"][0]["id"] == 5);
  CHECK(m["sae_listing"][0]["criteria"] == json::array({"hospitalization"}));
  CHECK(m["sae_listing"][1]["criteria"] == json::array({"death"}));
  REQUIRE(m["susars"].size() == 1);
  CHECK(m["susars"][0]["term"] == "Hepatic failure");
}

TEST_CASE("DSMB report: deaths, clocks, surgical safety, alerts of the period") {
  const json m = build(cohort());
  REQUIRE(m["deaths"].size() == 1);
  CHECK(m["deaths"][0]["days_from_surgery"] == 14);
  CHECK(m["deaths"][0]["days_from_enrolment"] == 73);
  CHECK(m["deaths"][0]["within_30_days_of_surgery"] == true);

  const json& c = m["clocks"]["by_kind"];
  REQUIRE(c.size() == 4);
  CHECK(c[0] == json{{"kind", "regulatory_complete"}, {"met", 0}, {"late", 0}, {"open", 1}, {"overdue", 0}, {"on_time", nullptr}});  // no closed clocks: no compliance
  CHECK(c[1]["overdue"] == 1);
  CHECK(c[2]["late"] == 1);
  CHECK(c[3] == json{{"kind", "site_report"}, {"met", 1}, {"late", 0}, {"open", 0}, {"overdue", 0}, {"on_time", 1.0}});

  const json& s = m["surgical"];
  CHECK(s["operated"] == 3);
  // 30 days: S01-0001 alive and discharged (closed), S01-0002 dead on day 14, S02-0002 still
  // in the index admission (pending). 1/2 with the exact interval (Clopper–Pearson 1/2:
  // 0.012579, 0.987421).
  CHECK(s["mortality_30d"]["events"] == 1);
  CHECK(s["mortality_30d"]["n"] == 2);
  CHECK(s["mortality_30d"]["ci95"] == json::array({0.012579, 0.987421}));
  CHECK(s["mortality_30d"]["rate"] == 0.5);
  // S02-0002: no discharge or later contact recorded, and day 30 (07-31) long past at the
  // cut-off: vital status unknown, counted in the bounds (1/3 if alive, 2/3 if dead).
  CHECK(s["mortality_30d_pending"] == json::array());
  CHECK(s["mortality_30d_unknown"] == json::array({"S02-0002"}));
  CHECK(s["mortality_30d_bounds"]["unknown_alive"]["events"] == 1);
  CHECK(s["mortality_30d_bounds"]["unknown_alive"]["n"] == 3);
  CHECK(s["mortality_30d_bounds"]["unknown_dead"]["events"] == 2);
  CHECK(s["mortality_30d_bounds"]["unknown_dead"]["n"] == 3);
  CHECK(s["r0_resection"]["events"] == 2);
  CHECK(s["r0_resection"]["n"] == 3);
  CHECK(s["clavien_dindo_worst"]["IIIb"] == 1);
  CHECK(s["clavien_dindo_worst"]["none"] == 2);

  // Alerts of the period (after 06-30): #2 open at the cut-off, #3 acknowledged; #1 is older.
  const json& a = m["alerts"];
  REQUIRE(a["raised_in_period"].size() == 2);
  CHECK(a["raised_in_period"][0]["id"] == 2);
  CHECK(a["raised_in_period"][0]["acknowledged_at"].is_null());
  CHECK(a["raised_in_period"][1]["acknowledged_by"] == "o");
  CHECK(a["open_at_cutoff"] == 1);
}

TEST_CASE("DSMB report: Kaplan–Meier from the subjects' events matches R survival (aml, Maintained)") {
  // R: summary(survfit(Surv(time, status) ~ 1, data = subset(aml, x == "Maintained")))
  // times 9 13 13+ 18 23 28+ 31 34 45+ 48 161+ (weeks); here 10 days per week so that the
  // 6/12/24-month points (182.6, 365.25, 730.5 days) fall between the steps:
  //   S(18) = 0.716, SE 0.1397, log CI 0.4884-1; S(34) = 0.368, CI 0.1549-0.875;
  //   S(48) = 0.184, CI 0.0359-0.944.
  Input in;
  in.study = "aml";
  in.cutoff = t("2031-01-01T00:00:00Z");
  const std::vector<std::pair<int, bool>> obs = {{9, true},  {13, true}, {13, false}, {18, true},  {23, true}, {28, false},
                                                 {31, true}, {34, true}, {45, false}, {48, true},  {161, false}};
  int k = 0;
  for (const auto& [w, died] : obs) {
    const Date enrolled = d("2026-01-01");
    const Date at = enrolled.plus_days(w * 10);
    const std::string date = format_date(at);
    // Time zero is the start of treatment (here the day of enrolment).
    in.subjects.push_back({"A" + std::to_string(k++), "S01", enrolled,
                           {ev("drug_start", "2026-01-01", {{"drug", "camrelizumab"}}),
                            died ? ev("death", date.c_str(), {{"cause", "x"}}) : ev("last_known_alive", date.c_str())},
                           {}});
  }
  const json km = build(with_figures(in))["time_to_event"]["overall_survival"];
  CHECK(km["n"] == 11);
  CHECK(km["events"] == 7);
  CHECK(km["at"][0]["survival"].get<double>() == doctest::Approx(0.716).epsilon(0.001));
  CHECK(km["at"][0]["n_risk"] == 7);
  CHECK(km["at"][0]["ci95"][0].get<double>() == doctest::Approx(0.4884).epsilon(0.001));
  CHECK(km["at"][0]["ci95"][1].get<double>() == doctest::Approx(1.0));
  CHECK(km["at"][1]["survival"].get<double>() == doctest::Approx(0.368).epsilon(0.002));
  CHECK(km["at"][1]["n_risk"] == 3);
  CHECK(km["at"][1]["ci95"][0].get<double>() == doctest::Approx(0.1549).epsilon(0.002));
  CHECK(km["at"][1]["ci95"][1].get<double>() == doctest::Approx(0.875).epsilon(0.002));
  CHECK(km["at"][2]["survival"].get<double>() == doctest::Approx(0.184).epsilon(0.002));
  CHECK(km["at"][2]["ci95"][0].get<double>() == doctest::Approx(0.0359).epsilon(0.01));
  // EFS has the same events here (deaths only).
  CHECK(build(with_figures(in))["time_to_event"]["event_free_survival"]["events"] == 7);
}

namespace {

/// Five subjects enrolled and treated on 2026-01-01, days to death (D) or last known alive (+):
/// 30 D, 100 D, 100+, 200 D, 300+. No progression, so EFS is OS.
std::vector<std::pair<int, bool>> five() { return {{30, true}, {100, true}, {100, false}, {200, true}, {300, false}}; }

Input five_subjects() {
  Input in;
  in.study = "five";
  in.cutoff = t("2027-06-01T00:00:00Z");
  int k = 0;
  for (const auto& [days, died] : five()) {
    const Date enrolled = d("2026-01-01");
    const std::string date = format_date(enrolled.plus_days(days));
    in.subjects.push_back({"F" + std::to_string(k++), "S01", enrolled,
                           {ev("radiotherapy_start", "2026-01-01"),
                            died ? ev("death", date.c_str(), {{"cause", "x"}}) : ev("last_known_alive", date.c_str())},
                           {}});
  }
  return with_figures(std::move(in));
}

/// The numbers (`>N</text>`) in one at-risk row of the HTML, with their x positions.
std::vector<std::pair<std::string, std::string>> risk_row(const std::string& html, const std::string& endpoint) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto start = html.find("data-endpoint=\"" + endpoint + "\">");
  if (start == std::string::npos) return out;
  const auto end = html.find("</g>", start);
  std::size_t p = html.find("</text>", start);  // skip the row label
  while ((p = html.find("<text x=\"", p)) != std::string::npos && p < end) {
    const auto x0 = p + 9, x1 = html.find('"', x0);
    const auto v0 = html.find('>', x1) + 1, v1 = html.find("</text>", v0);
    out.emplace_back(html.substr(x0, x1 - x0), html.substr(v0, v1 - v0));
    p = v1;
  }
  return out;
}

}  // namespace

TEST_CASE("DSMB report: the full Kaplan–Meier table, numbers at risk and median follow-up") {
  // Worked by hand (Greenwood: SE = S sqrt(sum d/(n(n-d))); log CI S exp(-/+ 1.959964 SE/S),
  // upper capped at 1; months = days / 30.4375):
  //  days  months  n  d  c  S                 sum d/(n(n-d))        SE        95% CI
  //    30  0.9856  5  1  0  4/5       = 0.8   1/20           = 0.05  0.178885  0.516126-1
  //   100  3.2854  4  1  1  0.8 * 3/4 = 0.6   + 1/12 -> 0.133333     0.219089  0.293316-1
  //   200  6.5708  2  1  0  0.6 * 1/2 = 0.3   + 1/2  -> 0.633333     0.238747  0.063054-1
  //   300  9.8563  1  0  1  0.3                                      0.238747  0.063054-1
  // (At 100 the censored subject is at risk with the death there: 5 - 1 = 4.)
  // At risk (time >= t) at 0, 3, 6, 9 months (0, 91.3, 182.6, 273.9 days): 5, 4, 2, 1; 12 months
  // (365.25 days) is past the last observation.
  // Reverse KM (death censors follow-up): 30+ (S 1), 100: 1 of 4 (S 0.75, the death at 100 a
  // censoring), 200+, 300: 1 of 1 (S 0): the median is 300 days; lower limit 100 (lower band
  // 0.75 exp(-1.959964 sqrt(1/12)) = 0.4259 <= 0.5), upper not reached (band undefined at S 0).
  // R:  d <- data.frame(time = c(30, 100, 100, 200, 300), status = c(1, 1, 0, 1, 0))
  //     summary(survfit(Surv(time, status) ~ 1, data = d), censored = TRUE)
  //       S 0.8 0.6 0.3 0.3, std.err 0.179 0.219 0.239 0.239, lower 0.5161 0.2933 0.0631 0.0631
  //     summary(survfit(Surv(time, status) ~ 1, data = d), times = c(0, 3, 6, 9) * 30.4375)$n.risk
  //       5 4 2 1
  //     print(survfit(Surv(time, 1 - status) ~ 1, data = d))   # median 300, 0.95LCL 100, UCL NA
  const json m = build(five_subjects());
  const json& os = m["time_to_event"]["overall_survival"];
  const json& table = os["table"];
  REQUIRE(table.size() == 4);
  CHECK(table[0] == json{{"days", 30.0}, {"months", 0.9856}, {"n_risk", 5}, {"n_event", 1}, {"n_censor", 0},
                         {"survival", 0.8}, {"std_err", 0.1789}, {"ci95", {0.5161, 1.0}}});
  CHECK(table[1] == json{{"days", 100.0}, {"months", 3.2854}, {"n_risk", 4}, {"n_event", 1}, {"n_censor", 1},
                         {"survival", 0.6}, {"std_err", 0.2191}, {"ci95", {0.2933, 1.0}}});
  CHECK(table[2] == json{{"days", 200.0}, {"months", 6.5708}, {"n_risk", 2}, {"n_event", 1}, {"n_censor", 0},
                         {"survival", 0.3}, {"std_err", 0.2387}, {"ci95", {0.0631, 1.0}}});
  CHECK(table[3] == json{{"days", 300.0}, {"months", 9.8563}, {"n_risk", 1}, {"n_event", 0}, {"n_censor", 1},
                         {"survival", 0.3}, {"std_err", 0.2387}, {"ci95", {0.0631, 1.0}}});
  // And row by row what stats::kaplan_meier gives for the same times.
  std::vector<stats::SurvivalObservation> obs;
  for (const auto& [days, died] : five()) obs.push_back({double(days), died});
  const auto km = stats::kaplan_meier(obs);
  REQUIRE(km);
  REQUIRE(km->steps.size() == table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& s = km->steps[i];
    CAPTURE(i);
    CHECK(table[i]["days"].get<double>() == s.time);
    CHECK(table[i]["n_risk"] == s.n_risk);
    CHECK(table[i]["n_event"] == s.n_event);
    CHECK(table[i]["n_censor"] == s.n_censor);
    CHECK(table[i]["survival"].get<double>() == doctest::Approx(s.survival).epsilon(1e-4));
    CHECK(table[i]["std_err"].get<double>() == doctest::Approx(*s.std_err).epsilon(1e-3));
    CHECK(table[i]["ci95"][0].get<double>() == doctest::Approx(s.ci_log->lower).epsilon(1e-3));
  }
  CHECK(os["at_risk"] == json::array({{{"months", 0}, {"n_risk", 5}},
                                      {{"months", 3}, {"n_risk", 4}},
                                      {{"months", 6}, {"n_risk", 2}},
                                      {{"months", 9}, {"n_risk", 1}}}));
  CHECK(os["median_follow_up"] == json{{"days", 300.0},
                                       {"months", 9.8563},
                                       {"ci95_days", {100.0, nullptr}},
                                       {"ci95_months", {3.2854, nullptr}}});
  CHECK(m["time_to_event"]["event_free_survival"]["table"] == table);

  // HTML: under the axis, one row per endpoint with a number at each tick (0 3 6 9 12 months;
  // nobody is at risk at 12), each in its tick's column; the median follow-up under the chart.
  const std::string html = to_html(m, {"1", "2027-06-01T08:00:00.000Z", "feed"});
  CHECK(html.find("Number at risk</text>") != std::string::npos);
  const auto os_row = risk_row(html, "OS");
  const auto efs_row = risk_row(html, "EFS");
  std::vector<std::string> numbers;
  for (const auto& [x, v] : os_row) numbers.push_back(v);
  CHECK(numbers == std::vector<std::string>{"5", "4", "2", "1", "0"});
  CHECK(efs_row == os_row);
  const auto axis0 = html.find("<g class=\"axis\">", html.find("Kaplan–Meier estimates"));
  const std::string axis = html.substr(axis0, html.find("</g>", axis0) - axis0);
  const char* ticks[] = {"0", "3", "6", "9", "12"};
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    REQUIRE(i < os_row.size());
    // The tick label "<text x=\"X\" y=... text-anchor=\"middle\">M</text>" has the column's x.
    CHECK(axis.find("<text x=\"" + os_row[i].first + "\"") != std::string::npos);
    CHECK(axis.find("text-anchor=\"middle\">" + std::string(ticks[i]) + "</text>") != std::string::npos);
  }
  CHECK(html.find("<desc>Step curves") != std::string::npos);
  CHECK(html.find("overall survival 5, 4, 2, 1, 0") != std::string::npos);
  CHECK(html.find("Median follow-up (reverse Kaplan–Meier, Schemper &amp; Smith 1996): overall survival 9.9 months "
                  "(95% CI 3.3 to not reached)") != std::string::npos);

  // CSV: the full step function, one row per step (and the header); the at-month estimates apart.
  const auto files = to_csv(m);
  auto file = [&](const std::string& name) {
    for (const auto& f : files)
      if (f.name == name) return f.text;
    FAIL("no file " << name);
    return std::string();
  };
  const std::string km_os = file("km_os.csv");
  CHECK(std::count(km_os.begin(), km_os.end(), '\n') == 5);
  CHECK(km_os.rfind("days,months,n_risk,n_event,n_censor,survival,std_err,ci95_low,ci95_high\r\n", 0) == 0);
  CHECK(km_os.find("\r\n100.0,3.2854,4,1,1,0.6,0.2191,0.2933,1.0\r\n") != std::string::npos);
  CHECK(km_os.find("\r\n300.0,9.8563,1,0,1,0.3,0.2387,0.0631,1.0\r\n") != std::string::npos);
  CHECK(file("km_efs.csv") == km_os);
  const std::string at = file("km_os_at.csv");
  CHECK(at == "months,survival,n_risk,ci95_low,ci95_high\r\n6,0.6,2,0.2933,1.0\r\n12,,,,\r\n24,,,,\r\n");
  CHECK(file("km_at_risk.csv") == "endpoint,months,n_risk\r\nOS,0,5\r\nOS,3,4\r\nOS,6,2\r\nOS,9,1\r\n"
                                   "EFS,0,5\r\nEFS,3,4\r\nEFS,6,2\r\nEFS,9,1\r\n");
  CHECK(file("km_median_follow_up.csv").find("\r\nOS,300.0,9.8563,100.0,,3.2854,\r\n") != std::string::npos);
}

TEST_CASE("a schema 2 report stored before the KM table renders without it") {
  json m = build(five_subjects());
  for (const char* k : {"overall_survival", "event_free_survival", "disease_free_survival"})
    for (const char* key : {"table", "at_risk", "median_follow_up"}) m["time_to_event"][k].erase(key);
  m["time_to_event"].erase("follow_up");
  CHECK(upgrade(m) == m);
  const std::string html = to_html(m, {"1", "2027-06-01T08:00:00.000Z", "feed"});
  CHECK(html.find("Number at risk") == std::string::npos);
  CHECK(html.find("Median follow-up") == std::string::npos);
  CHECK(html.find("Kaplan–Meier estimates") != std::string::npos);
  const auto files = to_csv(m);
  for (const auto& f : files) {
    if (f.name == "km_os.csv") CHECK(f.text == "days,months,n_risk,n_event,n_censor,survival,std_err,ci95_low,ci95_high\r\n");
    if (f.name == "km_os_at.csv") CHECK(f.text.find("\r\n6,0.6,2,") != std::string::npos);
    if (f.name == "km_at_risk.csv") CHECK(f.text == "endpoint,months,n_risk\r\n");
  }
}

TEST_CASE("DSMB report: the same input gives the same bytes, whatever the report order") {
  Input a = cohort();
  Input b = cohort();
  std::reverse(b.reports.begin(), b.reports.end());
  CHECK(canonical_json(build(a)) == canonical_json(build(a)));
  CHECK(canonical_json(build(a)) == canonical_json(build(b)));
}

TEST_CASE("DSMB report: CSV quoting and formula guard; HTML escaped, self-contained") {
  const json m = build(cohort());
  const auto files = to_csv(m);
  auto file = [&](const std::string& name) {
    for (const auto& f : files)
      if (f.name == name) return f.text;
    FAIL("no file " << name);
    return std::string();
  };
  const std::string deaths = file("deaths.csv");
  CHECK(deaths.rfind("subject,site,date,cause,", 0) == 0);
  // The cause starts with "=": a leading apostrophe, and quoted because of the quotes inside.
  CHECK(deaths.find("\"'=HYPERLINK(\"\"x\"\") <script>alert(1)</script>\"") != std::string::npos);
  CHECK(deaths.find("\r\n") != std::string::npos);
  CHECK(file("ae_by_soc_term.csv").find("Vascular disorders,Hypertension,1,0,1,0,0,2,33.3,1,16.7\r\n") != std::string::npos);
  CHECK(file("surgical.csv").find("mortality_30d,1,2,50.0,1.2579,98.7421,") != std::string::npos);

  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);
  CHECK(html.find(" href=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  std::size_t open = 0, close = 0;
  for (std::size_t p = 0; (p = html.find("<svg", p)) != std::string::npos; ++p) ++open;
  for (std::size_t p = 0; (p = html.find("</svg>", p)) != std::string::npos; ++p) ++close;
  CHECK(open >= 3);  // enrolment, AEs by SOC, Kaplan–Meier (no stopping rule in this cohort)
  CHECK(open == close);
}

TEST_CASE("a report stored under schema 1 (percentages) reads as the current schema (proportions)") {
  const json v1 = json::parse(R"({"header": {"schema": "pvmon.dsmb-report/1"},
    "enrolment": {"by_site": [{"site": "S01", "n": 3, "pct": 50.0}]},
    "ae_overview": {"any_ae": {"n": 4, "pct": 66.7}},
    "clocks": {"by_kind": [{"kind": "site_report", "met": 1, "late": 0, "open": 0, "overdue": 0, "on_time_pct": 100.0},
                           {"kind": "regulatory_complete", "met": 0, "late": 0, "open": 1, "overdue": 0, "on_time_pct": 0.0}]},
    "surgical": {"mortality_30d": {"events": 1, "n": 2, "pct": 50.0, "ci95": [1.2579, 98.7421]},
                 "r0": {"events": 2, "n": 3, "pct": 66.7, "ci95": [9.4299, 99.1596]},
                 "subjects": [{"subject": "S01-0001", "readmission30": "not_readmitted"}]}})");
  const json m = upgrade(v1);
  CHECK(m["enrolment"]["by_site"][0] == json{{"site", "S01"}, {"n", 3}, {"proportion", 0.5}});
  CHECK(m["ae_overview"]["any_ae"] == json{{"n", 4}, {"proportion", 0.667}});
  CHECK(m["clocks"]["by_kind"][0]["on_time"] == 1.0);
  CHECK(m["clocks"]["by_kind"][1]["on_time"].is_null());
  CHECK(m["surgical"]["mortality_30d"] == json{{"events", 1}, {"n", 2}, {"rate", 0.5}, {"ci95", {0.012579, 0.987421}}});
  CHECK(m["surgical"]["r0_resection"]["events"] == 2);
  CHECK_FALSE(m["surgical"].contains("r0"));
  CHECK(m["surgical"]["subjects"][0]["readmission_30d"] == "not_readmitted");
  // A current model is left as it is.
  const json v3 = build(cohort());
  CHECK(upgrade(v3) == v3);
}

TEST_CASE("a report stored before schema 3 (one instant for its cut-off) reads with two dates") {
  // Schema 1 and 2 reports were built from what was recorded by their cut-off instant: that is
  // their as-of, and its date their cut-off.
  for (const char* schema : {"pvmon.dsmb-report/1", "pvmon.dsmb-report/2"}) {
    CAPTURE(schema);
    const json old = {{"header", {{"schema", schema}, {"number", 2}, {"data_cutoff", "2026-11-20T08:00:00.000Z"},
                                  {"period", {{"from", "2026-10-21T08:00:00.000Z"}, {"to", "2026-11-20T08:00:00.000Z"}}}}}};
    const json h = upgrade(old)["header"];
    CHECK(h["data_cutoff"] == "2026-11-20");
    CHECK(h["as_of"] == "2026-11-20T08:00:00.000Z");
    CHECK(h["period"] == json{{"from", "2026-10-21"}, {"to", "2026-11-20"}});
    const json first = {{"header", {{"schema", schema}, {"data_cutoff", "2026-11-20T08:00:00.000Z"},
                                    {"period", {{"from", nullptr}, {"to", "2026-11-20T08:00:00.000Z"}}}}}};
    CHECK(upgrade(first)["header"]["period"]["from"].is_null());
  }
  // The renderings show both.
  json stored = build(cohort());
  stored["header"] = {{"schema", "pvmon.dsmb-report/2"}, {"study", "s"}, {"title", "t"}, {"number", 2},
                      {"data_cutoff", "2026-12-31T23:59:59.999Z"}, {"protocol_sha256", "abc"},
                      {"period", {{"from", "2026-06-30T00:00:00.000Z"}, {"to", "2026-12-31T23:59:59.999Z"}}},
                      {"sites", {"S01", "S02"}}, {"interventions", json::array()}};
  const std::string html = to_html(stored, {"1", "2027-01-01T00:00:00.000Z", "sha"});
  CHECK(html.find("Data cut-off 2026-12-31 · as of 2026-12-31T23:59:59.999Z · period from 2026-06-30") != std::string::npos);
  for (const auto& f : to_csv(stored))
    if (f.name == "header.csv")
      CHECK(f.text == "study,number,data_cutoff,as_of,period_from,protocol_sha256\r\n"
                      "s,2,2026-12-31,2026-12-31T23:59:59.999Z,2026-06-30,abc\r\n");
}

TEST_CASE("a stopping rule whose design is complete says so; power not applicable prints so") {
  Input in = cohort();
  BoundaryInput b;
  b.id = "g3";
  b.event = "grade3plus_related";
  b.method = "bayes";
  b.n_max = 4;
  b.rows = {{1, 2}, {2, 2}, {3, 3}, {4, 3}};
  b.evaluable = 4;
  b.events = 0;
  b.design_complete = true;
  b.path = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};
  in.boundaries = {b};
  const json m = build(std::move(in));
  const json& rule = m["stopping_rules"][0];
  CHECK(rule["design_complete"] == true);
  CHECK(rule["power"].is_null());
  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  CHECK(html.find("design complete: n_max evaluated, final verdict") != std::string::npos);
  CHECK(html.find("power not applicable") != std::string::npos);
}

TEST_CASE("a stopping rule crossed at an earlier look: the model, HTML and CSV name that look") {
  Input in = cohort();
  BoundaryInput b;
  b.id = "g3";
  b.event = "grade3plus_related";
  b.method = "bayes";
  b.n_max = 4;
  b.rows = {{1, 0, 1}, {2, 1, 2}, {3, 1, 2}, {4, 2, 3}};
  b.evaluable = 4;
  b.events = 1;
  b.crossed = true;
  b.design_complete = true;
  b.path = {{1, 1}, {2, 1}, {3, 1}, {4, 1}};
  b.crossed_at = std::make_pair(1, 1);
  in.boundaries = {b};
  const json m = build(std::move(in));
  CHECK(m["stopping_rules"][0]["crossed_at"] == json{{"n", 1}, {"events", 1}});
  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  CHECK(html.find("boundary crossed</span> at 1 events in 1 evaluable subjects") != std::string::npos);
  bool found = false;
  for (const auto& f : to_csv(m))
    if (f.name == "stopping_rules.csv") {
      found = true;
      CHECK(f.text.find("crossed,crossed_at_n,crossed_at_events,") != std::string::npos);
      CHECK(f.text.find("g3,grade3plus_related,bayes,4,4,1,true,1,1,") != std::string::npos);
    }
  CHECK(found);
}

namespace {

/// Occurrences of "null" that are not the word "nullified" (a JSON null printed as text).
std::size_t printed_nulls(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = s.find("null", p)) != std::string::npos; p += 4)
    if (s.compare(p, 9, "nullified") != 0) ++n;
  return n;
}

std::string csv_file(const std::vector<CsvFile>& files, const std::string& name) {
  for (const auto& f : files)
    if (f.name == name) return f.text;
  FAIL("no file " << name);
  return std::string();
}

/// The cohort with the death event numbered 12 (S01-0002), so its source reads "death event 12".
json cohort_model() {
  Input in = cohort();
  for (auto& e : in.subjects[1].events)
    if (e.kind == "death") e.id = 12;
  return build(with_figures(std::move(in)));
}

}  // namespace

TEST_CASE("DSMB report HTML and CSV: vital status unknown, bounds, Kaplan–Meier mortality, death sources and queries") {
  const json m = cohort_model();
  const json& s = m["surgical"];
  // S02-0002 is unknown at both windows (last contact day 2, the complication on 07-03).
  REQUIRE(s["mortality_30d_unknown"] == json::array({"S02-0002"}));
  REQUIRE(s["mortality_90d_unknown"] == json::array({"S02-0002"}));
  // KM (every operated subject, censored at last contact): S02-0002 censored on day 2 (3 at
  // risk), S01-0002 dead on day 14 (2 at risk): S = 1/2, mortality 50%; S01-0001 censored on day
  // 266, the one at risk on days 30 and 90. Greenwood: var log S = 1/(2*1); log CI of S
  // 0.5 exp(-/+ 1.959964 sqrt(0.5)) = 0.125049 to 1.999 (capped at 1): mortality 0 to 0.874951.
  CHECK(s["mortality_30d_km"]["estimate"] == 0.5);
  CHECK(s["mortality_30d_km"]["n_risk"] == 1);
  CHECK(s["mortality_30d_km"]["ci95"][0] == 0.0);
  CHECK(s["mortality_30d_km"]["ci95"][1].get<double>() == doctest::Approx(0.874951).epsilon(1e-5));
  // The death rests on the death event (04-15) and the grade 5 AE R6 (onset 04-14): the dates
  // differ, a query.
  const json& death = m["deaths"][0];
  REQUIRE(death["sources"].size() == 2);
  REQUIRE(death["queries"].size() == 1);
  CHECK(death["queries"][0]["kind"] == "death_dates_differ");

  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  // Mortality: crude over known status, unknown subjects named, none pending, bounds, KM.
  CHECK(html.find("1/2 (50.0%; 95% CI 1.3–98.7%)") != std::string::npos);
  CHECK(html.find("Vital status unknown for 1 operated subject") != std::string::npos);
  CHECK(html.find("<span class=\"flag\">1 — vital status unknown: S02-0002</span>") != std::string::npos);
  CHECK(html.find("<td>pending (window still open at the cut-off)</td><td>0</td><td>0</td>") != std::string::npos);
  // Clopper–Pearson 1/3: 1 - 0.975^(1/3) = 0.008404 to 0.905701; 2/3: 0.094299 to 0.991596.
  CHECK(html.find("<td>if all of unknown status are alive</td><td>1/3 (33.3%; 95% CI 0.8–90.6%)</td>") != std::string::npos);
  CHECK(html.find("<td>if all of unknown status are dead</td><td>2/3 (66.7%; 95% CI 9.4–99.2%)</td>") != std::string::npos);
  CHECK(html.find("Kaplan–Meier mortality by day 30 / 90") != std::string::npos);
  CHECK(html.find("<td>50.0% (95% CI 0.0–87.5%), 1 at risk</td><td>50.0% (95% CI 0.0–87.5%), 1 at risk</td>") !=
        std::string::npos);
  // Deaths: every source, the AE's own date where it differs, and the query, flagged.
  CHECK(html.find("1 death has records to reconcile with the site") != std::string::npos);
  CHECK(html.find("<th>recorded by</th><th>to reconcile</th>") != std::string::npos);
  CHECK(html.find("death event 12; grade 5 AE R6 (dated 2026-04-14)") != std::string::npos);
  CHECK(html.find("<div class=\"query\"><strong>⚠ query: dates of death differ</strong> — the records date the death "
                  "differently (death_event event 12 on 2026-04-15, fatal_ae R6 on 2026-04-14): correct the wrong one") !=
        std::string::npos);
  // Per subject: unknown apart from pending, with why, and the last contact.
  const auto row = html.find("<tr><td>S02-0002</td><td>2026-07-01</td>");
  REQUIRE(row != std::string::npos);
  const std::string tr = html.substr(row, html.find("</tr>", row) - row);
  CHECK(tr.find("<td><span class=\"flag\">unknown</span><br><small>no discharge or contact recorded on or after "
                "2026-07-31</small></td>") != std::string::npos);
  CHECK(tr.find("<td><span class=\"flag\">unknown</span><br><small>no follow-up on or after 2026-09-29</small></td>"
                "<td>2026-07-03</td>") != std::string::npos);
  CHECK(html.find("<tr><td>S01-0002</td><td>2026-04-01</td><td><strong>died</strong></td>") != std::string::npos);
  CHECK(printed_nulls(html) == 0);

  const auto files = to_csv(m);
  const std::string surgical = csv_file(files, "surgical.csv");
  CHECK(surgical.rfind("measure,events,n,pct,ci95_low,ci95_high,pending,pending_subjects,unknown,unknown_subjects,n_risk,"
                       "median,q1,q3\r\n", 0) == 0);
  CHECK(surgical.find("\r\nmortality_30d,1,2,50.0,1.2579,98.7421,0,,1,S02-0002,,,,\r\n") != std::string::npos);
  CHECK(surgical.find("\r\nmortality_30d_if_unknown_alive,1,3,33.3,0.8404,90.5701,,,,,,,,\r\n") != std::string::npos);
  CHECK(surgical.find("\r\nmortality_30d_if_unknown_dead,2,3,66.7,9.4299,99.1596,,,,,,,,\r\n") != std::string::npos);
  CHECK(surgical.find("\r\nmortality_90d_km,,,50.0,0.0,87.4951,,,,,1,,,\r\n") != std::string::npos);
  CHECK(surgical.find("\r\nreoperation,") != std::string::npos);  // the original rows are kept
  const std::string subjects = csv_file(files, "surgical_subjects.csv");
  CHECK(subjects.find("\r\nS02-0002,2026-07-01,unknown,no discharge or contact recorded on or after 2026-07-31,") !=
        std::string::npos);
  CHECK(subjects.find(",unknown,no follow-up on or after 2026-09-29,2026-09-29,2026-07-03,IIIb,") != std::string::npos);
  const std::string deaths = csv_file(files, "deaths.csv");
  CHECK(deaths.rfind("subject,site,date,cause,days_from_enrolment,days_from_surgery,within_30_days_of_surgery,sources,"
                     "queries\r\n", 0) == 0);
  CHECK(deaths.find(",73,14,true,death_event event 12 2026-04-15; fatal_ae R6 2026-04-14,\"death_dates_differ: the "
                    "records date the death differently (death_event event 12 on 2026-04-15, fatal_ae R6 on "
                    "2026-04-14): correct the wrong one\"\r\n") != std::string::npos);
}

TEST_CASE("a report stored before vital status could be unknown renders without the new keys") {
  json m = cohort_model();
  json& s = m["surgical"];
  for (const char* k : {"mortality_30d_unknown", "mortality_90d_unknown", "mortality_30d_bounds", "mortality_90d_bounds",
                        "mortality_30d_km", "mortality_90d_km"})
    s.erase(k);
  for (auto& x : s["subjects"])
    for (const char* k : {"window30_last_day", "window90_last_day", "last_contact"}) x.erase(k);
  for (auto& d : m["deaths"]) {
    d.erase("sources");
    d.erase("queries");
  }
  CHECK(upgrade(m) == m);
  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  CHECK(html.find("1/2 (50.0%; 95% CI 1.3–98.7%)") != std::string::npos);
  CHECK(html.find("vital status unknown") == std::string::npos);
  CHECK(html.find("if all of unknown status") == std::string::npos);
  CHECK(html.find("Kaplan–Meier mortality") == std::string::npos);
  CHECK(html.find("recorded by") == std::string::npos);
  CHECK(html.find("to reconcile") == std::string::npos);
  CHECK(html.find("<tr><td>S01-0001</td><td>2026-03-10</td><td>alive</td><td>alive</td><td>–</td>") != std::string::npos);
  CHECK(printed_nulls(html) == 0);
  CHECK(html.find("</html>") != std::string::npos);

  const auto files = to_csv(m);
  const std::string surgical = csv_file(files, "surgical.csv");
  CHECK(surgical.find("\r\nmortality_30d,1,2,50.0,1.2579,98.7421,0,,,,,,,\r\n") != std::string::npos);
  CHECK(surgical.find("_if_unknown") == std::string::npos);
  CHECK(surgical.find("_km") == std::string::npos);
  CHECK(csv_file(files, "deaths.csv").find(",73,14,true,,\r\n") != std::string::npos);

  // Older still: no pending list either, and no per-subject rows.
  s.erase("mortality_30d_pending");
  s.erase("mortality_90d_pending");
  s.erase("subjects");
  const std::string bare = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  CHECK(bare.find("pending (window still open") == std::string::npos);
  CHECK(bare.find("Operated subjects") == std::string::npos);
  CHECK(printed_nulls(bare) == 0);
  CHECK(csv_file(to_csv(m), "surgical_subjects.csv") ==
        "subject,surgery,day30,day30_reason,window30_last_day,day90,day90_reason,window90_last_day,last_contact,"
        "worst_clavien_dindo,cci,reoperated,readmission_30d,postop_stay_days,margin\r\n");
}

TEST_CASE("DSMB CSV zip: every section of the HTML report has its tables, the surgical measures included") {
  const json m = build(cohort());
  const std::string html = to_html(m, {"7", "2027-01-01T08:00:00.000Z", "feed"});
  const auto files = to_csv(m);
  std::set<std::string> html_sections, csv_sections;
  for (std::size_t p = 0; (p = html.find("<section id=\"", p)) != std::string::npos;) {
    p += 13;
    html_sections.insert(html.substr(p, html.find('"', p) - p));
  }
  for (const auto& f : files) csv_sections.insert(f.section);
  REQUIRE(html_sections.size() > 10);
  for (const auto& id : html_sections) CHECK_MESSAGE(csv_sections.count(id) == 1, "no CSV for section " << id);
  for (const auto& f : files)
    CHECK_MESSAGE((f.section == "header" || html_sections.count(f.section) == 1), f.name << " names " << f.section);
  // Every HTML table whose rows the CSVs did not have before: the post-operative stay and the CCI
  // (median, quartiles), the status counts, operating characteristics, survival medians,
  // quadrant counts, subjects left out of each endpoint.
  const json& s = m["surgical"];
  const std::string surgical = csv_file(files, "surgical.csv");
  for (const char* k : {"postop_stay_days", "cci"}) {
    CAPTURE(k);
    const json& q = s[k];
    auto cell = [](const json& v) { return v.is_null() ? std::string() : v.dump(); };
    CHECK(surgical.find(std::string("\r\n") + k + ",," + cell(q["n"]) + ",,,,,,,,," + cell(q["median"]) + "," +
                        cell(q["q1"]) + "," + cell(q["q3"]) + "\r\n") != std::string::npos);
  }
  CHECK(csv_file(files, "enrolment_status.csv").find("\r\noperated,") != std::string::npos);
  CHECK(csv_file(files, "enrolment_status.csv").find("\r\nenrolment_to_surgery_days,") != std::string::npos);
  for (const char* f : {"stopping_rules_oc.csv", "survival_medians.csv", "edish_quadrants.csv", "km_excluded.csv"})
    CHECK_MESSAGE(csv_file(files, f).find("\r\n") != std::string::npos, f);
  const std::string oc = csv_file(files, "stopping_rules_oc.csv");
  std::size_t oc_rows = 0, html_oc_rows = 0;
  for (const auto& r : m["stopping_rules"]) html_oc_rows += r["operating_characteristics"].size();
  for (char c : oc) oc_rows += c == '\n';
  CHECK(oc_rows == html_oc_rows + 1);
  // The exposure section: each drug's days on drug with quartiles and 21-day cycles, and the
  // radiotherapy line (started, completed, dose, fractions) as the HTML prints them.
  auto cell = [](const json& v) { return v.is_null() ? std::string() : v.dump(); };
  const std::string exposure = csv_file(files, "exposure.csv");
  CHECK(exposure.rfind("drug,subjects_started,pct,exposure_days_total,exposure_days_median,holds,dose_changes,stopped,"
                       "exposure_days_q1,exposure_days_q3,cycles_21d_n,cycles_21d_median,cycles_21d_q1,cycles_21d_q3\r\n",
                       0) == 0);
  for (const auto& d : m["exposure"]["drugs"]) {
    CAPTURE(d["drug"]);
    const json& q = d["exposure_days"];
    const std::string head = "\r\n" + d["drug"].get<std::string>() + ",";
    const auto at_row = exposure.find(head);
    REQUIRE(at_row != std::string::npos);
    const std::string row = exposure.substr(at_row + 2, exposure.find("\r\n", at_row + 2) - at_row - 2);
    std::string tail = "," + cell(q["q1"]) + "," + cell(q["q3"]) + ",";
    if (d.contains("cycles_21d")) {
      const json& c = d["cycles_21d"];
      tail += cell(c["n"]) + "," + cell(c["median"]) + "," + cell(c["q1"]) + "," + cell(c["q3"]);
    } else {
      tail += ",,,";
    }
    CHECK(row.size() >= tail.size());
    CHECK(row.substr(row.size() - tail.size()) == tail);
  }
  const json& rt = m["exposure"]["radiotherapy"];
  const std::string radiotherapy = csv_file(files, "radiotherapy.csv");
  CHECK(radiotherapy.rfind("measure,n,pct,median,q1,q3\r\n", 0) == 0);
  CHECK(radiotherapy.find("\r\nstarted," + cell(rt["started"]["n"]) + ",") != std::string::npos);
  CHECK(radiotherapy.find("\r\ncompleted," + cell(rt["completed"]["n"]) + ",") != std::string::npos);
  for (const char* k : {"delivered_dose_gy", "fractions"}) {
    CAPTURE(k);
    const json& q = rt[k];
    CHECK(radiotherapy.find(std::string("\r\n") + k + "," + cell(q["n"]) + ",," + cell(q["median"]) + "," +
                            cell(q["q1"]) + "," + cell(q["q3"]) + "\r\n") != std::string::npos);
  }
}
