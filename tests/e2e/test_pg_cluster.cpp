// Two pvmond on one PostgreSQL database (README "Scaling out"): reports posted to both, either
// killed with SIGKILL at random moments under load, restarted; no acknowledged report lost or
// doubled, every alert delivered to a real receiver, the audit chain intact. Runs only against
// PostgreSQL (ctest pg_e2e_pg_cluster, under scripts/pg-test.sh).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
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
  for (const auto& it : all_items(d, std::string(kStudy) + "/ae")) ++out[it["report_id"].get<std::string>()];
  return out;
}

/// Every alert id the study has (the officer's list, all states).
std::set<std::int64_t> alert_ids(const Daemon& d) {
  std::set<std::int64_t> out;
  for (const auto& it : all_items(d, std::string(kStudy) + "/alerts")) out.insert(it["id"].get<std::int64_t>());
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
          "doubles none, every alert is delivered, the audit chain holds and each DSMB report due is built once") {
  REQUIRE(on_postgres());
  TempDir tmp;
  Receiver rx{free_port()};
  rx.start();
  // The study with a DSMB report due every minute (cron): the first minute after the start falls
  // among the kills. A report's cut-off is its due date, so one report per UTC day is due.
  json study = json::parse(read_text(fs::path(PVMON_SOURCE_DIR) / "config" / "studies" / "hcc-pvtt-imrt.json"),
                           nullptr, true, true);
  study["dsmb_schedule"] = {{"cron", "* * * * *"}};
  write_text(tmp.path / "study.json", study.dump(2));
  // One config for both (one database); each has its own data folder and checkpoint file.
  const fs::path config = write_config(tmp.path, [&](json& c) {
    c["alerts"] = {{"scheduler_tick_seconds", 1}, {"delivery_lease_seconds", 5}};
    c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())});
    c["studies"] = json::array({(tmp.path / "study.json").string()});
  });
  std::array<Daemon, 2> inst{Daemon(config, tmp.path / "a"), Daemon(config, tmp.path / "b")};
  const auto started = std::chrono::system_clock::now();
  inst[0].start();
  inst[1].start();
  enrol_new(inst[0]);
  // The first due time: the first whole minute after the study was first seen.
  const auto first_due = std::chrono::ceil<std::chrono::minutes>(started + 1s);

  const unsigned seed = std::random_device{}();
  MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  std::mutex mu;
  std::map<std::string, json> acked;  // report id -> the body acknowledged
  std::vector<std::string> odd;        // answers no client should get (checked after each round)
  int kills = 0;

  // 20 rounds, and more until the first due time is 3 s (three ticks) behind.
  for (int round = 0; round < 20 || std::chrono::system_clock::now() < first_due + 3s; ++round) {
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

  // Exactly one scheduled DSMB report per due date, whichever instance held the scheduler when
  // it fell due and however often the holder was killed (a build may have died half way).
  std::set<std::string> due_dates;
  const auto ended = std::chrono::system_clock::now();
  for (auto t = first_due; t <= ended - 2s; t += std::chrono::minutes(1)) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    due_dates.insert(date);
  }
  REQUIRE_FALSE(due_dates.empty());
  for (const Daemon& d : inst) {
    auto r = d.client().Get((std::string(kStudy) + "/dsmb-reports").c_str(), bearer("demo-officer"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    INFO("DSMB reports: " << r->body);
    INFO("due dates: " << json(due_dates).dump());
    const json list = json::parse(r->body);
    std::multiset<std::string> cutoffs;
    for (const auto& it : list["items"]) {
      CHECK(it["trigger"] == "scheduled");
      cutoffs.insert(it["data_cutoff"].get<std::string>());
    }
    CHECK(cutoffs == std::multiset<std::string>(due_dates.begin(), due_dates.end()));
  }

  // One audit chain, intact, across both instances' writes.
  auto [rc, out] = run_command(std::string(PVMON_PATH) + " audit verify " + inst[0].db_args() + " 2>&1");
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

  Daemon pg(pg_config, tmp.path / "pg" / "data");
  const auto target = pg.pg_target().value();
  const std::string migrate = std::string(PVMON_PATH) + " migrate --from-sqlite '" +
                              (tmp.path / "lite" / "pvmon.db").string() + "' --to-dsn '" + target.dsn +
                              "' --password-file '" + target.password_file + "' 2>&1";
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
