// End-to-end (issue 24, the protocol's endpoints): a trial built through the HTTP API with
// treatment starts, response assessments, surgeries, pathology and relapses, then the endpoints
// asked of /safety, the DSMB report's JSON and its CSV tables: one set of values.
//
//   P1  drug 396 days ago, radiotherapy 395; assessment 370: primary PR, PVTT III -> II (PR);
//       surgery 350 R0, pathology 5 % viable R0; alive 10 days ago     EFS/OS 386 censored, DFS 340 censored
//   P2  drug 298; assessment 270: primary SD, PVTT II -> III (PD): overall PD; progression by
//       mRECIST 268; alive 100 days ago                                EFS 28 event, OS 198 censored
//   P3  never treated (withdrew)                                        in no endpoint
//   P4  radiotherapy 195; assessment 160: primary CR, PVTT II -> none (CR); surgery 150 R0,
//       pathology 0 % viable R1 (the pathology's margin counts); relapse by mRECIST 60 days
//       ago; alive 5 days ago                                          EFS 135 event, DFS 90 event, OS 190 censored
//   P5  drug 118, no assessment; alive 3 days ago                       EFS/OS 115 censored
//
// Worked figures (R: library(survival)):
//   EFS: times 386+, 28, 135, 115+: summary(survfit(Surv(c(386, 28, 135, 115), c(0, 1, 1, 0)) ~ 1),
//   times = 365.25): S 0.375, n.risk 1, log CI 0.083929638-1.
//   ORR 2/3 (CR + PR of CR, PR, PD): binom.test(2, 3)$conf.int 0.094299-0.991596.
//   MPR 2/2 (5 % and 0 %): 0.158114-1. R0 1/2 (P4's pathology says R1): 0.012579-0.987421.
//   DFS: 90 event, 340+: S(90) 0.5; 12 months past the last observation.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

const std::string P1 = "S01-00P1", P2 = "S01-00P2", P3 = "S01-00P3", P4 = "S01-00P4", P5 = "S01-00P5";

struct Trial {
  TempDir tmp;
  Daemon d{write_config(tmp.path), tmp.path / "data"};
  Trial() { d.start(); }

  httplib::Result post(const std::string& path, const json& body, const std::string& token = "demo-site-s01") {
    return d.client().Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(), "application/json");
  }
  std::string get_text(const std::string& path, const std::string& token = "demo-dsmb") {
    auto r = d.client().Get((std::string(kStudy) + path).c_str(), bearer(token));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, (path + ": " + r->body));
    return r->body;
  }
  json get(const std::string& path, const std::string& token = "demo-dsmb") { return json::parse(get_text(path, token)); }
  void enrol(const std::string& s, int days_ago) {
    auto r = post("/subjects", subject_body(s, day(-days_ago)));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
  }
  void event(const std::string& s, json ev) {
    auto r = post("/subjects/" + s + "/events", ev);
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, (s + ": " + r->body));
  }
};

json at(const char* kind, int days_ago, json fields = json::object()) {
  fields["kind"] = kind;
  fields["date"] = day(-days_ago);
  return fields;
}
json drug(int days_ago) { return at("drug_start", days_ago, {{"drug", "camrelizumab"}, {"dose", 200}, {"dose_unit", "mg"}}); }
json surgery(int days_ago) { return at("surgery", days_ago, {{"procedure", "hepatectomy with thrombectomy"}, {"margin", "R0"}}); }

/// CSV rows (no quoted cells in this table's numbers) keyed by the column `key`.
std::map<std::string, std::map<std::string, std::string>> rows_by(const std::string& text, const std::string& key) {
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else cell += ch;
    }
    cells.push_back(cell);
    return cells;
  };
  std::vector<std::string> lines;
  for (std::size_t from = 0, at; (at = text.find("\r\n", from)) != std::string::npos; from = at + 2)
    lines.push_back(text.substr(from, at - from));
  REQUIRE(!lines.empty());
  const auto head = split(lines[0]);
  std::map<std::string, std::map<std::string, std::string>> out;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i]);
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < head.size() && c < cells.size(); ++c) row[head[c]] = cells[c];
    out[row[key]] = row;
  }
  return out;
}

double num(const std::string& s) { return std::stod(s); }

}  // namespace

TEST_CASE("the protocol's endpoints: one set of values in /safety, the DSMB report and its CSV") {
  Trial t;
  t.enrol(P1, 400);
  t.event(P1, drug(396));
  t.event(P1, at("radiotherapy_start", 395));
  t.event(P1, at("response_assessment", 370, {{"primary", "PR"}, {"pvtt_before", "III"}, {"pvtt_now", "II"}}));
  t.event(P1, surgery(350));
  t.event(P1, at("pathology", 350, {{"viable_tumour_percent", 5}, {"margin", "R0"}}));
  t.event(P1, at("discharge", 340));
  t.event(P1, at("last_known_alive", 10));

  t.enrol(P2, 300);
  t.event(P2, drug(298));
  t.event(P2, at("response_assessment", 270, {{"primary", "SD"}, {"pvtt_before", "II"}, {"pvtt_now", "III"}}));
  t.event(P2, at("progression", 268, {{"criteria", "mRECIST"}}));
  t.event(P2, at("last_known_alive", 100));

  t.enrol(P3, 250);
  t.event(P3, at("withdrawal", 240, {{"reason", "consent withdrawn before treatment"}}));

  t.enrol(P4, 200);
  t.event(P4, at("radiotherapy_start", 195));
  t.event(P4, at("response_assessment", 160, {{"primary", "CR"}, {"pvtt_before", "II"}, {"pvtt_now", "none"}}));
  t.event(P4, surgery(150));
  t.event(P4, at("pathology", 150, {{"viable_tumour_percent", 0}, {"margin", "R1"}}));
  t.event(P4, at("discharge", 140));
  t.event(P4, at("relapse", 60, {{"criteria", "mRECIST"}}));
  t.event(P4, at("last_known_alive", 5));

  t.enrol(P5, 120);
  t.event(P5, drug(118));
  t.event(P5, at("last_known_alive", 3));

  // What the site may not enter, each refused with the field named and nothing stored.
  auto overall = t.post("/subjects/" + P5 + "/events",
                        at("response_assessment", 50, {{"primary", "SD"}, {"portal_flow_restored", true}, {"overall", "PR"}}));
  REQUIRE(overall);
  CHECK(overall->status == 422);
  CHECK(overall->body.find("\"overall\"") != std::string::npos);
  auto late = t.post("/subjects/" + P1 + "/events", at("response_assessment", 340, {{"primary", "SD"}, {"portal_flow_restored", false}}));
  REQUIRE(late);
  CHECK(late->status == 422);
  CHECK(late->body.find("the tumour is resected then") != std::string::npos);
  auto report_day = t.post("/subjects/" + P4 + "/events", at("pathology", 149, {{"viable_tumour_percent", 3}, {"margin", "R0"}}));
  REQUIRE(report_day);
  CHECK(report_day->status == 422);

  // ---- one (cut-off, as-of) pair for every view -------------------------------------------
  auto made = t.post("/dsmb-reports", json::object(), "demo-officer");
  REQUIRE(made);
  REQUIRE_MESSAGE(made->status == 201, made->body);
  const json row = json::parse(made->body);
  const std::string id = std::to_string(row["id"].get<int>());
  const std::string pair = "cutoff=" + row["data_cutoff"].get<std::string>() + "&as_of=" + row["as_of"].get<std::string>();
  const json model = t.get("/dsmb-reports/" + id + "?format=json");
  const json safety = t.get("/safety?" + pair);
  const json& br = safety["benefit_risk"];
  CHECK(br == model["benefit_risk"]);  // the same figures, to the last key
  CHECK(br["open_session"] == true);
  CHECK(br["enrolled"] == 5);
  CHECK(br["treated"] == 4);
  CHECK(br["operated"] == 2);
  CHECK(br["not_treated"] == json::array({P3}));

  // The primary endpoint: 1-year EFS 0.375 (0.0839-1), 1 at risk, 2 events in 4 treated.
  const json& pe = br["primary_endpoint"];
  CHECK(pe["n"] == 4);
  CHECK(pe["events"] == 2);
  CHECK(pe["n_risk"] == 1);
  CHECK(pe["rate"].get<double>() == doctest::Approx(0.375));
  CHECK(pe["ci95"][0].get<double>() == doctest::Approx(0.0839).epsilon(1e-3));
  CHECK(pe["ci95"][1].get<double>() == doctest::Approx(1.0));
  // The same point in the time-to-event section (from the start of treatment).
  const json& efs12 = model["time_to_event"]["event_free_survival"]["at"][1];
  CHECK(efs12["months"] == 12);
  CHECK(efs12["survival"] == pe["rate"]);
  CHECK(efs12["n_risk"] == pe["n_risk"]);
  CHECK(efs12["ci95"] == pe["ci95"]);
  CHECK(model["time_to_event"]["excluded"]["event_free_survival"] == json::array({P3}));
  CHECK(model["time_to_event"]["excluded"]["disease_free_survival"] == json::array({P2, P3, P5}));

  std::map<std::string, json> rows;
  for (const auto& r : br["benefit"]) rows[r["endpoint"].get<std::string>()] = r;
  for (const auto& r : br["risk"]) rows[r["endpoint"].get<std::string>()] = r;
  CHECK(rows["orr"]["events"] == 2);
  CHECK(rows["orr"]["n"] == 3);
  CHECK(rows["orr"]["missing"] == 1);
  CHECK(rows["orr"]["ci95"][0].get<double>() == doctest::Approx(0.094299).epsilon(1e-4));
  CHECK(rows["mpr"]["events"] == 2);
  CHECK(rows["mpr"]["n"] == 2);
  CHECK(rows["mpr"]["ci95"][0].get<double>() == doctest::Approx(0.158114).epsilon(1e-4));
  CHECK(rows["r0"]["events"] == 1);
  CHECK(rows["r0"]["n"] == 2);
  CHECK(model["surgical"]["r0_resection"]["events"] == 1);  // the same R0 figure in the surgical section
  CHECK(rows["dfs_1_year"]["n"] == 2);
  CHECK(rows["dfs_1_year"]["events"] == 1);
  CHECK(rows["dfs_1_year"]["rate"].is_null());  // 12 months is past DFS's last observation
  CHECK(rows["grade_3_or_more"]["n"] == 5);
  const json& bor = br["best_overall_response"];
  CHECK(bor["CR"] == 1);
  CHECK(bor["PR"] == 1);
  CHECK(bor["PD"] == 1);
  CHECK(bor["not_assessed_subjects"] == json::array({P5}));
  std::map<std::string, json> subjects;
  for (const auto& s : br["subjects"]) subjects[s["subject"].get<std::string>()] = s;
  CHECK(subjects[P1]["efs"] == json{{"days", 386}, {"event", false}, {"ref", ""}});
  CHECK(subjects[P2]["efs"]["days"] == 28);
  CHECK(subjects[P2]["efs"]["event"] == true);
  CHECK(subjects[P4]["dfs"]["days"] == 90);
  CHECK(subjects[P4]["margin"] == "R1");
  CHECK(subjects[P3]["efs"].is_null());

  // The CSV tables of the same stored report give the same values.
  const auto csv = rows_by(t.get_text("/dsmb-reports/" + id + "?format=csv&table=benefit_risk"), "endpoint");
  for (const auto& [name, r] : rows) {
    CAPTURE(name);
    REQUIRE(csv.count(name) == 1);
    const auto& c = csv.at(name);
    CHECK(c.at("events") == std::to_string(r["events"].get<int>()));
    CHECK(c.at("n") == std::to_string(r["n"].get<int>()));
    if (r["rate"].is_null()) {
      CHECK(c.at("estimate").empty());
    } else {
      // Percentages in the CSV (the estimate to one decimal, its limits to four).
      CHECK(std::abs(num(c.at("estimate")) - 100 * r["rate"].get<double>()) <= 0.05);
      CHECK(num(c.at("ci95_low")) == doctest::Approx(100 * r["ci95"][0].get<double>()).epsilon(1e-4));
    }
  }
  const auto efs_at = rows_by(t.get_text("/dsmb-reports/" + id + "?format=csv&table=km_efs_at"), "months");
  CHECK(num(efs_at.at("12").at("survival")) == doctest::Approx(0.375));
  CHECK(efs_at.at("12").at("n_risk") == "1");
  const auto subj = rows_by(t.get_text("/dsmb-reports/" + id + "?format=csv&table=efficacy_subjects"), "subject");
  CHECK(subj.at(P4).at("dfs_days") == "90");
  CHECK(subj.at(P4).at("best_response") == "CR");

  // The subject view carries the margins query; the death reconciliation alert does not.
  const json p4 = t.get("/subjects/" + P4, "demo-officer");
  bool margin_query = false;
  for (const auto& q : p4["course"]["queries"]) margin_query = margin_query || q["kind"] == "margins_differ";
  CHECK(margin_query);
  // Its efficacy block: the responses derived by the protocol's rule, never entered.
  const json& x = p4["efficacy"];
  CHECK(x["treatment_start"] == day(-195));
  REQUIRE(x["assessments"].size() == 1);
  CHECK(x["assessments"][0]["pvtt"] == "PR");  // II -> none: downstaging
  CHECK(x["assessments"][0]["overall"] == "CR");  // primary CR and no thrombus left
  CHECK(x["pathology"]["mpr"] == true);
  CHECK(x["first_progression_after_surgery"]["date"] == day(-60));
  const json p2 = t.get("/subjects/" + P2, "demo-officer")["efficacy"];
  CHECK(p2["assessments"][0]["overall"] == "PD");  // PVTT II -> III: upstaging
  CHECK(p2["first_progression"]["date"] == day(-270));
}
