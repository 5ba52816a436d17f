#pragma once
// The database one store test case runs on: a SQLite file in a folder of its own, or, when
// PVMON_TEST_ENGINE is "postgresql" (ctest's pg_test_store, run inside scripts/pg-test.sh), a
// fresh database on that PostgreSQL server, dropped at the end. Test cases that hold on both
// engines carry the test suite "engines"; pg_test_store runs only those.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <string>

#include "postgres.hpp"
#include "pvmon/store.hpp"
#include "schema.hpp"
#include "sqlite.hpp"

namespace pvmon::test {

inline bool pg_engine() {
  const char* engine = std::getenv("PVMON_TEST_ENGINE");
  if (!engine || std::string(engine) != "postgresql") return false;
  if (!std::getenv("PVMON_TEST_PG_ADMIN_DSN") || !std::getenv("PVMON_TEST_PG_DSN"))
    throw std::runtime_error("PVMON_TEST_ENGINE=postgresql needs the server of scripts/pg-test.sh");
  return true;
}

/// The clock, actor, subject and AE report most store tests write with.
inline const FakeClock kClock(*parse_timestamp("2026-11-24T12:00:00Z"));
inline const store::Actor kActor{"s01-coordinator", "S01"};

inline nlohmann::json subject(const std::string& id) {
  return {{"subject", id}, {"enrolled", "2026-09-01"}, {"sex", "F"}, {"age", 60}, {"baseline", nlohmann::json::object()}};
}

inline nlohmann::json ae(const std::string& report_id, const std::string& subj = "S01-0001") {
  return {{"report_id", report_id}, {"subject", subj}, {"term", "Fatigue"}, {"grade", 2}};
}

class TestDb {
 public:
  TestDb() {
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                            std::to_string(std::random_device{}() % 100000);
    dir_ = std::filesystem::temp_directory_path() / ("pvmon-store-" + tag);
    std::filesystem::create_directories(dir_);
    if (pg_engine()) {
      name_ = "unit_" + tag;
      admin("CREATE DATABASE " + name_);
      std::string dsn = std::getenv("PVMON_TEST_PG_DSN");
      dsn.replace(dsn.find("dbname=pvmon"), 12, "dbname=" + name_);
      const char* pw = std::getenv("PVMON_TEST_PG_PASSWORD_FILE");
      dsn_ = store::dsn_with_password(dsn, pw ? pw : "").value();
    }
  }
  ~TestDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    // FORCE (PostgreSQL 13+): a connection a failed test left open does not keep it.
    if (!name_.empty()) try {
        admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
  }
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  bool postgres() const { return !dsn_.empty(); }
  /// A folder of the test's own for any other files.
  const std::filesystem::path& dir() const { return dir_; }
  std::string sqlite_path() const { return (dir_ / "t.db").string(); }

  /// What Store::open takes for this database.
  store::Options options(int busy_ms = 5000) const {
    store::Options o(sqlite_path(), busy_ms);
    o.dsn = dsn_;
    return o;
  }
  /// A connection of the engine's own; `create` makes the SQLite file.
  std::unique_ptr<store::Db> open(bool create = false, bool read_only = false, int busy_ms = 1000) const {
    if (postgres()) return std::make_unique<store::PgDb>(dsn_, read_only);
    return std::make_unique<store::SqliteDb>(sqlite_path(), create, read_only, busy_ms);
  }
  /// A writer connection on a database at the current schema.
  std::unique_ptr<store::Db> migrated() const {
    auto db = open(true);
    if (postgres())
      store::migrate_pg(*db);
    else
      store::migrate(*db);
    return db;
  }

 private:
  static void admin(const std::string& sql) {
    pqxx::connection c(std::getenv("PVMON_TEST_PG_ADMIN_DSN"));
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }

  std::filesystem::path dir_;
  std::string name_;
  std::string dsn_;
};

}  // namespace pvmon::test
