// Numbered migrations, applied in order inside one transaction each (private to store).
#pragma once

#include <vector>

#include "sqlite.hpp"

namespace pvmon::store {

struct Migration {
  int version;
  const char* sql;
  /// Run after the migrations' transaction has committed, in one of its own, at every open
  /// (so it must be idempotent): what is too costly inside the transaction.
  const char* after = nullptr;
  /// Run inside the transaction after `sql`: what SQL alone cannot do (hashing).
  void (*run)(Db&) = nullptr;
};

const std::vector<Migration>& migrations();

/// Brings `db` to `target` (default: the newest). Throws DbError, or std::runtime_error
/// when the database is newer than this binary.
void migrate(Db& db, int target = -1);
int read_schema_version(Db& db);
/// The PostgreSQL schema's migrations (schema_pg.cpp): the same numbers, from 14 on.
const std::vector<Migration>& pg_migrations();
/// Brings a PostgreSQL database to the newest version under an advisory lock, so that
/// instances starting together migrate once. Throws as migrate() does.
void migrate_pg(Db& db);

/// The open critical alerts last sent at or before ?1: what escalation re-sends. Its WHERE
/// matches the partial index alerts_to_escalate (schema v5), so it reads only those alerts.
const char* escalation_sql();

}  // namespace pvmon::store
