// End-to-end: a site's desk pages on the real daemon. Site S01 enrols a subject, files an AE
// report, a follow-up and a subject event through the forms: each form posts the JSON the /v1
// route takes (the stored records equal what the API stores for the same JSON), an error comes
// back as the form with the API's message beside its field and what was typed kept. The lists
// show a site its own subjects and reports, the officer every site's; another site, the officer
// and a POST without the CSRF token are refused. The term search answers as GET /v1/ctcae/terms,
// and the one script is served as text/javascript.
#include <doctest/doctest.h>

#include "desk_client.hpp"

using namespace pvmon::test;

namespace {

json api_get(const Desk& k, const std::string& path, const std::string& token) {
  auto r = k.d.client().Get(path, bearer(token));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

/// The text of the element with id `id` up to its closing tag's start.
std::string element_text(const std::string& html, const std::string& id) {
  const auto at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const auto open_end = html.find('>', at);
  return html.substr(open_end + 1, html.find('<', open_end) - open_end - 1);
}

/// The AE form's fields of a report on `subject`, with `term`.
std::vector<std::pair<std::string, std::string>> ae_fields(const std::string& csrf, const std::string& report_id,
                                                           const std::string& subject, const std::string& term) {
  return {{"csrf", csrf},
          {"report_id", report_id},
          {"subject", subject},
          {"term", term},
          {"verbatim", "watery stools"},
          {"grade", "3"},
          {"onset", day(-5)},
          {"resolved", ""},
          {"site_aware_at", day(-4) + "T09:30"},
          {"serious.hospitalization", "true"},
          {"outcome", "recovering"},
          {"causality.camrelizumab", "possible"},
          {"causality.apatinib", "probable"},
          {"causality.imrt", ""},
          {"causality.surgery", ""},
          {"action_taken.apatinib", "drug_interrupted"},
          {"narrative", "Admitted for IV fluids."}};
}

/// The JSON the AE form above stands for, as a JSON client posts it to /v1.
json ae_json(const std::string& report_id, const std::string& subject) {
  return {{"report_id", report_id},
          {"subject", subject},
          {"term", "Diarrhea"},
          {"verbatim", "watery stools"},
          {"grade", 3},
          {"onset", day(-5)},
          {"site_aware_at", day(-4) + "T09:30:00Z"},
          {"serious",
           {{"death", false},
            {"life_threatening", false},
            {"hospitalization", true},
            {"disability", false},
            {"congenital_anomaly", false},
            {"medically_important", false}}},
          {"outcome", "recovering"},
          {"causality", {{"camrelizumab", "possible"}, {"apatinib", "probable"}}},
          {"action_taken", {{"apatinib", "drug_interrupted"}}},
          {"narrative", "Admitted for IV fluids."}};
}

}  // namespace

TEST_CASE("desk site: a site enrols, files an AE report, a follow-up and an event through the forms") {
  Desk k;
  const std::string s01 = k.session("demo-site-s01");

  // Enrol: the empty form, then the post; the subject is stored as the API stores the same JSON.
  auto enrol = k.get(kDesk + "/subjects/new", s01);
  REQUIRE(enrol);
  CHECK(enrol->status == 200);
  CHECK(enrol->body.find("<label for=\"subject\">Subject id (required)</label>") != std::string::npos);
  CHECK(enrol->body.find("id=\"subject\" name=\"subject\" required") != std::string::npos);
  CHECK(enrol->body.find("type=\"date\" id=\"enrolled\" name=\"enrolled\" required") != std::string::npos);
  CHECK(enrol->body.find("id=\"baseline-alt-value\" name=\"baseline.alt.value\"") != std::string::npos);
  const std::string csrf = Desk::csrf_of(enrol->body);
  auto enrolled = k.post(kDesk + "/subjects/new", s01,
                         form({{"csrf", csrf},
                               {"subject", "S01-0100"},
                               {"enrolled", day(-30)},
                               {"sex", "F"},
                               {"age", "61"},
                               {"baseline.alt.value", "52"},
                               {"baseline.alt.unit", "U/L"},
                               {"baseline.alt.uln", "40"},
                               {"baseline.ast.value", ""}}));
  REQUIRE(enrolled);
  CHECK(enrolled->status == 303);
  CHECK(enrolled->get_header_value("Location") == kDesk + "/subjects/S01-0100");
  const json same = {{"subject", "S01-0101"},
                     {"enrolled", day(-30)},
                     {"sex", "F"},
                     {"age", 61},
                     {"baseline", {{"alt", {{"value", 52}, {"unit", "U/L"}, {"uln", 40}}}}}};
  auto via_api = k.d.client().Post(std::string(kStudy) + "/subjects", bearer("demo-site-s01"), same.dump(),
                                   "application/json");
  REQUIRE(via_api);
  REQUIRE(via_api->status == 201);
  const json subject = api_get(k, std::string(kStudy) + "/subjects/S01-0100", "demo-site-s01");
  const json twin = api_get(k, std::string(kStudy) + "/subjects/S01-0101", "demo-site-s01");
  for (const char* key : {"enrolled", "sex", "age", "baseline"}) CHECK(subject[key] == twin[key]);
  CHECK(subject["baseline"]["alt"]["value"] == 52);

  // A duplicate enrolment with another body: the API's 409, beside the subject field.
  auto again = k.post(kDesk + "/subjects/new", s01,
                      form({{"csrf", csrf}, {"subject", "S01-0100"}, {"enrolled", day(-30)}, {"sex", "M"}, {"age", "61"}}));
  REQUIRE(again);
  CHECK(again->status == 409);
  CHECK(again->body.find("id=\"subject-error\"") != std::string::npos);

  // The AE form, its subject chosen by ?subject=, the term search script loaded from its file.
  auto ae_form = k.get(kDesk + "/ae/new?subject=S01-0100", s01);
  REQUIRE(ae_form);
  CHECK(ae_form->status == 200);
  CHECK(ae_form->body.find("<option value=\"S01-0100\" selected>") != std::string::npos);
  CHECK(ae_form->body.find("<script src=\"/desk/static/term-search.js\" defer></script>") != std::string::npos);
  CHECK(ae_form->body.find("<script>") == std::string::npos);
  CHECK(ae_form->body.find("id=\"term\" name=\"term\" required") != std::string::npos);
  CHECK(ae_form->body.find("data-grade-select=\"grade\"") != std::string::npos);
  CHECK(ae_form->body.find("<select id=\"grade\" name=\"grade\"") != std::string::npos);
  CHECK(ae_form->body.find("id=\"serious-death\" name=\"serious.death\"") != std::string::npos);
  CHECK(ae_form->body.find("id=\"causality-apatinib\" name=\"causality.apatinib\"") != std::string::npos);
  CHECK(ae_form->body.find("type=\"datetime-local\" step=\"1\" id=\"site_aware_at\"") != std::string::npos);

  // One wrong field (a term CTCAE does not have): 422, the API's message and suggestion beside it.
  auto wrong = k.post(kDesk + "/ae/new", s01, form(ae_fields(csrf, "S01-0100-AE-001", "S01-0100", "Diarhea")));
  REQUIRE(wrong);
  CHECK(wrong->status == 422);
  const auto field = wrong->body.find("id=\"term\" name=\"term\"");
  const auto error = wrong->body.find("<span id=\"term-error\" class=\"error\">");
  REQUIRE(field != std::string::npos);
  REQUIRE(error != std::string::npos);
  CHECK(error > field);
  const std::string said = element_text(wrong->body, "term-error");
  CHECK(said.find("is not a CTCAE v5.0 term") != std::string::npos);
  CHECK(said.find("Diarrhea") != std::string::npos);  // the API's suggestion
  CHECK(wrong->body.find("aria-invalid=\"true\" aria-describedby=\"term-hint term-error\"") != std::string::npos);
  CHECK(wrong->body.find("role=\"alert\"") != std::string::npos);
  CHECK(wrong->body.find("<a class=\"error\" href=\"#term\">") != std::string::npos);
  // What was typed is kept.
  CHECK(wrong->body.find("value=\"Diarhea\"") != std::string::npos);
  CHECK(wrong->body.find("value=\"S01-0100-AE-001\"") != std::string::npos);
  CHECK(wrong->body.find("<option value=\"3\" selected>") != std::string::npos);
  CHECK(wrong->body.find("<option value=\"probable\" selected>") != std::string::npos);
  CHECK(wrong->body.find("id=\"serious-hospitalization\" name=\"serious.hospitalization\" checked>") !=
        std::string::npos);
  CHECK(wrong->body.find("id=\"serious-death\" name=\"serious.death\">") != std::string::npos);
  CHECK(k.sql("SELECT count(*) FROM ae_reports") == "0\n");

  // Corrected: 303 to the case page; the stored report is what the same JSON gives through /v1.
  auto filed = k.post(kDesk + "/ae/new", s01, form(ae_fields(csrf, "S01-0100-AE-001", "S01-0100", "Diarrhea")));
  REQUIRE(filed);
  CHECK(filed->status == 303);
  const std::string location = filed->get_header_value("Location");
  REQUIRE(location.rfind(kDesk + "/ae/", 0) == 0);
  const std::string id = location.substr(kDesk.size() + 4);
  auto api_ae = k.d.client().Post(std::string(kStudy) + "/ae", bearer("demo-site-s01"),
                                  ae_json("S01-0100-AE-002", "S01-0100").dump(), "application/json");
  REQUIRE(api_ae);
  REQUIRE(api_ae->status == 201);
  const json desk_rec = api_get(k, std::string(kStudy) + "/ae/" + id, "demo-site-s01");
  const json api_rec = json::parse(api_ae->body);
  CHECK(desk_rec["ctcae"] == api_rec["ctcae"]);
  CHECK(desk_rec["ctcae"]["term"] == "Diarrhea");
  CHECK(desk_rec["grade"] == 3);
  for (const char* key : {"grade", "serious", "causality", "action_taken", "onset", "resolved", "site_aware_at",
                          "outcome", "verbatim", "narrative", "lab"})
    CHECK_MESSAGE(desk_rec.value(key, json()) == api_rec.value(key, json()), std::string(key));
  CHECK(desk_rec["safety"].contains("susar"));
  for (const char* key : {"serious", "susar", "products", "related_to", "criteria", "reasons", "site_report"})
    CHECK_MESSAGE(desk_rec["safety"].value(key, json()) == api_rec["safety"].value(key, json()), std::string(key));
  CHECK(desk_rec["safety"]["serious"] == true);

  // A follow-up: the form starts from the current version; only what changed is sent.
  auto fu_form = k.get(location + "/follow-up", s01);
  REQUIRE(fu_form);
  CHECK(fu_form->status == 200);
  CHECK(fu_form->body.find("id=\"changes-term\" name=\"changes.term\" required") != std::string::npos);
  CHECK(fu_form->body.find("value=\"Diarrhea\"") != std::string::npos);
  CHECK(fu_form->body.find("id=\"changes-serious-hospitalization\" name=\"changes.serious.hospitalization\"") !=
        std::string::npos);
  CHECK(fu_form->body.find("value=\"" + day(-4) + "T09:30:00\"") != std::string::npos);
  CHECK(fu_form->body.find("value=\"S01-0100-AE-001-FU1\"") != std::string::npos);
  // The follow-up form as the browser sends it: every field, the changed ones changed.
  auto followup = [&](const std::string& followup_id) {
    return form({{"csrf", csrf},
                 {"followup_id", followup_id},
                 {"changes.term", "Diarrhea"},
                 {"changes.verbatim", "watery stools"},
                 {"changes.grade", "2"},
                 {"changes.onset", day(-5)},
                 {"changes.resolved", day(-1)},
                 {"changes.site_aware_at", day(-4) + "T09:30:00"},
                 {"changes.serious.hospitalization", "true"},
                 {"changes.outcome", "recovered"},
                 {"changes.causality.camrelizumab", "possible"},
                 {"changes.causality.apatinib", "probable"},
                 {"changes.action_taken.apatinib", "drug_interrupted"},
                 {"changes.narrative", "Admitted for IV fluids."}});
  };
  auto fu = k.post(location + "/follow-up", s01, followup("S01-0100-AE-001-FU1"));
  REQUIRE(fu);
  CHECK(fu->status == 303);
  CHECK(fu->get_header_value("Location") == location);
  const json v2 = api_get(k, std::string(kStudy) + "/ae/" + id, "demo-site-s01");
  CHECK(v2["version"] == 2);
  CHECK(v2["grade"] == 2);
  CHECK(v2["outcome"] == "recovered");
  CHECK(v2["resolved"] == day(-1));
  CHECK(v2["changes"]["fields"] == json::array({"grade", "outcome", "resolved"}));

  // A follow-up that changes nothing: the API's own 422 in the summary.
  auto nothing = k.post(location + "/follow-up", s01, followup("S01-0100-AE-001-FU2"));
  REQUIRE(nothing);
  CHECK(nothing->status == 422);
  CHECK(nothing->body.find("must be a non-empty object") != std::string::npos);

  // A subject event: the kind chosen by a GET, its fields from the API's table of kinds.
  auto ev_form = k.get(kDesk + "/subjects/S01-0100/events/new?kind=drug_start", s01);
  REQUIRE(ev_form);
  CHECK(ev_form->status == 200);
  CHECK(ev_form->body.find("<select id=\"kind\" name=\"kind\" required>") != std::string::npos);
  CHECK(ev_form->body.find("<select id=\"drug\" name=\"drug\" required>") != std::string::npos);
  CHECK(ev_form->body.find("<option value=\"camrelizumab\">") != std::string::npos);
  CHECK(ev_form->body.find("type=\"date\" id=\"date\" name=\"date\" required") != std::string::npos);
  auto bad_event = k.post(kDesk + "/subjects/S01-0100/events/new", s01,
                          form({{"csrf", csrf}, {"kind", "drug_start"}, {"date", day(-20)}, {"drug", "aspirin"}}));
  REQUIRE(bad_event);
  CHECK(bad_event->status == 422);
  CHECK(element_text(bad_event->body, "drug-error").find("must be one of the study&#39;s drugs") != std::string::npos);
  auto event = k.post(kDesk + "/subjects/S01-0100/events/new", s01,
                      form({{"csrf", csrf},
                            {"kind", "drug_start"},
                            {"date", day(-20)},
                            {"drug", "camrelizumab"},
                            {"dose", "200"},
                            {"dose_unit", "mg"},
                            {"corrects", ""}}));
  REQUIRE(event);
  CHECK(event->status == 303);
  CHECK(event->get_header_value("Location") == kDesk + "/subjects/S01-0100");
  const json view = api_get(k, std::string(kStudy) + "/subjects/S01-0100", "demo-site-s01");
  REQUIRE(view["events"].size() == 1);
  CHECK(view["events"][0]["kind"] == "drug_start");
  CHECK(view["events"][0]["drug"] == "camrelizumab");
  CHECK(view["events"][0]["dose"] == 200);
}

TEST_CASE("desk site: the lists show a site its own; another site, the officer and a POST without csrf are refused") {
  Desk k;
  for (const auto& [subject, token] : {std::pair<std::string, std::string>{"S01-0001", "demo-site-s01"},
                                       std::pair<std::string, std::string>{"S02-0001", "demo-site-s02"}}) {
    json body = subject_body(subject, day(-30));
    auto r = k.d.client().Post(std::string(kStudy) + "/subjects", bearer(token), body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  auto posted = k.d.client().Post(std::string(kStudy) + "/ae", bearer("demo-site-s01"),
                                  ae_json("S01-0001-AE-001", "S01-0001").dump(), "application/json");
  REQUIRE(posted);
  REQUIRE(posted->status == 201);
  const std::string id = std::to_string(json::parse(posted->body)["id"].get<std::int64_t>());

  const std::string s01 = k.session("demo-site-s01");
  const std::string s02 = k.session("demo-site-s02");
  const std::string officer = k.session("demo-officer");

  auto mine = k.get(kDesk + "/subjects", s01);
  REQUIRE(mine);
  CHECK(mine->status == 200);
  CHECK(mine->body.find(">S01-0001</a>") != std::string::npos);
  CHECK(mine->body.find("S02-0001") == std::string::npos);
  CHECK(mine->body.find("<a href=\"" + kDesk + "/ae/" + id + "\">" + id + "</a>") != std::string::npos);
  CHECK(mine->body.find("<caption>") != std::string::npos);
  CHECK(mine->body.find(">Enrol a subject</a>") != std::string::npos);
  CHECK(mine->body.find(">File an AE report</a>") != std::string::npos);
  CHECK(mine->body.find("Alive at last contact") != std::string::npos);

  auto theirs = k.get(kDesk + "/subjects", s02);
  REQUIRE(theirs);
  CHECK(theirs->status == 200);
  CHECK(theirs->body.find(">S02-0001</a>") != std::string::npos);
  CHECK(theirs->body.find("S01-0001") == std::string::npos);
  CHECK(theirs->body.find("No AE report yet.") != std::string::npos);

  auto all = k.get(kDesk + "/subjects", officer);
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->body.find(">S01-0001</a>") != std::string::npos);
  CHECK(all->body.find(">S02-0001</a>") != std::string::npos);
  CHECK(all->body.find("Enrol a subject") == std::string::npos);

  // Another site: S01's report and subject are as a report and subject that do not exist.
  const std::string csrf02 = Desk::csrf_of(theirs->body);
  auto fu = k.get(kDesk + "/ae/" + id + "/follow-up", s02);
  REQUIRE(fu);
  CHECK(fu->status == 404);  // as the API: another site's report is not found
  auto none = k.get(kDesk + "/ae/999/follow-up", s02);
  REQUIRE(none);
  CHECK(none->status == 404);
  CHECK(fu->body.find("has no AE report " + id) != std::string::npos);
  CHECK(none->body.find("has no AE report 999") != std::string::npos);
  auto fu_post = k.post(kDesk + "/ae/" + id + "/follow-up", s02,
                        form({{"csrf", csrf02}, {"followup_id", "X"}, {"changes.grade", "1"}}));
  REQUIRE(fu_post);
  CHECK(fu_post->status == 404);
  auto ev = k.get(kDesk + "/subjects/S01-0001/events/new", s02);
  REQUIRE(ev);
  CHECK(ev->status == 404);
  CHECK(api_get(k, std::string(kStudy) + "/ae/" + id, "demo-officer")["version"] == 1);

  // The officer reads the lists but fills in no form.
  const std::string csrf_officer = Desk::csrf_of(all->body);
  for (const std::string& path : {kDesk + "/subjects/new", kDesk + "/ae/new", kDesk + "/ae/" + id + "/follow-up",
                                  kDesk + "/subjects/S01-0001/events/new"}) {
    auto g = k.get(path, officer);
    REQUIRE(g);
    CHECK_MESSAGE(g->status == 403, path);
    auto p = k.post(path, officer, form({{"csrf", csrf_officer}, {"subject", "S01-0999"}}));
    REQUIRE(p);
    CHECK_MESSAGE(p->status == 403, path);
  }
  auto dsmb = k.get(kDesk + "/subjects", k.session("demo-dsmb"));
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);

  // A POST without the session's CSRF token: 403, nothing stored.
  auto forged = k.post(kDesk + "/subjects/new", s01,
                       form({{"subject", "S01-0002"}, {"enrolled", day(-30)}, {"sex", "M"}, {"age", "50"}}));
  REQUIRE(forged);
  CHECK(forged->status == 403);
  auto forged_ae = k.post(kDesk + "/ae/new", s01, form(ae_fields("", "S01-0001-AE-009", "S01-0001", "Diarrhea")));
  REQUIRE(forged_ae);
  CHECK(forged_ae->status == 403);
  CHECK(k.sql("SELECT count(*) FROM subjects") == "2\n");
  CHECK(k.sql("SELECT count(*) FROM ae_reports") == "1\n");

  // An unknown study: 404; a site of the list's study only.
  auto unknown = k.get("/desk/studies/no-such-study/subjects", s01);
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE("desk site: the term search answers as GET /v1/ctcae/terms; the script is text/javascript") {
  Desk k;
  const std::string s01 = k.session("demo-site-s01");
  auto desk = k.get("/desk/ctcae/terms?q=diarr", s01);
  REQUIRE(desk);
  CHECK(desk->status == 200);
  CHECK(desk->get_header_value("Content-Type").rfind("application/json", 0) == 0);
  const json api = api_get(k, "/v1/ctcae/terms?q=diarr", "demo-site-s01");
  const json mine = json::parse(desk->body);
  CHECK(mine == api);
  REQUIRE_FALSE(mine["items"].empty());
  CHECK(mine["items"][0]["term"] == "Diarrhea");

  // A chosen term's grades, as GET /v1/ctcae/terms/{meddra_code} gives them.
  const std::string code = mine["items"][0]["meddra_code"];
  auto entry = k.get("/desk/ctcae/terms/" + code, s01);
  REQUIRE(entry);
  CHECK(entry->status == 200);
  CHECK(json::parse(entry->body) == api_get(k, "/v1/ctcae/terms/" + code, "demo-site-s01"));

  // The officer may search too; the DSMB may not; no session: to the sign-in page.
  auto officer = k.get("/desk/ctcae/terms?q=diarr", k.session("demo-officer"));
  REQUIRE(officer);
  CHECK(officer->status == 200);
  auto dsmb = k.get("/desk/ctcae/terms?q=diarr", k.session("demo-dsmb"));
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);
  auto anonymous = k.d.client().Get("/desk/ctcae/terms?q=diarr");
  REQUIRE(anonymous);
  CHECK(anonymous->status == 303);
  // The API stays bearer-only: the session cookie opens none of it.
  auto cookie_on_api =
      k.d.client().Get("/v1/ctcae/terms?q=diarr", httplib::Headers{{"Cookie", "pvmon_session=" + s01}});
  REQUIRE(cookie_on_api);
  CHECK(cookie_on_api->status == 401);

  auto script = k.d.client().Get("/desk/static/term-search.js");
  REQUIRE(script);
  CHECK(script->status == 200);
  CHECK(script->get_header_value("Content-Type").rfind("text/javascript", 0) == 0);
  CHECK(script->get_header_value("Cache-Control").find("max-age=") != std::string::npos);
  CHECK(script->body.find("role', 'combobox'") != std::string::npos);
  CHECK(script->body.find("aria-activedescendant") != std::string::npos);
  CHECK(script->body.find("/desk/ctcae/terms?") != std::string::npos);
}
