// End-to-end: the safety desk's sessions and landing pages on the real daemon. A bearer token is
// exchanged for a session cookie (HttpOnly, SameSite=Strict, Path=/desk; no Secure over plain HTTP)
// whose value the database never holds; a wrong token is a 401 form with the error beside the
// field; each role lands where it should; a forged sign-out is refused and the session survives it;
// the cookie never authenticates the API; sign-in, failed sign-in and sign-out reach the audit
// trail. Idle timeout and lifetime: tests/unit/service (FakeClock).
#include <doctest/doctest.h>

#include "desk_client.hpp"

using namespace pvmon::test;


TEST_CASE("desk: sign-in sets the session cookie; the store holds only its SHA-256") {
  Desk k;
  auto form = k.d.client().Get("/desk/sign-in");
  REQUIRE(form);
  CHECK(form->status == 200);
  CHECK(form->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(form->body.find("<html lang=\"en\">") != std::string::npos);
  CHECK(form->body.find("<label for=\"token\">Access token</label>") != std::string::npos);
  CHECK(form->body.find("name=\"token\" type=\"password\"") != std::string::npos);
  CHECK(form->body.find(">Sign in</button>") != std::string::npos);

  auto r = k.sign_in("demo-officer");
  REQUIRE(r);
  CHECK(r->status == 303);
  CHECK(r->get_header_value("Location") == "/desk/");
  const std::string set = set_cookie_field(*r, "pvmon_session");
  const std::string value = set_cookie_value(*r, "pvmon_session");
  CHECK(value.size() == 43);  // 32 random bytes, base64url
  CHECK(set == "pvmon_session=" + value + "; Path=/desk; HttpOnly; SameSite=Strict");
  CHECK(r->get_header_value("Cache-Control") == "no-store");

  const std::string rows = k.sql("SELECT id_sha256, principal, role, csrf_sha256 FROM desk_sessions");
  CHECK(rows.find("|safety-officer|officer|") != std::string::npos);
  CHECK(rows.find(value) == std::string::npos);
  const std::string whole = k.sql(".dump");
  CHECK(whole.find(value) == std::string::npos);
  CHECK(whole.find("safety-officer") != std::string::npos);  // the dump is readable at all
}

TEST_CASE("desk: a wrong token is a 401 form with the error beside the field, never logged") {
  Desk k;
  auto r = k.sign_in("not-a-token-xyzzy");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(set_cookie_field(*r, "pvmon_session").empty());  // only a fresh form's pre-session cookie
  const auto field = r->body.find("name=\"token\"");
  const auto error = r->body.find("id=\"token-error\"");
  REQUIRE(field != std::string::npos);
  REQUIRE(error != std::string::npos);
  CHECK(error > field);
  CHECK(r->body.find("aria-describedby=\"token-error\"") != std::string::npos);
  CHECK(r->body.find("This access token is not valid.") != std::string::npos);
  CHECK(r->body.find("xyzzy") == std::string::npos);
  CHECK(k.d.log_settled().find("xyzzy") == std::string::npos);
  // An empty token: the same.
  auto empty = k.sign_in("");
  REQUIRE(empty);
  CHECK(empty->status == 401);
}

TEST_CASE("desk: a sign-in without the form's own CSRF token is refused (login CSRF), before the token is tried") {
  Desk k;
  auto c = k.d.client();
  auto page = c.Get("/desk/sign-in");
  REQUIRE(page);
  const std::string nonce = set_cookie_value(*page, "pvmon_sign_in");
  REQUIRE(nonce.size() == 43);
  CHECK(set_cookie_field(*page, "pvmon_sign_in") ==
        "pvmon_sign_in=" + nonce + "; Path=/desk/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600");
  const std::string csrf = Desk::csrf_of(page->body);
  const auto refused = [&](const httplib::Result& r) {
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(set_cookie_value(*r, "pvmon_session").empty());
    CHECK(r->body.find("This sign-in form has expired or did not come from the desk") != std::string::npos);
  };
  const httplib::Headers with_nonce{{"Cookie", "pvmon_sign_in=" + nonce}};
  // A forged form: no token, or the right token without the browser's cookie (another site's page
  // cannot read or set it), or a token of another form.
  refused(c.Post("/desk/sign-in", with_nonce, form({{"token", "demo-officer"}}), kForm));
  refused(c.Post("/desk/sign-in", form({{"csrf", csrf}, {"token", "demo-officer"}}), kForm));
  auto other = c.Get("/desk/sign-in");
  REQUIRE(other);
  refused(c.Post("/desk/sign-in", with_nonce, form({{"csrf", Desk::csrf_of(other->body)}, {"token", "demo-officer"}}),
                 kForm));
  refused(c.Post("/desk/sign-in", with_nonce, form({{"csrf", csrf + "x"}, {"token", "demo-officer"}}), kForm));
  // The refused form offers a fresh one; a wrong token with a good form is still counted as a
  // failed sign-in (401), not as a forgery.
  auto wrong = c.Post("/desk/sign-in", with_nonce, form({{"csrf", csrf}, {"token", "nope"}}), kForm);
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  // From another origin, even with a good form: refused.
  auto cross = c.Post("/desk/sign-in", httplib::Headers{{"Cookie", "pvmon_sign_in=" + nonce}, {"Origin", "https://evil.example"}},
                      form({{"csrf", csrf}, {"token", "demo-officer"}}), kForm);
  REQUIRE(cross);
  CHECK(cross->status == 403);
  CHECK(k.sql("SELECT count(*) FROM desk_sessions") == "0\n");
  // The browser's own form signs in, and its pre-session cookie is cleared.
  auto ok = c.Post("/desk/sign-in", with_nonce, form({{"csrf", csrf}, {"token", "demo-officer"}}), kForm);
  REQUIRE(ok);
  CHECK(ok->status == 303);
  CHECK(set_cookie_value(*ok, "pvmon_session").size() == 43);
  CHECK(set_cookie_field(*ok, "pvmon_sign_in") == "pvmon_sign_in=; Path=/desk/sign-in; HttpOnly; SameSite=Strict; Max-Age=0");
  CHECK(k.sql("SELECT count(*) FROM desk_sessions") == "1\n");
}

TEST_CASE("desk: failed sign-ins are throttled with the API's rejected tokens; a good token still signs in") {
  Desk k;
  // 10 bad bearer tokens on the API and 11 bad sign-ins: the address's 21 answered 401.
  for (int i = 0; i < 10; ++i) {
    auto r = k.d.client().Get(std::string(kStudy) + "/ae", bearer("bad-token"));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  for (int i = 0; i < 11; ++i) {
    auto r = k.sign_in("bad-token");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  auto throttled = k.sign_in("bad-token");
  REQUIRE(throttled);
  CHECK(throttled->status == 429);
  CHECK(throttled->has_header("Retry-After"));
  CHECK(throttled->body.find("Too many failed sign-ins") != std::string::npos);
  CHECK(k.session("demo-officer").size() == 43);
}

TEST_CASE("desk: each role lands where it should; a site is refused the DSMB page") {
  Desk k;
  auto no_session = k.d.client().Get("/desk/");
  REQUIRE(no_session);
  CHECK(no_session->status == 303);
  CHECK(no_session->get_header_value("Location") == "/desk/sign-in");
  auto bad_cookie = k.get("/desk/dsmb", "forged-value");
  REQUIRE(bad_cookie);
  CHECK(bad_cookie->status == 303);
  CHECK(bad_cookie->get_header_value("Location") == "/desk/sign-in");

  struct Landing {
    std::string token, name, where;
  };
  for (const Landing& l :
       {Landing{"demo-dsmb", "dsmb-chair", "/desk/dsmb"}, Landing{"demo-officer", "safety-officer", "/desk/studies"},
        Landing{"demo-site-s01", "s01-coordinator", "/desk/studies"}}) {
    const std::string& token = l.token;
    const std::string& name = l.name;
    const std::string& where = l.where;
    CAPTURE(token);
    const std::string cookie = k.session(token);
    auto home = k.get("/desk/", cookie);
    REQUIRE(home);
    CHECK(home->status == 303);
    CHECK(home->get_header_value("Location") == where);
    auto page = k.get(where, cookie);
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->body.find("Signed in as <strong>" + name + "</strong>") != std::string::npos);
    CHECK(page->body.find("<form method=\"post\" action=\"/desk/sign-out\">") != std::string::npos);
    CHECK(page->body.find("href=\"#main\"") != std::string::npos);
    CHECK(page->body.find("@media print") != std::string::npos);
  }

  const std::string site = k.session("demo-site-s01");
  auto refused = k.get("/desk/dsmb", site);
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(refused->body.find("The site role may not open this page.") != std::string::npos);
  // The access log names the session's principal, as it names an API request's (the refused
  // request too), never the cookie; a request without a session names nobody.
  const std::string log = k.d.log_with("http GET /desk/dsmb 403 ");
  const auto line = log.find("http GET /desk/dsmb 403 ");
  REQUIRE(line != std::string::npos);
  CHECK(log.substr(line, log.find('\n', line) - line).ends_with(" principal=s01-coordinator"));
  CHECK(log.find(site) == std::string::npos);
  const auto anon = log.find("http GET /desk/ 303 ");
  REQUIRE(anon != std::string::npos);
  CHECK(log.substr(anon, log.find('\n', anon) - anon).ends_with(" principal=-"));
  auto studies = k.get("/desk/studies", site);
  REQUIRE(studies);
  CHECK(studies->body.find("href=\"/desk/studies/hcc-pvtt-imrt/ae/new\">File an AE report</a>") != std::string::npos);
  CHECK(studies->body.find("<code>/v1/studies/hcc-pvtt-imrt/ae</code>") != std::string::npos);
  CHECK(studies->body.find("/alerts") == std::string::npos);  // an officer's document, not a site's
  CHECK(studies->body.find("/desk/inbox") == std::string::npos);

  const std::string officer = k.session("demo-officer");
  auto os = k.get("/desk/studies", officer);
  REQUIRE(os);
  CHECK(os->body.find("href=\"/desk/inbox?study=hcc-pvtt-imrt\"") != std::string::npos);
  CHECK(os->body.find("href=\"/desk/studies/hcc-pvtt-imrt\"") != std::string::npos);
  CHECK(os->body.find("<code>/v1/studies/hcc-pvtt-imrt/alerts?status=open</code>") != std::string::npos);
  CHECK(os->body.find("/desk/studies/hcc-pvtt-imrt/ae/new") == std::string::npos);  // a site's form
  // The DSMB sees DSMB reports and nothing else.
  auto ds = k.get("/desk/studies", k.session("demo-dsmb"));
  REQUIRE(ds);
  CHECK(ds->status == 403);
}

TEST_CASE("desk: a forged sign-out is refused and the session survives; sign-out ends it") {
  Desk k;
  const std::string cookie = k.session("demo-officer");
  auto page = k.get("/desk/studies", cookie);
  REQUIRE(page);
  REQUIRE(page->status == 200);
  const std::string csrf = Desk::csrf_of(page->body);
  CHECK(csrf.size() == 43);

  const std::string other_csrf = Desk::csrf_of(k.get("/desk/studies", k.session("demo-officer"))->body);
  for (const std::string& body :
       {std::string(""), std::string("csrf="), std::string("csrf=wrong"), "csrf=" + other_csrf, "token=" + csrf}) {
    CAPTURE(body);
    auto r = k.post("/desk/sign-out", cookie, body);
    REQUIRE(r);
    CHECK(r->status == 403);
    auto still = k.get("/desk/studies", cookie);
    REQUIRE(still);
    CHECK(still->status == 200);
  }
  // A cross-site POST, even with the token.
  auto cross = k.d.client().Post(
      "/desk/sign-out", httplib::Headers{{"Cookie", "pvmon_session=" + cookie}, {"Origin", "https://evil.example"}},
      "csrf=" + csrf, kForm);
  REQUIRE(cross);
  CHECK(cross->status == 403);

  auto out = k.post("/desk/sign-out", cookie, "csrf=" + csrf);
  REQUIRE(out);
  CHECK(out->status == 303);
  CHECK(out->get_header_value("Location") == "/desk/sign-in");
  CHECK(out->get_header_value("Set-Cookie") == "pvmon_session=; Path=/desk; HttpOnly; SameSite=Strict; Max-Age=0");
  auto after = k.get("/desk/studies", cookie);
  REQUIRE(after);
  CHECK(after->status == 303);
  CHECK(after->get_header_value("Location") == "/desk/sign-in");
  CHECK(k.sql("SELECT end_reason FROM desk_sessions WHERE ended_at IS NOT NULL").find("sign_out") != std::string::npos);
}

TEST_CASE("desk: the session cookie does not authenticate the API") {
  Desk k;
  const std::string cookie = k.session("demo-officer");
  auto r = k.get(std::string(kStudy) + "/ae", cookie);
  REQUIRE(r);
  CHECK(r->status == 401);
  auto dsmb = k.get(std::string(kStudy) + "/dsmb-reports", cookie);
  REQUIRE(dsmb);
  CHECK(dsmb->status == 401);
  // Nor does a bearer token open a desk page.
  auto page = k.d.client().Get("/desk/studies", bearer("demo-officer"));
  REQUIRE(page);
  CHECK(page->status == 303);
}

TEST_CASE("desk: the DSMB page lists a report built through the API and opens its HTML") {
  Desk k;
  enrol_new(k.d);
  auto made = k.d.client().Post((std::string(kStudy) + "/dsmb-reports").c_str(), bearer("demo-officer"), "{}",
                                "application/json");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  const json row = json::parse(made->body);
  const std::string cookie = k.session("demo-dsmb");
  auto page = k.get("/desk/dsmb", cookie);
  REQUIRE(page);
  REQUIRE(page->status == 200);
  const std::string href = "/desk/dsmb/hcc-pvtt-imrt/reports/" + std::to_string(row["id"].get<int>());
  CHECK(page->body.find("href=\"" + href + "\"") != std::string::npos);
  CHECK(page->body.find(row["sha256"].get<std::string>()) != std::string::npos);
  CHECK(page->body.find(row["data_cutoff"].get<std::string>()) != std::string::npos);
  CHECK(page->body.find(row["as_of"].get<std::string>()) != std::string::npos);
  auto report = k.get(href, cookie);
  REQUIRE(report);
  CHECK(report->status == 200);
  CHECK(report->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(report->get_header_value("X-Report-SHA256") == row["sha256"].get<std::string>());
  auto api = k.d.client().Get(
      (std::string(kStudy) + "/dsmb-reports/" + std::to_string(row["id"].get<int>()) + "?format=html").c_str(),
      bearer("demo-dsmb"));
  REQUIRE(api);
  CHECK(report->body == api->body);  // the same rendering as the API's
  // A site's session may not open it.
  auto site = k.get(href, k.session("demo-site-s01"));
  REQUIRE(site);
  CHECK(site->status == 403);
}

TEST_CASE("desk: sign-in, failed sign-in and sign-out are audited, never with a token") {
  Desk k;
  const std::string cookie = k.session("demo-site-s01");
  auto bad = k.sign_in("wrong-token-plugh");
  REQUIRE(bad);
  CHECK(bad->status == 401);
  auto page = k.get("/desk/studies", cookie);
  REQUIRE(page);
  auto out = k.post("/desk/sign-out", cookie, "csrf=" + Desk::csrf_of(page->body));
  REQUIRE(out);
  CHECK(out->status == 303);
  // Rejected tokens are written per address and minute, the last ones at a clean stop.
  REQUIRE(k.d.stop() == 0);
  const std::string rows = k.sql("SELECT principal, action, entity, new_value FROM audit ORDER BY seq");
  CHECK(rows.find("s01-coordinator|desk.sign_in|desk/session/1|") != std::string::npos);
  CHECK(rows.find("s01-coordinator|desk.sign_out|desk/session/1|") != std::string::npos);
  CHECK(rows.find("auth.rejected|auth/127.0.0.1|") != std::string::npos);
  CHECK(rows.find("plugh") == std::string::npos);
  CHECK(rows.find(cookie) == std::string::npos);
  CHECK(k.d.log().find("plugh") == std::string::npos);
  // The trail still holds.
  auto [rc, verify] =
      run_command(std::string(PVMON_PATH) + " audit verify " + k.d.db_args() + " 2>&1");
  CHECK_MESSAGE(rc == 0, verify);
}

TEST_CASE("desk: a session's pages draw on its principal's request budget, shared with its API token") {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { c["http"]["rate_limit"] = {{"requests_per_second", 1}, {"burst", 3}}; }),
           tmp.path / "data");
  d.start();
  auto c = d.client();
  // The sign-in form is not a session's page: it draws on nothing.
  const httplib::Headers cookie{{"Cookie", "pvmon_session=" + desk_session(c, "demo-officer")}};
  for (int i = 0; i < 3; ++i) {
    auto r = c.Get("/desk/studies", cookie);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  // Past the burst (a token comes back each second, so a slow machine may need a few more).
  int status = 0;
  std::string retry_after, body;
  for (int i = 0; i < 20 && status != 429; ++i) {
    auto r = c.Get("/desk/studies", cookie);
    REQUIRE(r);
    status = r->status;
    retry_after = r->get_header_value("Retry-After");
    body = r->body;
  }
  REQUIRE(status == 429);
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(body.find("Too many requests from safety-officer") != std::string::npos);
  // The same principal's bearer token is over its budget as well: with a budget of its own it
  // would have 3 requests; it gets at most the one a second's refill gives back.
  int api_ok = 0;
  for (int i = 0; i < 2; ++i) {
    auto api = c.Get((std::string(kStudy) + "/alerts").c_str(), bearer("demo-officer"));
    REQUIRE(api);
    if (api->status == 200) ++api_ok;
    else CHECK(api->status == 429);
  }
  CHECK(api_ok <= 1);
  auto other = c.Get((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"));
  REQUIRE(other);
  CHECK(other->status == 200);
}
