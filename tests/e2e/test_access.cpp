// End-to-end: access that cannot be turned against users. Failed tokens throttle only failing
// requests (a valid token from the same address, a TLS proxy's, is served); rejected tokens
// reach the audit trail as one count per address and minute; a reload meets the start-up
// exposure rules on the socket the daemon listens on, and loopback is an address, not a
// prefix; a clean stop leaves the whole database in its file; a database that cannot take
// writes makes /readyz answer 503 and start-up fail.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

/// The auth.rejected rows of the audit trail, read through the API as the officer.
std::vector<json> rejected_rows(const Daemon& d) {
  auto r = d.client().Get("/v1/audit?entity=auth/&limit=500", bearer("demo-officer"));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  std::vector<json> out;
  const json page = json::parse(r->body);
  for (const auto& row : page["items"])
    if (row["action"] == "auth.rejected") out.push_back(row);
  return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

/// A tmpfs of `size` at `dir` (a real filesystem that fills up and can be made read-only),
/// unmounted at the end; false when this process may not mount (not root, or no CAP_SYS_ADMIN).
struct Tmpfs {
  fs::path dir;
  bool mounted = false;
  std::string why_not;  // when not mounted
  Tmpfs(fs::path d, const std::string& size) : dir(std::move(d)) {
    fs::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted) why_not = std::strerror(errno);
  }
  bool read_only(bool ro) {
    return ::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT | (ro ? MS_RDONLY : 0), nullptr) == 0;
  }
  ~Tmpfs() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

/// Fills the filesystem of `file`'s folder until it refuses another byte.
void fill(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  std::string chunk(64 * 1024, 'x');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  std::string byte(1, 'x');
  while (::write(fd, byte.data(), 1) > 0) {
  }
  ::close(fd);
}

int readyz(const Daemon& d, std::string* body = nullptr) {
  auto r = d.client().Get("/readyz");
  REQUIRE(r);
  if (body) *body = r->body;
  return r->status;
}

}  // namespace

TEST_CASE("failed tokens throttle only failing requests: a valid token from that address is served") {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) {
             // demo-dsmb shows its own limit; the others are not limited in this test's few requests.
             c["http"]["rate_limit"] = {{"requests_per_second", 1}, {"burst", 3}};
           }),
           tmp.path / "data");
  d.start();
  auto c = d.client();
  const std::string ae = std::string(kStudy) + "/ae";
  // 50 bad tokens (every fifth request with none at all): 401 for the first 21, then 429.
  std::map<int, int> statuses;
  for (int i = 0; i < 50; ++i) {
    auto r = i % 5 == 4 ? c.Get(ae.c_str()) : c.Get(ae.c_str(), bearer("stolen-guess-" + std::to_string(i)));
    REQUIRE(r);
    ++statuses[r->status];
    if (i == 49) {
      CHECK(r->status == 429);
      CHECK(std::stoi(r->get_header_value("Retry-After")) >= 1);
      CHECK(std::stoi(r->get_header_value("Retry-After")) <= 60);
      CHECK(r->body.find("failed authentications from this address") != std::string::npos);
    }
  }
  CHECK(statuses[401] == 21);
  CHECK(statuses[429] == 29);
  // The same address (every client behind one proxy) with valid tokens: served.
  const std::string terms = "/v1/ctcae/terms?q=alt";  // every role may
  for (const char* token : {"demo-officer", "demo-site-s01", "demo-admin"}) {
    auto r = c.Get(terms.c_str(), bearer(token));
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 200, token);
  }
  // A valid token is still held to its own principal's rate: 3 at once, then 429 for it alone.
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = c.Get(terms.c_str(), bearer("demo-dsmb"));
    REQUIRE(r);
    if (r->status == 429) {
      ++limited;
      CHECK(r->body.find("too many requests from this principal") != std::string::npos);
    } else {
      CHECK(r->status == 200);
    }
  }
  CHECK(limited >= 1);
  // And a bad token is still refused.
  auto bad = c.Get(ae.c_str(), bearer("stolen-guess-again"));
  REQUIRE(bad);
  CHECK(bad->status == 429);
  // One log line when the address starts failing and one when its throttle begins: the rest are
  // counted (in the audit trail), not logged.
  CHECK(count_of(d.log_settled(), "auth: rejected token from") == 2);
  CHECK(d.stop() == 0);
}

TEST_CASE("rejected tokens are audited as one count per address and minute, written when the minute is over") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  for (int i = 0; i < 50; ++i) {
    auto r = i % 10 == 9 ? c.Get("/v1/audit") : c.Get("/v1/audit", bearer("wrong-token-" + std::to_string(i)));
    REQUIRE(r);
    CHECK((r->status == 401 || r->status == 429));
  }
  // The minute is not over: no row yet (an unauthenticated client never writes one per request).
  CHECK(rejected_rows(d).empty());
  // A clean stop writes the minute under way.
  REQUIRE(d.stop() == 0);
  d.start();
  const auto rows = rejected_rows(d);
  REQUIRE(rows.size() == 1);
  const json& row = rows[0];
  CHECK(row["entity"] == "auth/127.0.0.1");
  CHECK(row["principal"] == "-");
  CHECK(row["new_value"]["remote_addr"] == "127.0.0.1");
  CHECK(row["new_value"]["count"] == 50);
  CHECK(row["new_value"]["throttled"] == 29);
  CHECK(row["new_value"]["from"].get<std::string>() < row["new_value"]["to"].get<std::string>());
  auto all = d.client().Get("/v1/audit?limit=500", bearer("demo-admin"));
  REQUIRE(all);
  CHECK(all->body.find("wrong-token") == std::string::npos);  // never a token

  // A second stop adds nothing: the count was taken once.
  REQUIRE(d.stop() == 0);
  d.start();
  CHECK(rejected_rows(d).size() == 1);
  CHECK(d.stop() == 0);
}

TEST_CASE("rejected tokens: the row of a minute that is over is written while the daemon runs (slow: PVMON_SLOW_TESTS=1)") {
  if (!std::getenv("PVMON_SLOW_TESTS")) {
    MESSAGE("skipped: waits for a minute to end (set PVMON_SLOW_TESTS=1); the unit tests drive it on a fake clock");
    return;
  }
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  for (int i = 0; i < 7; ++i) REQUIRE(c.Get("/v1/audit", bearer("wrong-" + std::to_string(i))));
  std::vector<json> rows;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(80);
  while (rows.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rows = rejected_rows(d);
  }
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["new_value"]["count"] == 7);
  CHECK(d.stop() == 0);
}

TEST_CASE("loopback is an address: --check-config refuses demo tokens on 127.attacker.example and on localhost") {
  TempDir tmp;
  for (const std::string host : {"127.attacker.example", "localhost"}) {
    const auto cfg = write_config(tmp.path, [&](json& c) { c["listen"] = host + ":8750"; });
    auto [code, out] = run_pvmond("--check-config " + cfg.string());
    CHECK_MESSAGE(code == 2, host);
    CHECK_MESSAGE(out.find("refusing to listen on " + host + " while a demo token is configured") != std::string::npos, out);
  }
  // IP literals in 127.0.0.0/8 and ::1 are loopback.
  for (const std::string listen : {"127.0.0.1:8750", "127.3.2.1:8750", "[::1]:8750"}) {
    const auto cfg = write_config(tmp.path, [&](json& c) { c["listen"] = listen; });
    auto [code, out] = run_pvmond("--check-config " + cfg.string());
    CHECK_MESSAGE(code == 0, listen << ": " << out);
  }
}

TEST_CASE("SIGHUP applies the start-up exposure rules: demo tokens are refused on a daemon listening beyond loopback") {
  TempDir tmp;
  const std::string officer_token = "access-test-officer-token-5f1c0d2e9a";
  json demo_principals;
  const auto cfg = write_config(tmp.path, [&](json& c) {
    demo_principals = c["principals"];
    c["listen"] = "0.0.0.0:0";
    c["plain_http"] = true;  // a TLS-terminating proxy in front
    c["principals"] = json::array({{{"name", "officer"}, {"role", "officer"}, {"token_sha256", sha256_hex(officer_token)}}});
  });
  Daemon d(cfg, tmp.path / "data");
  d.listen_on(std::nullopt);  // the config's own listen address
  d.start();
  REQUIRE(d.host() == "0.0.0.0");
  httplib::Client c("127.0.0.1", d.port());
  auto officer = c.Get("/v1/audit", bearer(officer_token));
  REQUIRE(officer);
  CHECK(officer->status == 200);
  auto demo = c.Get("/v1/audit", bearer("demo-officer"));
  REQUIRE(demo);
  CHECK(demo->status == 401);

  // The file now says loopback (it passes --check-config on its own) and brings the demo
  // principals back; the running socket is still 0.0.0.0.
  write_config(tmp.path, [&](json& c) {
    c["principals"] = demo_principals;
    c["principals"].push_back({{"name", "officer"}, {"role", "officer"}, {"token_sha256", sha256_hex(officer_token)}});
  });
  auto [check_code, check_out] = run_pvmond("--check-config " + cfg.string());
  REQUIRE_MESSAGE(check_code == 0, check_out);
  d.signal(SIGHUP);
  const std::string log = d.log_with("reload rejected", 10);
  CHECK(log.find("reload rejected, keeping the running config") != std::string::npos);
  CHECK(log.find("refusing to listen on 0.0.0.0 while a demo token is configured") != std::string::npos);
  CHECK(log.find("config reloaded") == std::string::npos);
  demo = c.Get("/v1/audit", bearer("demo-officer"));
  REQUIRE(demo);
  CHECK(demo->status == 401);
  officer = c.Get("/v1/audit", bearer(officer_token));
  REQUIRE(officer);
  CHECK(officer->status == 200);
  CHECK(d.running());

  // A reload that meets the rules still applies: a real principal added.
  const std::string admin_token = "access-test-admin-token-77b3e1c4d8";
  write_config(tmp.path, [&](json& c) {
    c["listen"] = "0.0.0.0:0";
    c["plain_http"] = true;
    c["principals"] = json::array({{{"name", "officer"}, {"role", "officer"}, {"token_sha256", sha256_hex(officer_token)}},
                                   {{"name", "admin"}, {"role", "admin"}, {"token_sha256", sha256_hex(admin_token)}}});
  });
  d.signal(SIGHUP);
  CHECK(d.log_with("config reloaded", 10).find("config reloaded") != std::string::npos);
  auto admin = c.Get("/metrics", bearer(admin_token));
  REQUIRE(admin);
  CHECK(admin->status == 200);
  CHECK(d.stop() == 0);
}

// SQLite's file (on PostgreSQL: pg_test_store and the server's own durability).
TEST_CASE("a clean stop checkpoints the WAL: pvmon.db copied alone holds everything" * doctest::skip(on_postgres())) {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  Daemon d(cfg, tmp.path / "data");
  d.start();
  enrol_new(d);
  auto c = d.client();
  for (int i = 0; i < 5; ++i) {
    auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), ae_body("WAL-" + std::to_string(i)).dump(),
                    "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  REQUIRE(d.stop() == 0);
  REQUIRE(d.log().find("pvmond stopped cleanly") != std::string::npos);
  const fs::path db = tmp.path / "data" / "pvmon.db";
  std::error_code ec;
  const auto wal = fs::file_size(db.string() + "-wal", ec);
  CHECK((ec || wal == 0));  // emptied

  // The file alone, where no WAL is beside it: a new daemon finds every report.
  TempDir copy;
  fs::create_directories(copy.path / "data");
  fs::copy_file(db, copy.path / "data" / "pvmon.db");
  Daemon restored(write_config(copy.path), copy.path / "data");
  restored.start();
  auto list = restored.client().Get((std::string(kStudy) + "/ae?limit=100").c_str(), bearer("demo-officer"));
  REQUIRE(list);
  REQUIRE(list->status == 200);
  CHECK(json::parse(list->body)["items"].size() == 5);
  CHECK(restored.stop() == 0);
  // The audit chain of the copy verifies.
  const std::string pvmon = (fs::path(PVMOND_PATH).parent_path() / "cli" / "pvmon").string();
  auto [code, out] = run_command(pvmon + " audit verify --db " + (copy.path / "data" / "pvmon.db").string() + " 2>&1");
  CHECK_MESSAGE(code == 0, out);
}

// SQLite's file (on PostgreSQL: pg_test_store and the server's own durability).
TEST_CASE("start-up fails, clearly and non-zero, when pvmond.addr or the database cannot be written" * doctest::skip(on_postgres())) {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  const fs::path data = tmp.path / "data";
  const std::string args = "--config " + cfg.string() + " --listen 127.0.0.1:0 --data-dir " + data.string();

  SUBCASE("pvmond.addr cannot be written (a folder in its place: refused to root too)") {
    fs::create_directories(data / "pvmond.addr");
    auto [code, out] = run_pvmond(args);
    CHECK(code == 2);
    CHECK_MESSAGE(out.find("cannot write " + (data / "pvmond.addr").string()) != std::string::npos, out);
    CHECK(out.find("listening on") == std::string::npos);
  }

  SUBCASE("a folder in place of the database file (refused to root too)") {
    fs::create_directories(data / "pvmon.db");
    auto [code, out] = run_pvmond(args);
    CHECK(code == 2);
    CHECK_MESSAGE(out.find("cannot write the database " + (data / "pvmon.db").string()) != std::string::npos, out);
    CHECK(out.find("is a directory") != std::string::npos);
  }

  SUBCASE("the database is read-only") {
    {
      Daemon d(cfg, data);
      d.start();
      REQUIRE(d.stop() == 0);
    }
    const fs::path db = data / "pvmon.db";
    if (::geteuid() != 0) {
      fs::permissions(db, fs::perms::owner_read | fs::perms::group_read);
      auto [code, out] = run_pvmond(args);
      fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
      CHECK(code == 2);
      CHECK_MESSAGE(out.find("cannot write the database " + db.string()) != std::string::npos, out);
      CHECK(out.find(db.string() + " is not writable") != std::string::npos);
      // The data dir read-only: the same.
      fs::permissions(data, fs::perms::owner_read | fs::perms::owner_exec);
      auto [dir_code, dir_out] = run_pvmond(args);
      fs::permissions(data, fs::perms::owner_all);
      CHECK(dir_code == 2);
      CHECK_MESSAGE(dir_out.find("cannot write the database") != std::string::npos, dir_out);
    } else {
      // Root writes through file modes: a read-only filesystem stops it.
      Tmpfs ro(tmp.path / "ro", "8m");
      if (!ro.mounted) {
        MESSAGE("skipped: root without CAP_SYS_ADMIN, no read-only mount (" << ro.why_not
                                                                            << "); the subcases above deny root otherwise");
        return;
      }
      fs::copy_file(db, ro.dir / "pvmon.db");
      REQUIRE(ro.read_only(true));
      const std::string ro_args = "--config " + cfg.string() + " --listen 127.0.0.1:0 --data-dir " + (ro.dir).string();
      auto [code, out] = run_pvmond(ro_args);
      CHECK(code == 2);
      CHECK_MESSAGE(out.find("cannot write the database " + (ro.dir / "pvmon.db").string()) != std::string::npos, out);
      CHECK(out.find("Read-only file system") != std::string::npos);
    }
  }
}

// SQLite's file (on PostgreSQL: pg_test_store and the server's own durability).
TEST_CASE("/readyz answers 503 while the database cannot take writes, and 200 once it can again" * doctest::skip(on_postgres())) {
  TempDir tmp;
  const fs::path db_dir = tmp.path / "db";
  fs::create_directories(db_dir);
  std::string body;

  SUBCASE("the database's folder replaced by a file (any user, root too)") {
    Daemon d(write_config(tmp.path, [&](json& c) { c["database"] = (db_dir / "pvmon.db").string(); }),
             tmp.path / "data");
    d.start();
    CHECK(readyz(d) == 200);
    fs::rename(db_dir, tmp.path / "db.away");  // the daemon keeps its open files
    write_text(db_dir, "not a folder\n");
    CHECK(readyz(d, &body) == 503);
    CHECK(body.find("urn:pvmon:problem:unavailable") != std::string::npos);
    CHECK(body.find(db_dir.string() + " is not a directory") != std::string::npos);
    fs::remove(db_dir);
    fs::rename(tmp.path / "db.away", db_dir);
    CHECK(readyz(d) == 200);
    CHECK(d.stop() == 0);
  }

  SUBCASE("a read-only database file, then folder (chmod: binds a non-root user)") {
    if (::geteuid() == 0) {
      MESSAGE("skipped: root writes through file modes (the other subcases deny it otherwise)");
      return;
    }
    Daemon d(write_config(tmp.path, [&](json& c) { c["database"] = (db_dir / "pvmon.db").string(); }),
             tmp.path / "data");
    d.start();
    const fs::path db = db_dir / "pvmon.db";
    CHECK(readyz(d) == 200);
    fs::permissions(db, fs::perms::owner_read);
    CHECK(readyz(d, &body) == 503);
    CHECK(body.find(db.string() + " is not writable") != std::string::npos);
    fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
    CHECK(readyz(d) == 200);
    fs::permissions(db_dir, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK(readyz(d, &body) == 503);
    CHECK(body.find(db_dir.string() + " is not writable") != std::string::npos);
    fs::permissions(db_dir, fs::perms::owner_all);
    CHECK(readyz(d) == 200);
    CHECK(d.stop() == 0);
  }

  SUBCASE("the disk full (a small tmpfs: root with CAP_SYS_ADMIN)") {
    Tmpfs small(tmp.path / "small", "8m");
    if (!small.mounted) {
      MESSAGE("skipped: cannot mount a filesystem to fill here (" << small.why_not << ")");
      return;
    }
    Daemon d(write_config(tmp.path, [&](json& c) { c["database"] = (small.dir / "pvmon.db").string(); }),
             tmp.path / "data");
    d.start();
    CHECK(readyz(d) == 200);
    fill(small.dir / "filler");
    CHECK(readyz(d, &body) == 503);
    CHECK(body.find("urn:pvmon:problem:unavailable") != std::string::npos);
    CHECK(body.find("storage is full") != std::string::npos);
    // Space returns: ready again, without a restart.
    fs::remove(small.dir / "filler");
    CHECK(readyz(d) == 200);
    // A read-only remount under a daemon that holds the files open for writing is refused by
    // the kernel (EBUSY); where it is allowed, /readyz must see it too.
    if (small.read_only(true)) {
      CHECK(readyz(d, &body) == 503);
      CHECK(body.find("read-only") != std::string::npos);
      REQUIRE(small.read_only(false));
      CHECK(readyz(d) == 200);
    }
    CHECK(d.stop() == 0);
  }
}
