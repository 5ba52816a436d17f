// End-to-end: inputs that parse but must not be stored, refused with a problem document naming
// the field and the reason, on every route (and command) that takes them:
// - a JSON key given twice in one object, at any depth: 400 naming its path;
// - a subject id outside ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$: 422 on `subject`;
// - a date or instant before 1900-01-01, in a body, a query or on the command line: 422 on it;
// - a baseline analyte no lab result is graded against: 422 on `baseline.<key>`;
// - a body declared in a charset other than UTF-8: 415;
// and no existence oracle across sites: another site's subject is answered as one nobody
// enrolled, whatever the route.
#include <doctest/doctest.h>

#include <set>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

struct Rules {
  TempDir tmp;
  Daemon d{write_config(tmp.path), tmp.path / "data"};
  httplib::Client c = (d.start(), d.client());

  httplib::Result post(const std::string& path, const std::string& body, const std::string& token = "demo-site-s01",
                       const std::string& type = "application/json") {
    return c.Post((path.rfind("/v1/", 0) == 0 ? path : std::string(kStudy) + path).c_str(), bearer(token), body, type);
  }
  httplib::Result get(const std::string& path, const std::string& token = "demo-officer") {
    return c.Get((std::string(kStudy) + path).c_str(), bearer(token));
  }
  /// The AE report's server id; the subject must be enrolled.
  std::int64_t report(const std::string& report_id, const std::string& subject = "S01-0007") {
    auto r = post("/ae", ae_body(report_id, subject).dump());
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
    return json::parse(r->body)["id"].get<std::int64_t>();
  }
};

/// errors[].field -> errors[].message of a problem document.
std::map<std::string, std::string> errors_of(const httplib::Result& r) {
  std::map<std::string, std::string> out;
  const json p = json::parse(r->body, nullptr, false);
  if (p.is_object() && p.contains("errors"))
    for (const auto& e : p["errors"]) out[e.value("field", "")] = e.value("message", "");
  return out;
}

/// The problem document without what differs between any two requests (request id, instance),
/// with `id` written as <id>: what a client can compare between two answers.
json comparable(const httplib::Result& r, const std::string& id) {
  std::string body = r->body;
  for (std::size_t at; (at = body.find(id)) != std::string::npos;) body.replace(at, id.size(), "<id>");
  json p = json::parse(body);
  p.erase("request_id");
  p.erase("instance");
  return json{{"status", r->status}, {"content_type", r->get_header_value("Content-Type")}, {"problem", p}};
}

json lab_panel(const std::string& id, const std::string& collected_at) {
  return {{"panel_id", id},
          {"collected_at", collected_at},
          {"results", json::array({{{"test", "ALT"}, {"value", 60}, {"unit", "U/L"}, {"uln", 40}}})}};
}

json submission(const std::string& submitted) {
  return {{"kind", "initial"}, {"submitted", submitted}, {"authority", "NMPA"}, {"reference", "R-1"}};
}

}  // namespace

TEST_CASE_FIXTURE(Rules, "duplicate JSON keys: a 400 naming the key by its path, on every route with a JSON body") {
  enrol_new(d);
  const std::int64_t id = report("S01-0007-AE-001");
  const std::string ae = "/ae/" + std::to_string(id);
  struct Case {
    std::string path, token, body, field;
  };
  const std::vector<Case> cases = {
      {"/subjects", "demo-site-s01",
       R"({"subject": "S01-0008", "enrolled": "2026-09-01", "sex": "M", "age": 58, "age": 85})", "age"},
      {"/subjects", "demo-site-s01",
       R"({"subject": "S01-0008", "enrolled": "2026-09-01", "sex": "M", "age": 58,
           "baseline": {"alt": {"value": 30, "unit": "U/L", "value": 300}}})",
       "baseline.alt.value"},
      {"/subjects/S01-0007/baseline", "demo-site-s01", R"({"ast": {"value": 30, "unit": "U/L"}, "ast": {"value": 3}})",
       "ast"},
      {"/ae", "demo-site-s01", R"({"report_id": "X-1", "report_id": "X-2"})", "report_id"},
      {"/ae", "demo-site-s01",
       R"({"serious": {"death": false, "hospitalization": true, "death": true}, "causality": {"imrt": "possible"}})",
       "serious.death"},
      {ae + "/followups", "demo-site-s01",
       R"({"followup_id": "F1", "changes": {"outcome": "recovered", "outcome": "fatal"}})", "changes.outcome"},
      {ae + "/submissions", "demo-officer",
       R"({"kind": "initial", "kind": "complete", "submitted": "2026-10-04T08:00:00Z"})", "kind"},
      {"/subjects/S01-0007/events", "demo-site-s01", R"({"kind": "discharge", "date": "2026-10-01", "date": "2026-10-02"})",
       "date"},
      {"/subjects/S01-0007/labs", "demo-site-s01",
       R"({"panel_id": "L1", "results": [{"test": "ALT", "value": 60}, {"test": "AST", "unit": "U/L", "unit": "IU/L"}]})",
       "results.1.unit"},
      {"/alerts/1/ack", "demo-officer", R"({"comment": "seen", "comment": "not seen"})", "comment"},
      {"/alerts/1/assessment", "demo-officer", R"({"outcome": "other_cause", "outcome": "confirmed_dili"})", "outcome"},
      {"/dsmb-reports", "demo-officer", R"({"cutoff": "2026-01-01", "cutoff": "2026-02-01"})", "cutoff"},
      {"/v1/ctcae/grade", "demo-site-s01", R"({"test": "ALT", "value": 60, "unit": "U/L", "uln": 40, "uln": 400})", "uln"},
  };
  for (const auto& k : cases) {
    const std::string what = k.path + " " + k.body;
    CAPTURE(what);
    auto r = post(k.path, k.body, k.token);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->get_header_value("Content-Type") == "application/problem+json");
    const json p = json::parse(r->body);
    CHECK(p["type"] == "urn:pvmon:problem:malformed");
    CHECK(errors_of(r) == std::map<std::string, std::string>{{k.field, "appears more than once in its object"}});
    CHECK(p["detail"].get<std::string>().find(k.field) != std::string::npos);
  }
  // A FHIR resource gets an OperationOutcome naming the element by its FHIRPath.
  auto fhir = post("/ae", R"({"resourceType": "AdverseEvent", "suspectEntity": [{"instance": {}, "instance": {}}]})",
                   "demo-site-s01", "application/fhir+json");
  REQUIRE(fhir);
  CHECK(fhir->status == 400);
  const json oo = json::parse(fhir->body);
  CHECK(oo["resourceType"] == "OperationOutcome");
  CHECK(oo["issue"][0]["expression"][0] == "AdverseEvent.suspectEntity[0].instance");

  // Nothing was stored: one subject, one report, its one version, no DSMB report.
  auto list = get("/ae");
  REQUIRE(list);
  CHECK(json::parse(list->body)["items"].size() == 1);
  auto versions = get(ae + "/versions");
  REQUIRE(versions);
  CHECK(json::parse(versions->body)["versions"].size() == 1);
  auto subject = get("/subjects/S01-0007");
  REQUIRE(subject);
  CHECK(json::parse(subject->body)["events"].empty());
  CHECK(get("/subjects/S01-0008")->status == 404);
  CHECK(json::parse(get("/dsmb-reports")->body)["items"].empty());
}

TEST_CASE_FIXTURE(Rules, "subject ids: one safe path segment, wherever a subject is given") {
  const std::string rule = "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
  for (const std::string& bad : std::vector<std::string>{"S01/../x", ".", "..", "../S01-0001", "-S01", "S01 0001",
                                                         "S01:0001", "S01\\0001", "S01\xC3\xA9"}) {
    CAPTURE(bad);
    auto r = post("/subjects", subject_body(bad).dump());
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(errors_of(r) == std::map<std::string, std::string>{{"subject", rule}});
    auto a = post("/ae", ae_body("R-1", bad).dump());
    REQUIRE(a);
    CHECK(a->status == 422);
    CHECK(errors_of(a) == std::map<std::string, std::string>{{"subject", rule}});
  }
  auto too_long = post("/subjects", subject_body(std::string(65, 'S')).dump());
  REQUIRE(too_long);
  CHECK(too_long->status == 422);
  CHECK(errors_of(too_long) == std::map<std::string, std::string>{{"subject", "is longer than 64 characters"}});
  // The ids the simulator and the demo use stay good.
  for (const std::string& ok : std::vector<std::string>{"S01-0001", "S02-0101", "S01_0001.v2", std::string(64, 'S')}) {
    CAPTURE(ok);
    auto r = post("/subjects", subject_body(ok).dump());
    REQUIRE(r);
    CHECK(r->status == 201);
  }
  // In the path of a write: a 422 on `subject` too, before anything else.
  c.set_url_encode(false);
  for (const std::string path : {"/subjects/%2E%2E/events", "/subjects/S01:0001/labs", "/subjects/.hidden/baseline"}) {
    CAPTURE(path);
    auto r = post(path, "{}");
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(errors_of(r).count("subject") == 1);
  }
  // Only the good ones were stored.
  auto [rc, out] = d.sql("SELECT count(*) FROM subjects");
  CHECK(rc == 0);
  CHECK(out == "4\n");
}

TEST_CASE_FIXTURE(Rules, "dates before 1900-01-01: a 422 naming the field, in bodies, queries and on the command line") {
  // Enrolment, AE reports (and their follow-ups), events, lab panels, submissions.
  auto sub = post("/subjects", subject_body("S01-0008", "0000-01-01").dump());
  REQUIRE(sub);
  CHECK(sub->status == 422);
  CHECK(errors_of(sub) == std::map<std::string, std::string>{{"enrolled", "is before 1900-01-01"}});
  CHECK(post("/subjects", subject_body("S01-0008", "1900-01-01").dump())->status == 201);

  enrol_new(d);
  json early = ae_body("S01-0007-AE-009");
  early["onset"] = "1899-12-31";
  early["site_aware_at"] = "0001-01-01T00:00:00Z";
  auto ae = post("/ae", early.dump());
  REQUIRE(ae);
  CHECK(ae->status == 422);
  CHECK(errors_of(ae) == std::map<std::string, std::string>{{"onset", "is before 1900-01-01"},
                                                            {"site_aware_at", "is before 1900-01-01"}});
  const std::int64_t id = report("S01-0007-AE-001");
  const std::string ae_path = "/ae/" + std::to_string(id);
  auto fu = post(ae_path + "/followups", json{{"followup_id", "F1"}, {"changes", {{"resolved", "0000-01-01"}}}}.dump());
  REQUIRE(fu);
  CHECK(fu->status == 422);
  CHECK(errors_of(fu).at("resolved") == "is before 1900-01-01");
  auto ev = post("/subjects/S01-0007/events", json{{"kind", "discharge"}, {"date", "0000-01-01"}}.dump());
  REQUIRE(ev);
  CHECK(ev->status == 422);
  CHECK(errors_of(ev) == std::map<std::string, std::string>{{"date", "is before 1900-01-01"}});
  auto lab = post("/subjects/S01-0007/labs", lab_panel("L1", "0000-01-01T07:30:00Z").dump());
  REQUIRE(lab);
  CHECK(lab->status == 422);
  CHECK(errors_of(lab) == std::map<std::string, std::string>{{"collected_at", "is before 1900-01-01"}});
  auto subm = post(ae_path + "/submissions", submission("1899-12-31T23:59:59Z").dump(), "demo-officer");
  REQUIRE(subm);
  CHECK(subm->status == 422);
  CHECK(errors_of(subm) == std::map<std::string, std::string>{{"submitted", "is before 1900-01-01"}});

  // A DSMB report's cut-off or as-of (which, stored, would be kept for ever).
  for (const json& body : {json{{"cutoff", "0000-01-01"}}, json{{"cutoff", "0000-01-01T12:00:00Z"}},
                           json{{"as_of", "0000-01-01T00:00:00Z"}}}) {
    CAPTURE(body.dump());
    auto r = post("/dsmb-reports", body.dump(), "demo-officer");
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(errors_of(r) == std::map<std::string, std::string>{{body.begin().key(), "is before 1900-01-01"}});
  }
  CHECK(json::parse(get("/dsmb-reports")->body)["items"].empty());

  // Query parameters: /safety, the SDTM exports, the AE list.
  for (const std::string q : {"/safety?cutoff=0000-01-01", "/safety?as_of=1899-12-31T23:00:00Z",
                              "/export/sdtm/ae.csv?cutoff=0000-01-01", "/export/sdtm/dm.csv?as_of=0000-01-01T00:00:00Z",
                              "/ae?since=0000-01-01", "/ae?since=1899-06-01T00:00:00Z"}) {
    CAPTURE(q);
    auto r = get(q);
    REQUIRE(r);
    CHECK(r->status == 422);
    const std::string param = q.substr(q.find('?') + 1, q.find('=') - q.find('?') - 1);
    CHECK(errors_of(r) == std::map<std::string, std::string>{{param, "is before 1900-01-01"}});
  }
  CHECK(get("/safety?cutoff=1900-01-01")->status == 200);

  // The command line takes the same dates the same way (checked before the database is read).
  const std::string missing = (tmp.path / "no.db").string();
  auto [rrc, rout] = run_command(std::string(PVMON_PATH) + " report --db " + missing +
                                 " --study hcc-pvtt-imrt --cutoff 0000-01-01 2>&1");
  CHECK(rrc == 2);
  CHECK(rout.find("--cutoff is before 1900-01-01") != std::string::npos);
  auto [arc, aout] = run_command(std::string(PVMON_PATH) + " report --db " + missing +
                                 " --study hcc-pvtt-imrt --cutoff 2026-01-01 --as-of 1899-01-01T00:00:00Z 2>&1");
  CHECK(arc == 2);
  CHECK(aout.find("--as-of is before 1900-01-01") != std::string::npos);
  auto [xrc, xout] = run_command(std::string(PVMON_PATH) + " export sdtm --db " + missing + " --study hcc-pvtt-imrt --cutoff 0000-01-01 2>&1");
  CHECK(xrc == 2);
  CHECK(xout.find("--cutoff is before 1900-01-01") != std::string::npos);
}

TEST_CASE_FIXTURE(Rules, "baseline: an analyte no lab result is graded against is a 422 naming its key") {
  json s = subject_body("S01-0008");
  s["baseline"] = {{"alt", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}}, {"atl", {{"value", 30}, {"unit", "U/L"}}}};
  auto r = post("/subjects", s.dump());
  REQUIRE(r);
  CHECK(r->status == 422);
  CHECK(errors_of(r).size() == 1);
  CHECK(errors_of(r)["baseline.atl"].find("is not an analyte") == 0);

  enrol_new(d);
  auto b = post("/subjects/S01-0007/baseline", json{{"glucose_x", {{"value", 5}, {"unit", "mmol/L"}}},
                                                    {"ast", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}}}.dump());
  REQUIRE(b);
  CHECK(b->status == 422);
  CHECK(errors_of(b).size() == 1);
  CHECK(errors_of(b).count("baseline.glucose_x") == 1);
  // The analyte keys of the simulator's enrolments are known.
  auto ok = post("/subjects/S01-0007/baseline",
                 json{{"ast", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}},
                      {"platelets", {{"value", 200}, {"unit", "10^9/L"}, {"lln", 100}}},
                      {"haemoglobin", {{"value", 140}, {"unit", "g/L"}, {"lln", 130}}}}
                     .dump());
  REQUIRE(ok);
  CHECK_MESSAGE(ok->status == 200, ok->body);
  CHECK_FALSE(json::parse(get("/subjects/S01-0007")->body)["baseline"].contains("glucose_x"));
}

TEST_CASE_FIXTURE(Rules, "a body in a charset other than UTF-8 is a 415; utf-8, in any case, or none, is read") {
  enrol_new(d);
  const std::int64_t id = report("S01-0007-AE-001");
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/subjects", "demo-site-s01"},
      {"/subjects/S01-0007/baseline", "demo-site-s01"},
      {"/ae", "demo-site-s01"},
      {"/ae/" + std::to_string(id) + "/followups", "demo-site-s01"},
      {"/ae/" + std::to_string(id) + "/submissions", "demo-officer"},
      {"/subjects/S01-0007/events", "demo-site-s01"},
      {"/subjects/S01-0007/labs", "demo-site-s01"},
      {"/alerts/1/ack", "demo-officer"},
      {"/alerts/1/assessment", "demo-officer"},
      {"/dsmb-reports", "demo-officer"},
      {"/v1/ctcae/grade", "demo-site-s01"},
  };
  for (const std::string type : {"application/json; charset=latin1", "application/json;charset=ISO-8859-1",
                                 "application/json; charset=\"utf-16\"", "application/json; charset="}) {
    for (const auto& [path, token] : routes) {
      const std::string what = type + " " + path;
      CAPTURE(what);
      auto r = post(path, "{\"x\": \"caf\xE9\"}", token, type);
      REQUIRE(r);
      CHECK(r->status == 415);
      CHECK(r->get_header_value("Content-Type") == "application/problem+json");
      CHECK(json::parse(r->body)["type"] == "urn:pvmon:problem:unsupported-media-type");
      CHECK(errors_of(r).count("Content-Type") == 1);
    }
  }
  auto fhir = post("/ae", R"({"resourceType": "AdverseEvent"})", "demo-site-s01", "application/fhir+json; charset=latin1");
  REQUIRE(fhir);
  CHECK(fhir->status == 415);
  CHECK(json::parse(fhir->body)["resourceType"] == "OperationOutcome");

  auto upper = post("/subjects", subject_body("S01-0008").dump(), "demo-site-s01", "application/json; charset=UTF-8");
  REQUIRE(upper);
  CHECK(upper->status == 201);
  auto quoted = post("/ae", ae_body("S01-0007-AE-002").dump(), "demo-site-s01", "application/json;charset=\"utf-8\"");
  REQUIRE(quoted);
  CHECK(quoted->status == 201);
  auto grade = post("/v1/ctcae/grade", json{{"test", "ALT"}, {"value", 60}, {"unit", "U/L"}, {"uln", 40}}.dump(),
                    "demo-site-s01", "application/json; Charset=Utf-8");
  REQUIRE(grade);
  CHECK(grade->status == 200);
}

TEST_CASE_FIXTURE(Rules, "no existence oracle: another site's subject is answered as one nobody enrolled") {
  enrol_new(d, "S01-0007", "demo-site-s01");
  report("S01-0007-AE-001");

  // Enrolment: S02 taking S01's subject id gets the answer of any other enrolment conflict.
  json changed = subject_body("S01-0007");
  changed["age"] = 59;
  auto own_conflict = post("/subjects", changed.dump(), "demo-site-s01");
  auto other_same = post("/subjects", subject_body("S01-0007").dump(), "demo-site-s02");
  auto other_changed = post("/subjects", changed.dump(), "demo-site-s02");
  REQUIRE(own_conflict);
  REQUIRE(other_same);
  REQUIRE(other_changed);
  CHECK(own_conflict->status == 409);
  CHECK(comparable(other_same, "S01-0007") == comparable(own_conflict, "S01-0007"));
  CHECK(comparable(other_changed, "S01-0007") == comparable(own_conflict, "S01-0007"));
  CHECK(other_same->body.find("site") == std::string::npos);
  CHECK(other_same->body.find("S02") == std::string::npos);

  // AE reports (JSON and FHIR): another site's subject is "not enrolled", as an unknown one.
  auto ae_other = post("/ae", ae_body("S02-AE-1", "S01-0007").dump(), "demo-site-s02");
  auto ae_unknown = post("/ae", ae_body("S02-AE-1", "S01-9999").dump(), "demo-site-s02");
  REQUIRE(ae_other);
  REQUIRE(ae_unknown);
  CHECK(ae_other->status == 422);
  CHECK(errors_of(ae_other) == std::map<std::string, std::string>{{"subject", "is not enrolled in this study"}});
  CHECK(comparable(ae_other, "S01-0007") == comparable(ae_unknown, "S01-9999"));

  // Events, labs, baseline, the subject's views: 404, word for word as for an unknown subject.
  const std::vector<std::pair<std::string, json>> writes = {
      {"/events", {{"kind", "discharge"}, {"date", day(-1)}}},
      {"/labs", lab_panel("S02-L1", day(-1) + "T07:30:00Z")},
      {"/baseline", {{"ast", {{"value", 30}, {"unit", "U/L"}, {"uln", 40}}}}},
      {"/events", {{"kind", "no-such-kind"}}},  // a bad body changes nothing
  };
  for (const auto& [suffix, body] : writes) {
    CAPTURE(suffix);
    auto other = post("/subjects/S01-0007" + suffix, body.dump(), "demo-site-s02");
    auto unknown = post("/subjects/S01-9999" + suffix, body.dump(), "demo-site-s02");
    REQUIRE(other);
    REQUIRE(unknown);
    CHECK(other->status == 404);
    CHECK(comparable(other, "S01-0007") == comparable(unknown, "S01-9999"));
  }
  for (const std::string suffix : {"", "/labs"}) {
    CAPTURE(suffix);
    auto other = get("/subjects/S01-0007" + suffix, "demo-site-s02");
    auto unknown = get("/subjects/S01-9999" + suffix, "demo-site-s02");
    REQUIRE(other);
    REQUIRE(unknown);
    CHECK(other->status == 404);
    CHECK(comparable(other, "S01-0007") == comparable(unknown, "S01-9999"));
  }
  // Nothing of S02's was stored against S01's subject.
  const json view = json::parse(get("/subjects/S01-0007")->body);
  CHECK(view["site"] == "S01");
  CHECK(view["events"].empty());
  CHECK(view["adverse_events"].size() == 1);
}
