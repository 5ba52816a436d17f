#include "sqlite.hpp"

namespace pvmon::store {

namespace {

DbFault fault_of(int code) {
  switch (code & 0xFF) {
    case SQLITE_FULL:
      return DbFault::full;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DbFault::busy;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return DbFault::io;
    case SQLITE_CONSTRAINT:
      return DbFault::constraint;
    case SQLITE_NOTADB:
      return DbFault::not_a_db;
    default:
      return DbFault::other;
  }
}

class SqliteStmt final : public StmtImpl {
 public:
  SqliteStmt(sqlite3* db, std::string_view sql, unsigned flags) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &st_, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db, rc, "prepare");
  }
  ~SqliteStmt() override { sqlite3_finalize(st_); }

  void bind_i64(int i, std::int64_t v) override { check(sqlite3_bind_int64(st_, i, v)); }
  void bind_f64(int i, double v) override { check(sqlite3_bind_double(st_, i, v)); }
  void bind_text(int i, std::string_view v) override {
    check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(st_, i)); }
  bool step() override {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_sqlite(db_, rc, "step");
  }
  void reset() override {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  int column_count() const override { return sqlite3_column_count(st_); }
  ColumnType type(int col) const override {
    switch (sqlite3_column_type(st_, col)) {
      case SQLITE_INTEGER:
        return ColumnType::integer;
      case SQLITE_FLOAT:
        return ColumnType::real;
      case SQLITE_BLOB:
        return ColumnType::blob;
      case SQLITE_NULL:
        return ColumnType::null;
      default:
        return ColumnType::text;
    }
  }
  std::int64_t i64(int col) const override { return sqlite3_column_int64(st_, col); }
  double f64(int col) const override { return sqlite3_column_double(st_, col); }
  std::string_view view(int col) const override {
    // A blob's bytes as they are; a text's as UTF-8 (the pointer before the size, as SQLite asks).
    const void* p = sqlite3_column_type(st_, col) == SQLITE_BLOB ? sqlite3_column_blob(st_, col)
                                                                   : static_cast<const void*>(sqlite3_column_text(st_, col));
    return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::string_view();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace

SqliteError::SqliteError(int code, const std::string& what) : DbError(fault_of(code), what), code_(code) {}

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(db ? sqlite3_extended_errcode(db) : rc, msg);
}

Stmt SqliteDb::prepare(std::string_view sql) { return Stmt(std::make_unique<SqliteStmt>(db_, sql, 0)); }

std::unique_ptr<StmtImpl> SqliteDb::prepare_kept(const std::string& sql) {
  return std::make_unique<SqliteStmt>(db_, sql, SQLITE_PREPARE_PERSISTENT);
}

SqliteDb::SqliteDb(const std::string& path, bool create, bool readonly, int busy_timeout_ms) {
  int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !readonly) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // one thread per connection, by design
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "open " + path;
    sqlite3* d = db_;
    db_ = nullptr;
    try {
      throw_sqlite(d, rc, msg);
    } catch (...) {
      sqlite3_close(d);
      throw;
    }
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    if (!readonly) {
      exec("PRAGMA journal_mode=WAL");
    }
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    // The writer opens a SAVEPOINT per job; the pages a job changes are copied to a statement
    // journal, which SQLite spills to a temporary file past 64 KiB: a file write per job
    // in a group commit. In memory it costs at most the pages of one group.
    exec("PRAGMA temp_store=MEMORY");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteDb::~SqliteDb() {
  drop_cache();  // finalized before the connection closes
  if (db_) sqlite3_close_v2(db_);
}

void SqliteDb::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), "exec: " + msg);
  }
}

}  // namespace pvmon::store
