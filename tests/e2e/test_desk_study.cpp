// End-to-end: the safety desk's study page and subject page on the real daemon. Subjects,
// events and AE reports go in through the API (bearer tokens); the pages show what the API
// serves: the study page the mortality and its CI of GET /safety (the same numbers), each
// stopping rule's chart and table, the clocks due this week linking to their cases; the subject
// page its timeline (SVG with the surgery, the post-surgical windows, each AE labelled by grade)
// and the same facts as a table. Roles: the study page is the officer's; the subject page the
// officer's and its own site's.
#include <doctest/doctest.h>

#include <sstream>

#include <cstdio>

#include "desk_client.hpp"

using namespace pvmon::test;

namespace {

struct StudyDesk : Desk {
  /// Posts to the study's API as `token`; the answer must be `status`.
  json api_post(const std::string& path, const json& body, const std::string& token = "demo-site-s01",
                int status = 201) const {
    auto r = d.client().Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == status, r->body);
    return json::parse(r->body);
  }
  json api_get(const std::string& path, const std::string& token = "demo-officer") const {
    auto r = d.client().Get((std::string(kStudy) + path).c_str(), bearer(token));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  }
  void enrol(const std::string& s, const std::string& token = "demo-site-s01") const {
    api_post("/subjects", subject_body(s, day(-60)), token);
  }
  void event(const std::string& s, const json& ev) const { api_post("/subjects/" + s + "/events", ev); }

  /// S01-0001: operated 45 days ago, dead 15 days later (within 30 days). S01-0002: operated 50
  /// days ago, discharged 10 days later, alive 5 days ago (its 30-day window closed). S01-0007:
  /// operated 20 days ago, still in hospital, with a life-threatening SUSAR (a 7-day clock) and
  /// a grade 2 AE. S02-0001: site S02's.
  std::int64_t seed() const {
    enrol("S01-0001");
    event("S01-0001", {{"kind", "surgery"}, {"date", day(-45)}, {"procedure", "right hemihepatectomy"}, {"margin", "R0"}});
    event("S01-0001", {{"kind", "death"}, {"date", day(-30)}, {"cause", "liver failure"}});
    enrol("S01-0002");
    event("S01-0002", {{"kind", "surgery"}, {"date", day(-50)}, {"procedure", "left hemihepatectomy"}, {"margin", "R1"}});
    event("S01-0002", {{"kind", "discharge"}, {"date", day(-40)}});
    event("S01-0002", {{"kind", "last_known_alive"}, {"date", day(-5)}});
    enrol("S01-0007");
    event("S01-0007", {{"kind", "drug_start"}, {"date", day(-55)}, {"drug", "camrelizumab"}, {"dose", 200}, {"dose_unit", "mg"}});
    event("S01-0007", {{"kind", "surgery"}, {"date", day(-20)}, {"procedure", "right hemihepatectomy"}, {"margin", "R0"}});
    json susar = ae_body("S01-0007-AE-SUSAR");
    susar.erase("lab");
    susar["term"] = "Pneumonitis";
    susar["grade"] = 4;
    susar["onset"] = day(-3);
    susar["site_aware_at"] = hours_ago(2);
    susar["serious"]["life_threatening"] = true;
    const json rec = api_post("/ae", susar);
    REQUIRE(rec["safety"]["susar"] == true);
    json mild = ae_body("S01-0007-AE-2");
    mild.erase("lab");
    mild["term"] = "Fatigue";
    mild["grade"] = 2;
    mild["onset"] = day(-10);
    mild["site_aware_at"] = hours_ago(2);
    mild["serious"]["hospitalization"] = false;
    mild["causality"] = {{"camrelizumab", "unlikely"}, {"apatinib", "unrelated"}, {"imrt", "unrelated"}, {"surgery", "unrelated"}};
    mild["action_taken"] = json::object();
    api_post("/ae", mild);
    enrol("S02-0001", "demo-site-s02");
    return rec["id"].get<std::int64_t>();
  }
};

std::string pct(double p) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * p);
  return b;
}

/// A coordinate as the charts write it (an ostream's default: 6 significant digits).
std::string reports_num(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

/// The text between `from` and the next `to` after it ("" when absent).
std::string between(const std::string& s, const std::string& from, const std::string& to) {
  const auto a = s.find(from);
  if (a == std::string::npos) return "";
  const auto b = s.find(to, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

}  // namespace

TEST_CASE("desk study: the study page shows /safety's mortality and CI, the stopping rules and the clocks due this week") {
  StudyDesk k;
  const std::int64_t susar = k.seed();
  const json f = k.api_get("/safety");
  const std::string officer = k.session("demo-officer");
  auto r = k.get(kDesk, officer);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string& h = r->body;
  CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(h.find("<h1>") != std::string::npos);

  // 30-day mortality: one death (S01-0001) in the two closed windows; S01-0007's still open.
  const json& m30 = f["surgical_safety"]["mortality_30d"];
  REQUIRE(m30["events"] == 1);
  REQUIRE(m30["n"] == 2);
  const std::string row30 = between(h, "<th scope=\"row\">30-day</th>", "</tr>");
  REQUIRE_FALSE(row30.empty());
  CHECK(row30.find("<td>" + std::to_string(m30["events"].get<int>()) + "</td><td>" +
                   std::to_string(m30["n"].get<int>()) + "</td><td>" + pct(m30["rate"].get<double>()) + "</td><td>" +
                   pct(m30["ci95"][0].get<double>()) + " to " + pct(m30["ci95"][1].get<double>()) + "</td>") !=
        std::string::npos);
  CHECK(row30.find("S01-0007") != std::string::npos);  // pending, never a survivor
  const json& m90 = f["surgical_safety"]["mortality_90d"];
  const std::string row90 = between(h, "<th scope=\"row\">90-day</th>", "</tr>");
  REQUIRE_FALSE(row90.empty());
  CHECK(row90.find("<td>" + std::to_string(m90["events"].get<int>()) + "</td><td>" +
                   std::to_string(m90["n"].get<int>()) + "</td>") != std::string::npos);
  CHECK(h.find("<caption>Post-surgical mortality over closed windows</caption>") != std::string::npos);
  // The same rates as a chart: 1 of 2 is a bar half of the plot's 270 units, its whisker at the CI.
  const std::string chart = between(h, "<title>Post-surgical mortality with exact 95% confidence intervals</title>", "</svg>");
  REQUIRE_FALSE(chart.empty());
  CHECK(chart.find("<rect class=\"bar\" x=\"200\" y=\"13\" width=\"135\"") != std::string::npos);
  CHECK(chart.find("<path class=\"whisker\" d=\"M" + reports_num(200 + 270 * m30["ci95"][0].get<double>())) !=
        std::string::npos);
  CHECK(chart.find(">1/2 (50.0%; 95% CI " + pct(m30["ci95"][0].get<double>()) + " to " +
                   pct(m30["ci95"][1].get<double>()) + ")</text>") != std::string::npos);

  // Each stopping rule: the chart (role img, title) and its table, from /safety's boundary and path.
  REQUIRE_FALSE(f["stopping_rules"].empty());
  for (const auto& rule : f["stopping_rules"]) {
    const std::string id = rule["id"];
    CAPTURE(id);
    const std::string sec = between(h, "<section id=\"rule-" + id + "\"", "</section>");
    REQUIRE_FALSE(sec.empty());
    CHECK(sec.find("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"") != std::string::npos);
    CHECK(sec.find("<title>Stopping boundary " + id + " and the observed path</title>") != std::string::npos);
    CHECK(sec.find("<table id=\"rule-" + id + "-table\"><caption>") != std::string::npos);
    for (const auto& pt : rule["path"]) {
      const std::string n = std::to_string(pt[0].get<int>()), events = std::to_string(pt[1].get<int>());
      CHECK(between(sec, "<th scope=\"row\">" + n + "</th>", "</tr>").find("<td>" + events + "</td>") != std::string::npos);
    }
  }
  // The 30-day death rule: S01-0001 (dead within) and S01-0002 (alive at day 30), in the order
  // their windows closed.
  for (const auto& rule : f["stopping_rules"])
    if (rule["event"] == "death_30d_post_surgery") CHECK(rule["path"] == json::array({{1, 1}, {2, 1}}));

  // AE counts as /safety gives them.
  const json& ae = f["adverse_events"];
  CHECK(between(h, "<th scope=\"row\">Any AE</th>", "</tr>").find("<td>" + std::to_string(ae["any_ae"]["n"].get<int>()) + "</td>") !=
        std::string::npos);
  // ... and as charts: the proportion of enrolled subjects, and subjects by worst grade.
  const std::string ae_chart = between(h, "<title>Subjects with adverse events, % of enrolled</title>", "</svg>");
  REQUIRE_FALSE(ae_chart.empty());
  CHECK(ae_chart.find(">" + std::to_string(ae["any_ae"]["n"].get<int>()) + " (" +
                      pct(ae["any_ae"]["proportion"].get<double>()) + ")</text>") != std::string::npos);
  const std::string grade_chart = between(h, "<title>Subjects by worst CTCAE grade</title>", "</svg>");
  REQUIRE_FALSE(grade_chart.empty());
  for (int g = 1; g <= 5; ++g) {
    const json& n = ae["subjects_by_worst_grade"][std::to_string(g)];
    CAPTURE(g);
    CHECK(grade_chart.find("<title>Grade " + std::to_string(g) + ": " + std::to_string(n.get<int>()) + "</title>") !=
          std::string::npos);
    CHECK(grade_chart.find("<rect class=\"g" + std::to_string(g) + "\"") != std::string::npos);
  }

  // Clocks due this week: the SUSAR's 7-day initial report, linked to its case; its 15-day
  // complete report is not due this week.
  const std::string clocks = between(h, "<section id=\"clocks-due\">", "</section>");
  REQUIRE_FALSE(clocks.empty());
  CHECK(clocks.find("href=\"/desk/studies/hcc-pvtt-imrt/ae/" + std::to_string(susar) + "\"") != std::string::npos);
  CHECK(clocks.find("regulatory_initial") != std::string::npos);
  CHECK(clocks.find("regulatory_complete") == std::string::npos);
  CHECK(clocks.find(day(7) + "T23:59:59.999Z") != std::string::npos);

  CHECK(h.find("href=\"/desk/studies/hcc-pvtt-imrt/subjects\"") != std::string::npos);
  CHECK(h.find("href=\"/desk/inbox?study=hcc-pvtt-imrt\"") != std::string::npos);
  CHECK(h.find("<script") == std::string::npos);
}

TEST_CASE("desk study: the study page is the officer's: a site and the DSMB get 403, an unknown study 404") {
  StudyDesk k;
  for (const char* token : {"demo-site-s01", "demo-dsmb"}) {
    CAPTURE(token);
    auto r = k.get(kDesk, k.session(token));
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->body.find("role=\"alert\"") != std::string::npos);
  }
  auto none = k.get("/desk/studies/no-such-study", k.session("demo-officer"));
  REQUIRE(none);
  CHECK(none->status == 404);
  auto anon = k.d.client().Get(kDesk);
  REQUIRE(anon);
  CHECK(anon->status == 303);
  CHECK(anon->get_header_value("Location") == "/desk/sign-in");
}

TEST_CASE("desk study: the subject page draws the timeline with the surgery, the windows and each AE by grade, and lists the same facts") {
  StudyDesk k;
  const std::int64_t susar = k.seed();
  const json view = k.api_get("/subjects/S01-0007");
  const std::string officer = k.session("demo-officer");
  auto r = k.get(std::string(kDesk) + "/subjects/S01-0007", officer);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string& h = r->body;
  const std::string svg = between(h, "<svg", "</svg>");
  REQUIRE_FALSE(svg.empty());
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("<title>Timeline of subject S01-0007</title>") != std::string::npos);
  CHECK(svg.find("<desc>") != std::string::npos);
  CHECK(svg.find(">Surgery</text>") != std::string::npos);
  CHECK(svg.find(">Start camrelizumab</text>") != std::string::npos);
  // Still in the index admission: the 30-day window is open; the 90-day one ends on day 90.
  CHECK(view["surgical"]["window30_last_day"].is_null());
  CHECK(svg.find("30-day window (open)") != std::string::npos);
  CHECK(svg.find("90-day window to " + view["surgical"]["window90_last_day"].get<std::string>()) != std::string::npos);
  // Each AE: its mark says its grade in words as well as in colour.
  CHECK(svg.find("data-grade=\"4\"") != std::string::npos);
  CHECK(svg.find(">G4 Pneumonitis</text>") != std::string::npos);
  CHECK(svg.find(">G2 Fatigue</text>") != std::string::npos);

  // The same facts as a table: the surgery's date, the AE with its case link.
  const std::string table = between(h, "<table id=\"timeline-table\">", "</table>");
  REQUIRE_FALSE(table.empty());
  CHECK(table.find("<caption>") != std::string::npos);
  CHECK(table.find("<th scope=\"row\">" + day(-20) + "</th><td>surgery</td>") != std::string::npos);
  CHECK(table.find("<a href=\"/desk/studies/hcc-pvtt-imrt/ae/" + std::to_string(susar) + "\">G4 Pneumonitis</a>") !=
        std::string::npos);
  CHECK(table.find("90-day window to " + view["surgical"]["window90_last_day"].get<std::string>()) != std::string::npos);
  // The AE reports list of the view, each linked to its case page.
  const std::string reports = between(h, "<table id=\"ae-reports-table\">", "</table>");
  CHECK(reports.find(">S01-0007-AE-SUSAR</a>") != std::string::npos);
  CHECK(reports.find("Grade 4") != std::string::npos);
  // The officer records nothing here.
  CHECK(h.find("Record an event") == std::string::npos);

  // S01-0002: discharged on day 10, so its 30-day window closed on day 30 (the view's last day).
  auto closed = k.get(std::string(kDesk) + "/subjects/S01-0002", officer);
  REQUIRE(closed);
  REQUIRE(closed->status == 200);
  const json v2 = k.api_get("/subjects/S01-0002");
  REQUIRE(v2["surgical"]["window30_last_day"] == day(-20));
  CHECK(closed->body.find("30-day window to " + day(-20)) != std::string::npos);
  CHECK(closed->body.find(">Discharge</text>") != std::string::npos);
}

TEST_CASE("desk study: the subject page for its own site with the site's links; another site 404 as the API, the DSMB 403, an unknown subject 404") {
  StudyDesk k;
  k.seed();
  const std::string s01 = k.session("demo-site-s01");
  auto own = k.get(std::string(kDesk) + "/subjects/S01-0007", s01);
  REQUIRE(own);
  CHECK(own->status == 200);
  CHECK(own->body.find("href=\"/desk/studies/hcc-pvtt-imrt/subjects/S01-0007/events/new\">Record an event</a>") !=
        std::string::npos);
  CHECK(own->body.find("href=\"/desk/studies/hcc-pvtt-imrt/ae/new?subject=S01-0007\">File an AE report</a>") !=
        std::string::npos);

  const std::string s02 = k.session("demo-site-s02");
  auto other = k.get(std::string(kDesk) + "/subjects/S01-0007", s02);
  REQUIRE(other);
  CHECK(other->status == 404);  // as the API: the same answer as a subject that does not exist
  CHECK(other->body.find("G4 Pneumonitis") == std::string::npos);
  auto mine = k.get(std::string(kDesk) + "/subjects/S02-0001", s02);
  REQUIRE(mine);
  CHECK(mine->status == 200);

  auto dsmb = k.get(std::string(kDesk) + "/subjects/S01-0007", k.session("demo-dsmb"));
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);

  for (const std::string& cookie : {k.session("demo-officer"), s01}) {
    auto none = k.get(std::string(kDesk) + "/subjects/S01-9999", cookie);
    REQUIRE(none);
    CHECK(none->status == 404);
  }
  auto no_study = k.get("/desk/studies/no-such-study/subjects/S01-0007", s01);
  REQUIRE(no_study);
  CHECK(no_study->status == 404);
}
