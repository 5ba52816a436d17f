// The store's connection to its database, whichever engine holds it (private to pvmon::store).
// The store's logic is written once against Db and Stmt; SqliteDb (sqlite.hpp) and PgDb
// (postgres.hpp) carry it out. Statements are written in SQLite's dialect with `?` parameters;
// the PostgreSQL side rewrites the few constructs that differ (postgres.cpp, `pg_dialect`).
// Failures throw DbError; the store converts them to pvmon::Error at its edge. A Db is used by
// one thread at a time (the writer, or one reader).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pvmon::store {

/// What went wrong, in the terms the store answers with (engine codes are in the message).
enum class DbFault {
  full,          // the disk (SQLITE_FULL, PostgreSQL 53100)
  busy,          // locked by another writer, or a serialization failure / deadlock
  io,            // I/O error, a connection lost, the server gone
  constraint,    // a unique, check or foreign-key constraint
  not_a_db,      // the file is not a database of this engine
  other,
};

class DbError : public std::runtime_error {
 public:
  DbError(DbFault fault, const std::string& what) : std::runtime_error(what), fault_(fault) {}
  DbFault fault() const { return fault_; }

 private:
  DbFault fault_;
};

/// The storage class of a value as read (SQLite's five; PostgreSQL's by column type).
enum class ColumnType { null, integer, real, text, blob };

/// One engine's prepared statement (Stmt is the handle the store holds).
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  virtual void bind_i64(int i, std::int64_t v) = 0;
  virtual void bind_f64(int i, double v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  virtual bool step() = 0;
  /// Back to before the first step, bindings cleared.
  virtual void reset() = 0;
  virtual int column_count() const = 0;
  virtual ColumnType type(int col) const = 0;
  virtual std::int64_t i64(int col) const = 0;
  virtual double f64(int col) const = 0;
  /// Text (or a blob's bytes), valid until the next step or reset ("" for NULL).
  virtual std::string_view view(int col) const = 0;
};

class Stmt {
 public:
  /// An owned statement, destroyed with the handle.
  explicit Stmt(std::unique_ptr<StmtImpl> impl) : impl_(impl.release()), owned_(true) {}
  /// A borrowed statement from Db::cached: reset on destruction and `*in_use` cleared so the
  /// cache may hand it out again.
  Stmt(StmtImpl* impl, bool* in_use) : impl_(impl), in_use_(in_use) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : impl_(o.impl_), owned_(o.owned_), in_use_(o.in_use_) {
    o.impl_ = nullptr;
    o.in_use_ = nullptr;
  }

  Stmt& bind(int i, std::int64_t v) {
    impl_->bind_i64(i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v) {
    impl_->bind_f64(i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    impl_->bind_text(i, v);
    return *this;
  }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_null(int i) {
    impl_->bind_null(i);
    return *this;
  }
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Steps once: true when a row is available.
  bool step() { return impl_->step(); }
  /// Steps to completion, for statements without rows.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() { impl_->reset(); }

  int column_count() const { return impl_->column_count(); }
  ColumnType type(int col) const { return impl_->type(col); }
  bool is_null(int col) const { return impl_->type(col) == ColumnType::null; }
  std::int64_t i64(int col) const { return impl_->i64(col); }
  double f64(int col) const { return impl_->f64(col); }
  std::string text(int col) const { return std::string(impl_->view(col)); }
  std::string_view view(int col) const { return impl_->view(col); }
  std::optional<std::string> opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
  }
  std::optional<std::int64_t> opt_i64(int col) const {
    if (is_null(col)) return std::nullopt;
    return i64(col);
  }
  std::optional<double> opt_f64(int col) const {
    if (is_null(col)) return std::nullopt;
    return f64(col);
  }

 private:
  StmtImpl* impl_ = nullptr;
  bool owned_ = false;
  bool* in_use_ = nullptr;  // set for borrowed (cached) statements
};

inline Stmt::~Stmt() {
  if (!impl_) return;
  if (owned_) {
    delete impl_;
    return;
  }
  try {
    impl_->reset();
  } catch (...) {
    // A failed statement's reset repeats its error; it is reset all the same.
  }
  *in_use_ = false;
}

enum class Engine { sqlite, postgresql };

class Db {
 public:
  virtual ~Db() = default;
  virtual Engine engine() const = 0;
  /// Runs one or more statements without parameters or rows.
  virtual void exec(std::string_view sql) = 0;
  virtual Stmt prepare(std::string_view sql) = 0;
  /// The same statement, prepared once per connection and reused (the writer runs the same
  /// few statements thousands of times). A fresh one while the cached one is still in use by
  /// an enclosing caller.
  Stmt cached(const std::string& sql) {
    auto [it, fresh] = cache_.try_emplace(sql);
    Cached& c = it->second;
    if (fresh) {
      try {
        c.st = prepare_kept(sql);
      } catch (...) {
        cache_.erase(it);
        throw;
      }
    }
    if (*c.in_use) return prepare(sql);
    *c.in_use = true;
    return Stmt(c.st.get(), c.in_use.get());
  }
  /// The id the last INSERT on this connection gave its row.
  virtual std::int64_t last_insert_rowid() = 0;
  /// Rows the last INSERT, UPDATE or DELETE on this connection changed.
  virtual int changes() const = 0;
  /// The transaction that the writer's group commit opens: it writes (SQLite takes the write
  /// lock at once, BEGIN IMMEDIATE).
  virtual void begin_write() = 0;

 protected:
  /// A statement for the cache, kept for the connection's life.
  virtual std::unique_ptr<StmtImpl> prepare_kept(const std::string& sql) = 0;
  /// The cached statements go first: an engine's destructor calls this before it closes.
  void drop_cache() { cache_.clear(); }

 private:
  struct Cached {
    std::unique_ptr<StmtImpl> st;
    std::unique_ptr<bool> in_use = std::make_unique<bool>(false);
  };
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace pvmon::store
