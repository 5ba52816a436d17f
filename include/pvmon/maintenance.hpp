// pvmon::store maintenance — offline and online operations on a pvmon database
// file: verify the hash-chained audit trail, take an online backup (SQLite
// backup API) while pvmond runs, and restore a verified backup. Any thread may
// call these; each opens its own connections. Failures are Result values; a
// broken audit chain is a successful report, not an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pvmon/core.hpp"

namespace pvmon::store {

/// The first row at which the audit chain does not hold.
struct AuditBreak {
  std::int64_t seq = 0;
  std::string
      problem; // "prev_hash mismatch", "hash mismatch" or "sequence gap"
  std::string expected; // what the chain says the stored value should be
  std::string found;    // what the row holds
};

struct AuditReport {
  std::int64_t rows = 0; // rows checked (up to and including a broken one)
  std::string
      head_hash; // hash of the last row read; 64 zeros for an empty table
  std::optional<AuditBreak> broken;
  bool intact() const { return !broken.has_value(); }
};

/// Opens `db_path` read-only and walks the audit table in seq order,
/// recomputing each hash exactly as the store wrote it. Errors: not_found (no
/// file), invalid (not a pvmon database).
Result<AuditReport> verify_audit(const std::string &db_path);

/// Copies a live database to `to_path` with the SQLite online backup API, a few
/// pages at a time so a running pvmond keeps writing. The copy is written
/// beside `to_path` and renamed into place when complete. Refuses (conflict)
/// when `to_path` already exists.
Status backup(const std::string &db_path, const std::string &to_path);

/// Restores `backup_path` to `db_path`: the backup must be a pvmon database
/// whose audit chain verifies. An existing `db_path` is replaced only with
/// `force`, and only when no other connection (a running pvmond) holds it.
/// Stale -wal/-shm files of the target are removed.
Status restore(const std::string &backup_path, const std::string &db_path,
               bool force = false);

} // namespace pvmon::store
