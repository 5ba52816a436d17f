// pvmon::store maintenance — offline and online operations on a pvmon database
// file: verify the hash-chained audit trail, take an online backup (SQLite
// backup API) while pvmond runs, and restore a verified backup. Any thread may
// call these; each opens its own connections. Failures are Result values; a
// broken audit chain is a successful report, not an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::store {

/// One thing the audit verification found wrong.
struct AuditFinding {
  std::string where;  // "chain", "table" or "checkpoint"
  std::int64_t seq = 0;  // the audit row (chain, checkpoint); 0 for a table finding
  std::string table;     // the table behind the entity (table findings)
  std::string entity;    // "hcc-pvtt-imrt/ae/12" (table findings)
  // chain: "hash mismatch", "prev_hash mismatch", "sequence gap";
  // table: "content mismatch", "entity missing", "row without audit entry";
  // checkpoint: "beyond the chain", "head differs", "signature invalid", "unreadable",
  //             "rows after a stop checkpoint"
  std::string problem;
  std::string expected;  // what the trail says
  std::string found;     // what the database holds
  /// One line for the log, the CLI and the alert.
  std::string describe() const;
};

struct AuditReport {
  std::int64_t rows = 0;      // audit rows walked
  std::int64_t entities = 0;  // table entities compared with their latest audit entry
  std::int64_t checkpoints = 0;
  std::int64_t head_seq = 0;
  std::string head_hash;  // the last row's hash; 64 zeros for an empty table
  double chain_seconds = 0, tables_seconds = 0;  // what each part took
  std::vector<AuditFinding> findings;  // not accepted; in the order found
  std::vector<AuditFinding> accepted;  // covered by `pvmon audit accept`
  bool intact() const { return findings.empty(); }
};

/// A signed statement that the audit chain's row `seq` had hash `head` at `at`.
struct AuditCheckpoint {
  std::int64_t seq = 0;
  std::string head, at;
  std::string reason;  // "start", "periodic", "dsmb_report", "stop", "accept"
  std::string mac;     // HMAC-SHA256 (hex) over the other fields with the checkpoint key
  /// At a clean stop: the SHA-256 of the database file as pvmond left it (WAL checkpointed
  /// into it). The next start that finds the same bytes has nothing to verify.
  std::string db_sha256;
};
/// The MAC of a checkpoint with `key` (the fields, unit-separated, under a fixed label).
std::string checkpoint_mac(std::string_view key, const AuditCheckpoint &c);
/// One JSON line: {"type":"pvmon.audit-checkpoint/1","seq":…,"head":…,"at":…,"reason":…,"mac":…}
std::string checkpoint_line(const AuditCheckpoint &c);
/// The checkpoints of a file, each line parsed; a line that does not parse is reported in
/// `bad_lines` (1-based). Errors: the file cannot be read.
struct CheckpointFile {
  std::vector<AuditCheckpoint> checkpoints;
  std::vector<std::size_t> bad_lines;
};
Result<CheckpointFile> read_checkpoints(const std::string &path);
/// Appends one line and fsyncs; creates the file (0600) and its folder when missing.
Status append_checkpoint(const std::string &path, const AuditCheckpoint &c);
/// The key in `path` (surrounding whitespace trimmed): at least 32 bytes.
Result<std::string> read_checkpoint_key(const std::string &path);
/// The key in `path`, or a new random one written there (0600) when the file does not exist.
Result<std::string> load_or_create_checkpoint_key(const std::string &path);

struct VerifyOptions {
  /// Compare every audited table with the trail (else only the chain and checkpoints).
  bool tables = true;
  /// Checked against the chain; signatures too when `key` is set.
  std::optional<CheckpointFile> checkpoints;
  std::optional<std::string> key;
  /// Findings kept (the walk goes on; the counts stay right).
  std::size_t max_findings = 10000;
  /// A PostgreSQL database (libpq connection string, password included) instead of the file.
  /// Shared by several instances: rows after one instance's stop checkpoint are the others'.
  std::string dsn;
};

/// Opens `db_path` read-only in one read transaction and checks (1) the chain: every row's
/// hash recomputed exactly as the store wrote it, seq and prev_hash continuous; (2) each
/// checkpoint: its row exists with its head (a truncated or rewritten tail), its MAC, and no
/// row after a clean stop's checkpoint; (3) every audited table: each row hashes to its
/// entity's latest audit entry, each audited entity exists, no row without an entry. What an
/// administrator accepted (`accept_audit`) is listed apart. Errors: not_found (no file),
/// invalid (not a pvmon database).
Result<AuditReport> verify_audit(const std::string &db_path, const VerifyOptions &opts = {});

/// Records that an administrator accepts the current findings (`pvmon audit accept`): one
/// `audit.accept` row per table entity with its content as it now is ("-" when gone), and one
/// on entity "audit" listing the chain and checkpoint findings, with `reason`, by `principal`.
/// Returns the findings accepted and the new head (seq, hash).
struct Acceptance {
  std::vector<AuditFinding> accepted;
  std::int64_t head_seq = 0;
  std::string head_hash;
};
Result<Acceptance> accept_audit(const std::string &db_path, const VerifyOptions &opts, const std::string &principal,
                                const std::string &reason);

/// What `pvmon migrate --from-sqlite` copied: rows per table, and the trail as verified on
/// PostgreSQL afterwards.
struct MigrationReport {
  std::vector<std::pair<std::string, std::int64_t>> tables;
  AuditReport audit;
};
/// Copies the SQLite database at `sqlite_path` (migrated to this pvmon's schema first) into the
/// empty PostgreSQL database `dsn` (password included), every table in one transaction, ids and
/// the audit chain as they are; then checks the row counts and verifies the trail there (its
/// head must be the file's). A target with pvmon data: Errc::conflict.
Result<MigrationReport> migrate_sqlite_to_pg(const std::string &sqlite_path, const std::string &dsn);

/// Copies a live database to `to_path` with the SQLite online backup API, a few
/// pages at a time so a running pvmond keeps writing. The copy is written
/// beside `to_path` and renamed into place when complete. Refuses (conflict)
/// when `to_path` already exists.
Status backup(const std::string &db_path, const std::string &to_path);

/// Restores `backup_path` to `db_path`: the backup must be a pvmon database
/// that passes the full audit verification (chain and tables). An existing `db_path` is replaced only with
/// `force`, and only when no other connection (a running pvmond) holds it.
/// Stale -wal/-shm files of the target are removed.
/// With `opts.checkpoints` (and its key) the backup's chain is checked against them as a
/// backup: a checkpoint the backup's chain has must hold its head (a rewritten tail), while one
/// beyond it is what a backup is (older than the checkpoints written since).
Status restore(const std::string &backup_path, const std::string &db_path,
               bool force = false, const VerifyOptions &opts = {});

} // namespace pvmon::store
