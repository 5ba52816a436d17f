// End-to-end (issue 25, labs as a stream): panels posted through the API are validated, graded
// against the subject's baseline and kept; a potential Hy's law case raises its critical alert,
// delivered signed to a real receiver, and opens the 15-day clock that the officer's assessment
// stops.
//
// S01-0101: baseline ALT 30 U/L (ULN 40), total bilirubin 10 µmol/L (ULN 21), both normal.
//   L1, 10 days ago: ALT 60 (1.5 × ULN), bilirubin 12: CTCAE ALT grade 1, no case.
//   L2, 2 days ago:  ALT 130 (3.25 × ULN: >= 3), AST 90 (2.25 ×), bilirubin 45 (2.14 × ULN: >= 2),
//                    ALP 150 (ULN 120: 1.25 ×, < 2, no cholestasis): a potential Hy's law case
//                    (FDA DILI guidance 2009). ALT 3.25 × ULN is CTCAE v5.0 grade 2 (>3.0-5.0 × ULN).
#include <doctest/doctest.h>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

struct Labs {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  std::unique_ptr<Daemon> d;

  Labs() {
    write_text(tmp.path / "officer.secret", kSecret + "\n");
    auto config = write_config(tmp.path, [&](json& c) {
      c["webhooks"] = json::array({{{"name", "safety-desk"},
                                    {"url", rx.url()},
                                    {"secret_file", (tmp.path / "officer.secret").string()},
                                    {"events", json::array({"alert.potential_hys_law"})}}});
    });
    d = std::make_unique<Daemon>(config, tmp.path / "data");
  }
  httplib::Result post(const std::string& path, const json& body, const std::string& token = "demo-site-s01") {
    return d->client().Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(), "application/json");
  }
  json get(const std::string& path, const std::string& token = "demo-officer") {
    auto r = d->client().Get((std::string(kStudy) + path).c_str(), bearer(token));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  }
};

json result(const char* test, double value, const char* unit, double uln) {
  return {{"test", test}, {"value", value}, {"unit", unit}, {"uln", uln}};
}

json panel(const std::string& id, int days_ago, json results) {
  return {{"panel_id", id}, {"collected_at", day(-days_ago) + "T07:30:00Z"}, {"results", std::move(results)}};
}

}  // namespace

TEST_CASE_FIXTURE(Labs, "lab panels: graded against baseline, a potential Hy's law case alerts, opens its clock, is assessed") {
  rx.start();
  d->start();
  json subject = subject_body("S01-0101", day(-30));
  subject["baseline"] = {{"alt", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}},
                         {"bilirubin", {{"value", 10}, {"unit", "umol/L"}, {"uln", 21}}}};
  auto s = post("/subjects", subject);
  REQUIRE(s);
  REQUIRE_MESSAGE(s->status == 201, s->body);

  const json l1 = panel("S01-0101-L1", 10, {result("ALT", 60, "U/L", 40), result("total bilirubin", 12, "umol/L", 21)});
  auto r1 = post("/subjects/S01-0101/labs", l1);
  REQUIRE(r1);
  REQUIRE_MESSAGE(r1->status == 201, r1->body);
  const json rec1 = json::parse(r1->body);
  CHECK(rec1["results"][0]["grade"] == 1);
  CHECK(rec1["results"][0]["x_uln"].get<double>() == doctest::Approx(1.5));
  CHECK(rec1["results"][0]["baseline"] == 30.0);
  // The same body again is a replay; another body under the same panel id a conflict.
  auto again = post("/subjects/S01-0101/labs", l1);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body)["id"] == rec1["id"]);
  json other = l1;
  other["results"][0]["value"] = 61;
  auto conflict = post("/subjects/S01-0101/labs", other);
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  CHECK(conflict->body.find("\"panel_id\"") != std::string::npos);
  // Bad input: each problem named by its path, nothing stored.
  auto bad = post("/subjects/S01-0101/labs",
                  panel("S01-0101-BAD", 1, {result("ALT", 60, "furlongs", 40), result("Alanine aminotransferase", 61, "U/L", 40)}));
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(bad->body.find("results[0].unit") != std::string::npos);
  auto early = post("/subjects/S01-0101/labs", panel("S01-0101-EARLY", 31, {result("ALT", 20, "U/L", 40)}));
  REQUIRE(early);
  CHECK(early->status == 422);
  CHECK(early->body.find("collected_at") != std::string::npos);
  auto other_site = post("/subjects/S01-0101/labs", panel("S02-X", 1, {result("ALT", 20, "U/L", 40)}), "demo-site-s02");
  REQUIRE(other_site);
  CHECK(other_site->status == 404);
  CHECK(get("/alerts?limit=100")["items"].empty() == true);  // no case yet

  const json l2 = panel("S01-0101-L2", 2,
                        {result("ALT", 130, "U/L", 40), result("AST", 90, "U/L", 40),
                         result("total bilirubin", 45, "umol/L", 21), result("ALP", 150, "U/L", 120)});
  auto r2 = post("/subjects/S01-0101/labs", l2);
  REQUIRE(r2);
  REQUIRE_MESSAGE(r2->status == 201, r2->body);
  CHECK(json::parse(r2->body)["results"][0]["grade"] == 2);

  // The alert: critical, naming the values; delivered signed.
  const json alerts = get("/alerts?limit=100");
  REQUIRE(alerts["items"].size() == 1);
  const json& a = alerts["items"][0];
  CHECK(a["rule"] == "potential_hys_law");
  CHECK(a["severity"] == "critical");
  CHECK(a["subject"] == "S01-0101");
  CHECK(a["details"]["transaminase"]["panel_id"] == "S01-0101-L2");
  CHECK(a["details"]["bilirubin"]["value"] == 45.0);
  REQUIRE(rx.wait_for([](const auto& ds) { return !ds.empty(); }));
  const auto got = rx.got();
  REQUIRE(got.size() == 1);
  CHECK(got[0].signature == expected_signature(got[0].id, got[0].timestamp, got[0].body));
  CHECK(json::parse(got[0].body)["type"] == "alert.potential_hys_law");

  // Its clock: the subject's, 15 calendar days.
  const json clocks = get("/clocks");
  REQUIRE(clocks["items"].size() == 1);
  CHECK(clocks["items"][0]["report"].is_null());
  CHECK(clocks["items"][0]["subject"] == "S01-0101");
  CHECK(clocks["items"][0]["kind"] == "regulatory_initial");
  CHECK(clocks["items"][0]["due_at"] == day(15) + "T23:59:59.999Z");

  // The subject's results, in collection order.
  const json labs = get("/subjects/S01-0101/labs");
  REQUIRE(labs["results"].size() == 6);
  CHECK(labs["results"][0]["panel_id"] == "S01-0101-L1");
  CHECK(labs["results"][2]["analyte"] == "alt");

  // The same results as FHIR R4 laboratory Observations.
  httplib::Headers fh = bearer("demo-officer");
  fh.emplace("Accept", "application/fhir+json");
  auto fr = d->client().Get((std::string(kStudy) + "/subjects/S01-0101/labs").c_str(), fh);
  REQUIRE(fr);
  REQUIRE(fr->status == 200);
  CHECK(fr->get_header_value("Content-Type").rfind("application/fhir+json", 0) == 0);
  const json bundle = json::parse(fr->body);
  CHECK(bundle["resourceType"] == "Bundle");
  REQUIRE(bundle["entry"].size() == 6);
  const json& alt2 = bundle["entry"][2]["resource"];
  CHECK(alt2["resourceType"] == "Observation");
  CHECK(alt2["code"]["coding"][0]["display"] == "Alanine aminotransferase increased");
  CHECK(alt2["valueQuantity"]["value"] == 130.0);
  CHECK(alt2["referenceRange"][0]["high"]["value"] == 40.0);
  CHECK(alt2["interpretation"][0]["coding"][0]["code"] == "H");
  CHECK(alt2["component"][0]["valueCodeableConcept"]["coding"][0]["code"] == "2");
  CHECK(alt2["subject"]["reference"] == "Patient/S01-0101");

  // The assessment: validated, once, stopping the clock.
  const std::string path = "/alerts/" + std::to_string(a["id"].get<int>()) + "/assessment";
  auto no = post(path, {{"outcome", "maybe"}}, "demo-officer");
  REQUIRE(no);
  CHECK(no->status == 422);
  CHECK(no->body.find("\"comment\"") != std::string::npos);
  auto by_site = post(path, {{"outcome", "other_cause"}, {"comment", "x"}});
  REQUIRE(by_site);
  CHECK(by_site->status == 403);
  auto done = post(path, {{"outcome", "other_cause"}, {"comment", "biliary obstruction on ultrasound"}}, "demo-officer");
  REQUIRE(done);
  REQUIRE_MESSAGE(done->status == 201, done->body);
  CHECK(json::parse(done->body)["clocks_stopped"] == 1);
  CHECK(get("/clocks")["items"].empty());
  const json all = get("/clocks?state=all");
  REQUIRE(all["items"].size() == 1);
  CHECK(all["items"][0]["stop_reason"] == "potential Hy's law case assessed: other_cause");
  // Acknowledged with it: no more escalations.
  const json after = get("/alerts?limit=100");
  CHECK(after["items"][0]["status"] == "acked");
  CHECK(after["items"][0]["ack_comment"] == "assessed: other_cause: biliary obstruction on ultrasound");
  auto twice = post(path, {{"outcome", "confirmed_dili"}, {"comment", "y"}}, "demo-officer");
  REQUIRE(twice);
  CHECK(twice->status == 409);
  // Audited.
  auto audit = d->client().Get("/v1/audit?entity=hcc-pvtt-imrt/alert/", bearer("demo-officer"));
  REQUIRE(audit);
  CHECK(audit->body.find("alert.assess") != std::string::npos);

  // The DSMB report's liver section: eDISH (peak ALT 3.25 x ULN, peak bilirubin 45/21 = 2.1429 x
  // ULN: the Hy's law quadrant), the ALT shift from baseline grade 0 to worst grade 2, the case
  // with its assessment; the same point in the CSV.
  auto made = post("/dsmb-reports", json::object(), "demo-officer");
  REQUIRE(made);
  REQUIRE_MESSAGE(made->status == 201, made->body);
  const std::string rid = std::to_string(json::parse(made->body)["id"].get<int>());
  const json model = get("/dsmb-reports/" + rid + "?format=json", "demo-dsmb");
  const json& labs_section = model["labs"];
  REQUIRE(labs_section["edish"]["points"].size() == 1);
  const json& pt = labs_section["edish"]["points"][0];
  CHECK(pt["subject"] == "S01-0101");
  CHECK(pt["peak_alt_x_uln"].get<double>() == doctest::Approx(3.25));
  CHECK(pt["peak_bilirubin_x_uln"].get<double>() == doctest::Approx(2.1429).epsilon(1e-4));
  CHECK(pt["quadrant"] == "hys_law");
  CHECK(labs_section["edish"]["quadrant_counts"]["hys_law"] == 1);
  bool alt_shift = false;
  for (const auto& t : labs_section["shift_tables"])
    if (t["term"] == "Alanine aminotransferase increased") alt_shift = t["counts"][0][2] == 1 && t["subjects"] == 1;
  CHECK(alt_shift);
  REQUIRE(labs_section["potential_hys_law_cases"].size() == 1);
  CHECK(labs_section["potential_hys_law_cases"][0]["assessment"] == "other_cause");
  auto csv = d->client().Get((std::string(kStudy) + "/dsmb-reports/" + rid + "?format=csv&table=edish").c_str(),
                             bearer("demo-dsmb"));
  REQUIRE(csv);
  CHECK(csv->status == 200);
  CHECK(csv->body.find("S01-0101,3.25,") != std::string::npos);
  auto html = d->client().Get((std::string(kStudy) + "/dsmb-reports/" + rid + "?format=html").c_str(), bearer("demo-dsmb"));
  REQUIRE(html);
  CHECK(html->body.find("eDISH") != std::string::npos);
}

TEST_CASE("a grade 3 lab result without an AE report: alerted once its window has passed, closed by the AE report") {
  // ALT 250 U/L, ULN 40, normal baseline: 6.25 x ULN, CTCAE v5.0 grade 3 (>5.0-20.0 x ULN).
  // Collected 10 days ago; the window is 7 days, so it is due 3 days ago.
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { c["alerts"] = {{"scheduler_tick_seconds", 1}}; }), tmp.path / "data");
  d.start();
  auto post = [&](const std::string& path, const json& body) {
    return d.client().Post((std::string(kStudy) + path).c_str(), bearer("demo-site-s01"), body.dump(), "application/json");
  };
  auto alerts = [&]() {
    auto r = d.client().Get((std::string(kStudy) + "/alerts?limit=100").c_str(), bearer("demo-officer"));
    REQUIRE(r);
    std::vector<json> out;
    const json all = json::parse(r->body);  // held: a loop over a temporary's member dangles
    for (const auto& a : all["items"])
      if (a["rule"] == "lab_without_ae") out.push_back(a);
    return out;
  };
  json subject = subject_body("S01-0102", day(-40));
  subject["baseline"] = {{"alt", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}}};
  auto s = post("/subjects", subject);
  REQUIRE(s);
  REQUIRE_MESSAGE(s->status == 201, s->body);
  auto l = post("/subjects/S01-0102/labs", panel("S01-0102-L1", 10, {result("ALT", 250, "U/L", 40)}));
  REQUIRE(l);
  REQUIRE_MESSAGE(l->status == 201, l->body);
  CHECK(json::parse(l->body)["results"][0]["grade"] == 3);
  // A grade 2 result of another subject is below the threshold: never alerted.
  json other = subject_body("S01-0103", day(-40));
  REQUIRE(post("/subjects", other)->status == 201);
  REQUIRE(post("/subjects/S01-0103/labs", panel("S01-0103-L1", 10, {result("ALT", 130, "U/L", 40)}))->status == 201);

  std::vector<json> found;
  for (int i = 0; i < 100 && found.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    found = alerts();
  }
  REQUIRE(found.size() == 1);
  CHECK(found[0]["subject"] == "S01-0102");
  CHECK(found[0]["severity"] == "high");
  CHECK(found[0]["status"] == "open");
  CHECK(found[0]["details"]["term"] == "Alanine aminotransferase increased");

  // The site reports the AE (onset 9 days ago: within 7 days of the collection): the next tick
  // closes the alert.
  json ae = ae_body("S01-0102-AE-001", "S01-0102");
  ae["onset"] = day(-9);
  ae["site_aware_at"] = hours_ago(1);
  auto r = post("/ae", ae);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  std::string status = "open";
  for (int i = 0; i < 100 && status == "open"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = alerts();
    REQUIRE(now.size() == 1);
    status = now[0]["status"];
  }
  const auto closed = alerts();
  CHECK(closed[0]["status"] == "acked");
  CHECK(closed[0]["acked_by"] == "pvmond");
  CHECK(closed[0]["ack_comment"] == "answered by an AE report of the same term");
}
