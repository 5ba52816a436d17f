// End-to-end: FHIR R4 AdverseEvent in and out of the real daemon.
#include <doctest/doctest.h>

#include <set>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

constexpr const char* kFhir = "application/fhir+json";

json fhir_file(const std::string& name) {
  return json::parse(read_text(fs::path(PVMON_SOURCE_DIR) / "tests" / "data" / "fhir" / name));
}

struct FhirFixture {
  TempDir tmp;
  fs::path config = write_config(tmp.path);
  Daemon d{config, tmp.path / "data"};
  FhirFixture() {
    d.start();
    enrol_new(d);
  }
  httplib::Result post_fhir(const json& resource, const std::string& token = "demo-site-s01") {
    auto c = d.client();
    return c.Post((std::string(kStudy) + "/ae").c_str(), bearer(token), resource.dump(), kFhir);
  }
  httplib::Result get(const std::string& path, const std::string& token, const std::string& accept = kFhir) {
    auto c = d.client();
    auto h = bearer(token);
    h.emplace("Accept", accept);
    return c.Get(path.c_str(), h);
  }
};

std::set<std::string> expressions(const httplib::Result& r) {
  std::set<std::string> out;
  auto oo = json::parse(r->body);
  REQUIRE(oo["resourceType"] == "OperationOutcome");
  for (const auto& i : oo["issue"])
    if (i.contains("expression")) out.insert(i["expression"][0].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(FhirFixture, "a FHIR AdverseEvent is accepted, graded, and read back as FHIR and as JSON") {
  const json in = fhir_file("hcc-hypertension-sae.json");
  auto r = post_fhir(in);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  CHECK(r->get_header_value("Content-Type") == kFhir);
  const std::string location = r->get_header_value("Location");
  CHECK(location.rfind(std::string(kStudy) + "/ae/", 0) == 0);
  const json created = json::parse(r->body);
  CHECK(created["resourceType"] == "AdverseEvent");

  // The same resource again is a replay: 200, the same report.
  auto again = post_fhir(in);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body)["id"] == created["id"]);

  // As pvmon JSON: every mapped field landed where the site's JSON would have put it.
  auto plain = get(location, "demo-officer", "application/json");
  REQUIRE(plain);
  REQUIRE(plain->status == 200);
  const json rec = json::parse(plain->body);
  CHECK(rec["report_id"] == "S01-0007-AE-010");
  CHECK(rec["subject"] == "S01-0007");
  CHECK(rec["ctcae"]["term"] == "Hypertension");
  CHECK(rec["ctcae"]["meddra_code"] == "10020772");
  CHECK(rec["verbatim"] == "BP 182/112, admitted for IV labetalol");
  CHECK(rec["grade"] == 3);
  CHECK(rec["onset"] == "2026-10-20");
  CHECK(rec["resolved"] == "2026-10-24");
  CHECK(rec["site_aware_at"] == "2026-10-20T08:05:00.000Z");
  CHECK(rec["serious"]["hospitalization"] == true);
  CHECK(rec["serious"]["medically_important"] == true);
  CHECK(rec["causality"] == json{{"apatinib", "probable"}, {"camrelizumab", "unlikely"}, {"imrt", "unrelated"}});
  CHECK(rec["action_taken"] == json{{"apatinib", "drug_interrupted"}});
  CHECK(rec["outcome"] == "recovered");
  CHECK(rec["safety"]["serious"] == true);  // classified like any report
  CHECK(rec["fhir"]["recorded_date"] == "2026-10-21T09:00:00+08:00");

  // As FHIR: the round trip keeps every mapped field.
  auto out = get(location, "demo-site-s01");
  REQUIRE(out);
  REQUIRE(out->status == 200);
  CHECK(out->get_header_value("Content-Type") == kFhir);
  const json f = json::parse(out->body);
  CHECK(f == created);
  CHECK(f["identifier"]["value"] == in["identifier"]["value"]);
  CHECK(f["subject"]["reference"] == in["subject"]["reference"]);
  CHECK(f["event"]["coding"][0]["code"] == "10020772");
  CHECK(f["event"]["text"] == in["event"]["text"]);
  CHECK(f["date"] == "2026-10-20");
  CHECK(f["detected"] == "2026-10-20T08:05:00.000Z");  // the same instant, in UTC
  CHECK(f["recordedDate"] == in["recordedDate"]);
  CHECK(f["seriousness"]["coding"][0]["code"] == "SeriousResultsInHospitalization");
  CHECK(f["outcome"]["coding"][0]["code"] == "resolved");
  std::map<std::string, std::string> causality;
  for (const auto& s : f["suspectEntity"])
    causality[s["instance"]["reference"]] = s["causality"][0]["assessment"]["coding"][0]["code"];
  CHECK(causality == std::map<std::string, std::string>{{"Medication/apatinib", "probable"},
                                                        {"Medication/camrelizumab", "unlikely"},
                                                        {"Procedure/imrt", "unrelated"}});
  std::set<std::string> urls;
  for (const auto& e : f["extension"]) urls.insert(e["url"]);
  for (const auto& e : in["extension"]) CHECK_MESSAGE(urls.count(e["url"]), e["url"]);

  // And what came out goes back in as the same report (a new id is a new report).
  json back = f;
  back["identifier"]["value"] = "S01-0007-AE-011";
  auto r2 = post_fhir(back);
  REQUIRE(r2);
  CHECK(r2->status == 201);
  json f2 = json::parse(r2->body);
  for (const char* k : {"event", "date", "detected", "recordedDate", "seriousness", "outcome", "suspectEntity", "subject", "study"})
    CHECK_MESSAGE(f2[k] == f[k], k);
}

TEST_CASE_FIXTURE(FhirFixture, "a resource that cannot be mapped gets an OperationOutcome and stores nothing") {
  // The FHIR R4 specification's own example.
  auto r = post_fhir(fhir_file("adverseevent-example.json"));
  REQUIRE(r);
  CHECK(r->status == 422);
  CHECK(r->get_header_value("Content-Type") == kFhir);
  CHECK(expressions(r) == std::set<std::string>{
                              "AdverseEvent.extension('http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade')",
                              "AdverseEvent.detected", "AdverseEvent.outcome",
                              "AdverseEvent.suspectEntity[0].instance"});

  // Mapped, but the intake refuses it: the errors still name FHIRPaths.
  json unknown = fhir_file("hcc-hypertension-sae.json");
  unknown["subject"]["reference"] = "Patient/S01-9999";
  unknown["event"] = {{"text", "feeling blue-ish"}};
  unknown["date"] = "2099-01-01";
  auto u = post_fhir(unknown);
  REQUIRE(u);
  CHECK(u->status == 422);
  const auto ex = expressions(u);
  CHECK(ex.count("AdverseEvent.subject"));
  CHECK(ex.count("AdverseEvent.date"));

  // Malformed JSON: 400 with an OperationOutcome.
  auto c = d.client();
  auto bad = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), "{\"resourceType\":", kFhir);
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["issue"][0]["code"] == "structure");

  // Another site's subject is not enrolled for the caller (no existence oracle): 422, as an
  // OperationOutcome naming AdverseEvent.subject.
  json other = fhir_file("hcc-hypertension-sae.json");
  auto f = post_fhir(other, "demo-site-s02");
  REQUIRE(f);
  CHECK(f->status == 422);
  CHECK(expressions(f) == std::set<std::string>{"AdverseEvent.subject"});

  auto list = get(std::string(kStudy) + "/ae", "demo-officer", "application/json");
  REQUIRE(list);
  CHECK(json::parse(list->body)["items"].empty());
}

TEST_CASE_FIXTURE(FhirFixture, "searchset Bundle: by subject, paged, each site its own") {
  json in = fhir_file("hcc-hypertension-sae.json");
  for (int i = 0; i < 3; ++i) {
    in["identifier"]["value"] = "S01-0007-AE-" + std::to_string(20 + i);
    auto r = post_fhir(in);
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  auto c = d.client();
  auto s2 = c.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s02"),
                   subject_body("S02-0001").dump(), "application/json");
  REQUIRE(s2);
  in["identifier"]["value"] = "S02-0001-AE-1";
  in["subject"]["reference"] = "Patient/S02-0001";
  auto r = post_fhir(in, "demo-site-s02");
  REQUIRE(r);
  REQUIRE(r->status == 201);

  const std::string search = std::string(kStudy) + "/fhir/AdverseEvent";
  auto page1 = get(search + "?subject=Patient/S01-0007&_count=2", "demo-officer");
  REQUIRE(page1);
  REQUIRE(page1->status == 200);
  CHECK(page1->get_header_value("Content-Type") == kFhir);
  json b1 = json::parse(page1->body);
  CHECK(b1["resourceType"] == "Bundle");
  CHECK(b1["type"] == "searchset");
  REQUIRE(b1["entry"].size() == 2);
  CHECK(b1["entry"][0]["resource"]["resourceType"] == "AdverseEvent");
  CHECK(b1["entry"][0]["fullUrl"].get<std::string>().rfind("http://", 0) == 0);
  std::string next;
  for (const auto& l : b1["link"])
    if (l["relation"] == "next") next = l["url"];
  REQUIRE_FALSE(next.empty());
  next = next.substr(next.find("/v1/"));
  auto page2 = get(next, "demo-officer");
  REQUIRE(page2);
  json b2 = json::parse(page2->body);
  REQUIRE(b2["entry"].size() == 1);
  CHECK(b2["entry"][0]["resource"]["identifier"]["value"] == "S01-0007-AE-22");

  // The bare subject id works too; a site sees only its own reports.
  auto s02 = get(search, "demo-site-s02");
  REQUIRE(s02);
  json b3 = json::parse(s02->body);
  REQUIRE(b3["entry"].size() == 1);
  CHECK(b3["entry"][0]["resource"]["subject"]["reference"] == "Patient/S02-0001");
  auto none = get(search + "?subject=S01-0007", "demo-site-s02");
  REQUIRE(none);
  CHECK(json::parse(none->body)["entry"].empty());

  // Errors are OperationOutcomes: an unknown parameter, no token, a DSMB token.
  auto bad = get(search + "?code=10020772", "demo-officer");
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(expressions(bad) == std::set<std::string>{"code"});
  auto anon = c.Get(search.c_str());
  REQUIRE(anon);
  CHECK(anon->status == 401);
  CHECK(json::parse(anon->body)["resourceType"] == "OperationOutcome");
  auto dsmb = get(search, "demo-dsmb");
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);
}
