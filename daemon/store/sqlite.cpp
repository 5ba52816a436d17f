#include "sqlite.hpp"

namespace pvmon::store {

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(db ? sqlite3_extended_errcode(db) : rc, msg);
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, "prepare");
}

Stmt::~Stmt() {
  if (in_use_) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(st_);
  }
}

Stmt Db::cached(const std::string& sql) {
  Cached& c = cache_[sql];
  if (c.st == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &c.st, nullptr);
    if (rc != SQLITE_OK) {
      cache_.erase(sql);
      throw_sqlite(db_, rc, "prepare");
    }
  }
  if (*c.in_use) return Stmt(db_, sql);
  *c.in_use = true;
  return Stmt(db_, c.st, c.in_use.get());
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(st_, i, v); rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(st_, i, v); rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  if (int rc = sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    throw_sqlite(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  if (int rc = sqlite3_bind_null(st_, i); rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, rc, "step");
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
std::int64_t Stmt::i64(int col) const { return sqlite3_column_int64(st_, col); }
double Stmt::f64(int col) const { return sqlite3_column_double(st_, col); }
std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col))) : std::string();
}
std::string_view Stmt::view(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col))) : std::string_view();
}
std::optional<std::string> Stmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}
std::optional<std::int64_t> Stmt::opt_i64(int col) const {
  if (is_null(col)) return std::nullopt;
  return i64(col);
}
std::optional<double> Stmt::opt_f64(int col) const {
  if (is_null(col)) return std::nullopt;
  return f64(col);
}

Db::Db(const std::string& path, bool create, bool readonly, int busy_timeout_ms) {
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

Db::~Db() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.st);
  if (db_) sqlite3_close_v2(db_);
}

void Db::exec(std::string_view sql) {
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
