// Two pvmond on one PostgreSQL database (README "Scaling out"): reports posted to both, either
// killed with SIGKILL at random moments under load, restarted; no acknowledged report lost or
// doubled, every alert delivered to a real receiver, the audit chain intact. Runs only against
// PostgreSQL (ctest pg_e2e_pg_cluster, under scripts/pg-test.sh).
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;
using namespace std::chrono_literals;

namespace {

/// Every AE report of the study as the API lists it, by report id (a report stored twice
/// would show as two items with one id: counted).
std::map<std::string, int> stored_reports(const Daemon& d) {
  std::map<std::string, int> out;
  auto c = d.client();
  std::string cursor;
  for (;;) {
    const std::string url = std::string(kStudy) + "/ae?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = c.Get(url.c_str(), bearer("demo-officer"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto j = json::parse(r->body);
    for (const auto& it : j["items"]) ++out[it["report_id"].get<std::string>()];
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  return out;
}

/// Every alert id the study has (the officer's list, all states).
std::set<std::int64_t> alert_ids(const Daemon& d) {
  std::set<std::int64_t> out;
  auto c = d.client();
  std::string cursor;
  for (;;) {
    const std::string url = std::string(kStudy) + "/alerts?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = c.Get(url.c_str(), bearer("demo-officer"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto j = json::parse(r->body);
    for (const auto& it : j["items"]) out.insert(it["id"].get<std::int64_t>());
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  return out;
}

/// The alert ids the receiver was sent (alert.* events).
std::set<std::int64_t> delivered_alerts(const std::vector<Delivery>& got) {
  std::set<std::int64_t> out;
  for (const auto& x : got) {
    const auto ev = json::parse(x.body);
    if (ev["type"].get<std::string>().rfind("alert.", 0) == 0 && ev["data"].contains("alert_id") &&
        ev["data"]["alert_id"].is_number())
      out.insert(ev["data"]["alert_id"].get<std::int64_t>());
  }
  return out;
}

}  // namespace

TEST_CASE("two instances on one database: SIGKILL of either under load (20 rounds) loses no acknowledged report, "
          "doubles none, every alert is delivered and the audit chain holds") {
  REQUIRE(on_postgres());
  TempDir tmp;
  Receiver rx{free_port()};
  rx.start();
  // One config for both (one database); each has its own data folder and checkpoint file.
  const fs::path config = write_config(tmp.path, [&](json& c) {
    c["alerts"] = {{"scheduler_tick_seconds", 1}, {"delivery_lease_seconds", 5}};
    c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())});
  });
  std::array<Daemon, 2> inst{Daemon(config, tmp.path / "a"), Daemon(config, tmp.path / "b")};
  inst[0].start();
  inst[1].start();
  enrol_new(inst[0]);

  const unsigned seed = std::random_device{}();
  MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  std::mutex mu;
  std::map<std::string, json> acked;  // report id -> the body acknowledged
  std::vector<std::string> odd;        // answers no client should get (checked after each round)
  int kills = 0;

  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> stop{false};
    // One client per instance, each falling back to the other instance while its own is down:
    // the same report id and body again, so the second answer is a replay (200) if the first
    // was committed before the kill, or the first store (201) if not.
    auto client = [&](int own) {
      for (int k = 0; !stop.load(); ++k) {
        const std::string id = "R" + std::to_string(round) + "-" + std::to_string(own) + "-" + std::to_string(k);
        json body = ae_body(id);
        body.erase("lab");
        body["term"] = "Fatigue";  // an SAE: one alert each
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
          const Daemon& d = inst[(own + attempt) % 2];
          httplib::Client c = d.client();
          c.set_connection_timeout(1, 0);
          c.set_read_timeout(10, 0);
          auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), body.dump(), "application/json");
          if (r && (r->status == 201 || r->status == 200)) {
            std::lock_guard lock(mu);
            acked[id] = body;
            break;
          }
          if (r && r->status != 503) {
            std::lock_guard lock(mu);
            odd.push_back(id + ": " + std::to_string(r->status) + " " + r->body);
            break;
          }
          std::this_thread::sleep_for(20ms);
        }
      }
    };
    std::thread t0(client, 0), t1(client, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 600)(rng)));
    const int victim = std::uniform_int_distribution<int>(0, 1)(rng);
    inst[victim].stop(SIGKILL);
    ++kills;
    // The survivor alone for a moment, taking the victim's client too.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 400)(rng)));
    stop = true;
    t0.join();
    t1.join();
    inst[victim].start();
    for (const auto& o : odd) FAIL_CHECK("unexpected answer to " << o);
    odd.clear();
  }
  MESSAGE(acked.size() << " reports acknowledged over " << kills << " kills");
  REQUIRE(acked.size() >= 40);

  // Every acknowledged report is stored exactly once, seen alike from both instances.
  for (const Daemon& d : inst) {
    const auto stored = stored_reports(d);
    for (const auto& [id, body] : acked) {
      INFO("report " << id);
      REQUIRE(stored.count(id) == 1);
      CHECK(stored.at(id) == 1);
    }
    // Nothing no client sent (a report committed just before a kill without its answer was
    // posted again and acknowledged then, so it is in `acked` too).
    for (const auto& [id, n] : stored) {
      INFO("stored report " << id);
      CHECK(acked.count(id) == 1);
      CHECK(n == 1);
    }
  }

  // Every alert reaches the receiver, including those an instance had claimed when it died
  // (its lease runs out after 5 s and the other sends them).
  const auto alerts = alert_ids(inst[0]);
  CHECK(alerts.size() >= acked.size());
  const bool all = rx.wait_for(
      [&](const std::vector<Delivery>& ds) {
        const auto got = delivered_alerts(ds);
        for (auto id : alerts)
          if (!got.count(id)) return false;
        return true;
      },
      120);
  if (!all) {
    const auto got = delivered_alerts(rx.got());
    std::size_t missing = 0;
    for (auto id : alerts) missing += got.count(id) ? 0 : 1;
    FAIL(missing << " of " << alerts.size() << " alerts never delivered");
  }

  // One audit chain, intact, across both instances' writes.
  const json cfg = json::parse(read_text(config));
  const std::string cmd = std::string(PVMON_PATH) + " audit verify --dsn '" + cfg["storage"]["dsn"].get<std::string>() +
                          "' --password-file '" + cfg["storage"]["password_file"].get<std::string>() + "' 2>&1";
  auto [rc, out] = run_command(cmd);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("audit trail intact") != std::string::npos);
}

TEST_CASE("pvmon migrate --from-sqlite: a SQLite study database moves to PostgreSQL whole and verifies there") {
  REQUIRE(on_postgres());
  TempDir tmp;
  // First on SQLite: a subject, reports, a follow-up (versions), alerts, the audit trail.
  fs::create_directories(tmp.path / "pg");
  const fs::path pg_config = write_config(tmp.path / "pg");
  const fs::path sqlite_config = write_config(tmp.path, [](json& c) { c.erase("storage"); });
  Daemon lite(sqlite_config, tmp.path / "lite");
  lite.start();
  enrol_new(lite);
  for (int i = 0; i < 5; ++i) {
    auto r = lite.client().Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"),
                                ae_body("MIG-" + std::to_string(i)).dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  const auto before = stored_reports(lite);
  const auto alerts_before = alert_ids(lite);
  REQUIRE(lite.stop() == 0);

  const json cfg = json::parse(read_text(pg_config));
  const std::string dsn = cfg["storage"]["dsn"].get<std::string>();
  const std::string pw = cfg["storage"]["password_file"].get<std::string>();
  const std::string migrate = std::string(PVMON_PATH) + " migrate --from-sqlite '" +
                              (tmp.path / "lite" / "pvmon.db").string() + "' --to-dsn '" + dsn + "' --password-file '" +
                              pw + "' 2>&1";
  auto [rc, out] = run_command(migrate);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("ae_reports: 5 rows") != std::string::npos);
  CHECK(out.find("audit trail intact on PostgreSQL") != std::string::npos);
  // Not twice: the target holds data now.
  auto [again_rc, again] = run_command(migrate);
  CHECK(again_rc == 1);
  CHECK(again.find("already holds pvmon data") != std::string::npos);

  // pvmond on PostgreSQL serves the same reports and alerts, and new ids continue after the copied ones.
  Daemon pg(pg_config, tmp.path / "pg" / "data");
  pg.start();
  CHECK(stored_reports(pg) == before);
  CHECK(alert_ids(pg) == alerts_before);
  auto r = pg.client().Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"),
                            ae_body("MIG-NEW").dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(json::parse(r->body)["id"].get<std::int64_t>() == 6);
  REQUIRE(pg.stop() == 0);
  auto [vrc, vout] = run_command(std::string(PVMON_PATH) + " audit verify " + pg.db_args() + " 2>&1");
  INFO(vout);
  CHECK(vrc == 0);
}
