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
  SUBCASE("the AE research backport IG's ae-grade, in its own codes (NCI Thesaurus)") {
    // adverse-event-clinical-research-grades: C41338 grade 1 ... C41340 grade 3 ... C48275 grade 5.
    r["extension"][0] = {{"url", fhir::kBackportGradeUrl},
                         {"valueCodeableConcept",
                          {{"coding", json::array({{{"system", fhir::kNciThesaurusSystem},
                                                    {"code", "C41340"},
                                                    {"display", "Grade 3 Severe Adverse Event"}}})}}}};
    auto m = fhir::from_fhir(r, kStudy);
    REQUIRE(m);
    CHECK(m->body["grade"] == 3);
    CHECK(fhir::path_of(m.value(), "grade") == "AdverseEvent.extension('" + std::string(fhir::kBackportGradeUrl) + "')");
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

namespace {

json grade_ext(const char* url, const char* system, const std::string& code) {
  return {{"url", url}, {"valueCodeableConcept", {{"coding", json::array({{{"system", system}, {"code", code}}})}}}};
}

}  // namespace

TEST_CASE("each grade extension is read in its own code system; a code outside 1-5 or an unknown system is named") {
  const json good = load("hcc-hypertension-sae.json");
  const std::string ae_grade = "AdverseEvent.extension('" + std::string(fhir::kBackportGradeUrl) + "')";
  const std::string ctcae_grade = "AdverseEvent.extension('" + std::string(fhir::kGradeUrl) + "')";
  struct Case {
    std::string name;
    json extension;
    std::string path, says;
  };
  const std::vector<Case> cases = {
      {"ae-grade with the CTCAE IG's codes", grade_ext(fhir::kBackportGradeUrl, fhir::kGradeSystem, "3"),
       ae_grade + ".value", "must give its grade in " + std::string(fhir::kNciThesaurusSystem)},
      {"ae-grade without a system", grade_ext(fhir::kBackportGradeUrl, "", "3"), ae_grade + ".value", "a code without a system"},
      {"ae-grade with an NCI concept that is no grade", grade_ext(fhir::kBackportGradeUrl, fhir::kNciThesaurusSystem, "C12345"),
       ae_grade + ".value", "'C12345' is not a CTCAE grade (1-5)"},
      {"ae-grade 0 (absent adverse event)", grade_ext(fhir::kBackportGradeUrl, fhir::kNciThesaurusSystem, "C75533"),
       ae_grade + ".value", "grade 0"},
      {"ctcae-grade with NCI codes", grade_ext(fhir::kGradeUrl, fhir::kNciThesaurusSystem, "C41340"), ctcae_grade + ".value",
       "must give its grade in " + std::string(fhir::kGradeSystem)},
      {"ctcae-grade 7", grade_ext(fhir::kGradeUrl, fhir::kGradeSystem, "7"), ctcae_grade + ".value", "not a CTCAE grade (1-5)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json r = good;
    r["extension"][0] = c.extension;
    const FieldError e = only_error(r);
    CHECK(e.field == c.path);
    CHECK_MESSAGE(e.message.find(c.says) != std::string::npos, e.message);
  }
  SUBCASE("both extensions: they must agree") {
    json r = good;  // ctcae-grade 3
    r["extension"].push_back(grade_ext(fhir::kBackportGradeUrl, fhir::kNciThesaurusSystem, "C41340"));
    auto m = fhir::from_fhir(r, kStudy);
    REQUIRE(m);
    CHECK(m->body["grade"] == 3);
    r["extension"].back() = grade_ext(fhir::kBackportGradeUrl, fhir::kNciThesaurusSystem, "C41337");
    const FieldError e = only_error(r);
    CHECK(e.field == ae_grade + ".value");
    CHECK_MESSAGE(e.message.find("is grade 4 but " + ctcae_grade + " is grade 3") != std::string::npos, e.message);
  }
  SUBCASE("a translation beside the extension's own coding is ignored") {
    json r = good;
    r["extension"][0] = grade_ext(fhir::kBackportGradeUrl, fhir::kNciThesaurusSystem, "C48275");
    r["extension"][0]["valueCodeableConcept"]["coding"].push_back({{"system", "urn:other"}, {"code", "x"}});
    auto m = fhir::from_fhir(r, kStudy);
    REQUIRE(m);
    CHECK(m->body["grade"] == 5);  // the intake then asks for death and fatal
  }
  SUBCASE("out, the grade is given in both extensions, each in its own codes") {
    json record = json::parse(R"({"id": 1, "version": 1, "study": "hcc-pvtt-imrt", "site": "S01", "report_id": "R",
                                  "subject": "S01-0007", "grade": 4, "status": "active"})");
    std::map<std::string, json> ext;
    const json out = fhir::to_fhir(record, kStudy);
    for (const auto& e : out["extension"]) ext[e["url"]] = e;
    CHECK(ext.at(fhir::kGradeUrl)["valueCodeableConcept"]["coding"][0]["code"] == "4");
    CHECK(ext.at(fhir::kBackportGradeUrl)["valueCodeableConcept"]["coding"][0] ==
          json{{"system", fhir::kNciThesaurusSystem}, {"code", "C41337"},
               {"display", "Grade 4 Life Threatening or Disabling Adverse Event"}});
  }
}

TEST_CASE("MedDRA codings in event: different terms are refused, one term may come twice") {
  const json good = load("hcc-hypertension-sae.json");
  auto with_codings = [&](const json& cs) {
    json r = good;
    r["event"]["coding"] = cs;
    return r;
  };
  auto mdr = [](const std::string& code, const std::string& display = "") {
    json c{{"system", fhir::kMeddraSystem}, {"code", code}};
    if (!display.empty()) c["display"] = display;
    return c;
  };
  SUBCASE("two different terms: 422 naming the second coding") {
    const FieldError e = only_error(with_codings(json::array({mdr("10020772", "Hypertension"), mdr("10019211", "Headache")})));
    CHECK(e.field == "AdverseEvent.event.coding[1]");
    CHECK_MESSAGE(e.message.find("Headache (10019211)") != std::string::npos, e.message);
    CHECK_MESSAGE(e.message.find("event.coding[0] names '10020772'") != std::string::npos, e.message);
  }
  SUBCASE("the same term twice, or beside a coding of another system, is fine") {
    auto m = fhir::from_fhir(with_codings(json::array({{{"system", "http://snomed.info/sct"}, {"code", "38341003"}},
                                                        mdr("10020772"), mdr("10020772", "hypertension")})),
                             kStudy);
    REQUIRE(m);
    CHECK(m->body["term"] == "10020772");
    CHECK(fhir::path_of(m.value(), "term") == "AdverseEvent.event.coding[1]");
  }
  SUBCASE("a PT and the CTCAE LLT under it are one term: the CTCAE code is coded") {
    auto m = fhir::from_fhir(with_codings(json::array({mdr("10012735", "Diarrhoea"), mdr("10012727", "Diarrhea")})), kStudy);
    REQUIRE(m);
    CHECK(m->body["term"] == "10012727");
    CHECK(fhir::path_of(m.value(), "term") == "AdverseEvent.event.coding[1]");
  }
  SUBCASE("a PT alone goes to the intake as given (which answers with the CTCAE term)") {
    auto m = fhir::from_fhir(with_codings(json::array({mdr("10012735", "Diarrhoea")})), kStudy);
    REQUIRE(m);
    CHECK(m->body["term"] == "10012735");
    CHECK(fhir::path_of(m.value(), "term") == "AdverseEvent.event.coding[0]");
  }
  SUBCASE("a display that contradicts its code: 422 naming the display") {
    const FieldError e = only_error(with_codings(json::array({mdr("10020772", "Hypotension")})));
    CHECK(e.field == "AdverseEvent.event.coding[0].display");
    CHECK_MESSAGE(e.message.find("'Hypotension' is not the term of MedDRA code 10020772 (CTCAE v5.0: Hypertension)") !=
                      std::string::npos,
                  e.message);
  }
  SUBCASE("displays: any case and punctuation, the MedDRA spellings the dictionary knows, a PT's own name") {
    for (const auto& [code, display] : std::vector<std::pair<std::string, std::string>>{
             {"10020772", "HYPERTENSION"},
             {"10012727", "Diarrhoea"},  // MedDRA's spelling of the CTCAE term
             {"10002272", "anaemia"},
             {"10016558", "Pyrexia"},
             {"10012735", "Diarrhoea"},  // the PT's own name
             {"10054524", "palmar plantar erythrodysesthesia syndrome"},
             {"99999999", "anything"}}) {  // not a code pvmon knows: the intake refuses the code itself
      CAPTURE(code);
      CHECK(fhir::from_fhir(with_codings(json::array({mdr(code, display)})), kStudy));
    }
  }
}

TEST_CASE("the CapabilityStatement: what FHIR R4 requires, and the search parameters the search honours") {
  const json cs = fhir::capability_statement("https://pv.example.org/v1/studies/s/fhir");
  CHECK(cs["resourceType"] == "CapabilityStatement");
  CHECK(cs["status"] == "active");
  CHECK(cs["kind"] == "instance");
  CHECK(cs["fhirVersion"] == "4.0.1");
  CHECK(cs["date"].get<std::string>().size() == 10);
  CHECK(cs["format"] == json::array({"application/fhir+json", "json"}));
  CHECK(cs["implementation"]["url"] == "https://pv.example.org/v1/studies/s/fhir");
  REQUIRE(cs["rest"].size() == 1);
  CHECK(cs["rest"][0]["mode"] == "server");
  REQUIRE(cs["rest"][0]["resource"].size() == 1);
  const json& ae = cs["rest"][0]["resource"][0];
  CHECK(ae["type"] == "AdverseEvent");
  std::set<std::string> interactions, params, want;
  for (const auto& i : ae["interaction"]) interactions.insert(i["code"]);
  CHECK(interactions == std::set<std::string>{"read", "search-type", "create"});
  CHECK(ae["versioning"] == "versioned");
  for (const auto& p : ae["searchParam"]) params.insert(p["name"]);
  for (const char* p : fhir::kSearchParams) want.insert(p);
  CHECK(params == want);
}

TEST_CASE("a searchset Bundle's total") {
  const json r{{"resourceType", "AdverseEvent"}, {"id", "3"}};
  CHECK(fhir::searchset({r}, "http://h/fhir/AdverseEvent/", "s", "n", 7)["total"] == 7);
  CHECK(fhir::searchset({r}, "http://h/fhir/AdverseEvent/", "s", "n", 7)["entry"][0]["fullUrl"] == "http://h/fhir/AdverseEvent/3");
  CHECK_FALSE(fhir::searchset({r}, "b", "s", "").contains("total"));
}
