// End-to-end (issue 17, "One subject, one truth"): one trial built through the HTTP API with
// every way the records of a subject's course can end, dated in the past so that the windows
// have closed, then each subject asked of every view: /safety, a DSMB report, the scheduler's
// alerts, SDTM DM and the subject view. They must all give the same answer.
//
//   A  operated, discharged, last known alive past day 90            alive at 30 and 90 days
//   B  death event + grade 5 SAE report, same day, day 15            dead, nothing to reconcile
//   C  grade 5 SAE report, no death event, day 14                    dead; death event asked for
//   D  death event, no SAE report, day 20 (the report comes last)    dead; SAE asked for, 24 h clock
//   E  Clavien–Dindo V, day 14, neither death event nor SAE          dead; both asked for
//   F  operated, discharged, no contact since (past day 30 + 7)      vital status unknown, chased
//   G  operated, no discharge, last known alive on day 40            left hospital, alive at 30 days
//   H  operated 20 days ago                                          pending
#include <doctest/doctest.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

/// A stored timestamp ("YYYY-MM-DDThh:mm:ss.mmmZ") in milliseconds since the epoch.
long long ms_of(const json& ts) {
  std::tm tm{};
  int millis = 0;
  REQUIRE(std::sscanf(ts.get<std::string>().c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) == 7);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<long long>(timegm(&tm)) * 1000 + millis;
}

std::function<void(json&)> tick_seconds(int s) {
  return [s](json& c) { c["alerts"] = {{"scheduler_tick_seconds", s}}; };
}

const std::string A = "S01-000A", B = "S01-000B", C = "S01-000C", D = "S01-000D", E = "S01-000E",
                  F = "S01-000F", G = "S01-000G", H = "S01-000H";

struct Trial {
  TempDir tmp;
  // While the trial is built no scheduler tick runs (the first comes a period after start-up):
  // each subject's records arrive one by one, and a tick between two of them would see a course
  // half entered (a death event before its SAE report). The daemon is restarted with a 1 s tick
  // once every record is in.
  Daemon d{write_config(tmp.path, tick_seconds(3600)), tmp.path / "data"};

  Trial() { d.start(); }

  void restart_with_fast_ticks() {
    REQUIRE(d.stop() == 0);
    write_config(tmp.path, tick_seconds(1));
    d.start();
  }
  httplib::Result post(const std::string& path, const json& body, const std::string& token = "demo-site-s01") {
    return d.client().Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(), "application/json");
  }
  std::string get_text(const std::string& path, const std::string& token = "demo-officer") {
    auto r = d.client().Get((std::string(kStudy) + path).c_str(), bearer(token));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, (path + ": " + r->body));
    return r->body;
  }
  json get(const std::string& path, const std::string& token = "demo-officer") {
    return json::parse(get_text(path, token));
  }
  void enrol(const std::string& s, int days_ago) {
    auto r = post("/subjects", subject_body(s, day(-days_ago)));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
  }
  std::int64_t event(const std::string& s, const json& ev) {
    auto r = post("/subjects/" + s + "/events", ev);
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, (s + ": " + r->body));
    return json::parse(r->body).at("id").get<std::int64_t>();
  }
  json ae(const json& body) {
    auto r = post("/ae", body);
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
    return json::parse(r->body);
  }
  std::vector<json> alerts(const std::string& rule) {
    std::vector<json> out;
    const json all = get("/alerts?limit=500");  // held: a loop over a temporary's member dangles
    for (const auto& a : all["items"])
      if (a["rule"] == rule) out.push_back(a);
    return out;
  }
};

json surgery(int days_ago) {
  return {{"kind", "surgery"}, {"date", day(-days_ago)}, {"procedure", "right hemihepatectomy"}, {"margin", "R0"}};
}
json dated(const char* kind, int days_ago) { return {{"kind", kind}, {"date", day(-days_ago)}}; }
json death(int days_ago, const std::string& cause) { return {{"kind", "death"}, {"date", day(-days_ago)}, {"cause", cause}}; }

/// A grade 5 serious SAE report (CTCAE v5.0 grade 5, ICH E2A results in death): post-hepatectomy
/// liver failure begun `onset` days ago, fatal `died` days ago, known to the site an hour ago
/// (so the report is on time). Related to the surgery only: no SUSAR, no IP stopping rule.
json fatal_sae(const std::string& id, const std::string& subject, int onset, int died) {
  json ae = ae_body(id, subject);
  ae.erase("lab");
  ae["term"] = "Hepatic failure";
  ae["verbatim"] = "post-hepatectomy liver failure";
  ae["grade"] = 5;
  ae["onset"] = day(-onset);
  ae["resolved"] = day(-died);
  ae["site_aware_at"] = hours_ago(1);
  ae["serious"]["death"] = true;
  ae["outcome"] = "fatal";
  ae["causality"] = {{"camrelizumab", "unrelated"}, {"apatinib", "unrelated"}, {"imrt", "unlikely"}, {"surgery", "probable"}};
  ae["action_taken"] = {{"apatinib", "not_applicable"}};
  return ae;
}

json source(const std::string& kind, const std::string& ref, int days_ago) {
  return {{"source", kind}, {"ref", ref}, {"date", day(-days_ago)}};
}

std::set<std::string> fields(const httplib::Result& r) {
  std::set<std::string> out;
  const json problem = json::parse(r->body);
  for (const auto& e : problem["errors"]) out.insert(e["field"].get<std::string>());
  return out;
}

/// The rows of a CSV without quoted cells (SDTM DM here), keyed by the column `key`.
std::map<std::string, std::map<std::string, std::string>> csv_by(const std::string& text, const std::string& key) {
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::size_t from = 0;
    for (std::size_t at; (at = line.find(',', from)) != std::string::npos; from = at + 1)
      cells.push_back(line.substr(from, at - from));
    cells.push_back(line.substr(from));
    return cells;
  };
  std::vector<std::string> lines;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find("\r\n", from)) != std::string::npos; from = at + 2)
    lines.push_back(text.substr(from, at - from));
  std::map<std::string, std::map<std::string, std::string>> out;
  if (lines.empty()) return out;
  const auto head = split(lines[0]);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i]);
    REQUIRE(cells.size() == head.size());
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < head.size(); ++k) row[head[k]] = cells[k];
    out[row.at(key)] = row;
  }
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(Trial, "one subject, one truth: /safety, the DSMB report, the scheduler, SDTM DM and the subject view agree") {
  // ---- The trial ------------------------------------------------------------------------
  enrol(A, 200);
  event(A, surgery(150));
  event(A, dated("discharge", 140));
  event(A, dated("last_known_alive", 55));  // day 95

  enrol(B, 120);
  event(B, surgery(80));
  ae(fatal_sae("B-FATAL", B, 70, 65));
  auto b_death = death(65, "liver failure");  // day 15, naming its SAE report
  b_death["related_ae"] = "B-FATAL";
  const auto b_event = event(B, b_death);

  enrol(C, 120);
  event(C, surgery(80));
  event(C, dated("discharge", 72));
  ae(fatal_sae("C-FATAL", C, 68, 66));  // dead on day 14 by this report alone

  enrol(D, 120);
  event(D, surgery(80));
  event(D, dated("discharge", 75));
  const auto d_event = event(D, death(60, "sepsis"));  // day 20; its SAE report comes at the end

  enrol(E, 120);
  event(E, surgery(80));
  const auto e_event = event(E, json{{"kind", "surgical_complication"}, {"date", day(-66)}, {"grade", "V"},
                                     {"term", "post-hepatectomy liver failure"}});  // day 14

  enrol(F, 120);
  event(F, surgery(80));
  event(F, dated("discharge", 72));  // and nothing since: day 30 was 50 days ago

  enrol(G, 120);
  event(G, surgery(80));
  event(G, dated("last_known_alive", 40));  // day 40, outpatient: no discharge recorded

  enrol(H, 30);
  event(H, surgery(20));
  event(H, dated("discharge", 12));

  // ---- Intake refuses life after a death from any source --------------------------------
  // (test_subjects.cpp has a last-known-alive after a grade 5 AE and after a Clavien–Dindo V;
  // here a readmission, and the refused records change none of the views below.)
  auto after_fatal_ae = post("/subjects/" + C + "/events",
                             json{{"kind", "readmission"}, {"date", day(-60)}, {"reason", "jaundice"}});
  REQUIRE(after_fatal_ae);
  CHECK(after_fatal_ae->status == 422);
  CHECK_MESSAGE(fields(after_fatal_ae) == std::set<std::string>{"date"}, after_fatal_ae->body);
  CHECK_MESSAGE(after_fatal_ae->body.find("death on " + day(-66) + " (grade 5 AE report C-FATAL)") != std::string::npos,
                after_fatal_ae->body);
  auto after_cd_v = post("/subjects/" + E + "/events", dated("last_known_alive", 60));
  REQUIRE(after_cd_v);
  CHECK(after_cd_v->status == 422);
  CHECK_MESSAGE(fields(after_cd_v) == std::set<std::string>{"date"}, after_cd_v->body);
  CHECK_MESSAGE(after_cd_v->body.find("(event " + std::to_string(e_event) + "), Clavien–Dindo V") != std::string::npos,
                after_cd_v->body);
  CHECK(get("/subjects/" + C)["events"].size() == 2);
  CHECK(get("/subjects/" + E)["events"].size() == 2);

  // ---- The site's 24-hour SAE clock of a death with no SAE report ------------------------
  // D's death event and E's Clavien–Dindo V each opened one (a subject's clock: no report);
  // B's death came after its grade 5 SAE report, and C's report is the SAE: no clock.
  std::map<std::string, json> subject_clocks;
  const json open_clocks = get("/clocks");
  for (const auto& c : open_clocks["items"])
    if (c["report"].is_null()) subject_clocks[c["subject"].get<std::string>()] = c;
  REQUIRE_MESSAGE(subject_clocks.size() == 2, get("/clocks?state=all").dump());
  REQUIRE(subject_clocks.count(D) == 1);
  REQUIRE(subject_clocks.count(E) == 1);
  for (const auto& [s, c] : subject_clocks) {
    CHECK(c["kind"] == "site_report");
    CHECK(c["report_id"].is_null());
    CHECK(c["overdue"] == false);
    CHECK(ms_of(c["due_at"]) - ms_of(c["started_at"]) == 24LL * 3600 * 1000);  // site_report_hours
  }
  CHECK(subject_clocks[D]["reason"].get<std::string>().find("event " + std::to_string(d_event)) != std::string::npos);
  CHECK(subject_clocks[E]["reason"].get<std::string>().find("event " + std::to_string(e_event)) != std::string::npos);

  // ---- (3) The scheduler, on every subject's course as of today -------------------------
  restart_with_fast_ticks();
  // The first tick raises them all (a later one finds them raised: each has its dedupe key).
  std::vector<json> overdue;
  for (int i = 0; i < 1500; ++i) {
    overdue = alerts("vital_status_overdue");
    if (!overdue.empty() && alerts("death_reconciliation").size() >= 4 && !alerts("stopping_boundary").empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE_MESSAGE(overdue.size() == 1, d.log());
  CHECK(overdue[0]["subject"] == F);
  CHECK(overdue[0]["details"]["window_days"] == 30);
  CHECK(overdue[0]["details"]["surgery"] == day(-80));
  CHECK(overdue[0]["details"]["window_last_day"] == day(-50));
  CHECK(overdue[0]["details"]["last_contact"] == day(-72));
  CHECK(overdue[0]["details"]["grace_days"] == 7);

  std::multiset<std::pair<std::string, std::string>> reconcile;
  std::map<std::string, json> reconcile_details;
  for (const auto& a : alerts("death_reconciliation")) {
    const std::string s = a["subject"];
    reconcile.insert({s, a["details"]["query"].get<std::string>()});
    reconcile_details[s] = a["details"];
  }
  CHECK(reconcile == std::multiset<std::pair<std::string, std::string>>{{C, "death_event_missing"},
                                                                         {D, "fatal_sae_missing"},
                                                                         {E, "death_event_missing"},
                                                                         {E, "fatal_sae_missing"}});
  CHECK(reconcile_details[C]["death_date"] == day(-66));
  CHECK(reconcile_details[C]["sources"] == json::array({source("fatal_ae", "C-FATAL", 66)}));
  CHECK(reconcile_details[D]["death_date"] == day(-60));
  CHECK(reconcile_details[D]["sources"] == json::array({source("death_event", "event " + std::to_string(d_event), 60)}));
  CHECK(reconcile_details[E]["death_date"] == day(-66));
  CHECK(reconcile_details[E]["sources"] ==
        json::array({source("clavien_dindo_v", "event " + std::to_string(e_event), 66)}));

  // 30-day mortality's stopping rule: evaluable A, B, C, D, E, G; events B, C, D, E (the
  // shipped boundary stops at 2 of 2..7). In the order they became evaluable the first two are
  // deaths: the boundary is crossed at that look (2 of 2), and the alert says so.
  // E's Clavien–Dindo V recorded the death as a death event does: death and death within 30 days.
  std::set<std::string> death_alerted, death30_alerted;
  for (const auto& a : alerts("death")) death_alerted.insert(a["subject"].get<std::string>());
  for (const auto& a : alerts("death_30d_post_surgery")) death30_alerted.insert(a["subject"].get<std::string>());
  CHECK(death_alerted.count(E) == 1);
  CHECK(death30_alerted.count(E) == 1);
  const auto boundary = alerts("stopping_boundary");
  REQUIRE(boundary.size() == 1);
  CHECK(boundary[0]["details"]["stopping_rule"] == "death-30d-post-surgery");
  CHECK(boundary[0]["details"]["n"] == 2);
  CHECK(boundary[0]["details"]["events"] == 2);

  // ---- (1) /safety and (2) the DSMB report, for one (cut-off, as-of) pair ----------------
  auto made = post("/dsmb-reports", json::object(), "demo-officer");
  REQUIRE(made);
  REQUIRE_MESSAGE(made->status == 201, made->body);
  const json row = json::parse(made->body);
  const std::string cutoff = row["data_cutoff"], as_of = row["as_of"];
  CHECK(cutoff == day(0));
  const json model = get("/dsmb-reports/" + std::to_string(row["id"].get<int>()) + "?format=json", "demo-dsmb");
  const std::string pair = "cutoff=" + cutoff + "&as_of=" + as_of;
  const json safety = get("/safety?" + pair, "demo-dsmb");
  const json& ss = safety["surgical_safety"];
  CHECK(ss == model["surgical"]);
  CHECK(ss == get("/safety")["surgical_safety"]);  // nothing changed since: today's figures too

  CHECK(ss["operated"] == 8);
  CHECK(ss["mortality_30d"]["events"] == 4);
  CHECK(ss["mortality_30d"]["n"] == 6);
  CHECK(ss["mortality_30d_pending"] == json::array({H}));
  CHECK(ss["mortality_30d_unknown"] == json::array({F}));
  CHECK(ss["mortality_30d_bounds"]["unknown_alive"]["events"] == 4);
  CHECK(ss["mortality_30d_bounds"]["unknown_alive"]["n"] == 7);
  CHECK(ss["mortality_30d_bounds"]["unknown_dead"]["events"] == 5);
  CHECK(ss["mortality_30d_bounds"]["unknown_dead"]["n"] == 7);
  CHECK(ss["mortality_90d"]["events"] == 4);
  CHECK(ss["mortality_90d"]["n"] == 5);
  CHECK(ss["mortality_90d_pending"] == json::array({F, G, H}));
  CHECK(ss["mortality_90d_unknown"] == json::array());
  CHECK(ss["mortality_90d_bounds"]["unknown_alive"]["n"] == 5);
  CHECK(ss["mortality_90d_bounds"]["unknown_dead"]["n"] == 5);
  // In hospital: B (no discharge) and E (Clavien–Dindo V on the ward); G left (outpatient
  // evidence), C and D after discharge; over the 8 whose index admission has ended.
  CHECK(ss["in_hospital_death"]["events"] == 2);
  CHECK(ss["in_hospital_death"]["n"] == 8);
  CHECK(ss["clavien_dindo_worst"]["V"] == 1);

  const std::map<std::string, std::pair<std::string, std::string>> windows{
      {A, {"alive_closed", "alive_closed"}}, {B, {"dead_within", "dead_within"}}, {C, {"dead_within", "dead_within"}},
      {D, {"dead_within", "dead_within"}},   {E, {"dead_within", "dead_within"}}, {F, {"unknown", "pending"}},
      {G, {"alive_closed", "pending"}},      {H, {"pending", "pending"}}};
  std::map<std::string, json> per_subject;
  for (const auto& x : ss["subjects"]) per_subject[x["subject"].get<std::string>()] = x;
  REQUIRE(per_subject.size() == windows.size());
  for (const auto& [s, w] : windows) {
    CHECK_MESSAGE(per_subject[s]["day30"] == w.first, s);
    CHECK_MESSAGE(per_subject[s]["day90"] == w.second, s);
  }
  CHECK(per_subject[B]["in_hospital_death"] == true);
  CHECK(per_subject[E]["in_hospital_death"] == true);
  CHECK(per_subject[G]["in_hospital_death"] == false);
  CHECK(per_subject[C]["in_hospital_death"] == false);

  // The stopping rules: /safety, the DSMB report and the scheduler's alert count the same.
  std::map<std::string, json> dsmb_rules;
  for (const auto& r : model["stopping_rules"]) dsmb_rules[r["id"].get<std::string>()] = r;
  REQUIRE(safety["stopping_rules"].size() == dsmb_rules.size());
  for (const auto& r : safety["stopping_rules"]) {
    const std::string id = r["id"];
    REQUIRE_MESSAGE(dsmb_rules.count(id) == 1, id);
    for (const char* k : {"evaluable", "events", "crossed", "design_complete"})
      CHECK_MESSAGE(r[k] == dsmb_rules[id][k], (id + "." + k));
    CHECK_MESSAGE(r["crossed_at"] == dsmb_rules[id]["crossed_at"], (id + ".crossed_at"));
    if (id == "death-30d-post-surgery") {
      CHECK(r["evaluable"] == 6);
      CHECK(r["events"] == 4);
      CHECK(r["crossed_at"]["n"] == boundary[0]["details"]["n"]);
      CHECK(r["crossed_at"]["events"] == boundary[0]["details"]["events"]);
      CHECK(r["crossed"] == true);
    }
  }

  // The DSMB report's deaths: exactly B, C, D and E, each with its date and every source.
  std::map<std::string, json> deaths;
  for (const auto& x : model["deaths"]) deaths[x["subject"].get<std::string>()] = x;
  REQUIRE(deaths.size() == 4);
  REQUIRE((deaths.count(B) && deaths.count(C) && deaths.count(D) && deaths.count(E)));
  CHECK(deaths[B]["date"] == day(-65));
  CHECK(deaths[B]["sources"] == json::array({source("death_event", "event " + std::to_string(b_event), 65),
                                             source("fatal_ae", "B-FATAL", 65)}));
  CHECK(deaths[B]["queries"] == json::array());
  CHECK(deaths[B]["cause"] == "liver failure");
  CHECK(deaths[B]["related_ae"] == "B-FATAL");
  CHECK(deaths[C]["date"] == day(-66));
  CHECK(deaths[C]["sources"] == json::array({source("fatal_ae", "C-FATAL", 66)}));
  CHECK(deaths[D]["date"] == day(-60));
  CHECK(deaths[D]["sources"] == json::array({source("death_event", "event " + std::to_string(d_event), 60)}));
  CHECK(deaths[D]["cause"] == "sepsis");
  CHECK(deaths[E]["date"] == day(-66));
  CHECK(deaths[E]["sources"] == json::array({source("clavien_dindo_v", "event " + std::to_string(e_event), 66)}));
  const std::map<std::string, int> days_from_surgery{{B, 15}, {C, 14}, {D, 20}, {E, 14}};
  for (const auto& [s, n] : days_from_surgery) {
    CHECK_MESSAGE(deaths[s]["days_from_surgery"] == n, s);
    CHECK_MESSAGE(deaths[s]["within_30_days_of_surgery"] == true, s);
    // Each death's queries are its reconciliation alerts.
    std::multiset<std::string> kinds, alerted;
    for (const auto& q : deaths[s]["queries"]) kinds.insert(q["kind"].get<std::string>());
    for (const auto& [who, kind] : reconcile)
      if (who == s) alerted.insert(kind);
    CHECK_MESSAGE(kinds == alerted, s);
  }
  // Enrolment status at the cut-off: dead for the four; G left hospital (outpatient evidence).
  const std::map<std::string, std::string> status{{A, "in_follow_up"}, {B, "dead"}, {C, "dead"},
                                                  {D, "dead"},         {E, "dead"}, {F, "in_follow_up"},
                                                  {G, "in_follow_up"}, {H, "in_follow_up"}};
  for (const auto& x : model["enrolment"]["subjects"])
    CHECK_MESSAGE(x["status"] == status.at(x["subject"].get<std::string>()), x["subject"].get<std::string>());
  CHECK(model["enrolment"]["status"]["dead"]["n"] == 4);

  // ---- (4) SDTM DM, for the same pair ---------------------------------------------------
  const auto dm = csv_by(get_text("/export/sdtm/dm.csv?" + pair, "demo-dsmb"), "SUBJID");
  REQUIRE(dm.size() == 8);
  const std::map<std::string, std::string> died{{B, day(-65)}, {C, day(-66)}, {D, day(-60)}, {E, day(-66)}};
  for (const auto& [s, r] : dm) {
    const auto it = died.find(s);
    CHECK_MESSAGE(r.at("DTHFL") == (it != died.end() ? "Y" : ""), s);
    CHECK_MESSAGE(r.at("DTHDTC") == (it != died.end() ? it->second : ""), s);
  }

  // ---- The subject view: the same course, the same windows --------------------------------
  std::map<std::string, json> course;
  for (const auto& [s, w] : windows) {
    const json view = get("/subjects/" + s);
    course[s] = view["course"];
    CHECK_MESSAGE(view["surgical"] == per_subject[s], s);  // as /safety computes it, as of today
    const auto it = died.find(s);
    CHECK_MESSAGE(course[s]["vital_status"] == (it != died.end() ? "dead" : "alive at last contact"), s);
    CHECK_MESSAGE(course[s]["death_date"] == (it != died.end() ? json(it->second) : json(nullptr)), s);
    // End of participation (SDTM RFPENDTC): the death, else the last contact.
    CHECK_MESSAGE(dm.at(s).at("RFPENDTC") == (it != died.end() ? it->second : course[s]["last_contact"].get<std::string>()), s);
    if (it != died.end()) {
      CHECK_MESSAGE(course[s]["death_sources"] == deaths[s]["sources"], s);
      CHECK_MESSAGE(course[s]["queries"] == deaths[s]["queries"], s);
    }
  }
  CHECK(course[C]["death_date"] == day(-66));
  CHECK(course[C]["death_sources"] == json::array({source("fatal_ae", "C-FATAL", 66)}));
  REQUIRE(course[C]["queries"].size() == 1);
  CHECK(course[C]["queries"][0]["kind"] == "death_event_missing");
  CHECK(course[C]["queries"][0]["text"].get<std::string>().find("C-FATAL") != std::string::npos);
  CHECK(course[C]["index_admission_end"] == json{{"how", "discharge"}, {"date", day(-72)}});
  CHECK(course[D]["death_date"] == day(-60));
  REQUIRE(course[D]["queries"].size() == 1);
  CHECK(course[D]["queries"][0]["kind"] == "fatal_sae_missing");
  CHECK(course[E]["index_admission_end"] == json{{"how", "death"}, {"date", day(-66)}});
  CHECK(course[F]["last_contact"] == day(-72));
  CHECK(course[G]["last_contact"] == day(-40));
  CHECK(course[G]["index_admission_end"] == json{{"how", "outpatient_evidence"}, {"date", day(-40)}});
  CHECK(course[A]["last_contact"] == day(-55));

  // ---- D's SAE report arrives: the death's clock stops, on time; D is reconciled ---------
  ae(fatal_sae("D-FATAL", D, 62, 60));
  bool stopped = false;
  const json all_clocks = get("/clocks?state=all");
  for (const auto& c : all_clocks["items"]) {
    if (!c["report"].is_null() || c["subject"] != D) continue;
    stopped = true;
    CHECK(c.contains("stopped_at"));
    CHECK(c["stop_reason"] == "SAE report D-FATAL of the death received");
    CHECK(c["late"] == false);
  }
  CHECK(stopped);
  std::set<std::string> still_open;
  const json open_after = get("/clocks");
  for (const auto& c : open_after["items"])
    if (c["report"].is_null()) still_open.insert(c["subject"].get<std::string>());
  CHECK(still_open == std::set<std::string>{E});
  const json d_course = get("/subjects/" + D)["course"];
  CHECK(d_course["death_date"] == day(-60));
  CHECK(d_course["death_sources"] == json::array({source("death_event", "event " + std::to_string(d_event), 60),
                                                  source("fatal_ae", "D-FATAL", 60)}));
  CHECK(d_course["queries"] == json::array());
  // The same death on the same day: the figures do not move.
  const json after = get("/safety")["surgical_safety"];
  CHECK(after["mortality_30d"] == ss["mortality_30d"]);
  CHECK(after["mortality_90d"] == ss["mortality_90d"]);
}
