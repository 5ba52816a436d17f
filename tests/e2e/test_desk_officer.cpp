// End-to-end: the safety desk's officer pages on the real daemon (issue 21). A
// site posts a fatal SUSAR and a non-serious AE through the API; the officer's
// inbox lists the death first as P1 with a link to its case, its counts agree
// with the API's open alerts and clocks, and its filters narrow it; the
// acknowledge form (with CSRF) acknowledges through the API's use case (the
// same audit row), and without CSRF changes nothing; the case page shows the
// coding, classification, clocks, alerts with their webhook delivery state, and
// after a follow-up what changed between versions; a site sees only its own
// site's cases; the desk's ICSR and CIOMS I form are the API's documents. The
// priority rule's worked cases: tests/unit/service/test_worklist.cpp.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <regex>

#include "desk_client.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

const std::string kDeskStudy = "/desk/studies/hcc-pvtt-imrt";

/// The desk with a webhook endpoint (a real receiver), so alerts have
/// deliveries to show.
struct OfficerDesk {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  Daemon d{
      write_config(tmp.path, [this](json &c) { c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())}); }),
      tmp.path / "data"};
  OfficerDesk() {
    rx.start();
    d.start();
  }

  std::string session(const std::string &token) const {
    auto c = d.client();
    return desk_session(c, token);
  }
  httplib::Result get(const std::string &path, const std::string &cookie) const {
    return d.client().Get(path, httplib::Headers{{"Cookie", "pvmon_session=" + cookie}});
  }
  httplib::Result post(const std::string &path, const std::string &cookie, const std::string &body) const {
    return d.client().Post(path, httplib::Headers{{"Cookie", "pvmon_session=" + cookie}}, body, kForm);
  }
  json api_get(const std::string &path, const std::string &token = "demo-officer") const {
    auto r = d.client().Get(std::string(kStudy) + path, bearer(token));
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }
  json api_post(const std::string &path, const json &body, int want, const std::string &token = "demo-site-s01") const {
    auto r = d.client().Post(std::string(kStudy) + path, bearer(token), body.dump(), "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == want);
    return json::parse(r->body);
  }
  /// A page's body, which must answer 200.
  std::string page(const std::string &path, const std::string &cookie) const {
    auto r = get(path, cookie);
    REQUIRE(r);
    INFO(path << ": " << r->body.substr(0, 2000));
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    return r->body;
  }
};

/// A fatal hepatic failure, possibly related to camrelizumab: serious (death),
/// and a SUSAR (the reference safety information lists no fatal outcome), with
/// its 7- and 15-day clocks.
json death_report(const std::string &report_id) {
  return json::parse(R"({"report_id": ")" + report_id +
                     R"(", "subject": "S01-0007",
    "term": "Hepatic failure", "verbatim": "acute liver failure", "grade": 5,
    "onset": ")" + day(-3) +
                     R"(", "resolved": ")" + day(-2) + R"(", "site_aware_at": ")" + hours_ago(20) + R"(",
    "serious": {"death": true, "life_threatening": false, "hospitalization": true, "disability": false,
                "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "possible", "apatinib": "unlikely", "imrt": "unrelated", "surgery": "unrelated"},
    "action_taken": {"camrelizumab": "drug_withdrawn"}, "outcome": "fatal", "narrative": "Died on day 41."})");
}

/// A grade 1 fatigue with no seriousness criterion.
json mild_report(const std::string &report_id, const std::string &subject) {
  return json::parse(R"({"report_id": ")" + report_id + R"(", "subject": ")" + subject + R"(",
    "term": "Fatigue", "verbatim": "tired", "grade": 1,
    "onset": ")" + day(-4) +
                     R"(", "resolved": null, "site_aware_at": ")" + hours_ago(30) + R"(",
    "serious": {"death": false, "life_threatening": false, "hospitalization": false, "disability": false,
                "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "possible", "apatinib": "unrelated", "imrt": "unrelated", "surgery": "unrelated"},
    "action_taken": {"camrelizumab": "dose_not_changed"}, "outcome": "recovering", "narrative": "Mild."})");
}

/// The body rows of the table with id `id` (each "<tr>...</tr>").
std::vector<std::string> rows_of(const std::string &html, const std::string &id) {
  std::vector<std::string> out;
  const auto table = html.find("<table id=\"" + id + "\"");
  if (table == std::string::npos) return out;
  const auto end = html.find("</table>", table);
  auto at = html.find("<tbody>", table);
  while ((at = html.find("<tr", at)) != std::string::npos && at < end) {
    const auto close = html.find("</tr>", at);
    out.push_back(html.substr(at, close - at));
    at = close;
  }
  return out;
}

int count_of(const std::string &html, const std::string &id) {
  const std::string k = "id=\"" + id + "\">";
  const auto at = html.find(k);
  REQUIRE(at != std::string::npos);
  return std::stoi(html.substr(at + k.size()));
}


/// The id of the open alert of `rule` on report `report`.
std::int64_t alert_id(const OfficerDesk &k, const std::string &rule, std::int64_t report) {
  const json open = k.api_get("/alerts?status=open");
  for (const auto &a : open["items"])
    if (a["rule"] == rule && a["report"] == report) return a["id"].get<std::int64_t>();
  FAIL("no open " << rule << " alert on report " << report);
  return 0;
}

/// Posts the two reports; their server ids (death, mild).
std::pair<std::int64_t, std::int64_t> seed(const OfficerDesk &k) {
  k.api_post("/subjects", subject_body("S01-0007", day(-60)), 201);
  k.api_post("/subjects", subject_body("S01-0008", day(-60)), 201);
  const json death = k.api_post("/ae", death_report("S01-0007-AE-001"), 201);
  REQUIRE(death["safety"]["susar"] == true);
  REQUIRE(death["safety"]["fatal_or_life_threatening"] == true);
  const json mild = k.api_post("/ae", mild_report("S01-0008-AE-001", "S01-0008"), 201);
  REQUIRE(mild["safety"]["serious"] == false);
  return {death["id"].get<std::int64_t>(), mild["id"].get<std::int64_t>()};
}

}  // namespace

TEST_CASE_FIXTURE(OfficerDesk,
                  "desk officer: the inbox lists the death first as P1, counts "
                  "agree with the API, filters narrow it") {
  const auto [death, mild] = seed(*this);
  const std::string officer = session("demo-officer");
  const std::string html = page("/desk/inbox", officer);
  const auto rows = rows_of(html, "inbox");
  REQUIRE_FALSE(rows.empty());
  // The first row: P1, an alert of the death, linking to its case.
  CHECK(rows[0].find("<strong>P1</strong>") != std::string::npos);
  CHECK(rows[0].find(">alert<") != std::string::npos);
  CHECK(rows[0].find(">death: Death: subject S01-0007") != std::string::npos);
  CHECK(rows[0].find("href=\"" + kDeskStudy + "/ae/" + std::to_string(death) + "\"") != std::string::npos);
  // Priorities never go up down the list.
  int last = 1;
  for (const auto &r : rows) {
    const auto p = r.find("<strong>P");
    REQUIRE(p != std::string::npos);
    const int n = r[p + 9] - '0';
    CHECK(n >= last);
    last = n;
  }
  // Counts: what is shown, per priority, and what the API lists as open.
  const int open_alerts = static_cast<int>(api_get("/alerts?status=open")["items"].size());
  const int open_clocks = static_cast<int>(api_get("/clocks?state=open")["items"].size());
  CHECK(open_clocks >= 2);  // the SUSAR's initial and complete reports
  CHECK(count_of(html, "count-total") == static_cast<int>(rows.size()));
  CHECK(count_of(html, "count-total") == open_alerts + open_clocks);
  CHECK(count_of(html, "count-P1") + count_of(html, "count-P2") + count_of(html, "count-P3") ==
        count_of(html, "count-total"));
  // The SUSAR's clocks are P1 as well; the mild report's alerts (if any) are
  // not.
  for (const auto &r : rows) {
    if (r.find(">clock<") != std::string::npos) CHECK(r.find("<strong>P1</strong>") != std::string::npos);
    if (r.find("/ae/" + std::to_string(mild) + "\"") != std::string::npos)
      CHECK(r.find("<strong>P1</strong>") == std::string::npos);
  }
  // The filters are a GET form with a label on every control.
  CHECK(html.find("<form method=\"get\" action=\"/desk/inbox\"") != std::string::npos);
  for (const char *f : {"study", "site", "rule", "severity", "state"})
    CHECK(html.find(std::string("<label for=\"f-") + f + "\"") != std::string::npos);
  // Severity critical: alerts only, every one critical.
  const std::string critical = page("/desk/inbox?severity=critical", officer);
  const auto crit_rows = rows_of(critical, "inbox");
  CHECK(crit_rows.size() == api_get("/alerts?status=open&severity=critical")["items"].size());
  CHECK(crit_rows.size() < rows.size());
  for (const auto &r : crit_rows) {
    CHECK(r.find(">critical<") != std::string::npos);
    CHECK(r.find(">clock<") == std::string::npos);
  }
  // The study named: the same list; a site with nothing: an empty one; a bad
  // value: 422.
  CHECK(rows_of(page("/desk/inbox?study=hcc-pvtt-imrt", officer), "inbox").size() == rows.size());
  CHECK(count_of(page("/desk/inbox?site=S02", officer), "count-total") == 0);
  CHECK(count_of(page("/desk/inbox?rule=death", officer), "count-total") == 1);
  auto bad = get("/desk/inbox?severity=dreadful", officer);
  REQUIRE(bad);
  CHECK(bad->status == 422);
  // The officer's page only: a site and the DSMB get a 403 page.
  for (const char *token : {"demo-site-s01", "demo-dsmb"}) {
    auto r = get("/desk/inbox", session(token));
    REQUIRE(r);
    CHECK(r->status == 403);
  }
}

TEST_CASE_FIXTURE(OfficerDesk,
                  "desk officer: the acknowledge form acknowledges through the "
                  "API's use case; without CSRF it does nothing") {
  const auto [death, mild] = seed(*this);
  (void)mild;
  const std::int64_t id = alert_id(*this, "death", death);
  const std::string officer = session("demo-officer");
  const std::string html = page("/desk/inbox", officer);
  const std::string action = kDeskStudy + "/alerts/" + std::to_string(id) + "/ack";
  CHECK(html.find("action=\"" + action + "\"") != std::string::npos);
  const std::string field = "ack-hcc-pvtt-imrt-" + std::to_string(id);
  CHECK(html.find("<label for=\"" + field + "\">") != std::string::npos);
  CHECK(html.find("<input id=\"" + field + "\" name=\"comment\"") != std::string::npos);
  const std::string csrf = Desk::csrf_of(html);

  // Without the CSRF token, or with another: 403, the alert still open.
  for (const std::string &body :
       std::vector<std::string>{"comment=x&return=%2Fdesk%2Finbox", "csrf=forged&comment=x"}) {
    auto r = post(action, officer, body);
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  CHECK(alert_id(*this, "death", death) == id);

  // With it: 303 back to the page named in `return`, acknowledged as the API
  // acknowledges.
  auto ok = post(action, officer,
                 "csrf=" + form_encode(csrf) + "&comment=" + form_encode("Reviewed: death, SUSAR ICSR due") +
                     "&return=" + form_encode("/desk/inbox?severity=critical"));
  REQUIRE(ok);
  CHECK(ok->status == 303);
  CHECK(ok->get_header_value("Location") == "/desk/inbox?severity=critical");
  bool found = false;
  const json acked = api_get("/alerts?status=acked");
  for (const auto &a : acked["items"]) {
    if (a["id"] != id) continue;
    found = true;
    CHECK(a["ack_comment"] == "Reviewed: death, SUSAR ICSR due");
    CHECK(a["acked_by"] == "safety-officer");
  }
  CHECK(found);
  auto audit_r = d.client().Get("/v1/audit?entity=hcc-pvtt-imrt/alert/" + std::to_string(id), bearer("demo-officer"));
  REQUIRE(audit_r);
  REQUIRE(audit_r->status == 200);
  const json audit = json::parse(audit_r->body);
  bool audited = false;
  for (const auto &row : audit["items"])
    if (row["action"] == "alert.ack" && row["principal"] == "safety-officer" &&
        row["entity"] == "hcc-pvtt-imrt/alert/" + std::to_string(id))
      audited = true;
  CHECK(audited);

  // Again: the API's 409, as a page; the acknowledged alert has no form any
  // more.
  auto again = post(action, officer, "csrf=" + form_encode(csrf) + "&comment=again");
  REQUIRE(again);
  CHECK(again->status == 409);
  CHECK(page("/desk/inbox?state=all", officer).find("action=\"" + action + "\"") == std::string::npos);
  // The state filter: acknowledged lists it (with the comment's alert and no form), open does not.
  const auto acked_rows = rows_of(page("/desk/inbox?state=acknowledged", officer), "inbox");
  REQUIRE(acked_rows.size() == 1);
  CHECK(acked_rows[0].find(">death: Death: subject S01-0007") != std::string::npos);
  CHECK(acked_rows[0].find(">acknowledged by safety-officer at ") != std::string::npos);
  CHECK(acked_rows[0].find("<form") == std::string::npos);
  for (const auto &r : rows_of(page("/desk/inbox", officer), "inbox"))
    CHECK(r.find(">death: Death: subject S01-0007") == std::string::npos);
  // `return` elsewhere than the desk: back to the inbox.
  const std::int64_t other = alert_id(*this, "susar", death);
  auto away = post(kDeskStudy + "/alerts/" + std::to_string(other) + "/ack", officer,
                   "csrf=" + form_encode(csrf) + "&comment=ok&return=" + form_encode("https://evil.example/desk/"));
  REQUIRE(away);
  CHECK(away->status == 303);
  CHECK(away->get_header_value("Location") == "/desk/inbox");
  // No comment: the API's 422.
  const std::int64_t third = alert_id(*this, "sae", death);
  auto empty = post(kDeskStudy + "/alerts/" + std::to_string(third) + "/ack", officer, "csrf=" + form_encode(csrf));
  REQUIRE(empty);
  CHECK(empty->status == 422);
  // A site may not acknowledge.
  const std::string site = session("demo-site-s01");
  auto by_site = post(kDeskStudy + "/alerts/" + std::to_string(third) + "/ack", site,
                      "csrf=" + form_encode(Desk::csrf_of(page("/desk/studies", site))) + "&comment=x");
  REQUIRE(by_site);
  CHECK(by_site->status == 403);
}

TEST_CASE_FIXTURE(OfficerDesk,
                  "desk officer: the case page shows coding, classification, "
                  "clocks, alerts with deliveries and the version diff") {
  const auto [death, mild] = seed(*this);
  // An initial report submitted to the authority a minute after receipt, recorded through the API.
  api_post("/ae/" + std::to_string(death) + "/submissions",
           {{"kind", "initial"}, {"submitted", seconds_from_now(60)}, {"authority", "NMPA"}, {"reference", "upload 2291"}}, 201,
           "demo-officer");
  // The alerts' webhooks reach the receiver.
  REQUIRE(rx.wait_for([](const auto &ds) { return ds.size() >= 2; }, 30));
  const std::string officer = session("demo-officer");
  const std::string path = kDeskStudy + "/ae/" + std::to_string(death);
  std::string html;
  // Delivered once the dispatcher has recorded the receiver's 200.
  for (int i = 0; i < 100; ++i) {
    html = page(path, officer);
    if (html.find("<span class=\"delivery-state\">delivered</span>") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const char *id :
       {"documents", "current", "coding", "classification", "versions", "clocks", "submissions", "alerts"})
    CHECK(html.find(std::string("<h2 id=\"") + id + "\">") != std::string::npos);
  // Coding: CTCAE term, MedDRA code, SOC, grade and its text.
  const json rec = api_get("/ae/" + std::to_string(death));
  CHECK(html.find(">Hepatic failure<") != std::string::npos);
  CHECK(html.find(">" + rec["ctcae"]["meddra_code"].get<std::string>() + "<") != std::string::npos);
  CHECK(html.find(rec["ctcae"]["soc"].get<std::string>()) != std::string::npos);
  CHECK(html.find(">Grade text</th><td>Death</td>") != std::string::npos);
  // The grade's basis as the API gives it (a reported grade 5, not a lab value).
  REQUIRE(rec["ctcae"].contains("grade_basis"));
  CHECK(html.find("<th scope=\"row\">Grade basis</th><td>" + rec["ctcae"]["grade_basis"].get<std::string>() + "</td>") !=
        std::string::npos);
  // Classification: the ICH E2A criteria as reported, SUSAR, relatedness and expectedness per
  // intervention as the API classified them.
  CHECK(html.find("<caption>Seriousness criteria (ICH E2A)</caption>") != std::string::npos);
  CHECK(html.find("<th scope=\"row\">Death</th><td>yes</td>") != std::string::npos);
  CHECK(html.find("<th scope=\"row\">Life-threatening</th><td>no</td>") != std::string::npos);
  CHECK(html.find("<th scope=\"row\">Hospitalisation</th><td>yes</td>") != std::string::npos);
  CHECK(html.find(">SUSAR</th><td>yes</td>") != std::string::npos);
  REQUIRE_FALSE(rec["safety"]["products"].empty());
  for (const auto &p : rec["safety"]["products"]) {
    const std::string iv = p["intervention"];
    CAPTURE(iv);
    const auto yn = [](const json &b) { return b.is_boolean() ? (b.get<bool>() ? "yes" : "no") : "—"; };
    CHECK(html.find("<tr><th scope=\"row\">" + iv + "</th><td>" + rec["causality"][iv].get<std::string>() + "</td><td>" +
                    yn(p["related"]) + "</td><td>" + yn(p["expected"]) + "</td></tr>") != std::string::npos);
  }
  CHECK(html.find("<th scope=\"row\">camrelizumab</th><td>possible</td><td>yes</td><td>no</td>") != std::string::npos);
  // The submission recorded, in its table.
  CHECK(html.find("<tr><th scope=\"row\">initial</th><td>") != std::string::npos);
  CHECK(html.find("<td>NMPA</td><td>upload 2291</td>") != std::string::npos);
  CHECK(html.find("No regulatory submission recorded.") == std::string::npos);
  // Clocks: the 7-day initial report, open.
  CHECK(html.find(">regulatory_initial</th>") != std::string::npos);
  CHECK(html.find(api_get("/clocks?state=open")["items"][0]["due_at"].get<std::string>()) != std::string::npos);
  // Alerts with each delivery: endpoint, state, attempts; an ack form per open
  // alert.
  CHECK(html.find("<span class=\"endpoint\">officers</span>: <span "
                  "class=\"delivery-state\">delivered</span>") != std::string::npos);
  const std::int64_t alert = alert_id(*this, "death", death);
  CHECK(html.find("action=\"" + kDeskStudy + "/alerts/" + std::to_string(alert) + "/ack\"") != std::string::npos);
  CHECK(html.find("name=\"return\" value=\"" + path + "\"") != std::string::npos);
  // The documents, for a case an ICSR can be built for.
  CHECK(html.find("href=\"" + path + "/icsr.xml\">ICSR (E2B R3 XML)</a>") != std::string::npos);
  CHECK(html.find("href=\"" + path + "/cioms\">CIOMS I form</a>") != std::string::npos);

  // A follow-up through the API: the mild report resolved; the diff names the
  // field.
  api_post("/ae/" + std::to_string(mild) + "/followups",
           {{"followup_id", "FU-1"}, {"changes", {{"outcome", "recovered"}, {"resolved", day(-1)}}}}, 201);
  const std::string mild_html = page(kDeskStudy + "/ae/" + std::to_string(mild), officer);
  CHECK(mild_html.find("<h3 id=\"diff-1-2\">") != std::string::npos);
  CHECK(mild_html.find("<th "
                       "scope=\"row\"><code>outcome</code></th><td>recovering</"
                       "td><td>recovered</td>") != std::string::npos);
  CHECK(mild_html.find("<th scope=\"row\"><code>resolved</code></th><td>—</td><td>" + day(-1) + "</td>") !=
        std::string::npos);
  CHECK(mild_html.find("<code>version</code>") == std::string::npos);
  CHECK(mild_html.find("<code>changes") == std::string::npos);

  // A site: its own report, and only what the API lets it read.
  const std::string s01 = session("demo-site-s01");
  const std::string own = page(path, s01);
  CHECK(own.find("<h2 id=\"versions\">") != std::string::npos);
  CHECK(own.find("<h2 id=\"coding\">") != std::string::npos);
  for (const char *id : {"alerts", "clocks", "submissions", "documents"})
    CHECK(own.find(std::string("<h2 id=\"") + id + "\">") == std::string::npos);
  auto other_site = get(path, session("demo-site-s02"));
  REQUIRE(other_site);
  CHECK(other_site->status == 404);  // as the API: another site's report is not found
  auto dsmb = get(path, session("demo-dsmb"));
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);
  auto unknown = get(kDeskStudy + "/ae/999999", officer);
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE_FIXTURE(OfficerDesk, "desk officer: the desk's ICSR and CIOMS I form are the API's documents") {
  const auto [death, mild] = seed(*this);
  (void)mild;
  const std::string officer = session("demo-officer");
  const std::string base = "/ae/" + std::to_string(death);
  auto desk_xml = get(kDeskStudy + base + "/icsr.xml", officer);
  auto api_xml = d.client().Get(std::string(kStudy) + base + "/icsr", bearer("demo-officer"));
  REQUIRE(desk_xml);
  REQUIRE(api_xml);
  REQUIRE(desk_xml->status == 200);
  REQUIRE(api_xml->status == 200);
  CHECK(desk_xml->get_header_value("Content-Type") == api_xml->get_header_value("Content-Type"));
  CHECK(desk_xml->get_header_value("Content-Type").rfind("application/xml", 0) == 0);
  CHECK(desk_xml->get_header_value("Content-Disposition") == api_xml->get_header_value("Content-Disposition"));
  CHECK(desk_xml->get_header_value("Content-Disposition").rfind("attachment; filename=", 0) == 0);
  CHECK(desk_xml->get_header_value("X-ICSR-Message-Id") == api_xml->get_header_value("X-ICSR-Message-Id"));
  CHECK(desk_xml->get_header_value("Cache-Control") == "no-store");
  // The creation time is the one thing that differs (N.1.5, N.2.r.4 and C.1.2 carry it; the two
  // requests may fall in different seconds): the API's, written as the desk's, gives the same bytes.
  const std::regex created(R"re(<creationTime value="([0-9+\-.]*)"/>)re");
  std::smatch desk_at, api_at;
  REQUIRE(std::regex_search(desk_xml->body, desk_at, created));
  REQUIRE(std::regex_search(api_xml->body, api_at, created));
  std::string api_as_desk = api_xml->body;
  for (std::size_t at = 0; (at = api_as_desk.find(api_at[1].str(), at)) != std::string::npos;
       at += desk_at[1].length())
    api_as_desk.replace(at, api_at[1].length(), desk_at[1].str());
  CHECK(desk_xml->body == api_as_desk);

  auto desk_cioms = get(kDeskStudy + base + "/cioms", officer);
  auto api_cioms = d.client().Get(std::string(kStudy) + base + "/cioms?format=html", bearer("demo-officer"));
  REQUIRE(desk_cioms);
  REQUIRE(api_cioms);
  REQUIRE(desk_cioms->status == 200);
  CHECK(desk_cioms->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(desk_cioms->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  // The form's footer names when it was made (to the millisecond): the one
  // difference.
  const std::regex made(R"(created [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z)");
  CHECK(std::regex_replace(desk_cioms->body, made, "") == std::regex_replace(api_cioms->body, made, ""));
  // Officers only.
  const std::string s01 = session("demo-site-s01");
  for (const char *doc : {"/icsr.xml", "/cioms"}) {
    auto r = get(kDeskStudy + base + doc, s01);
    REQUIRE(r);
    CHECK(r->status == 403);
  }
}
