// The store's PostgreSQL engine (private to pvmon::store): Db and Stmt over libpqxx.
//
// The store's statements are written once, in SQLite's dialect; `pg_dialect` rewrites the few
// constructs PostgreSQL spells differently. Parameters are sent as text with no declared type,
// so PostgreSQL infers each from its context as SQLite's loose typing would accept it.
//
// Writes across instances: every write transaction takes one transaction-scoped advisory lock
// first (`begin_write`), so the writers of all instances take turns exactly as SQLite's single
// writer does (BEGIN IMMEDIATE). What the store decides inside a transaction (is this report a
// replay, the next audit sequence, an endpoint's next webhook sequence) therefore holds across
// instances, and the audit chain never forks. Reads run beside it, on their own connections.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db.hpp"

namespace pvmon::store {

/// A DbError that carries PostgreSQL's SQLSTATE ("" when the connection failed).
class PgError : public DbError {
 public:
  PgError(DbFault fault, std::string sqlstate, const std::string& what)
      : DbError(fault, what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// The advisory lock every write transaction holds until it ends (pg_advisory_xact_lock).
inline constexpr long long kWriterLock = 0x70766d6f6e0001;  // "pvmon" 1
/// The session lock the instance that runs the scheduler holds.
inline constexpr long long kSchedulerLock = 0x70766d6f6e0002;
/// The session lock migrations run under.
inline constexpr long long kMigrationLock = 0x70766d6f6e0003;

/// SQLite's dialect as PostgreSQL spells it: `?` and `?N` to `$N`, INSERT OR IGNORE to ON
/// CONFLICT DO NOTHING, ifnull, instr, rowid, json_extract and json_remove with literal paths,
/// BEGIN IMMEDIATE. String literals and quoted names are left as they are.
std::string pg_dialect(std::string_view sql);
/// The same, with which of the statement's parameters each $k is: `?N` that the text leaves
/// out (an optional filter) are not sent, since PostgreSQL cannot type a parameter it never sees.
struct PgSql {
  std::string text;
  std::vector<int> params;  // $k is ?params[k-1]
};
PgSql pg_statement(std::string_view sql);

class PgDb final : public Db {
 public:
  /// Connects; `read_only` connections refuse writes (a reader, or a replica).
  PgDb(const std::string& dsn, bool read_only);
  ~PgDb() override;
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  Engine engine() const override { return Engine::postgresql; }
  void exec(std::string_view sql) override;
  Stmt prepare(std::string_view sql) override;
  std::int64_t last_insert_rowid() override;
  int changes() const override { return changes_; }
  void begin_write() override;

  /// Takes a session-level advisory lock without waiting: true when this connection holds it.
  bool try_session_lock(long long key);
  /// Whether the server still answers (a lost connection is not reopened by itself).
  bool alive();

  // For PgStmt (postgres.cpp).
  struct Conn;
  Conn& conn() { return *conn_; }
  void set_changes(int n) { changes_ = n; }
  [[noreturn]] void rethrow(std::string_view context);

 private:
  std::unique_ptr<StmtImpl> prepare_kept(const std::string& sql) override;

  std::unique_ptr<Conn> conn_;
  int changes_ = 0;
};

}  // namespace pvmon::store
