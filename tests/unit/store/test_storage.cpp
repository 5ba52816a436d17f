// The storage checks (pvmon/store/storage.hpp) and the checkpoint of a clean close.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "test_db.hpp"
#include "temp_dir.hpp"
#include "pvmon/store.hpp"
#include "pvmon/store/storage.hpp"

using namespace pvmon;
using namespace pvmon::store;
namespace fs = std::filesystem;

using pvmon::test::kClock;

namespace {

using test::TempDir;

}  // namespace

TEST_CASE("storage: a writable folder and file pass; a folder for the file or a file for the folder do not") {
  TempDir t;
  const std::string db = (t.dir / "pvmon.db").string();
  CHECK(check_storage(db, 0));  // not created yet: the folder decides
  std::ofstream(db) << "";
  CHECK(check_storage(db, 0));
  CHECK(check_storage(":memory:", kMinFreeBytes));
  // Refused whoever runs the test, root included.
  fs::create_directories(t.dir / "dir.db");
  auto st = check_storage((t.dir / "dir.db").string(), 0);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::unavailable);
  CHECK(st.error().message.find("is a directory") != std::string::npos);
  std::ofstream(t.dir / "plain-file") << "";
  auto not_dir = check_storage((t.dir / "plain-file" / "pvmon.db").string(), 0);
  REQUIRE_FALSE(not_dir);
  CHECK(not_dir.error().message.find("plain-file is not a directory") != std::string::npos);
  // More free space than any disk has: "full".
  auto full = check_storage(db, std::uint64_t{1} << 62);
  REQUIRE_FALSE(full);
  CHECK(full.error().message.find("storage is full") != std::string::npos);
}

TEST_CASE("storage: a read-only file or folder is refused (permissions bind only a non-root user)") {
  if (::geteuid() == 0) {
    MESSAGE("skipped: root writes through file permissions (the e2e tests use a read-only mount)");
    return;
  }
  TempDir t;
  const fs::path db = t.dir / "pvmon.db";
  std::ofstream(db) << "";
  fs::permissions(db, fs::perms::owner_read);
  auto st = check_storage(db.string(), 0);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find(db.string() + " is not writable") != std::string::npos);
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(t.dir, fs::perms::owner_read | fs::perms::owner_exec);
  st = check_storage(db.string(), 0);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find(t.dir.string() + " is not writable") != std::string::npos);
}

TEST_CASE("a clean close checkpoints the WAL: the database file alone holds every write") {
  TempDir t;
  const std::string db = (t.dir / "pvmon.db").string();
  {
    auto s = Store::open({db}, kClock);
    REQUIRE(s);
    for (int i = 0; i < 20; ++i)
      REQUIRE(s.value()->audit("test.row", "test/" + std::to_string(i), std::nullopt, {"tester", ""}));
    s.value()->close();
    // Emptied, not just copied from: nothing is left that the file lacks.
    std::error_code ec;
    const auto wal = fs::file_size(db + "-wal", ec);
    CHECK((ec || wal == 0));
  }
  // The file alone, copied where there is no WAL beside it.
  fs::create_directories(t.dir / "copy");
  fs::copy_file(db, t.dir / "copy" / "pvmon.db");
  sqlite3* c = nullptr;
  REQUIRE(sqlite3_open_v2((t.dir / "copy" / "pvmon.db").c_str(), &c, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(c, "SELECT count(*) FROM audit", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) >= 20);
  sqlite3_finalize(st);
  sqlite3_close(c);
}
