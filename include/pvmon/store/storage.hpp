// pvmon::store — whether the filesystem under the database can take writes, asked of the
// filesystem rather than of SQLite: the writer's open descriptors keep working after a chmod,
// and a full disk shows only at the next write that grows the WAL. Any thread; no I/O beyond
// access(2) and statvfs(2). Problems are Errc::unavailable with the path and the reason.
#pragma once

#include <cstdint>
#include <string>

#include "pvmon/core.hpp"

namespace pvmon::store {

/// Free space below which the database counts as full (/readyz): a group commit appends
/// whole pages to the WAL, and a filesystem this full fails the next one.
inline constexpr std::uint64_t kMinFreeBytes = 1 << 20;

/// The database file at `db_path` and its -wal and -shm (those that exist: files, not folders)
/// and its folder (a folder) are writable by this process, on a filesystem mounted read-write
/// with at least `min_free_bytes` free (0: not checked). ":memory:" passes.
Status check_storage(const std::string& db_path, std::uint64_t min_free_bytes);

}  // namespace pvmon::store
