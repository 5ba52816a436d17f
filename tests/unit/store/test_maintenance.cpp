#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "test_db.hpp"
#include "temp_dir.hpp"
#include "audit_cmd.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/maintenance.hpp"
#include "pvmon/store.hpp"

using namespace pvmon;
using namespace pvmon::store;
using nlohmann::json;
namespace fs = std::filesystem;

using namespace pvmon::test;

namespace {

using test::TempDir;

/// Writes real rows through the store: one enrolment and `n_ae` AE reports.
void populate(const std::string &path, int n_ae) {
  auto s = std::move(Store::open({path}, kClock).value());
  REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", kActor));
  for (int i = 0; i < n_ae; ++i)
    REQUIRE(s->insert_ae("st", "S01", ae("R" + std::to_string(i)),
                         "b" + std::to_string(i), kActor));
  s->close();
}

/// What an attacker holding the file can do with the sqlite3 C API.
void raw_exec(const std::string &path, const char *sql) {
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char *msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  INFO((msg ? msg : ""));
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::int64_t count(const std::string &path, const char *table) {
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt *st = nullptr;
  const std::string sql = std::string("SELECT count(*) FROM ") + table;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const std::int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

} // namespace

TEST_CASE("verify_audit recomputes the hashes the store wrote, and names the "
          "altered row") {
  TempDir t;
  const auto db = t.path("pv.db");
  populate(db, 3);

  auto ok = verify_audit(db);
  REQUIRE(ok);
  CHECK(ok->intact());
  CHECK(ok->rows == count(db, "audit"));
  CHECK(ok->rows >= 4);
  CHECK(ok->head_hash.size() == 64);
  CHECK(ok->head_hash != std::string(64, '0'));

  std::ostringstream out, err;
  CHECK(cli::cmd_audit({"verify", "--db", db}, out, err) == 0);
  CHECK(out.str().find("rows checked: " + std::to_string(ok->rows)) !=
        std::string::npos);
  CHECK(out.str().find(ok->head_hash) != std::string::npos);

  // The trigger refuses the update; an attacker with the file drops it first.
  raw_exec(db, "DROP TRIGGER audit_no_update; UPDATE audit SET principal = "
               "'mallory' WHERE seq = 2");
  auto bad = verify_audit(db);
  REQUIRE(bad);
  REQUIRE_FALSE(bad->intact());
  REQUIRE(bad->findings.size() == 1);
  CHECK(bad->findings[0].where == "chain");
  CHECK(bad->findings[0].seq == 2);
  CHECK(bad->findings[0].problem == "hash mismatch");
  CHECK(bad->rows == count(db, "audit"));  // the walk goes on: every finding is listed

  std::ostringstream out2, err2;
  CHECK(cli::cmd_audit({"verify", "--db", db}, out2, err2) == 1);
  CHECK(out2.str().find("audit trail BROKEN: 1 finding(s)") != std::string::npos);
  CHECK(out2.str().find("chain: hash mismatch at seq 2") != std::string::npos);

  // An attacker who also recomputes that row's hash moves the break to the next
  // row, whose prev_hash still holds the original: rewriting one row means
  // rewriting all that follow.
  std::string fixed;
  {
    sqlite3 *h = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    sqlite3_stmt *st = nullptr;
    REQUIRE(sqlite3_prepare_v2(
                h,
                "SELECT prev_hash || char(31) || seq || char(31) || at || "
                "char(31) || "
                "principal || char(31) || action || char(31) || entity || "
                "char(31) || "
                "ifnull(new_value, '') || char(31) || ifnull(prev_value, '') || "
                "ifnull(char(31) || content_sha256, '') "
                "FROM audit WHERE seq = 2",
                -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    fixed = crypto::sha256_hex(
        reinterpret_cast<const char *>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(h);
  }
  raw_exec(db,
           ("UPDATE audit SET hash = '" + fixed + "' WHERE seq = 2").c_str());
  auto moved = verify_audit(db);
  REQUIRE(moved);
  REQUIRE_FALSE(moved->intact());
  REQUIRE(moved->findings.size() == 1);
  CHECK(moved->findings[0].seq == 3);
  CHECK(moved->findings[0].problem == "prev_hash mismatch");
  CHECK(moved->findings[0].found != fixed);
  CHECK(moved->findings[0].expected == fixed);
}

TEST_CASE("verify_audit reports a deleted row as a sequence gap") {
  TempDir t;
  const auto db = t.path("pv.db");
  populate(db, 2);
  raw_exec(db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2");
  auto r = verify_audit(db);
  REQUIRE(r);
  REQUIRE_FALSE(r->intact());
  REQUIRE(r->findings.size() >= 2);
  CHECK(r->findings[0].seq == 3);
  CHECK(r->findings[0].problem == "sequence gap");
  CHECK(r->findings[1].seq == 3);
  CHECK(r->findings[1].problem == "prev_hash mismatch");
}

TEST_CASE("verify_audit: missing file, not a database, not a pvmon database") {
  TempDir t;
  auto missing = verify_audit(t.path("none.db"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);

  std::ofstream(t.path("junk.db"))
      << "this is not an SQLite file, just some text to read\n";
  auto junk = verify_audit(t.path("junk.db"));
  REQUIRE_FALSE(junk);
  CHECK(junk.error().code == Errc::invalid);

  raw_exec(t.path("other.db"), "CREATE TABLE x (a)");
  auto other = verify_audit(t.path("other.db"));
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::invalid);

  std::ostringstream out, err;
  CHECK(cli::cmd_audit({"verify", "--db", t.path("none.db")}, out, err) == 1);
  CHECK(cli::cmd_audit({"verify"}, out, err) == 2);
  CHECK(cli::cmd_audit({"check", "--db", "x"}, out, err) == 2);
  CHECK(cli::cmd_audit({}, out, err) == 2);
  CHECK(cli::cmd_audit({"verify", "--db"}, out, err) == 2);
}

TEST_CASE("backup while the store writes, restore, and compare") {
  TempDir t;
  const auto db = t.path("pv.db");
  const auto bak = t.path("pv.bak");
  std::int64_t written_before = 0;
  {
    auto s = std::move(Store::open({db}, kClock).value());
    REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", kActor));
    for (int i = 0; i < 200; ++i)
      REQUIRE(s->insert_ae("st", "S01", ae("A" + std::to_string(i)),
                           "a" + std::to_string(i), kActor));
    written_before = 200;
    std::atomic<bool> stop{false};
    std::atomic<int> during{0};
    std::thread writer([&] {
      for (int i = 0; !stop.load(); ++i) {
        if (s->insert_ae("st", "S01", ae("W" + std::to_string(i)),
                         "w" + std::to_string(i), kActor))
          during.fetch_add(1);
      }
    });
    while (during.load() < 5)
      std::this_thread::yield();
    auto b = backup(db, bak);
    const int after_backup = during.load();
    stop = true;
    writer.join();
    REQUIRE(b);
    CHECK(after_backup > 0);
    CHECK(during.load() > 0);
    // The daemon kept writing through the backup.
    CHECK(count(db, "ae_reports") == written_before + during.load());
    s->close();
  }
  CHECK_FALSE(fs::exists(bak + ".pvmon-partial"));
  CHECK_FALSE(fs::exists(bak + "-wal"));
  auto bv = verify_audit(bak);
  REQUIRE(bv);
  CHECK(bv->intact());
  const auto in_backup = count(bak, "ae_reports");
  CHECK(in_backup >= written_before);
  CHECK(in_backup <= count(db, "ae_reports"));
  CHECK(bv->rows == count(bak, "audit"));

  // Never overwrites.
  auto again = backup(db, bak);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);

  const auto restored = t.path("restored.db");
  REQUIRE(restore(bak, restored));
  {
    auto s = Store::open({restored}, kClock);
    REQUIRE(s);
    CHECK(s.value()->schema_version() == current_schema_version());
    // Still writable after the restore, and the chain continues.
    REQUIRE(s.value()->insert_ae("st", "S01", ae("AFTER"), "after", kActor));
    s.value()->close();
  }
  CHECK(count(restored, "ae_reports") == in_backup + 1);
  CHECK(count(restored, "subjects") == count(bak, "subjects"));
  CHECK(count(restored, "ae_versions") == count(bak, "ae_versions") + 1);
  auto rv = verify_audit(restored);
  REQUIRE(rv);
  CHECK(rv->intact());
  CHECK(rv->rows == bv->rows + 1);
}

TEST_CASE("restore refuses a non-pvmon file, a broken chain, and an existing "
          "target without force") {
  TempDir t;
  const auto db = t.path("pv.db");
  const auto bak = t.path("pv.bak");
  populate(db, 2);
  REQUIRE(backup(db, bak));

  raw_exec(t.path("other.db"), "CREATE TABLE x (a)");
  auto other = restore(t.path("other.db"), t.path("new.db"));
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::invalid);
  CHECK_FALSE(fs::exists(t.path("new.db")));

  auto missing = restore(t.path("none.bak"), t.path("new.db"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);

  // An existing target: refused without force; with force, replaced, and its
  // old -wal gone.
  populate(t.path("target.db"), 5);
  std::ofstream(t.path("target.db-wal")) << "stale";
  auto no_force = restore(bak, t.path("target.db"));
  REQUIRE_FALSE(no_force);
  CHECK(no_force.error().code == Errc::conflict);
  CHECK(count(t.path("target.db"), "ae_reports") == 5);
  fs::remove(t.path("target.db-wal"));

  {
    // In use by a running store: refused even with force.
    auto s = std::move(Store::open({t.path("target.db")}, kClock).value());
    auto busy = restore(bak, t.path("target.db"), true);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == Errc::unavailable);
    s->close();
  }
  std::ofstream(t.path("target.db-wal")) << "stale";
  REQUIRE(restore(bak, t.path("target.db"), true));
  CHECK_FALSE(fs::exists(t.path("target.db-wal")));
  CHECK(count(t.path("target.db"), "ae_reports") == 2);

  // A backup whose chain is broken is not restored.
  raw_exec(bak, "DROP TRIGGER audit_no_update; UPDATE audit SET action = 'x' "
                "WHERE seq = 1");
  auto broken = restore(bak, t.path("new2.db"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.find("seq 1") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path("new2.db")));
}

TEST_CASE("pvmon backup and restore on the command line") {
  TempDir t;
  const auto db = t.path("pv.db");
  populate(db, 1);
  std::ostringstream out, err;
  CHECK(cli::cmd_backup({"--db", db, "--to", t.path("b.db")}, out, err) == 0);
  CHECK(cli::cmd_backup({"--db", db, "--to", t.path("b.db")}, out, err) == 1);
  CHECK(err.str().find("exists") != std::string::npos);
  CHECK(cli::cmd_backup({"--db", db}, out, err) == 2);
  CHECK(cli::cmd_backup({"--db", db, "--to", "x", "--what"}, out, err) == 2);
  CHECK(cli::cmd_restore({"--from", t.path("b.db"), "--db", t.path("r.db")},
                         out, err) == 0);
  CHECK(cli::cmd_restore({"--from", t.path("b.db"), "--db", t.path("r.db")},
                         out, err) == 1);
  CHECK(cli::cmd_restore(
            {"--from", t.path("b.db"), "--db", t.path("r.db"), "--force"}, out,
            err) == 0);
  CHECK(cli::cmd_restore({"--db", t.path("r.db")}, out, err) == 2);
  std::ostringstream vout, verr;
  CHECK(cli::cmd_audit({"verify", "--db", t.path("r.db")}, vout, verr) == 0);
  CHECK(vout.str().find("audit trail intact") != std::string::npos);
}
