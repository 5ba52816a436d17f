// The daemon's side of the audit trail (README "Audit trail"): it verifies the trail at start,
// incrementally from the last checkpoint it wrote, and on a finding keeps the store read-only
// with a critical alert until an administrator accepts it (`pvmon audit accept`, then SIGHUP);
// it writes signed checkpoints (sequence number and head hash, HMAC-SHA256) at start, every N
// minutes while changes happen, with each DSMB report and at a clean stop, each to the log, the
// append-only checkpoint file and an `audit.checkpoint` webhook. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/maintenance.hpp"
#include "pvmon/store.hpp"

namespace pvmon::app {

class AuditGuard {
 public:
  explicit AuditGuard(const Clock& clock) : clock_(clock) {}

  /// Reads (or, when none is configured, creates) the key; an error stops the start.
  /// `dsn`: the PostgreSQL database (password included) when the store is there.
  Status configure(const config::Config& cfg, const std::string& dsn = "");

  /// Before the store opens the file: whether it is byte for byte what pvmond left at its last
  /// clean stop (the SHA-256 in the signed stop checkpoint, an empty WAL). Then the start has
  /// nothing to verify; else (a crash, a copy, a change) the full verification runs.
  bool unchanged_since_stop();

  void attach(store::Store& store) { store_ = &store; }

  /// The check at start and after `pvmon audit accept` (SIGHUP while read-only). True when the
  /// trail holds (and a checkpoint is written); else the store is read-only and the alert raised.
  bool verify(const std::string& reason, bool unchanged = false);

  /// Writes a checkpoint of the current head when it moved since the last one (or `force`).
  void checkpoint(const std::string& reason, bool force = false);

  /// After the store's writer stopped (the WAL checkpointed into the file): the last checkpoint,
  /// with the file's SHA-256; to the log and the file (the webhook goes with the next start's).
  void stop_checkpoint();

  bool read_only() const { return store_->read_only().has_value(); }

 private:
  store::AuditCheckpoint sign(std::int64_t seq, const std::string& head, const std::string& reason,
                              const std::string& db_sha256 = "") const;
  store::Store* store_ = nullptr;
  const Clock& clock_;
  std::mutex mu_;
  std::string db_path_, file_, key_;
  std::string dsn_;  // PostgreSQL: verified there; no file to hash
  std::optional<std::int64_t> last_seq_;  // of the last checkpoint written by this process
};

}  // namespace pvmon::app
