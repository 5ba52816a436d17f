// The audit trail's two halves, private to pvmon::store (21 CFR 11.10(e)).
//
// The chain: each row holds the SHA-256 of the previous one, so an edit anywhere in the table
// breaks it (a truncated or rewritten tail is caught only against signed checkpoints, audit
// verification in maintenance.cpp).
//
// The coverage: each row of an audited change names its entity and carries the SHA-256 of the
// entity's canonical content *as stored after the change*, read back from its tables by
// `read_content`, the one definition the writer and the verifier share. A current row must hash
// to its entity's latest audit entry; an audited entity must exist; no row may exist without
// its entry. So a change made outside pvmond (sqlite3 on a copy, triggers dropped) shows as a
// mismatch, a missing entity or an unaudited row.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pvmon/core.hpp"
#include "pvmon/store.hpp"
#include "sqlite.hpp"

namespace pvmon::store::audit {

/// What an audited entity is: the tables behind it are in audit_trail.cpp's kSpecs.
enum class Kind { subject, ae, event, clock, submission, alert, lab_panel, dsmb_report, protocol };
inline constexpr std::array kKinds = {Kind::subject, Kind::ae,    Kind::event,       Kind::clock,   Kind::submission,
                                      Kind::alert,   Kind::lab_panel, Kind::dsmb_report, Kind::protocol};
std::string_view name(Kind k);
/// The main table of a kind (rows are keyed by its rowid).
std::string_view table(Kind k);

/// The content hash an acceptance records for an entity that no longer exists.
inline constexpr std::string_view kAbsent = "-";

/// An entity as now stored: its name ("S/ae/12") and the SHA-256 (hex) of its canonical text.
struct Content {
  std::string entity;
  std::string sha256;
};
/// The entity of `k` whose main row has this rowid, nullopt when there is none.
std::optional<Content> read_content(Db& db, Kind k, std::int64_t rowid);

/// The row id in an entity's name, for the kinds named by it ("s/ae/12" -> 12); nullopt for
/// subjects, lab panels and protocols (named by their own keys) and for a name that is not.
std::optional<std::int64_t> id_of(Kind k, std::string_view entity);

/// The kind of a table-backed entity name, nullopt for the others ("config", "auth/…", "audit").
std::optional<Kind> kind_of(std::string_view entity);

/// The material a row's hash covers. Rows written before schema v11 have no content hash and
/// hash as they always did; a row with one hashes it too.
std::string row_material(std::string_view prev_hash, std::int64_t seq, std::string_view at,
                         std::string_view principal, std::string_view action, std::string_view entity,
                         const std::optional<std::string>& new_value, const std::optional<std::string>& prev_value,
                         const std::optional<std::string>& content_sha256);

/// Appends one chained row. Runs inside the writer's transaction (or the CLI's).
void append_row(Db& db, Timestamp at, const Actor& actor, std::string_view action, std::string_view entity,
                const std::optional<std::string>& new_value, const std::optional<std::string>& content_sha256);

/// Appends the row of a change to a table-backed entity, after the change: its content as now
/// stored. `detail` is a short note (an acknowledgement's comment is in the content already).
void record(Db& db, Timestamp at, const Actor& actor, std::string_view action, Kind k, std::int64_t rowid,
            const std::optional<std::string>& detail = std::nullopt);

/// The newest row's (seq, hash); (0, 64 zeros) for an empty table.
std::pair<std::int64_t, std::string> head(Db& db);

/// Schema v11's step: one `audit.baseline` row for every entity that exists, so a database
/// from before verifies from here on. What was changed outside pvmond before it cannot be told.
void baseline(Db& db, Timestamp at);

}  // namespace pvmon::store::audit
