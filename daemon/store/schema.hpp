// Numbered migrations, applied in order inside one transaction each (private to store).
#pragma once

#include <vector>

#include "sqlite.hpp"

namespace pvmon::store {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& migrations();

/// Brings `db` to `target` (default: the newest). Throws SqliteError, or std::runtime_error
/// when the database is newer than this binary.
void migrate(Db& db, int target = -1);
int read_schema_version(Db& db);

}  // namespace pvmon::store
