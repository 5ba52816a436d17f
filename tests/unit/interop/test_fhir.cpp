// FHIR R4 AdverseEvent mapping: the published R4 example, our own trial example, each problem
// with its FHIRPath, the way out, and the round trip.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "pvmon/interop.hpp"

using namespace pvmon;
using namespace pvmon::interop;
using nlohmann::json;

namespace {

json load(const std::string& name) {
  std::ifstream in(std::string(PVMON_TEST_DATA) + "/fhir/" + name);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

const fhir::StudyContext kStudy{"hcc-pvtt-imrt",
                                {{"camrelizumab", "drug"}, {"apatinib", "drug"}, {"imrt", "radiotherapy"},
                                 {"surgery", "surgery"}}};

std::set<std::string> paths(const Result<fhir::Mapped>& r) {
  std::set<std::string> out;
  for (const auto& f : r.error().fields) out.insert(f.field);
  return out;
}

/// The one error of mapping `r`, which must fail with exactly one problem.
FieldError only_error(const json& r) {
  auto m = fhir::from_fhir(r, kStudy);
  REQUIRE_FALSE(m);
  REQUIRE(m.error().fields.size() == 1);
  return m.error().fields[0];
}

}  // namespace

TEST_CASE("the FHIR R4 specification's AdverseEvent example cannot be mapped, and each reason is named") {
  // adverseevent-example.json of FHIR R4 (4.0.1): a product-use error with a SNOMED-coded rash,
  // R4 severity "mild", no CTCAE grade, no detection date, no outcome, a Medication/example.
  auto m = fhir::from_fhir(load("adverseevent-example.json"), kStudy);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == Errc::invalid);
  CHECK(paths(m) == std::set<std::string>{
                        "AdverseEvent.extension('http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade')",
                        "AdverseEvent.detected", "AdverseEvent.outcome", "AdverseEvent.suspectEntity[0].instance"});
  // Severity is named as what it is not.
  CHECK(m.error().fields[0].message.find("severity (mild, moderate, severe) is not a CTCAE grade") !=
        std::string::npos);
}

TEST_CASE("the specification's example, completed with what pvmon needs, maps to a report body") {
  json r = load("adverseevent-example.json");
  r["extension"] = json::array({{{"url", fhir::kGradeUrl},
                                 {"valueCodeableConcept", {{"coding", json::array({{{"system", fhir::kGradeSystem}, {"code", "1"}}})}}}}});
  r["detected"] = "2017-01-29";
  r["outcome"] = {{"coding", json::array({{{"system", fhir::kOutcomeSystem}, {"code", "resolved"}}})}};
  r["suspectEntity"][0]["instance"]["reference"] = "Medication/camrelizumab";
  r["suspectEntity"][0]["causality"] = json::array({{{"assessment", {{"coding", json::array({{{"system", fhir::kCausalitySystem}, {"code", "Possible"}}})}}}}});
  auto m = fhir::from_fhir(r, kStudy);
  REQUIRE(m);
  const json& b = m->body;
  CHECK(b["report_id"] == "49476534");
  CHECK(b["subject"] == "example");
  CHECK(b["term"] == "This was a mild rash on the left forearm");  // a SNOMED code is not a CTCAE term
  CHECK_FALSE(b.contains("verbatim"));
  CHECK(b["grade"] == 1);
  CHECK(b["onset"] == "2017-01-29");
  CHECK(b["site_aware_at"] == "2017-01-29T00:00:00.000Z");  // a date reads as its start
  CHECK(b["serious"] == json{{"death", false}, {"life_threatening", false}, {"hospitalization", false},
                             {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}});
  CHECK(b["outcome"] == "recovered");
  CHECK(b["causality"] == json{{"camrelizumab", "possible"}});
  CHECK(m->source["resource_id"] == "example");
}

TEST_CASE("our trial's example maps field by field") {
  auto m = fhir::from_fhir(load("hcc-hypertension-sae.json"), kStudy);
  REQUIRE(m);
  const json expected = json::parse(R"({
    "report_id": "S01-0007-AE-010", "subject": "S01-0007",
    "term": "10020772", "verbatim": "BP 182/112, admitted for IV labetalol",
    "grade": 3, "onset": "2026-10-20", "site_aware_at": "2026-10-20T08:05:00.000Z",
    "resolved": "2026-10-24",
    "serious": {"death": false, "life_threatening": false, "hospitalization": true,
                "disability": false, "congenital_anomaly": false, "medically_important": true},
    "outcome": "recovered",
    "causality": {"apatinib": "probable", "camrelizumab": "unlikely", "imrt": "unrelated"},
    "action_taken": {"apatinib": "drug_interrupted"},
    "narrative": "Hypertensive urgency on day 49 of apatinib; resolved on amlodipine."
  })");
  CHECK(m->body == expected);
  CHECK(m->source == json{{"recorded_date", "2026-10-21T09:00:00+08:00"}, {"resource_id", "edc-77310"}});
  // Later validation errors on body fields are named where they came from.
  CHECK(fhir::path_of(m.value(), "causality.imrt") == "AdverseEvent.suspectEntity[2].causality[0].assessment");
  CHECK(fhir::path_of(m.value(), "serious.medically_important") == "AdverseEvent.extension[2]");
  CHECK(fhir::path_of(m.value(), "term") == "AdverseEvent.event.coding[0]");
  CHECK(fhir::path_of(m.value(), "onset") == "AdverseEvent.date");
  CHECK(fhir::path_of(m.value(), "lab.value") == "AdverseEvent");
  CHECK(fhir::path_of(m.value(), "causality") == "AdverseEvent.suspectEntity");
}

TEST_CASE("each problem of a resource is named by its FHIRPath") {
  const json good = load("hcc-hypertension-sae.json");
  REQUIRE(fhir::from_fhir(good, kStudy));
  const std::string grade = "AdverseEvent.extension('http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade')";
  struct Case {
    std::string name;
    std::function<void(json&)> edit;
    std::string path;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"no identifier", [](json& r) { r.erase("identifier"); }, "AdverseEvent.identifier", "report id"},
      {"identifier as an array", [](json& r) { r["identifier"] = json::array({r["identifier"]}); }, "AdverseEvent.identifier", "0..1"},
      {"no subject", [](json& r) { r.erase("subject"); }, "AdverseEvent.subject", "required"},
      {"a Group as subject", [](json& r) { r["subject"]["reference"] = "Group/g1"; }, "AdverseEvent.subject.reference", "Patient/"},
      {"another study", [](json& r) { r["study"][0]["reference"] = "ResearchStudy/other"; }, "AdverseEvent.study[0]", "'other'"},
      {"a potential event", [](json& r) { r["actuality"] = "potential"; }, "AdverseEvent.actuality", "only actual"},
      {"no actuality", [](json& r) { r.erase("actuality"); }, "AdverseEvent.actuality", "required"},
      {"no event", [](json& r) { r.erase("event"); }, "AdverseEvent.event", "required"},
      {"an event with nothing in it", [](json& r) { r["event"] = json::object(); }, "AdverseEvent.event", "names no term"},
      {"no grade", [](json& r) { r["extension"].erase(0); }, grade, "severity (mild, moderate, severe) is not a CTCAE grade"},
      {"grade 0", [](json& r) { r["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "0"; }, grade + ".value", "grade 0"},
      {"grade 6", [](json& r) { r["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "6"; }, grade + ".value", "not a CTCAE grade"},
      {"two grades", [](json& r) { r["extension"].push_back(r["extension"][0]); }, grade, "more than once"},
      {"no date", [](json& r) { r.erase("date"); }, "AdverseEvent.date", "required"},
      {"a month only", [](json& r) { r["date"] = "2026-10"; }, "AdverseEvent.date", "to the day"},
      {"February 30th", [](json& r) { r["date"] = "2026-02-30"; }, "AdverseEvent.date", "to the day"},
      {"a bad detected", [](json& r) { r["detected"] = "yesterday"; }, "AdverseEvent.detected", "'yesterday'"},
      {"neither detected nor recorded", [](json& r) { r.erase("detected"); r.erase("recordedDate"); }, "AdverseEvent.detected", "required"},
      {"no seriousness", [](json& r) { r.erase("seriousness"); }, "AdverseEvent.seriousness", "required"},
      {"'Serious' alone", [](json& r) { r["seriousness"]["coding"][0]["code"] = "Serious"; }, "AdverseEvent.seriousness.coding[0]", "names no criterion"},
      {"an unknown seriousness", [](json& r) { r["seriousness"]["coding"][0]["code"] = "Bad"; }, "AdverseEvent.seriousness.coding[0]", "not an adverse-event-seriousness code"},
      {"serious and Non-serious", [](json& r) { r["seriousness"]["coding"].push_back({{"code", "Non-serious"}}); }, "AdverseEvent.seriousness", "both"},
      {"no outcome", [](json& r) { r.erase("outcome"); }, "AdverseEvent.outcome", "required"},
      {"an unknown outcome", [](json& r) { r["outcome"]["coding"][0]["code"] = "better"; }, "AdverseEvent.outcome", "no adverse-event-outcome code"},
      {"an unknown intervention", [](json& r) { r["suspectEntity"][0]["instance"]["reference"] = "Medication/aspirin"; }, "AdverseEvent.suspectEntity[0].instance", "camrelizumab, apatinib, imrt, surgery"},
      {"no causality", [](json& r) { r["suspectEntity"][1].erase("causality"); }, "AdverseEvent.suspectEntity[1].causality", "camrelizumab"},
      {"an unknown causality", [](json& r) { r["suspectEntity"][1]["causality"][0]["assessment"]["coding"][0]["code"] = "Maybe"; }, "AdverseEvent.suspectEntity[1].causality", "no assessment"},
      {"one intervention assessed twice, differently", [](json& r) { r["suspectEntity"][1]["instance"]["reference"] = "Medication/apatinib"; }, "AdverseEvent.suspectEntity[1].instance", "twice"},
      {"a modifier extension", [](json& r) { r["modifierExtension"] = json::array({{{"url", "urn:x"}, {"valueBoolean", true}}}); }, "AdverseEvent.modifierExtension", "not understood"},
      {"an element R4 does not have", [](json& r) { r["note"] = json::array(); }, "AdverseEvent.note", "not an element"},
      {"an incomplete action taken", [](json& r) { r["extension"][3]["extension"].erase(1); }, "AdverseEvent.extension[3]", "action"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json r = good;
    c.edit(r);
    const FieldError e = only_error(r);
    CHECK(e.field == c.path);
    CHECK_MESSAGE(e.message.find(c.says) != std::string::npos, e.message);
  }
  SUBCASE("not an AdverseEvent at all") {
    auto m = fhir::from_fhir(json{{"resourceType", "Patient"}}, kStudy);
    REQUIRE_FALSE(m);
    CHECK(m.error().fields.at(0).field == "resourceType");
  }
}

TEST_CASE("grades and dates in the forms other guides use") {
  json r = load("hcc-hypertension-sae.json");
  SUBCASE("the AE research backport IG's ae-grade") {
    r["extension"][0]["url"] = fhir::kBackportGradeUrl;
    auto m = fhir::from_fhir(r, kStudy);
    REQUIRE(m);
    CHECK(m->body["grade"] == 3);
  }
  SUBCASE("recordedDate stands in for a missing detected, and errors then point at it") {
    r.erase("detected");
    auto m = fhir::from_fhir(r, kStudy);
    REQUIRE(m);
    CHECK(m->body["site_aware_at"] == "2026-10-21T01:00:00.000Z");
    CHECK(fhir::path_of(m.value(), "site_aware_at") == "AdverseEvent.recordedDate");
  }
}

TEST_CASE("a stored record as a FHIR R4 AdverseEvent") {
  const json record = json::parse(R"({
    "id": 42, "version": 2, "study": "hcc-pvtt-imrt", "site": "S02", "report_id": "S02-0003-AE-001",
    "subject": "S02-0003", "term": "ALT raised", "verbatim": "ALT raised", "grade": 4,
    "onset": "2026-10-02", "resolved": null, "site_aware_at": "2026-10-03T08:10:00.000Z",
    "received_at": "2026-10-03T09:00:00.000Z", "recorded_at": "2026-10-05T10:00:00.000Z",
    "serious": {"death": false, "life_threatening": true, "hospitalization": true, "disability": false,
                "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "definite", "surgery": "unrelated"},
    "action_taken": {"camrelizumab": "drug_withdrawn"}, "outcome": "not_recovered", "narrative": "",
    "ctcae": {"term": "Alanine aminotransferase increased", "meddra_code": "10001551", "protocol_term": false},
    "status": "active"})");
  const json r = fhir::to_fhir(record, kStudy);
  CHECK(r["resourceType"] == "AdverseEvent");
  CHECK(r["id"] == "42");
  CHECK(r["meta"] == json{{"versionId", "2"}, {"lastUpdated", "2026-10-05T10:00:00.000Z"}});
  CHECK(r["identifier"]["value"] == "S02-0003-AE-001");
  CHECK(r["subject"]["reference"] == "Patient/S02-0003");
  CHECK(r["event"]["coding"][0] == json{{"system", "http://terminology.hl7.org/CodeSystem/mdr"},
                                        {"code", "10001551"}, {"display", "Alanine aminotransferase increased"}});
  CHECK(r["event"]["text"] == "ALT raised");
  CHECK(r["date"] == "2026-10-02");
  CHECK(r["detected"] == "2026-10-03T08:10:00.000Z");
  CHECK(r["recordedDate"] == "2026-10-03T09:00:00.000Z");  // no FHIR source: when pvmon received it
  // The gravest criterion is R4's one seriousness; the other goes in the extension.
  CHECK(r["seriousness"]["coding"][0]["code"] == "SeriousIsLifeThreatening");
  // not_recovered is HL7's "ongoing".
  CHECK(r["outcome"]["coding"][0]["code"] == "ongoing");
  CHECK_FALSE(r.contains("severity"));
  REQUIRE(r["suspectEntity"].size() == 2);
  CHECK(r["suspectEntity"][0]["instance"]["reference"] == "Medication/camrelizumab");
  CHECK(r["suspectEntity"][0]["causality"][0]["assessment"]["coding"][1] ==
        json{{"system", fhir::kCausalitySystem}, {"code", "Certain"}});
  CHECK(r["suspectEntity"][1]["instance"]["reference"] == "Procedure/surgery");
  // "unrelated" has no WHO-UMC code: only pvmon's.
  CHECK(r["suspectEntity"][1]["causality"][0]["assessment"]["coding"].size() == 1);
  std::map<std::string, json> ext;
  for (const auto& e : r["extension"]) ext[e["url"]] = e;
  CHECK(ext.at(fhir::kGradeUrl)["valueCodeableConcept"]["coding"][0]["code"] == "4");
  CHECK(ext.at(fhir::kSeriousnessCriterionUrl)["valueCoding"]["code"] == "SeriousResultsInHospitalization");
  CHECK(ext.at(fhir::kStatusUrl)["valueCode"] == "active");
  CHECK_FALSE(ext.count(fhir::kResolvedDateUrl));  // not resolved
  CHECK_FALSE(ext.count(fhir::kNarrativeUrl));     // empty
}

TEST_CASE("round trip: FHIR in, stored, FHIR out, and in again keeps every mapped field") {
  const json in = load("hcc-hypertension-sae.json");
  auto first = fhir::from_fhir(in, kStudy);
  REQUIRE(first);
  // What the store would hold: the body, the coding, the server's fields and the FHIR source.
  json record = first->body;
  record["id"] = 7;
  record["version"] = 1;
  record["site"] = "S01";
  record["study"] = "hcc-pvtt-imrt";
  record["received_at"] = "2026-10-21T01:00:05.000Z";
  record["recorded_at"] = "2026-10-21T01:00:05.000Z";
  record["ctcae"] = {{"term", "Hypertension"}, {"meddra_code", "10020772"}, {"protocol_term", false}};
  record["fhir"] = first->source;
  record["status"] = "active";
  const json out = fhir::to_fhir(record, kStudy);
  CHECK(out["recordedDate"] == in["recordedDate"]);
  CHECK(out["date"] == "2026-10-20");
  CHECK(out["event"]["text"] == in["event"]["text"]);
  CHECK(out["event"]["coding"][0]["code"] == in["event"]["coding"][0]["code"]);
  auto again = fhir::from_fhir(out, kStudy);
  REQUIRE(again);
  CHECK(again->body == first->body);
  CHECK(again->source["recorded_date"] == first->source["recorded_date"]);
}

TEST_CASE("OperationOutcome: one issue per problem, FHIRPath in expression, R4 issue types") {
  const Error e = Error::invalid({{"AdverseEvent.outcome", "is required (...)"},
                                  {"AdverseEvent.suspectEntity[0].causality", "has no assessment coded in ..."},
                                  {"AdverseEvent.date", "'2026-10' is not a dateTime to the day"}});
  const json oo = fhir::operation_outcome(e);
  CHECK(oo["resourceType"] == "OperationOutcome");
  REQUIRE(oo["issue"].size() == 3);
  CHECK(oo["issue"][0] == json{{"severity", "error"}, {"code", "required"}, {"diagnostics", "is required (...)"},
                               {"expression", json::array({"AdverseEvent.outcome"})}});
  CHECK(oo["issue"][1]["code"] == "code-invalid");
  CHECK(oo["issue"][2]["code"] == "value");
  const json login = fhir::operation_outcome(Error::of(Errc::unauthorized, "a valid bearer token is required"));
  CHECK(login["issue"][0]["code"] == "login");
  CHECK_FALSE(login["issue"][0].contains("expression"));
  CHECK(fhir::operation_outcome(Error::of(Errc::internal, "x"))["issue"][0]["severity"] == "fatal");
}

TEST_CASE("a searchset Bundle") {
  const json b = fhir::searchset({json{{"resourceType", "AdverseEvent"}, {"id", "3"}}}, "http://h/v1/studies/s/ae/",
                                 "http://h/self", "http://h/next");
  CHECK(b["type"] == "searchset");
  CHECK(b["entry"][0]["fullUrl"] == "http://h/v1/studies/s/ae/3");
  CHECK(b["entry"][0]["search"]["mode"] == "match");
  CHECK(b["link"][1] == json{{"relation", "next"}, {"url", "http://h/next"}});
  CHECK(fhir::searchset({}, "b", "s", "")["link"].size() == 1);
}
