#include "pvmon/store/storage.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pvmon::store {

namespace fs = std::filesystem;

namespace {

/// Whether this process (its effective ids, as the kernel will judge its writes) may write `p`.
Status writable(const fs::path& p) {
  if (faccessat(AT_FDCWD, p.c_str(), W_OK, AT_EACCESS) == 0) return Ok{};
  return Error::of(Errc::unavailable, p.string() + " is not writable: " + std::strerror(errno));
}

}  // namespace

Status check_storage(const std::string& db_path, std::uint64_t min_free_bytes) {
  if (db_path.empty() || db_path == ":memory:") return Ok{};
  const fs::path db = db_path;
  const fs::path dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
  // SQLite creates the -wal and -shm files beside the database when it opens it.
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return Error::of(Errc::unavailable, dir.string() + " is not a directory");
  if (auto st = writable(dir); !st) return st;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path f = db_path + suffix;
    if (!fs::exists(f, ec)) continue;
    if (fs::is_directory(f, ec))
      return Error::of(Errc::unavailable, f.string() + " is a directory, not a database file");
    if (auto st = writable(f); !st) return st;
  }
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) != 0)
    return Error::of(Errc::unavailable,
                     "cannot inspect the filesystem of " + dir.string() + ": " + std::strerror(errno));
  if (vfs.f_flag & ST_RDONLY)
    return Error::of(Errc::unavailable, "the filesystem of " + dir.string() + " is mounted read-only");
  if (min_free_bytes > 0) {
    // Blocks reserved for root are free to a daemon running as root.
    const std::uint64_t blocks = geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail;
    const std::uint64_t free_bytes = blocks * vfs.f_frsize;
    if (free_bytes < min_free_bytes)
      return Error::of(Errc::unavailable,
                       "storage is full: " + std::to_string(free_bytes) + " bytes free under " + dir.string());
  }
  return Ok{};
}

}  // namespace pvmon::store
