// Thin RAII over the SQLite C API, private to pvmon::store. Failures throw SqliteError carrying
// the SQLite result code; the store converts them to pvmon::Error at its edge. A Db is used by
// one thread at a time (the writer, or one reader).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pvmon::store {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  /// Primary result code (SQLITE_FULL, SQLITE_BUSY, ...).
  int primary() const { return code_ & 0xFF; }

 private:
  int code_;
};

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  /// A borrowed statement from Db::cached: reset (not finalized) on destruction, and
  /// `*in_use` cleared so the cache may hand it out again.
  Stmt(sqlite3* db, sqlite3_stmt* st, bool* in_use) : db_(db), st_(st), in_use_(in_use) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_), in_use_(o.in_use_) {
    o.st_ = nullptr;
    o.in_use_ = nullptr;
  }

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_null(int i);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Steps once: true when a row is available.
  bool step();
  /// Steps to completion, for statements without rows.
  void run();
  void reset();

  bool is_null(int col) const;
  std::int64_t i64(int col) const;
  double f64(int col) const;
  std::string text(int col) const;
  /// The text without a copy, valid until the next step or reset ("" for NULL).
  std::string_view view(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_i64(int col) const;
  std::optional<double> opt_f64(int col) const;
  sqlite3_stmt* raw() const { return st_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  bool* in_use_ = nullptr;  // set for borrowed (cached) statements
};

class Db {
 public:
  /// Opens (creating if asked) with WAL, synchronous=FULL, foreign keys and a busy timeout.
  Db(const std::string& path, bool create, bool readonly, int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(std::string_view sql);
  Stmt prepare(std::string_view sql) { return Stmt(db_, sql); }
  /// The same statement, prepared once per connection and reused (the writer runs the same
  /// few statements thousands of times). Falls back to a fresh one while the cached one is
  /// still in use by an enclosing caller.
  Stmt cached(const std::string& sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  struct Cached {
    sqlite3_stmt* st = nullptr;
    std::unique_ptr<bool> in_use = std::make_unique<bool>(false);
  };
  std::unordered_map<std::string, Cached> cache_;
};

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

}  // namespace pvmon::store
