// The store an offline command (report, export, icsr) reads: a SQLite file or a PostgreSQL
// database. Private to the CLI.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace pvmon::cli {

/// `--db FILE`, or `--dsn DSN` with the password from `--password-file FILE` (else libpq's own
/// PGPASSWORD or ~/.pgpass): exactly one of them. nullptr after printing why (exit 1; 2 for a
/// usage error is the caller's, from `usage_error`).
inline std::unique_ptr<store::Store> open_offline_store(const char* cmd, const std::string& db, const std::string& dsn,
                                                        const std::string& password_file, const Clock& clock,
                                                        std::ostream& err) {
  store::Options o(db, 5000, 64, 2);
  if (!dsn.empty()) {
    auto full = store::dsn_with_password(dsn, password_file);
    if (!full) {
      err << "pvmon " << cmd << ": --password-file: " << full.error().message << "\n";
      return nullptr;
    }
    o.dsn = *full;
  } else if (!std::ifstream(db)) {
    err << "pvmon " << cmd << ": cannot read " << db << "\n";
    return nullptr;
  }
  auto st = store::Store::open(o, clock);
  if (!st) {
    err << "pvmon " << cmd << ": " << st.error().message << "\n";
    return nullptr;
  }
  return std::move(st.value());
}

/// The usage error of giving both or neither of --db and --dsn; "" when exactly one.
inline std::string database_choice_error(const std::string& db, const std::string& dsn) {
  if (db.empty() == dsn.empty()) return "give --db FILE (SQLite) or --dsn DSN (PostgreSQL), one of them";
  return "";
}

}  // namespace pvmon::cli
