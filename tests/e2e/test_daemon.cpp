// End-to-end: the daemon's life cycle — start-up checks, signals, reload.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include "daemon.hpp"

using namespace pvmon::test;

TEST_CASE("--check-config accepts the shipped config and names the file and path of each problem") {
  TempDir tmp;
  auto [ok_code, ok_out] =
      run_pvmond("--check-config " + (fs::path(PVMON_SOURCE_DIR) / "config/pvmond.json").string());
  CHECK(ok_code == 0);
  CHECK(ok_out.find("OK") != std::string::npos);

  const auto bad = write_config(tmp.path, [](json& c) {
    c["http"]["threads"] = 0;
    c["principals"][1]["role"] = "king";
    c["surprise"] = true;
    c.erase("data_dir");
  });
  auto [code, out] = run_pvmond("--check-config " + bad.string());
  CHECK(code != 0);
  CHECK(out.find(bad.string() + ": /http/threads: must be an integer from 1 to 256") != std::string::npos);
  CHECK(out.find("/principals/1/role: must be one of") != std::string::npos);
  CHECK(out.find("/surprise: unknown field") != std::string::npos);
  CHECK(out.find("/data_dir: is required") != std::string::npos);

  // The daemon itself refuses to start on it.
  auto [run_code, run_out] = run_pvmond("--config " + bad.string());
  CHECK(run_code != 0);
  CHECK(run_out.find("/http/threads") != std::string::npos);
}

TEST_CASE("a demo token is never exposed beyond loopback") {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  auto [code, out] = run_pvmond("--config " + cfg.string() + " --listen 0.0.0.0:0 --data-dir " +
                                (tmp.path / "data").string());
  CHECK(code != 0);
  CHECK(out.find("demo token") != std::string::npos);
}

TEST_CASE("a database from a newer pvmond is refused, not touched") {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  {
    Daemon d(cfg, tmp.path / "data");
    d.start();
    REQUIRE(d.stop() == 0);
  }
  REQUIRE(Daemon(cfg, tmp.path / "data").sql("INSERT INTO schema_version VALUES (999)").first == 0);
  auto [code, out] = run_pvmond("--config " + cfg.string() + " --listen 127.0.0.1:0 --data-dir " +
                                (tmp.path / "data").string());
  CHECK(code != 0);
  CHECK(out.find("schema version 999") != std::string::npos);
}

TEST_CASE("SIGTERM finishes in-flight work and exits 0; SIGHUP reloads or keeps the old config") {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  Daemon d(cfg, tmp.path / "data");
  d.start();
  auto c = d.client();

  // A new principal appears on reload.
  const std::string token = "late-officer-token-1";
  {
    FILE* p = ::popen(("printf %s " + token + " | sha256sum").c_str(), "r");
    char buf[65] = {0};
    REQUIRE(std::fread(buf, 1, 64, p) == 64);
    ::pclose(p);
    write_config(tmp.path, [&](json& j) {
      j["principals"].push_back(
          {{"name", "late-officer"}, {"role", "officer"}, {"token_sha256", std::string(buf, 64)}});
    });
  }
  auto before = c.Get("/v1/studies/hcc-pvtt-imrt/ae", bearer(token));
  REQUIRE(before);
  CHECK(before->status == 401);
  d.signal(SIGHUP);
  bool applied = false;
  for (int i = 0; i < 500 && !applied; ++i) {
    auto r = c.Get("/v1/studies/hcc-pvtt-imrt/ae", bearer(token));
    applied = r && r->status == 200;
    if (!applied) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(applied);

  // A broken config is refused on reload; the running one stays.
  write_text(cfg, "{ this is not json");
  d.signal(SIGHUP);
  CHECK(d.log_with("reload rejected", 5).find("reload rejected") != std::string::npos);
  auto after = c.Get("/v1/studies/hcc-pvtt-imrt/ae", bearer(token));
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(d.running());
  REQUIRE(after->has_header("X-Request-Id"));
  const std::string last_id = "id=" + after->get_header_value("X-Request-Id");

  const auto t0 = std::chrono::steady_clock::now();
  CHECK(d.stop(SIGTERM, std::chrono::seconds(10)) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  // The request lines go through the log thread's queue; a clean stop writes them all, first.
  const std::string log = d.log();
  const auto stopped = log.find("stopped cleanly");
  CHECK(stopped != std::string::npos);
  CHECK(log.find(last_id) < stopped);
}

TEST_CASE("systemd: READY, WATCHDOG and STOPPING reach $NOTIFY_SOCKET") {
  TempDir tmp;
  const std::string sock = (tmp.path / "notify.sock").string();
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setenv("NOTIFY_SOCKET", sock.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);  // pings every 100 ms
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  auto next = [&] {
    char buf[512];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  std::string msg = next();
  CHECK(msg.rfind("READY=1", 0) == 0);
  bool ping = false;
  for (int i = 0; i < 20 && !ping; ++i) ping = next() == "WATCHDOG=1";
  CHECK(ping);
  d.signal(SIGTERM);
  bool stopping = false;
  for (int i = 0; i < 50 && !stopping; ++i) stopping = next() == "STOPPING=1";
  CHECK(stopping);
  CHECK(d.stop() == 0);
  ::close(fd);
}

TEST_CASE("/metrics: Prometheus text for the admin only") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  c.Post("/v1/studies/hcc-pvtt-imrt/ae", bearer("demo-site-s01"), "{}", "application/json");
  // A request is counted when its log line is written, just after its answer is sent: poll
  // (bounded) until the POST above shows.
  httplib::Result r = c.Get("/metrics", bearer("demo-admin"));
  for (int i = 0; i < 100 && r && r->body.find("pvmon_ae_reports_total{result=\"rejected\"} 1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    r = c.Get("/metrics", bearer("demo-admin"));
  }
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  for (const char* family : {"pvmon_http_requests_total{method=\"POST\",route=\"/v1/studies/{study}/ae\",status=\"422\"} 1",
                             "pvmon_ae_reports_total{result=\"rejected\"} 1",
                             "pvmon_http_request_duration_seconds_bucket", "pvmon_outbox_messages{state=\"pending\"} 0",
                             "pvmon_outbox_oldest_undelivered_seconds 0", "pvmon_writer_commits_total",
                             "pvmon_database_bytes"})
    CHECK_MESSAGE(r->body.find(family) != std::string::npos, family);
  // The group-commit histogram: cumulative buckets, the last one equal to the commits counted.
  auto value_of = [&](const std::string& line_start) -> double {
    const auto at = r->body.find("\n" + line_start + " ");
    REQUIRE_MESSAGE(at != std::string::npos, line_start);
    return std::stod(r->body.substr(at + line_start.size() + 2));
  };
  const double commits = value_of("pvmon_writer_commits_total");
  CHECK(commits >= 1);  // start-up records the study protocol
  double previous = 0;
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.5", "2.5", "+Inf"}) {
    const double n = value_of(std::string("pvmon_writer_commit_duration_seconds_bucket{le=\"") + le + "\"}");
    CHECK(n >= previous);
    previous = n;
  }
  CHECK(previous == commits);
  CHECK(value_of("pvmon_writer_commit_duration_seconds_count") == commits);
  CHECK(value_of("pvmon_writer_commit_duration_seconds_sum") > 0);
  auto officer = c.Get("/metrics", bearer("demo-officer"));
  REQUIRE(officer);
  CHECK(officer->status == 403);
}

TEST_CASE("audit trail: changes, rejected tokens and reloads are recorded; the chain verifies") {
  TempDir tmp;
  const auto cfg = write_config(tmp.path);
  Daemon d(cfg, tmp.path / "data");
  d.start();
  auto c = d.client();
  auto e = c.Post("/v1/studies/hcc-pvtt-imrt/subjects", bearer("demo-site-s01"),
                  subject_body("S01-0001").dump(), "application/json");
  REQUIRE(e);
  REQUIRE(e->status == 201);
  // Failed authentications: audited as one count per address and minute, 429 past 21.
  int last = 0;
  for (int i = 0; i < 22; ++i) {
    auto r = c.Get("/v1/studies/hcc-pvtt-imrt/ae", bearer("wrong-token-" + std::to_string(i)));
    REQUIRE(r);
    last = r->status;
  }
  CHECK(last == 429);
  auto still = c.Get("/v1/audit", bearer("demo-admin"));  // a good token from there is served
  REQUIRE(still);
  CHECK(still->status == 200);
  d.signal(SIGHUP);
  d.log_with("config reloaded", 5);  // the reload is done
  REQUIRE(d.stop() == 0);
  CHECK(d.log().find("audit head seq=") != std::string::npos);
  d.start();  // a new process: a new rate-limit window is not needed for other tests
  auto c2 = d.client();
  auto list = c2.Get("/v1/audit", bearer("demo-officer"));
  REQUIRE(list);
  REQUIRE(list->status == 200);
  std::multiset<std::string> actions;
  const json page = json::parse(list->body);
  for (const auto& row : page["items"]) actions.insert(row["action"].get<std::string>());
  CHECK(actions.count("subject.enrol") == 1);
  CHECK(actions.count("auth.rejected") == 1);
  CHECK(actions.count("config.reload") == 1);
  CHECK(list->body.find("wrong-token") == std::string::npos);
  auto by_entity = c2.Get("/v1/audit?entity=hcc-pvtt-imrt/subject/S01-0001", bearer("demo-admin"));
  REQUIRE(by_entity);
  CHECK(json::parse(by_entity->body)["items"].size() == 1);
  auto site = c2.Get("/v1/audit", bearer("demo-site-s01"));
  REQUIRE(site);
  CHECK(site->status == 403);
  REQUIRE(d.stop() == 0);
  // The offline verifier walks the chain the daemon wrote.
  const std::string pvmon = (fs::path(PVMOND_PATH).parent_path() / "cli" / "pvmon").string();
  auto [code, out] = run_pvmond("audit verify " + d.db_args(), pvmon);
  CHECK(code == 0);
  CHECK(out.find("audit trail intact") != std::string::npos);
}

TEST_CASE("the role matrix: every route, every role, own and other site") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  const std::string S = "/v1/studies/hcc-pvtt-imrt";
  // S01's subject and report, to reach from every principal.
  REQUIRE(c.Post((S + "/subjects").c_str(), bearer("demo-site-s01"), subject_body("S01-0007").dump(), "application/json")->status == 201);
  json ae = ae_body("M-1");
  ae.erase("lab");
  ae["term"] = "Fatigue";
  auto r = c.Post((S + "/ae").c_str(), bearer("demo-site-s01"), ae.dump(), "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string id = std::to_string(json::parse(r->body)["id"].get<int>());

  // Who may call what (DESIGN.md "HTTP API"), written out by hand. s1 = site S01 (owner),
  // s2 = site S02, o = officer, d = dsmb, a = admin.
  struct Row {
    const char* method;
    std::string path;
    std::string allowed;  // letters from "s1 s2 o d a"; a site outside its own data gets 404
  };
  const std::vector<Row> table = {
      {"POST", S + "/subjects", "s1 s2"},
      {"GET", S + "/subjects/S01-0007", "s1 o"},
      {"POST", S + "/subjects/S01-0007/baseline", "s1"},
      {"POST", S + "/subjects/S01-0007/events", "s1"},
      {"POST", S + "/ae", "s1 s2"},
      {"GET", S + "/ae", "s1 s2 o"},
      {"GET", S + "/ae/" + id, "s1 o"},
      {"GET", S + "/ae/" + id + "/versions", "s1 o"},
      {"POST", S + "/ae/" + id + "/followups", "s1"},
      {"POST", S + "/ae/" + id + "/submissions", "o"},
      {"GET", S + "/clocks", "o"},
      {"GET", S + "/safety", "o d"},
      {"POST", S + "/dsmb-reports", "o"},
      {"GET", S + "/dsmb-reports", "o d"},
      {"GET", S + "/dsmb-reports/latest", "o d"},
      {"GET", S + "/dsmb-reports/1", "o d"},
      {"GET", S + "/export/sdtm/ae.csv", "o d"},
      {"GET", S + "/export/sdtm/dm.csv", "o d"},
      {"GET", S + "/export/sdtm/ae.xpt", "o d"},
      {"GET", S + "/export/sdtm/dm.xpt", "o d"},
      {"GET", S + "/alerts", "o"},
      {"POST", S + "/alerts/1/ack", "o"},
      {"GET", "/v1/webhooks/deliveries", "a"},
      {"POST", "/v1/webhooks/deliveries/1/redeliver", "a"},
      {"GET", "/v1/audit", "o a"},
      {"GET", "/metrics", "a"},
      {"GET", "/v1/ctcae/terms?q=alt", "s1 s2 o d a"},
      {"GET", "/v1/ctcae/terms/10001551", "s1 s2 o d a"},
      {"POST", "/v1/ctcae/grade", "s1 s2 o d a"},
  };
  const std::vector<std::pair<std::string, std::string>> who = {
      {"s1", "demo-site-s01"}, {"s2", "demo-site-s02"}, {"o", "demo-officer"}, {"d", "demo-dsmb"}, {"a", "demo-admin"}};
  int anonymous = 0;
  for (const auto& row : table) {
    for (const auto& [tag, token] : who) {
      const bool allowed = (" " + row.allowed + " ").find(" " + tag + " ") != std::string::npos;
      // Bodies are deliberately empty objects: authorisation is decided before validation.
      auto res = std::string(row.method) == "GET"
                     ? c.Get(row.path.c_str(), bearer(token))
                     : c.Post(row.path.c_str(), bearer(token), "{}", "application/json");
      REQUIRE(res);
      INFO(row.method << " " << row.path << " as " << tag << " -> " << res->status);
      if (allowed) {
        CHECK(res->status != 401);
        CHECK(res->status != 403);
      } else if (tag == "s2" && (" " + row.allowed + " ").find(" s1 ") != std::string::npos) {
        // Another site's subject or report does not exist for S02.
        CHECK(res->status == 404);
      } else {
        CHECK(res->status == 403);
      }
    }
  }
  // Without a token: 401, until this address has failed more than 21 times this minute, then
  // 429 (for failing requests only: the tokens above would still be served).
  for (const auto& row : table) {
    auto anon = std::string(row.method) == "GET" ? c.Get(row.path.c_str())
                                                 : c.Post(row.path.c_str(), "{}", "application/json");
    REQUIRE(anon);
    INFO(row.method << " " << row.path << " without a token");
    CHECK(anon->status == (anonymous++ <= 20 ? 401 : 429));
  }
}
