#include "pvmon/maintenance.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include "pvmon/crypto.hpp"
#include "pvmon/store.hpp"
#include "sqlite.hpp"

namespace pvmon::store {

namespace {

namespace fs = std::filesystem;

constexpr int kBusyMs = 5000;
// Pages per backup step, and the pause between steps that lets pvmond's writer
// in.
constexpr int kPagesPerStep = 256;
constexpr int kStepPauseMs = 5;
// A write by another connection restarts a stepped backup. After this many
// restarts the rest is copied in one step: on a WAL source that holds only a
// read snapshot, which never blocks the writer, so a busy daemon cannot starve
// the backup.
constexpr int kMaxRestarts = 3;

struct SqliteCloser {
  void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
using RawDb = std::unique_ptr<sqlite3, SqliteCloser>;

RawDb open_raw(const std::string &path, int flags) {
  sqlite3 *db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  RawDb owned(db);
  if (rc != SQLITE_OK)
    throw_sqlite(db, rc, "open " + path);
  sqlite3_extended_result_codes(db, 1);
  return owned;
}

void exec_raw(sqlite3 *db, const char *sql) {
  char *msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    throw SqliteError(sqlite3_extended_errcode(db), std::string("exec: ") + m);
  }
}

Error from_sqlite(const SqliteError &e, const std::string &what) {
  const int p = e.primary();
  if (p == SQLITE_NOTADB)
    return Error::of(Errc::invalid, what + ": not an SQLite database");
  if (p == SQLITE_BUSY || p == SQLITE_LOCKED || p == SQLITE_FULL)
    return Error::of(Errc::unavailable, what + ": " + e.what());
  return Error::of(Errc::internal, what + ": " + e.what());
}

bool has_table(Db &db, const char *name) {
  auto st = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.step();
}

/// Copies all of `src` into `dst` in steps (see kPagesPerStep, kMaxRestarts).
void copy_pages(sqlite3 *src, sqlite3 *dst) {
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr)
    throw_sqlite(dst, sqlite3_errcode(dst), "backup init");
  int restarts = 0;
  int last_remaining = -1;
  int busy_steps = 0;
  int rc = SQLITE_OK;
  while (true) {
    rc = sqlite3_backup_step(b, restarts >= kMaxRestarts ? -1 : kPagesPerStep);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      break;
    if (rc != SQLITE_OK && ++busy_steps * kStepPauseMs > kBusyMs)
      break; // gives up as BUSY
    const int remaining = sqlite3_backup_remaining(b);
    if (last_remaining >= 0 && remaining > last_remaining)
      ++restarts;
    last_remaining = remaining;
    sqlite3_sleep(kStepPauseMs);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    throw_sqlite(dst, rc, "backup step");
  // The pages carry the source's WAL flag; a rollback journal makes the copy
  // one self-contained file. pvmond switches it back to WAL when it opens it.
  exec_raw(dst, "PRAGMA journal_mode=DELETE");
}

/// Copies `from` (opened read-only) into a new file `partial`; removes it on
/// failure.
void copy_to_partial(const std::string &from, const std::string &partial) {
  std::error_code ec;
  fs::remove(partial, ec);
  fs::remove(partial + "-journal", ec);
  {
    SqliteDb src(from, false, true, kBusyMs);
    RawDb dst = open_raw(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_busy_timeout(dst.get(), kBusyMs);
    try {
      copy_pages(src.raw(), dst.get());
    } catch (...) {
      dst.reset();
      fs::remove(partial, ec);
      throw;
    }
  }
}

/// True when another connection holds `path` open (a running pvmond): exclusive
/// locking mode needs an EXCLUSIVE lock on the file, which any other WAL
/// connection's SHARED lock refuses.
bool in_use(const std::string &path) {
  RawDb db = open_raw(path, SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(db.get(), 0);
  try {
    exec_raw(db.get(), "PRAGMA locking_mode=EXCLUSIVE");
    exec_raw(db.get(), "BEGIN EXCLUSIVE");
    exec_raw(db.get(), "COMMIT");
  } catch (const SqliteError &e) {
    if (e.primary() == SQLITE_BUSY || e.primary() == SQLITE_LOCKED)
      return true;
    throw;
  }
  return false;
}

} // namespace

Status backup(const std::string &db_path, const std::string &to_path) {
  std::error_code ec;
  if (!fs::is_regular_file(db_path, ec))
    return Error::of(Errc::not_found, "no database file at " + db_path);
  if (fs::exists(fs::symlink_status(to_path, ec)))
    return Error::of(Errc::conflict,
                     to_path + " exists: refusing to overwrite it");
  try {
    const std::string partial = to_path + ".pvmon-partial";
    copy_to_partial(db_path, partial);
    fs::rename(partial, to_path);
    return Ok{};
  } catch (const SqliteError &e) {
    return from_sqlite(e, "backup " + db_path);
  } catch (const fs::filesystem_error &e) {
    return Error::of(Errc::internal, std::string("backup: ") + e.what());
  }
}

Status restore(const std::string &backup_path, const std::string &db_path,
               bool force, const VerifyOptions &opts) {
  std::error_code ec;
  if (!fs::is_regular_file(backup_path, ec))
    return Error::of(Errc::not_found, "no backup file at " + backup_path);
  try {
    {
      SqliteDb src(backup_path, false, true, kBusyMs);
      if (!has_table(src, "schema_version"))
        return Error::of(Errc::invalid,
                         backup_path +
                             " is not a pvmon database (no schema_version)");
      auto st = src.prepare("SELECT max(version) FROM schema_version");
      if (!st.step() || st.is_null(0))
        return Error::of(Errc::invalid,
                         backup_path + " has an empty schema_version");
      if (st.i64(0) > current_schema_version())
        return Error::of(Errc::invalid, backup_path + " has schema version " +
                                            std::to_string(st.i64(0)) +
                                            ", newer than this pvmon knows");
    }
    // The full verification: the chain and every audited table. A backup whose data was
    // changed outside pvmond is refused like one whose chain is broken.
    auto audit = verify_audit(backup_path, opts);
    if (!audit)
      return audit.error();
    std::erase_if(audit->findings, [](const AuditFinding &f) {
      return f.where == "checkpoint" && (f.problem == "beyond the chain" ||
                                         f.problem == "rows after a stop checkpoint");
    });
    if (!audit->intact())
      return Error::of(Errc::invalid,
                       backup_path + " fails the audit verification (" +
                           std::to_string(audit->findings.size()) +
                           " finding(s)); the first: " +
                           audit->findings.front().describe() +
                           ". Run pvmon audit verify --db on it for all");
    if (fs::exists(fs::symlink_status(db_path, ec))) {
      if (!force)
        return Error::of(Errc::conflict,
                         db_path + " exists: pass force to replace it");
      if (in_use(db_path))
        return Error::of(Errc::unavailable,
                         db_path + " is in use: stop pvmond first");
    }
    const std::string partial = db_path + ".pvmon-partial";
    copy_to_partial(backup_path, partial);
    // A -wal left by the old database would be replayed onto the restored one.
    fs::remove(db_path + "-wal");
    fs::remove(db_path + "-shm");
    fs::remove(db_path + "-journal");
    fs::rename(partial, db_path);
    return Ok{};
  } catch (const SqliteError &e) {
    return from_sqlite(e, "restore " + backup_path);
  } catch (const fs::filesystem_error &e) {
    return Error::of(Errc::internal, std::string("restore: ") + e.what());
  }
}

} // namespace pvmon::store
