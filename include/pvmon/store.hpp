// pvmon::store — the SQLite database: schema and migrations, the single writer thread with
// group commit, and the read queries. Writes from any thread block until the COMMIT holding
// them has returned (synchronous=FULL, WAL), so an acknowledged write is on disk. Reads use a
// small pool of read-only connections and run beside the writer. Errors are Result values:
// storage full or busy is Errc::unavailable, duplicates are Errc::conflict.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace pvmon::store {

/// The schema version this binary writes; opening a newer database is refused.
int current_schema_version();

struct Options {
  std::string path;
  int busy_timeout_ms = 5000;
  int max_batch = 512;
  int readers = 4;
};

/// Who did it, for the audit trail and the version history.
struct Actor {
  std::string principal;
  std::string site;  // empty for non-site principals
};

struct WriterStats {
  std::uint64_t commits = 0;
  std::uint64_t jobs = 0;
  std::uint64_t max_batch = 0;
};

struct SubjectRow {
  std::int64_t id = 0;
  std::string study, subject, site;
  Date enrolled;
  nlohmann::json record;  // the enrolment as stored, with server fields
};

/// What an insert did: created, or found the identical earlier one (an idempotent replay).
struct Stored {
  nlohmann::json record;
  bool created = true;
};

struct AeQuery {
  std::string study;
  std::optional<std::string> site;  // restrict to one site (site principals)
  std::optional<std::string> subject;
  std::optional<Timestamp> since;  // received at or after
  std::optional<std::int64_t> after_id;  // cursor
  int limit = 50;
};

struct AePage {
  std::vector<nlohmann::json> items;
  std::optional<std::int64_t> next_after_id;
};

class Store {
 public:
  /// Opens or creates the database, migrates it to the current schema and starts the writer.
  static Result<std::unique_ptr<Store>> open(const Options& opts, const Clock& clock);
  virtual ~Store() = default;

  virtual int schema_version() = 0;
  /// Stops accepting writes, commits what is queued, stops the writer thread.
  virtual void close() = 0;
  /// True when a trivial write transaction commits (readiness probe).
  virtual Status check_writable() = 0;
  virtual WriterStats writer_stats() const = 0;

  // Subjects.
  virtual Result<Stored> enrol_subject(const std::string& study, const std::string& site,
                                       const nlohmann::json& draft, const std::string& body_sha256,
                                       const Actor& actor) = 0;
  /// Adds baseline lab values to an enrolled subject. A value already recorded for an analyte
  /// is not overwritten: the same value again is a no-op, another value a conflict.
  virtual Result<Stored> add_baseline(const std::string& study, const std::string& subject,
                                      const nlohmann::json& baseline, const Actor& actor) = 0;
  virtual Result<std::optional<SubjectRow>> find_subject(const std::string& study,
                                                         const std::string& subject) = 0;

  // AE reports. `record` is the validated draft; the store adds id, study, site, version,
  // received_at and recorded_by, and keeps every version.
  virtual Result<Stored> insert_ae(const std::string& study, const std::string& site,
                                   const nlohmann::json& record, const std::string& body_sha256,
                                   const Actor& actor) = 0;
  virtual Result<std::optional<nlohmann::json>> get_ae(const std::string& study,
                                                       std::int64_t id) = 0;
  virtual Result<AePage> list_ae(const AeQuery& q) = 0;
};

}  // namespace pvmon::store
