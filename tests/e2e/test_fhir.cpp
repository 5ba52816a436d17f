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
  CHECK(b1["total"] == 3);  // every page's matches, not this page's
  // fullUrl is the resource's own URL: [base]/AdverseEvent/{id}, absolute, and it reads back.
  const std::string base = "http://127.0.0.1:" + std::to_string(d.port()) + search;
  for (const auto& e : b1["entry"]) {
    CHECK(e["fullUrl"] == base + "/" + e["resource"]["id"].get<std::string>());
    CHECK(e["search"]["mode"] == "match");
    auto read = get(e["fullUrl"].get<std::string>().substr(e["fullUrl"].get<std::string>().find("/v1/")), "demo-officer");
    REQUIRE(read);
    CHECK(read->status == 200);
    CHECK(json::parse(read->body) == e["resource"]);
  }
  std::string next;
  for (const auto& l : b1["link"])
    if (l["relation"] == "next") next = l["url"];
  REQUIRE_FALSE(next.empty());
  next = next.substr(next.find("/v1/"));
  auto page2 = get(next, "demo-officer");
  REQUIRE(page2);
  json b2 = json::parse(page2->body);
  REQUIRE(b2["entry"].size() == 1);
  CHECK(b2["total"] == 3);
  CHECK(b2["entry"][0]["resource"]["identifier"]["value"] == "S01-0007-AE-22");

  // The bare subject id works too; a site sees only its own reports.
  auto s02 = get(search, "demo-site-s02");
  REQUIRE(s02);
  json b3 = json::parse(s02->body);
  REQUIRE(b3["entry"].size() == 1);
  CHECK(b3["total"] == 1);  // the site's own only
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

TEST_CASE_FIXTURE(FhirFixture, "FHIR read: the resource with its version as ETag, 304 while it is current, 404 otherwise") {
  auto r = post_fhir(fhir_file("hcc-hypertension-sae.json"));
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string id = json::parse(r->body)["id"];
  const std::string url = std::string(kStudy) + "/fhir/AdverseEvent/" + id;

  auto one = get(url, "demo-site-s01");
  REQUIRE(one);
  REQUIRE(one->status == 200);
  CHECK(one->get_header_value("Content-Type") == kFhir);
  CHECK(one->get_header_value("ETag") == "W/\"1\"");
  CHECK_FALSE(one->get_header_value("Last-Modified").empty());
  const json f = json::parse(one->body);
  CHECK(f["id"] == id);
  CHECK(f["meta"]["versionId"] == "1");
  CHECK(f == json::parse(r->body));

  // If-None-Match with the current ETag (weak comparison, RFC 9110 §13.1.2): 304, no body.
  auto c = d.client();
  auto h = bearer("demo-officer");
  h.emplace("If-None-Match", "W/\"1\"");
  auto same = c.Get(url.c_str(), h);
  REQUIRE(same);
  CHECK(same->status == 304);
  CHECK(same->body.empty());
  CHECK(same->get_header_value("ETag") == "W/\"1\"");

  // A follow-up makes version 2: the old ETag no longer matches.
  auto fu = c.Post((std::string(kStudy) + "/ae/" + id + "/followups").c_str(), bearer("demo-site-s01"),
                   json{{"followup_id", "F1"}, {"changes", {{"grade", 2}}}}.dump(), "application/json");
  REQUIRE(fu);
  REQUIRE(fu->status == 201);
  auto changed = c.Get(url.c_str(), h);
  REQUIRE(changed);
  CHECK(changed->status == 200);
  CHECK(changed->get_header_value("ETag") == "W/\"2\"");
  CHECK(json::parse(changed->body)["meta"]["versionId"] == "2");

  // Unknown, malformed, another site's: 404 OperationOutcomes; no token 401, DSMB 403.
  for (const auto& [path, token] : std::vector<std::pair<std::string, std::string>>{
           {std::string(kStudy) + "/fhir/AdverseEvent/999999", "demo-officer"},
           {std::string(kStudy) + "/fhir/AdverseEvent/x", "demo-officer"},
           {url, "demo-site-s02"},
           {"/v1/studies/no-such-study/fhir/AdverseEvent/" + id, "demo-officer"}}) {
    CAPTURE(path);
    auto nf = get(path, token);
    REQUIRE(nf);
    CHECK(nf->status == 404);
    CHECK(json::parse(nf->body)["issue"][0]["code"] == "not-found");
  }
  auto anon = c.Get(url.c_str());
  REQUIRE(anon);
  CHECK(anon->status == 401);
  CHECK(json::parse(anon->body)["resourceType"] == "OperationOutcome");
  auto dsmb = get(url, "demo-dsmb");
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);
}

TEST_CASE_FIXTURE(FhirFixture, "FHIR metadata: a public CapabilityStatement, and every interaction it states answers") {
  auto c = d.client();
  const std::string fhir = std::string(kStudy) + "/fhir";
  auto m = c.Get((fhir + "/metadata").c_str());  // no token
  REQUIRE(m);
  REQUIRE(m->status == 200);
  CHECK(m->get_header_value("Content-Type") == kFhir);
  const json cs = json::parse(m->body);
  CHECK(cs["resourceType"] == "CapabilityStatement");
  CHECK(cs["status"] == "active");
  CHECK(cs["kind"] == "instance");
  CHECK(cs["fhirVersion"] == "4.0.1");
  const std::string base = "http://127.0.0.1:" + std::to_string(d.port()) + fhir;
  CHECK(cs["implementation"]["url"] == base);
  REQUIRE(cs["rest"][0]["resource"][0]["type"] == "AdverseEvent");

  // Each stated interaction, done as stated.
  std::set<std::string> done;
  std::string id;
  for (const auto& i : cs["rest"][0]["resource"][0]["interaction"]) {
    const std::string code = i["code"];
    if (code != "create") continue;
    json in = fhir_file("hcc-hypertension-sae.json");
    auto r = c.Post((fhir + "/AdverseEvent").c_str(), bearer("demo-site-s01"), in.dump(), kFhir);
    REQUIRE(r);
    CHECK(r->status == 201);
    id = json::parse(r->body)["id"];
    CHECK(r->get_header_value("Location") == base + "/AdverseEvent/" + id);
    CHECK(r->get_header_value("ETag") == "W/\"1\"");
    // The same resource at the other door is the same report: a replay.
    auto again = post_fhir(in);
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(json::parse(again->body)["id"] == id);
    done.insert(code);
  }
  REQUIRE_FALSE(id.empty());
  for (const auto& i : cs["rest"][0]["resource"][0]["interaction"]) {
    const std::string code = i["code"];
    if (code == "read") {
      auto r = get(fhir + "/AdverseEvent/" + id, "demo-officer");
      REQUIRE(r);
      CHECK(r->status == 200);
      done.insert(code);
    } else if (code == "search-type") {
      std::string query;
      for (const auto& p : cs["rest"][0]["resource"][0]["searchParam"])
        query += (query.empty() ? "?" : "&") + p["name"].get<std::string>() +
                 (p["name"] == "subject" ? "=Patient/S01-0007" : "=10");
      auto r = get(fhir + "/AdverseEvent" + query, "demo-officer");
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(json::parse(r->body)["total"] == 1);
      done.insert(code);
    }
  }
  CHECK(done == std::set<std::string>{"create", "read", "search-type"});

  auto unknown = c.Get("/v1/studies/no-such-study/fhir/metadata");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(json::parse(unknown->body)["resourceType"] == "OperationOutcome");
}

TEST_CASE_FIXTURE(FhirFixture, "FHIR MedDRA codings: two terms, a contradicting display, a PT whose CTCAE term is an LLT under it") {
  json in = fhir_file("hcc-hypertension-sae.json");
  auto diagnostics = [](const httplib::Result& r) {
    std::string all;
    const json oo = json::parse(r->body);
    for (const auto& i : oo["issue"]) all += i["diagnostics"].get<std::string>() + "\n";
    return all;
  };
  json two = in;
  two["event"]["coding"].push_back({{"system", "http://terminology.hl7.org/CodeSystem/mdr"}, {"code", "10019211"}});
  auto r2 = post_fhir(two);
  REQUIRE(r2);
  CHECK(r2->status == 422);
  CHECK(expressions(r2) == std::set<std::string>{"AdverseEvent.event.coding[1]"});

  json wrong = in;
  wrong["event"]["coding"][0]["display"] = "Hypotension";
  auto rd = post_fhir(wrong);
  REQUIRE(rd);
  CHECK(rd->status == 422);
  CHECK(expressions(rd) == std::set<std::string>{"AdverseEvent.event.coding[0].display"});

  // PT 10012735 Diarrhoea: CTCAE v5.0 codes it as the LLT 10012727 Diarrhea, which the answer names.
  json pt = in;
  pt["event"]["coding"][0] = {{"system", "http://terminology.hl7.org/CodeSystem/mdr"}, {"code", "10012735"}, {"display", "Diarrhoea"}};
  auto rp = post_fhir(pt);
  REQUIRE(rp);
  CHECK(rp->status == 422);
  CHECK(expressions(rp) == std::set<std::string>{"AdverseEvent.event.coding[0]"});
  CHECK_MESSAGE(diagnostics(rp).find("did you mean: Diarrhea (10012727)") != std::string::npos, diagnostics(rp));

  // Mapped by the site's system: the CTCAE code is taken.
  pt["event"]["coding"][0]["code"] = "10012727";
  auto ok = post_fhir(pt);
  REQUIRE(ok);
  CHECK(ok->status == 201);
  CHECK(json::parse(ok->body)["event"]["coding"][0]["display"] == "Diarrhea");
}
