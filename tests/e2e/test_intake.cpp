// End-to-end: the real pvmond on loopback, a temporary database, HTTP from outside.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

struct Fixture {
  TempDir tmp;
  fs::path config = write_config(tmp.path);
  Daemon d{config, tmp.path / "data"};
  Fixture() { d.start(); }

  httplib::Result post(const std::string& path, const json& body,
                       const std::string& token = "demo-site-s01") {
    auto c = d.client();
    return c.Post(path.c_str(), bearer(token), body.dump(), "application/json");
  }
  httplib::Result get(const std::string& path, const std::string& token = "demo-officer") {
    auto c = d.client();
    return c.Get(path.c_str(), bearer(token));
  }
  void enrol(const std::string& subject, const std::string& token = "demo-site-s01") {
    auto r = post(std::string(kStudy) + "/subjects", subject_body(subject), token);
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
};

/// The fields of a problem document, as a set of "field" names.
std::set<std::string> problem_fields(const httplib::Result& r) {
  std::set<std::string> out;
  auto j = json::parse(r->body);
  for (const auto& e : j["errors"]) out.insert(e["field"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an AE report is stored, acknowledged and read back, also after a restart") {
  enrol("S01-0007");
  auto r = post(std::string(kStudy) + "/ae", ae_body("S01-0007-AE-003"));
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(r->has_header("X-Request-Id"));
  auto rec = json::parse(r->body);
  CHECK(rec["version"] == 1);
  CHECK(rec["report_id"] == "S01-0007-AE-003");
  CHECK(rec["site"] == "S01");
  CHECK(rec["grade"] == 3);
  CHECK(rec["serious"]["hospitalization"] == true);
  CHECK(rec["causality"]["apatinib"] == "possible");
  CHECK(rec["received_at"].get<std::string>().size() == 24);
  const auto id = rec["id"].get<std::int64_t>();
  CHECK(r->get_header_value("Location") == std::string(kStudy) + "/ae/" + std::to_string(id));

  auto g = get(std::string(kStudy) + "/ae/" + std::to_string(id));
  REQUIRE(g);
  CHECK(g->status == 200);
  CHECK(json::parse(g->body) == rec);

  REQUIRE(d.stop(SIGTERM) == 0);
  d.start();
  auto g2 = get(std::string(kStudy) + "/ae/" + std::to_string(id));
  REQUIRE(g2);
  CHECK(g2->status == 200);
  CHECK(json::parse(g2->body) == rec);
}

TEST_CASE_FIXTURE(Fixture, "replaying a report is idempotent; other content under its id is 409") {
  enrol("S01-0007");
  auto body = ae_body("S01-0007-AE-003");
  auto first = post(std::string(kStudy) + "/ae", body);
  REQUIRE(first);
  REQUIRE(first->status == 201);
  auto again = post(std::string(kStudy) + "/ae", body);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body) == json::parse(first->body));

  auto changed = body;
  changed["grade"] = 4;
  auto conflict = post(std::string(kStudy) + "/ae", changed);
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  auto p = json::parse(conflict->body);
  CHECK(p["detail"].get<std::string>().find("/followups") != std::string::npos);
  CHECK(problem_fields(conflict) == std::set<std::string>{"report_id"});

  // The same report id at another site is another report.
  enrol("S02-0001", "demo-site-s02");
  auto other_site = post(std::string(kStudy) + "/ae", ae_body("S01-0007-AE-003", "S02-0001"),
                         "demo-site-s02");
  REQUIRE(other_site);
  CHECK(other_site->status == 201);

  auto list = get(std::string(kStudy) + "/ae");
  REQUIRE(list);
  CHECK(json::parse(list->body)["items"].size() == 2);  // the 409 stored nothing
}

TEST_CASE_FIXTURE(Fixture, "every error class has its status, a problem document and its field") {
  enrol("S01-0007");
  auto c = d.client();
  const std::string ae = std::string(kStudy) + "/ae";

  SUBCASE("400 malformed JSON names the byte offset") {
    auto r = c.Post(ae.c_str(), bearer("demo-site-s01"), "{\"report_id\": \"x\",", "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->get_header_value("Content-Type") == "application/problem+json");
    // 18 bytes of input: the parser fails on reading past the end, at byte 19 (1-based).
    CHECK(json::parse(r->body)["detail"].get<std::string>().find("at byte 19") != std::string::npos);
  }
  SUBCASE("404 unknown study and unknown route") {
    auto r = c.Post("/v1/studies/nope/ae", bearer("demo-site-s01"), ae_body("x").dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(problem_fields(r) == std::set<std::string>{"study"});
    auto r2 = c.Get("/v2/whatever", bearer("demo-officer"));
    REQUIRE(r2);
    CHECK(r2->status == 404);
    CHECK(json::parse(r2->body)["status"] == 404);
  }
  SUBCASE("405 names the allowed methods") {
    auto r = c.Delete(ae.c_str(), bearer("demo-officer"));
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->get_header_value("Allow").find("POST") != std::string::npos);
  }
  SUBCASE("413 over the payload limit") {
    std::string big(2 << 20, 'x');
    auto r = c.Post(ae.c_str(), bearer("demo-site-s01"), "\"" + big + "\"", "application/json");
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  SUBCASE("415 wrong content type") {
    auto r = c.Post(ae.c_str(), bearer("demo-site-s01"), ae_body("x").dump(), "text/plain");
    REQUIRE(r);
    CHECK(r->status == 415);
  }
  SUBCASE("422 collects every invalid field at once") {
    auto body = ae_body("S01-0007-AE-9");
    body["grade"] = 7;
    body["onset"] = "2026-02-30";
    body["resolved"] = "2026-09-30";
    body["site_aware_at"] = "yesterday";
    body["serious"].erase("death");
    body["causality"]["aspirin"] = "possible";
    body["outcome"] = "better";
    body["patient_name"] = "John Doe";
    auto r = c.Post(ae.c_str(), bearer("demo-site-s01"), body.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(problem_fields(r) ==
          std::set<std::string>{"grade", "onset", "site_aware_at", "serious.death",
                                "causality.aspirin", "outcome", "patient_name"});
  }
  SUBCASE("422 for chronology: onset before enrolment, in the future, resolved before onset") {
    auto body = ae_body("S01-0007-AE-10");
    body["onset"] = "2026-08-01";  // enrolled 2026-09-01
    body["site_aware_at"] = "2026-08-02T00:00:00Z";
    auto r = c.Post(ae.c_str(), bearer("demo-site-s01"), body.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(problem_fields(r) == std::set<std::string>{"onset"});

    auto future = ae_body("S01-0007-AE-11");
    future["onset"] = "2099-01-01";
    auto r2 = c.Post(ae.c_str(), bearer("demo-site-s01"), future.dump(), "application/json");
    REQUIRE(r2);
    CHECK(r2->status == 422);
    CHECK(problem_fields(r2).count("onset") == 1);

    auto unknown = ae_body("S01-0007-AE-12", "S01-9999");
    auto r3 = c.Post(ae.c_str(), bearer("demo-site-s01"), unknown.dump(), "application/json");
    REQUIRE(r3);
    CHECK(r3->status == 422);
    CHECK(problem_fields(r3) == std::set<std::string>{"subject"});
  }
  // Whatever failed above stored nothing.
  auto list = c.Get((ae).c_str(), bearer("demo-officer"));
  REQUIRE(list);
  CHECK(json::parse(list->body)["items"].empty());
}

TEST_CASE_FIXTURE(Fixture, "authentication and authorisation") {
  enrol("S01-0007");
  const std::string ae = std::string(kStudy) + "/ae";
  auto c = d.client();
  auto no_token = c.Post(ae.c_str(), ae_body("A1").dump(), "application/json");
  REQUIRE(no_token);
  CHECK(no_token->status == 401);
  CHECK(no_token->has_header("WWW-Authenticate"));
  auto wrong = c.Post(ae.c_str(), bearer("not-a-token"), ae_body("A1").dump(), "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto officer = c.Post(ae.c_str(), bearer("demo-officer"), ae_body("A1").dump(), "application/json");
  REQUIRE(officer);
  CHECK(officer->status == 403);
  auto dsmb = c.Get(ae.c_str(), bearer("demo-dsmb"));
  REQUIRE(dsmb);
  CHECK(dsmb->status == 403);
  // Site S02 may not report on S01's subject: for S02 it is not enrolled (no existence oracle).
  auto other = c.Post(ae.c_str(), bearer("demo-site-s02"), ae_body("A1").dump(), "application/json");
  REQUIRE(other);
  CHECK(other->status == 422);

  auto mine = c.Post(ae.c_str(), bearer("demo-site-s01"), ae_body("A1").dump(), "application/json");
  REQUIRE(mine);
  REQUIRE(mine->status == 201);
  const std::string one = ae + "/" + std::to_string(json::parse(mine->body)["id"].get<int>());
  auto s02_get = c.Get(one.c_str(), bearer("demo-site-s02"));
  REQUIRE(s02_get);
  CHECK(s02_get->status == 404);  // another site's report does not exist for S02
  auto s02_list = c.Get(ae.c_str(), bearer("demo-site-s02"));
  REQUIRE(s02_list);
  CHECK(json::parse(s02_list->body)["items"].empty());
  auto s01_list = c.Get(ae.c_str(), bearer("demo-site-s01"));
  REQUIRE(s01_list);
  CHECK(json::parse(s01_list->body)["items"].size() == 1);
  // Health probes need no token; the log never shows one.
  auto h = c.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  auto ready = c.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  const std::string log = d.log_settled();
  CHECK(log.find("GET /readyz 200") != std::string::npos);
  CHECK(log.find("principal=s01-coordinator") != std::string::npos);
  for (const char* token : {"demo-site-s01", "demo-site-s02", "demo-officer", "not-a-token"})
    CHECK(log.find(token) == std::string::npos);
  CHECK(log.find("Bearer") == std::string::npos);
  CHECK(log.find("ALT raised") == std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "pagination is stable and filters by subject and time") {
  enrol("S01-0001");
  enrol("S01-0002");
  for (int i = 0; i < 7; ++i) {
    auto r = post(std::string(kStudy) + "/ae",
                  ae_body("R" + std::to_string(i), i % 2 ? "S01-0001" : "S01-0002"));
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  std::vector<std::int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string url = std::string(kStudy) + "/ae?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = get(url);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto j = json::parse(r->body);
    for (const auto& it : j["items"]) seen.push_back(it["id"].get<std::int64_t>());
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
  auto by_subject = get(std::string(kStudy) + "/ae?subject=S01-0001");
  REQUIRE(by_subject);
  CHECK(json::parse(by_subject->body)["items"].size() == 3);
  auto future = get(std::string(kStudy) + "/ae?since=2099-01-01");
  REQUIRE(future);
  CHECK(json::parse(future->body)["items"].empty());
  auto bad = get(std::string(kStudy) + "/ae?limit=0&since=soon");
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(problem_fields(bad) == std::set<std::string>{"limit", "since"});
}

TEST_CASE("SIGKILL mid-stream loses no acknowledged report and invents none") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d);
  constexpr int kClients = 6;
  std::mutex mu;
  std::map<std::string, json> acked;  // report_id -> record as acknowledged
  std::set<std::string> attempted;
  std::atomic<bool> stop{false};
  std::atomic<int> total{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      auto c = d.client();
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        const std::string id = "C" + std::to_string(t) + "-" + std::to_string(i);
        {
          std::lock_guard lock(mu);
          attempted.insert(id);
        }
        auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"),
                        ae_body(id).dump(), "application/json");
        if (!r) break;  // the daemon is gone
        if (r->status == 201) {
          std::lock_guard lock(mu);
          acked[id] = json::parse(r->body);
          total.fetch_add(1);
        }
      }
    });
  }
  // Let a few hundred reports through, then kill without warning.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (total.load() < 300 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(d.stop(SIGKILL) == 128 + SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  REQUIRE(acked.size() >= 300);

  d.start();
  auto stored = reports_by_id(d);
  for (const auto& [id, rec] : acked) {
    REQUIRE(stored.count(id) == 1);
    CHECK(stored[id] == rec);  // whole, exactly as acknowledged
  }
  // Nothing that no client sent. A report whose COMMIT finished just before the kill may be
  // stored although its 201 never reached the client: at most one per client.
  std::size_t unacked = 0;
  for (const auto& [id, rec] : stored) {
    CHECK(attempted.count(id) == 1);
    if (!acked.count(id)) ++unacked;
  }
  CHECK(unacked <= static_cast<std::size_t>(kClients));
}
