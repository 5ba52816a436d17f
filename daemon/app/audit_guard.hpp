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
  AuditGuard(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  /// Reads (or, when none is configured, creates) the key; an error stops the start.
  Status configure(const config::Config& cfg);

  /// The check at start and after `pvmon audit accept` (SIGHUP while read-only). True when the
  /// trail holds (and a checkpoint is written); else the store is read-only and the alert raised.
  bool verify(const std::string& reason);

  /// Writes a checkpoint of the current head when it moved since the last one (or `force`).
  void checkpoint(const std::string& reason, bool force = false);

  bool read_only() const { return store_.read_only().has_value(); }

 private:
  store::Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::string db_path_, file_, key_;
  std::optional<std::int64_t> last_seq_;  // of the last checkpoint written by this process
};

}  // namespace pvmon::app
