// End-to-end fault tests: the daemon killed again and again under load, the database locked by
// another process, and the disk full. In each, nothing acknowledged is lost, nothing is half
// written, failures are clear (503 with a problem document and a log line), and the daemon
// recovers by itself when the fault goes.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/mount.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

/// An SAE report (hospitalisation; Fatigue is expected for both products, so an SAE but not a
/// SUSAR): each raises exactly one alert.sae.
json sae_body(const std::string& report_id) {
  json ae = ae_body(report_id);
  ae.erase("lab");
  ae["term"] = "Fatigue";
  ae["grade"] = 3;
  return ae;
}

/// Every report in the study, by report_id, paging through the API.
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

}  // namespace

TEST_CASE("kill -9 under load, again and again: acknowledged reports and their alerts survive and are delivered") {
  // CI runs a few rounds; bench/faults runs 20 (PVMON_KILL_ROUNDS=20).
  const int rounds = env_int("PVMON_KILL_ROUNDS", 4);
  TempDir tmp;
  Receiver rx(free_port());
  rx.start();
  Daemon d(write_config(tmp.path, [&](json& c) {
             c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url(), json::array({"alert.sae"}))});
           }),
           tmp.path / "data");
  d.start();
  enrol_new(d);
  std::mutex mu;
  std::map<std::string, std::int64_t> acked;  // report_id -> server id
  for (int round = 0; round < rounds; ++round) {
    if (round > 0) d.start();
    std::atomic<bool> stop{false};
    std::atomic<int> this_round{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        auto c = d.client();
        for (int i = 0; !stop.load(); ++i) {
          const std::string id = "K" + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i);
          auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), sae_body(id).dump(),
                          "application/json");
          if (!r) break;  // killed
          if (r->status == 201) {
            std::lock_guard lock(mu);
            acked[id] = json::parse(r->body)["id"].get<std::int64_t>();
            this_round.fetch_add(1);
          }
        }
      });
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (this_round.load() < 25 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    CHECK(d.stop(SIGKILL) == 128 + SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    INFO(d.log());
    REQUIRE(this_round.load() >= 25);
  }

  d.start();
  const auto stored = reports_by_id(d);
  for (const auto& [rid, id] : acked) {
    REQUIRE_MESSAGE(stored.count(rid) == 1, rid);
    CHECK(stored.at(rid)["id"] == id);
  }
  // Every acknowledged SAE has its alert, and every alert reaches the receiver (at least once).
  std::set<std::int64_t> want;
  for (const auto& [rid, id] : acked) want.insert(id);
  const bool all = rx.wait_for(
      [&](const std::vector<Delivery>& ds) {
        std::set<std::int64_t> got;
        for (const auto& x : ds) {
          auto ev = json::parse(x.body);
          if (ev["type"] == "alert.sae") got.insert(ev["data"]["report"].get<std::int64_t>());
        }
        return std::includes(got.begin(), got.end(), want.begin(), want.end());
      },
      120);
  CHECK_MESSAGE(all, "not every acknowledged SAE's alert was delivered after " << rounds << " kills");
  for (const auto& x : rx.got()) CHECK(x.signature == expected_signature(x.id, x.timestamp, x.body));
}

// SQLite's file (on PostgreSQL, a lock held by another instance: pg_test_store).
TEST_CASE("a database locked by another process: requests wait the busy timeout, fail clearly, then succeed" * doctest::skip(on_postgres())) {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { c["storage"] = {{"busy_timeout_ms", 300}}; }), tmp.path / "data");
  d.start();
  enrol_new(d);
  auto c = d.client();

  // Another process (here: this test, through SQLite itself, like the sqlite3 CLI) holds a write
  // transaction.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open((d.data_dir() / "pvmon.db").string().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), sae_body("L-1").dump(),
                  "application/json");
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->get_header_value("Content-Type") == "application/problem+json");
  CHECK(r->body.find("urn:pvmon:problem:unavailable") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(250));  // it waited for the lock before giving up
  // Reads go on beside the lock (WAL).
  auto list = c.Get((std::string(kStudy) + "/ae").c_str(), bearer("demo-officer"));
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(json::parse(list->body)["items"].empty());  // nothing half-written

  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  auto again = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), sae_body("L-1").dump(),
                      "application/json");
  REQUIRE(again);
  CHECK(again->status == 201);
  CHECK(reports_by_id(d).size() == 1);
  CHECK(d.log().find("the database is locked by another process") != std::string::npos);
}

// SQLite's file (on PostgreSQL, a lock held by another instance: pg_test_store).
TEST_CASE("disk full: writes fail with 503 and a log line, nothing acknowledged is lost, space returns, writes resume" * doctest::skip(on_postgres())) {
  TempDir tmp;
  const fs::path small = tmp.path / "small";
  fs::create_directories(small);
  // A real filesystem that fills: a 2 MiB tmpfs. Mounting needs CAP_SYS_ADMIN (root in CI).
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") != 0) {
    MESSAGE("skipped: cannot mount a small tmpfs here (needs root): " << std::strerror(errno));
    return;
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{small};
  Daemon d(write_config(tmp.path, [&](json& c) { c["database"] = (small / "pvmon.db").string(); }),
           tmp.path / "data");
  d.start();
  enrol_new(d);
  auto c = d.client();

  std::map<std::string, json> acked;
  int full = 0, i = 0;
  for (; i < 5000 && full < 3; ++i) {
    const std::string id = "F-" + std::to_string(i);
    auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), sae_body(id).dump(),
                    "application/json");
    REQUIRE(r);
    if (r->status == 201) {
      acked[id] = json::parse(r->body);
    } else {
      CHECK(r->status == 503);
      CHECK(r->body.find("urn:pvmon:problem:unavailable") != std::string::npos);
      ++full;
    }
  }
  REQUIRE(full == 3);
  REQUIRE(acked.size() > 10);
  CHECK(d.log().find("storage is full: the report was not stored") != std::string::npos);
  // Reads still work and show exactly what was acknowledged.
  auto stored = reports_by_id(d);
  for (const auto& [id, rec] : acked) {
    REQUIRE(stored.count(id) == 1);
    CHECK(stored[id]["id"] == rec["id"]);
  }
  CHECK(stored.size() == acked.size());

  // Space returns: the same daemon takes writes again, without a restart.
  REQUIRE(::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=16m") == 0);
  auto after = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), sae_body("AFTER").dump(),
                      "application/json");
  REQUIRE(after);
  CHECK(after->status == 201);
  CHECK(d.stop() == 0);
  d.start();
  CHECK(reports_by_id(d).size() == acked.size() + 1);
}
