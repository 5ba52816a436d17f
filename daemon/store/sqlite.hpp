// The store's SQLite engine (private to pvmon::store): Db and Stmt over the SQLite C API.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "db.hpp"

namespace pvmon::store {

/// A DbError that carries SQLite's extended result code.
class SqliteError : public DbError {
 public:
  SqliteError(int code, const std::string& what);
  int code() const { return code_; }
  /// Primary result code (SQLITE_FULL, SQLITE_BUSY, ...).
  int primary() const { return code_ & 0xFF; }

 private:
  int code_;
};

class SqliteDb final : public Db {
 public:
  /// Opens (creating if asked) with WAL, synchronous=FULL, foreign keys and a busy timeout.
  SqliteDb(const std::string& path, bool create, bool readonly, int busy_timeout_ms);
  ~SqliteDb() override;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Engine engine() const override { return Engine::sqlite; }
  void exec(std::string_view sql) override;
  Stmt prepare(std::string_view sql) override;
  std::int64_t last_insert_rowid() override { return sqlite3_last_insert_rowid(db_); }
  int changes() const override { return sqlite3_changes(db_); }
  void begin_write() override { cached("BEGIN IMMEDIATE").run(); }
  sqlite3* raw() { return db_; }

 private:
  std::unique_ptr<StmtImpl> prepare_kept(const std::string& sql) override;

  sqlite3* db_ = nullptr;
};

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

}  // namespace pvmon::store
