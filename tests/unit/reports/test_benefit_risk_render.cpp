// The benefit–risk section and disease-free survival as the CSV and HTML renderers print them:
// a model built from a small cohort, with `benefit_risk` and `time_to_event`'s DFS keys set by
// hand in the shape the model builder writes, and the same model without them (a report
// stored before they were kept).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pvmon/reports.hpp"

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

/// Five subjects enrolled and treated on 2026-01-01, days to death (D) or last known alive (+):
/// 30 D, 100 D, 100+, 200 D, 300+ (OS at risk at 0, 3, 6, 9 months: 5, 4, 2, 1).
json built_model() {
  Input in;
  in.study = "five";
  in.title = "Five";
  in.cutoff = t("2027-06-01T23:59:59.999Z");
  in.as_of = t("2027-06-02T08:00:00Z");
  const std::vector<std::pair<int, bool>> obs = {{30, true}, {100, true}, {100, false}, {200, true}, {300, false}};
  int k = 0;
  for (const auto& [days, died] : obs) {
    const Date enrolled = d("2026-01-01");
    const std::string date = format_date(enrolled.plus_days(days));
    in.subjects.push_back({"F" + std::to_string(k++), "S01", enrolled,
                           {ev("radiotherapy_start", "2026-01-01"),
                            died ? ev("death", date.c_str(), {{"cause", "x"}}) : ev("last_known_alive", date.c_str())},
                           {}});
  }
  // As the daemon does before building (service/dsmb_report.cpp): the courses, the AE counts,
  // the surgical figures and the endpoints.
  in.ae_counts = safety::count_aes(in.reports, in.tables);
  std::vector<safety::SubjectFacts> facts;
  std::vector<safety::SubjectCourse> courses;
  for (auto& s : in.subjects) {
    s.course = safety::subject_course(s.subject, s.enrolled, s.events, {}, in.cutoff.date());
    facts.push_back(s.course.facts);
    courses.push_back(s.course);
  }
  in.surgical = safety::surgical_safety(facts, in.cutoff.date());
  in.endpoints = safety::endpoints(courses, in.cutoff.date());
  return build(std::move(in));
}

/// The same model as a report stored under schema 3 had it: time from enrolment, no DFS, no
/// benefit–risk section.
json old_model() {
  json m = built_model();
  m.erase("benefit_risk");
  m["time_to_event"].erase("disease_free_survival");
  m["time_to_event"].erase("excluded");
  m["time_to_event"]["time_unit"] = "days from enrolment";
  m["header"]["schema"] = "pvmon.dsmb-report/3";
  return m;
}

json row(const char* endpoint, const char* label, const char* kind, int events, int n, json rate, json ci95,
         json n_risk, json missing) {
  json r{{"endpoint", endpoint}, {"label", label}, {"kind", kind},    {"events", events},
         {"n", n},               {"rate", rate},   {"ci95", ci95},    {"missing", missing},
         {"definition", std::string("Definition of ") + endpoint + " <by protocol>"}};
  if (std::string(kind) == "km") r["n_risk"] = n_risk;
  return r;
}

json time(int days, bool event, const char* ref) { return {{"days", days}, {"event", event}, {"ref", ref}}; }

/// The model with DFS (here the OS estimate again, so its rows are known) and the benefit–risk
/// section: 1-year DFS not yet estimable, every other row with its CI; a subject id with "<".
json new_model() {
  json m = built_model();
  json& tte = m["time_to_event"];
  tte["disease_free_survival"] = tte["overall_survival"];
  tte["time_unit"] = "days from the start of study treatment; disease-free survival from the index hepatectomy";
  tte["excluded"] = {{"overall_survival", {"S01-<0101>"}},
                     {"event_free_survival", {"S01-<0101>"}},
                     {"disease_free_survival", {"S01-<0101>", "S02-0007"}}};
  json br;
  br["open_session"] = true;
  br["note"] = "Open-session data: pooled, no comparison between arms.";
  br["cutoff"] = "2027-06-01";
  br["time_zero"] = "start of study treatment; DFS from the index hepatectomy";
  br["enrolled"] = 40;
  br["treated"] = 39;
  br["operated"] = 35;
  br["not_treated"] = {"S01-<0101>"};
  br["primary_endpoint"] = {{"endpoint", "efs_1_year"},
                            {"label", "1-year event-free survival rate"},
                            {"months", 12},
                            {"days", 365.25},
                            {"n", 39},
                            {"events", 8},
                            {"rate", 0.78},
                            {"ci95", {0.61, 0.88}},
                            {"n_risk", 20},
                            {"ci", "Greenwood variance, log transform (R survfit default)"},
                            {"definition", "EFS at 12 months from the start of study treatment."}};
  br["benefit"] = {
      row("efs_1_year", "1-year event-free survival rate", "km", 8, 39, 0.78, {0.61, 0.88}, 20, nullptr),
      row("os_1_year", "1-year overall survival rate", "km", 4, 39, 0.9, {0.77, 0.96}, 22, nullptr),
      row("dfs_1_year", "1-year disease-free survival rate", "km", 2, 35, nullptr, nullptr, nullptr, nullptr),
      row("orr", "Objective response rate (CR + PR)", "proportion", 10, 34, 0.294118, {0.151011, 0.474983}, nullptr, 5),
      row("mpr", "Major pathological response", "proportion", 12, 33, 0.363636, {0.204, 0.549}, nullptr, 2),
      row("r0", "R0 resection", "proportion", 32, 35, 0.914286, {0.769, 0.982}, nullptr, 0)};
  br["risk"] = {row("grade_3_or_more", "Grade 3 or more AE", "proportion", 18, 40, 0.45, {0.293, 0.615}, nullptr, 0),
                row("serious", "Serious AE", "proportion", 9, 40, 0.225, {0.108, 0.385}, nullptr, 0),
                row("mortality_30d", "30-day postoperative mortality", "proportion", 1, 33, 0.030303,
                    {0.000767, 0.157595}, nullptr, 2),
                row("mortality_90d", "90-day postoperative mortality", "proportion", 2, 30, 0.066667,
                    {0.008178, 0.220735}, nullptr, 5)};
  br["survival"] = {
      {"efs", {{"n", 39}, {"events", 8}, {"median_months", 14.2}, {"median_ci95_months", {9.1, nullptr}},
               {"median_follow_up_months", 10.5}}},
      {"os", {{"n", 39}, {"events", 4}, {"median_months", nullptr}, {"median_ci95_months", {nullptr, nullptr}},
              {"median_follow_up_months", 10.9}}},
      {"dfs", {{"n", 35}, {"events", 2}, {"median_months", nullptr}, {"median_ci95_months", {nullptr, nullptr}},
               {"median_follow_up_months", nullptr}}}};
  br["best_overall_response"] = {{"CR", 0},        {"PR", 10},           {"SD", 20},
                                 {"PD", 3},        {"NE", 1},            {"assessed", 34},
                                 {"not_assessed", 5}, {"not_assessed_subjects", {"S01-<0101>", "S02-0003", "S02-0004", "S03-0001", "S03-0002"}}};
  br["pathology_missing"] = {"S02-0009", "S03-0004"};
  br["stopping_rules"] = {{{"id", "mort30"}, {"event", "death within 30 days"}, {"evaluable", 12}, {"events", 1}, {"crossed", false}},
                          {{"id", "g3"}, {"event", "grade 3+ related"}, {"evaluable", 20}, {"events", 7}, {"crossed", true}}};
  br["subjects"] = {
      {{"subject", "S01-<0101>"}, {"treatment_start", nullptr}, {"operated", false}, {"os", nullptr}, {"efs", nullptr},
       {"dfs", nullptr}, {"best_response", nullptr}, {"assessments", 0}, {"viable_tumour_percent", nullptr},
       {"mpr", nullptr}, {"margin", nullptr}, {"other_progressions", json::array()}},
      {{"subject", "S01-0102"}, {"treatment_start", "2026-02-03"}, {"operated", true},
       {"os", time(410, false, "")}, {"efs", time(120, true, "death (event 12)")}, {"dfs", time(60, true, "death (event 12)")},
       {"best_response", "PR"}, {"assessments", 2}, {"viable_tumour_percent", 5.0}, {"mpr", true}, {"margin", "R0"},
       {"other_progressions", {"event 14 (progression, clinical)", "event 15 (relapse, imaging)"}}}};
  m["benefit_risk"] = br;
  return m;
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

const HtmlMeta kMeta{"1", "2027-06-02T09:00:00.000Z", "feed"};

}  // namespace

TEST_CASE("benefit–risk CSV: the rows in percent with their CI, null rates empty, responses and subjects") {
  const auto files = to_csv(new_model());
  const std::string br = file(files, "benefit_risk.csv");
  CHECK(br.rfind("group,endpoint,label,kind,events,n,estimate,ci95_low,ci95_high,n_risk,missing\r\n", 0) == 0);
  CHECK(std::count(br.begin(), br.end(), '\n') == 11);  // the header, 6 benefit rows, 4 risk rows
  CHECK(br.find("\r\nbenefit,efs_1_year,1-year event-free survival rate,km,8,39,78.0,61.0,88.0,20,\r\n") !=
        std::string::npos);
  // Not estimable: no estimate, no limits, no number at risk.
  CHECK(br.find("\r\nbenefit,dfs_1_year,1-year disease-free survival rate,km,2,35,,,,,\r\n") != std::string::npos);
  CHECK(br.find("\r\nbenefit,orr,Objective response rate (CR + PR),proportion,10,34,29.4,15.1011,47.4983,,5\r\n") !=
        std::string::npos);
  CHECK(br.find("\r\nrisk,mortality_30d,30-day postoperative mortality,proportion,1,33,3.0,0.0767,15.7595,,2\r\n") !=
        std::string::npos);
  // Benefits first, then risks, in the model's order.
  CHECK(br.find("\r\nbenefit,r0,") < br.find("\r\nrisk,grade_3_or_more,"));
  CHECK(br.find("\r\nrisk,mortality_30d,") < br.find("\r\nrisk,mortality_90d,"));

  CHECK(file(files, "best_response.csv") == "response,subjects\r\nCR,0\r\nPR,10\r\nSD,20\r\nPD,3\r\nNE,1\r\nnot_assessed,5\r\n");

  CHECK(file(files, "efficacy_subjects.csv") ==
        "subject,treatment_start,operated,efs_days,efs_event,os_days,os_event,dfs_days,dfs_event,best_response,"
        "assessments,viable_tumour_percent,mpr,margin,other_progressions\r\n"
        "S01-<0101>,,false,,,,,,,,0,,,,\r\n"
        "S01-0102,2026-02-03,true,120,true,410,false,60,true,PR,2,5.0,true,R0,"
        "\"event 14 (progression, clinical); event 15 (relapse, imaging)\"\r\n");
}

TEST_CASE("disease-free survival CSV: its own step function and estimates, and DFS rows by OS and EFS") {
  const auto files = to_csv(new_model());
  CHECK(file(files, "km_dfs.csv") == file(files, "km_os.csv"));  // the same estimate here
  CHECK(file(files, "km_dfs.csv").find("\r\n100.0,3.2854,4,1,1,0.6,0.2191,0.2933,1.0\r\n") != std::string::npos);
  CHECK(file(files, "km_dfs_at.csv") == "months,survival,n_risk,ci95_low,ci95_high\r\n6,0.6,2,0.2933,1.0\r\n12,,,,\r\n24,,,,\r\n");
  CHECK(file(files, "km_at_risk.csv") == "endpoint,months,n_risk\r\nOS,0,5\r\nOS,3,4\r\nOS,6,2\r\nOS,9,1\r\n"
                                         "EFS,0,5\r\nEFS,3,4\r\nEFS,6,2\r\nEFS,9,1\r\n"
                                         "DFS,0,5\r\nDFS,3,4\r\nDFS,6,2\r\nDFS,9,1\r\n");
  const std::string fu = file(files, "km_median_follow_up.csv");
  CHECK(fu.find("\r\nOS,300.0,9.8563,100.0,,3.2854,\r\n") != std::string::npos);
  CHECK(fu.find("\r\nDFS,300.0,9.8563,100.0,,3.2854,\r\n") != std::string::npos);
}

TEST_CASE("a report stored before benefit–risk and DFS: the new CSV files have their header alone") {
  const json m = old_model();
  REQUIRE_FALSE(m.contains("benefit_risk"));
  REQUIRE_FALSE(m["time_to_event"].contains("disease_free_survival"));
  const auto files = to_csv(m);
  CHECK(file(files, "benefit_risk.csv") == "group,endpoint,label,kind,events,n,estimate,ci95_low,ci95_high,n_risk,missing\r\n");
  CHECK(file(files, "best_response.csv") == "response,subjects\r\n");
  CHECK(file(files, "efficacy_subjects.csv") ==
        "subject,treatment_start,operated,efs_days,efs_event,os_days,os_event,dfs_days,dfs_event,best_response,"
        "assessments,viable_tumour_percent,mpr,margin,other_progressions\r\n");
  CHECK(file(files, "km_dfs.csv") == "days,months,n_risk,n_event,n_censor,survival,std_err,ci95_low,ci95_high\r\n");
  CHECK(file(files, "km_dfs_at.csv") == "months,survival,n_risk,ci95_low,ci95_high\r\n");
  CHECK(file(files, "km_at_risk.csv").find("DFS") == std::string::npos);
  CHECK(file(files, "km_median_follow_up.csv").find("DFS") == std::string::npos);

  const std::string html = to_html(m, kMeta);
  CHECK(html.find("<h2>Benefit–risk (open session)</h2>") != std::string::npos);
  CHECK(html.find("Benefit–risk: not in this report") != std::string::npos);
  CHECK(html.find("class=\"open-session\"") == std::string::npos);
  CHECK(html.find("disease-free survival") == std::string::npos);
  CHECK(html.find("months from enrolment") != std::string::npos);  // its time zero
  CHECK(html.find("Time: days from enrolment.") != std::string::npos);
  CHECK(printed_nulls(html) == 0);
  CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("benefit–risk HTML: open-session section before the stopping rules, primary endpoint, chart, tables") {
  const std::string html = to_html(new_model(), kMeta);
  CHECK(html.find("<h2>Benefit–risk (open session)</h2>") != std::string::npos);
  CHECK(html.find("id=\"benefit-risk\"") < html.find("id=\"stopping\""));
  CHECK(html.find("<p class=\"open-session\"><strong>Open session</strong> — Open-session data: pooled, no comparison "
                  "between arms.</p>") != std::string::npos);
  CHECK(html.find("1-year EFS 78.0% (95% CI 61.0–88.0%), 20 at risk at 12 months, 8 events in 39 treated subjects.") !=
        std::string::npos);

  // The chart: one whisker and one dot per estimable row (9 of 10), the 1-year DFS named but
  // not drawn; benefits as circles, risks as diamonds, in two labelled groups.
  const std::string chart = between(html, "<title>Benefit and risk estimates", "</svg>");
  REQUIRE_FALSE(chart.empty());
  CHECK(occurrences(chart, "class=\"whisker\"") == 9);
  CHECK(occurrences(chart, "class=\"dot\"") == 9);
  CHECK(occurrences(chart, "<g class=\"estimate benefit\">") == 5);
  CHECK(occurrences(chart, "<g class=\"estimate risk\">") == 4);
  CHECK(occurrences(chart, "<circle class=\"dot\"") == 5);
  CHECK(occurrences(chart, ">not estimable</text>") == 1);
  CHECK(chart.find(">1-year DFS</text><text class=\"not-estimable\"") != std::string::npos);
  CHECK(chart.find(">Benefit (higher is better)</text>") < chart.find(">Risk (lower is better)</text>"));
  CHECK(chart.find(">100%</text>") != std::string::npos);
  CHECK(chart.find(">78.0% (61.0–88.0%)</text>") != std::string::npos);

  // The table of rows, the responses, the medians, the rules, the subjects.
  CHECK(html.find("<td>risk</td><td>30-day postoperative mortality<br><small>Definition of mortality_30d &lt;by "
                  "protocol&gt;</small></td><td>1/33</td><td>3.0%</td><td>0.1–15.8%</td><td>2</td>") != std::string::npos);
  CHECK(html.find("<td>8 events in 39; 20 at risk</td><td>78.0%</td><td>61.0–88.0%</td><td>–</td>") != std::string::npos);
  CHECK(html.find("<td>2 events in 35</td><td><span class=\"none\">not estimable</span></td><td>–</td>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>PR — partial response</td><td>10</td><td>29.4%</td></tr>") != std::string::npos);
  CHECK(html.find("S01-&lt;0101&gt;, S02-0003, S02-0004") != std::string::npos);
  CHECK(html.find("<tr><td>EFS</td><td>39</td><td>8</td><td>14.2 (95% CI 9.1 to not reached)</td><td>10.5</td></tr>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>DFS</td><td>35</td><td>2</td><td>not reached (95% CI not reached to not reached)</td>"
                  "<td>not reached</td></tr>") != std::string::npos);
  CHECK(html.find("<li><strong>mort30</strong> (death within 30 days): 1 event in 12 evaluable subjects — boundary not "
                  "crossed</li>") != std::string::npos);
  CHECK(html.find("<li><strong>g3</strong> (grade 3+ related): 7 events in 20 evaluable subjects — <span "
                  "class=\"crossed\">boundary crossed</span></li>") != std::string::npos);
  CHECK(html.find("<tr><td>S01-0102</td><td>2026-02-03</td><td>120 <strong>event</strong><br><small>death (event "
                  "12)</small></td><td>410 censored</td>") != std::string::npos);
  CHECK(html.find("<td>5.0</td><td>yes</td><td>R0</td><td>event 14 (progression, clinical); event 15 (relapse, "
                  "imaging)</td>") != std::string::npos);
  CHECK(html.find("<tr><td>S01-&lt;0101&gt;</td><td>–</td><td><span class=\"none\">not treated</span></td>") !=
        std::string::npos);
  CHECK(html.find("<span class=\"none\">not operated</span>") != std::string::npos);

  // Escaped: the subject id, the definitions.
  CHECK(html.find("<0101>") == std::string::npos);
  CHECK(html.find("<by protocol>") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(printed_nulls(html) == 0);
  CHECK(occurrences(html, "<svg") == occurrences(html, "</svg>"));
}

TEST_CASE("benefit–risk HTML: a primary endpoint not yet estimable says so") {
  json m = new_model();
  json& pe = m["benefit_risk"]["primary_endpoint"];
  pe["rate"] = nullptr;
  pe["ci95"] = nullptr;
  pe["n_risk"] = nullptr;
  pe["events"] = 1;
  const std::string html = to_html(m, kMeta);
  CHECK(html.find("1-year EFS <strong>not yet estimable</strong> (no follow-up reaches 12 months), 1 event in 39 "
                  "treated subjects.") != std::string::npos);
  CHECK(printed_nulls(html) == 0);
}

TEST_CASE("disease-free survival HTML: its own chart from the hepatectomy, its estimates, the subjects left out") {
  const std::string html = to_html(new_model(), kMeta);
  CHECK(html.find("<p class=\"meta\">Time: days from the start of study treatment; disease-free survival from the "
                  "index hepatectomy.</p>") != std::string::npos);
  // OS and EFS from the start of treatment; DFS on a chart of its own, from the hepatectomy.
  const std::string os_efs = between(html, "<title>Kaplan–Meier estimates of overall and event-free survival", "</svg>");
  CHECK(os_efs.find(">months from the start of study treatment</text>") != std::string::npos);
  CHECK(os_efs.find("data-endpoint=\"DFS\"") == std::string::npos);
  const std::string dfs = between(html, "<title>Kaplan–Meier estimate of disease-free survival", "</svg>");
  REQUIRE_FALSE(dfs.empty());
  CHECK(dfs.find(">months from the index hepatectomy</text>") != std::string::npos);
  CHECK(dfs.find("<path class=\"dfs\"") != std::string::npos);
  CHECK(dfs.find("data-endpoint=\"DFS\"") != std::string::npos);
  CHECK(html.find("Median follow-up (reverse Kaplan–Meier, Schemper &amp; Smith 1996): disease-free survival 9.9 months") !=
        std::string::npos);
  CHECK(html.find("<tr><td>DFS</td><td>6</td><td>60.0%</td><td>2</td><td>29.3–100.0%</td></tr>") != std::string::npos);
  CHECK(html.find("<tr><td>OS</td><td>1: S01-&lt;0101&gt;</td><td>never treated (no start of study treatment)</td></tr>") !=
        std::string::npos);
  CHECK(html.find("<tr><td>DFS</td><td>2: S01-&lt;0101&gt;, S02-0007</td><td>not operated (no index "
                  "hepatectomy)</td></tr>") != std::string::npos);
}
