// The real pvmond, started as a child process on 127.0.0.1 port 0 with a temporary data dir.
// Tests talk HTTP to it with cpp-httplib's client. Waits are bounded polls on conditions, never
// fixed sleeps that assume a speed.
#pragma once

#include <openssl/evp.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace pvmon::test {

/// Today's UTC date shifted by `days`, as YYYY-MM-DD (the daemon reads the real clock).
inline std::string day(int days) {
  const auto now = std::chrono::system_clock::now() + std::chrono::hours(24) * days;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

/// `seconds` after now (before, when negative), UTC, to the second.
inline std::string seconds_from_now(int seconds) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// `hours` before now, UTC, to the second.
inline std::string hours_ago(int hours) { return seconds_from_now(-3600 * hours); }

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::trunc);
  out << s;
}

/// A fresh folder under the system temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("pvmon-e2e-" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Whether the daemons under test keep their data in PostgreSQL: PVMON_E2E_ENGINE=postgresql
/// with the server scripts/pg-test.sh starts (ctest's *_pg entries).
inline bool on_postgres() {
  const char* engine = std::getenv("PVMON_E2E_ENGINE");
  if (!engine || std::string(engine) != "postgresql") return false;
  if (!std::getenv("PVMON_TEST_PG_ADMIN_DSN") || !std::getenv("PVMON_TEST_PG_DSN"))
    throw std::runtime_error("PVMON_E2E_ENGINE=postgresql needs the server of scripts/pg-test.sh");
  return true;
}

/// The shipped config with its study path made absolute, written into `dir`; `edit` may change
/// it before it is written.
inline fs::path write_config(const fs::path& dir, const std::function<void(json&)>& edit = {}) {
  const fs::path src = fs::path(PVMON_SOURCE_DIR) / "config" / "pvmond.json";
  json cfg = json::parse(read_text(src), nullptr, true, true);
  json studies = json::array();
  for (const auto& s : cfg["studies"])
    studies.push_back((fs::path(PVMON_SOURCE_DIR) / "config" / s.get<std::string>()).string());
  cfg["studies"] = studies;
  // Another pvmond under test (PVMON_E2E_PVMOND, an older build): the shipped config's HTTP
  // settings it may not know are left out.
  if (const char* other = std::getenv("PVMON_E2E_PVMOND"); other && *other)
    for (const char* key : {"max_workers", "max_connections", "max_connections_per_address", "header_timeout_s",
                            "body_min_bytes_per_s", "max_header_bytes", "max_header_count", "tls_handshake_timeout_s"})
      cfg["http"].erase(key);
  if (on_postgres()) {
    // A database of its own on the test server, one per folder: a config written again into
    // the same folder (a restart with other settings) keeps its data, as the SQLite file does.
    static std::map<std::string, std::string> made;
    std::string& name = made[fs::absolute(dir).string()];
    if (name.empty()) {
      std::random_device rd;
      name = "e2e_" + std::to_string(::getpid()) + "_" + std::to_string(made.size()) + "_" + std::to_string(rd() % 100000);
      const std::string cmd = std::string("psql -q -v ON_ERROR_STOP=1 \"") + std::getenv("PVMON_TEST_PG_ADMIN_DSN") +
                              "\" -c 'CREATE DATABASE " + name + "' >/dev/null";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot create the test database " + name);
    }
    std::string dsn = std::getenv("PVMON_TEST_PG_DSN");
    dsn.replace(dsn.find("dbname=pvmon"), 12, "dbname=" + name);
    cfg["storage"]["engine"] = "postgresql";
    cfg["storage"]["dsn"] = dsn;
    cfg["storage"]["password_file"] = std::getenv("PVMON_TEST_PG_PASSWORD_FILE");
  }
  if (edit) edit(cfg);
  const fs::path out = dir / "pvmond.json";
  write_text(out, cfg.dump(2));
  return out;
}

class Daemon {
 public:
  Daemon(fs::path config, fs::path data_dir)
      : config_(std::move(config)), data_dir_(std::move(data_dir)) {}
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Starts pvmond and waits (up to 30 s) until it has written its address and answers /healthz.
  void start(std::vector<std::string> extra = {}) {
    std::error_code ec;
    fs::remove(data_dir_ / "pvmond.addr", ec);
    fs::create_directories(data_dir_);
    const std::string log = (data_dir_ / "pvmond.log").string();
    // PVMON_E2E_PVMOND: another build of pvmond to run the same tests against (an older one).
    const char* other = std::getenv("PVMON_E2E_PVMOND");
    std::vector<std::string> argv = {other && *other ? other : PVMOND_PATH, "--config", config_.string(),
                                     "--data-dir", data_dir_.string()};
    if (listen_) argv.insert(argv.end(), {"--listen", *listen_});
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      (void)f;
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("pvmond exited during start-up: " + read_text(log));
      }
      if (fs::exists(data_dir_ / "pvmond.addr")) {
        std::string addr = read_text(data_dir_ / "pvmond.addr");
        addr = addr.substr(0, addr.find('\n'));
        host_ = addr.substr(0, addr.rfind(':'));
        port_ = std::stoi(addr.substr(addr.rfind(':') + 1));
        if (ca_) {
          httplib::SSLClient c(host_, port_);
          c.set_ca_cert_path(ca_->c_str());
          c.enable_server_certificate_verification(true);
          if (auto r = c.Get("/healthz"); r && r->status == 200) return;
        } else {
          httplib::Client c(host_, port_);
          if (auto r = c.Get("/healthz"); r && r->status == 200) return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("pvmond did not come up in 30 s: " + read_text(log));
  }

  /// Sends `sig` and waits up to `timeout` for the exit; returns the exit code, or -1 when it
  /// did not exit (the process is then killed), or 128+signal when a signal ended it.
  int stop(int sig = SIGTERM, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

  void signal(int sig) { ::kill(pid_, sig); }
  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

  httplib::Client client() const {
    httplib::Client c(host_, port_);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::string log() const { return read_text(data_dir_ / "pvmond.log"); }
  /// The log once it holds `needle` (or as it is after `seconds`): request lines are written by
  /// the daemon's log thread, a moment after the answer.
  std::string log_with(const std::string& needle, int seconds = 10) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string text = log();
    while (text.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      text = log();
    }
    return text;
  }
  /// The log with the line of every request answered so far: a last GET /healthz, whose
  /// request id is awaited in the log (one log thread writes the lines in order).
  std::string log_settled() const {
    auto c = client();
    auto r = c.Get("/healthz");
    if (!r || !r->has_header("X-Request-Id")) return log();
    return log_with("id=" + r->get_header_value("X-Request-Id"));
  }
  /// `--listen` for the next start(): 127.0.0.1:0 unless set; nullopt: the config's `listen`.
  void listen_on(std::optional<std::string> host_port) { listen_ = std::move(host_port); }
  /// The daemon speaks HTTPS with a certificate this CA file verifies (start() probes with it).
  void use_tls(fs::path ca) { ca_ = std::move(ca); }
  const std::string& host() const { return host_; }
  const fs::path& data_dir() const { return data_dir_; }

  /// Where `pvmon audit verify` and the other offline commands find this daemon's database:
  /// `--db FILE`, or on PostgreSQL `--dsn DSN --password-file FILE` (shell-quoted).
  std::string db_args() const {
    if (const auto pg = pg_target()) return "--dsn '" + pg->dsn + "' --password-file '" + pg->password_file + "'";
    return "--db '" + (data_dir_ / "pvmon.db").string() + "'";
  }

  /// The PostgreSQL database the config names; nullopt when the daemon keeps a SQLite file.
  struct PgTarget {
    std::string dsn, password_file;
  };
  std::optional<PgTarget> pg_target() const {
    const json cfg = json::parse(read_text(config_));
    if (!cfg.contains("storage") || cfg["storage"].value("engine", "") != "postgresql") return std::nullopt;
    return PgTarget{cfg["storage"]["dsn"].get<std::string>(), cfg["storage"]["password_file"].get<std::string>()};
  }

  /// A query's output as the sqlite3 shell prints it (columns joined by |, a line a row), and
  /// its exit code: on the SQLite file, or on PostgreSQL with psql (json_extract(x, '$.a')
  /// rewritten as x::jsonb #>> '{a}').
  std::pair<int, std::string> sql(std::string query) const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  fs::path config_, data_dir_;
  std::optional<fs::path> ca_;
  std::optional<std::string> listen_ = "127.0.0.1:0";
  pid_t pid_ = -1;
  std::string host_;
  int port_ = 0;
};

/// A TCP connection to 127.0.0.1:port, or -1.
inline int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Runs a shell command; its exit code and standard output.
inline std::pair<int, std::string> run_command(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// pvmond run with `args` (not as a server: --check-config, --version): its exit code and all
/// it wrote.
inline std::pair<int, std::string> run_pvmond(const std::string& args, const std::string& program = PVMOND_PATH) {
  std::string cmd = program;  // appended to in place: GCC 12 warns (wrongly, -Warray-bounds) on a + chain
  cmd += ' ';
  cmd += args;
  cmd += " 2>&1";
  return run_command(cmd);
}

/// SHA-256 of `s` in lower-case hex.
inline std::string sha256_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

inline std::pair<int, std::string> Daemon::sql(std::string query) const {
  const auto pg = pg_target();
  if (!pg) return run_command("sqlite3 '" + (data_dir_ / "pvmon.db").string() + "' \"" + query + "\"");
  const std::string password = "PGPASSWORD=\"$(head -n1 '" + pg->password_file + "')\" ";
  if (query == ".dump")  // the sqlite3 shell's whole-database text, as pg_dump gives it
    return run_command(password + "pg_dump --inserts '" + pg->dsn + "'");
  static const std::regex extract(R"(json_extract\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*,\s*'\$\.([A-Za-z0-9_]+)'\s*\))");
  query = std::regex_replace(query, extract, "($1::jsonb #>> '{$2}')");
  return run_command(password + "psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 '" + pg->dsn + "' -c \"" + query + "\"");
}

#ifdef PVMON_PATH
/// The database arguments of an offline command reading what `d` wrote: on SQLite a copy made
/// with `pvmon backup` while it runs (into `copy`), on PostgreSQL the database itself.
inline std::string offline_db_args(const Daemon& d, const fs::path& copy) {
  if (on_postgres()) return d.db_args();
  auto [rc, out] = run_command(std::string(PVMON_PATH) + " backup --db '" + (d.data_dir() / "pvmon.db").string() +
                               "' --to '" + copy.string() + "' 2>&1");
  if (rc != 0) throw std::runtime_error("pvmon backup failed: " + out);
  return "--db '" + copy.string() + "'";
}
#endif

inline httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

inline const char* kStudy = "/v1/studies/hcc-pvtt-imrt";

/// Every item of a paged list (`path` may carry a query; the pages are of 500), as `token` sees it.
inline json all_items(const Daemon& d, const std::string& path, const std::string& token = "demo-officer") {
  json out = json::array();
  auto c = d.client();
  const char sep = path.find('?') == std::string::npos ? '?' : '&';
  std::string cursor;
  for (;;) {
    const std::string url = path + sep + "limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = c.Get(url.c_str(), bearer(token));
    if (!r || r->status != 200)
      throw std::runtime_error("GET " + url + ": " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    auto page = json::parse(r->body);
    for (auto& item : page["items"]) out.push_back(std::move(item));
    if (page["next_cursor"].is_null()) return out;
    cursor = page["next_cursor"].get<std::string>();
  }
}

/// Every AE report of the study by report id (the officer's list, every page).
inline std::map<std::string, json> reports_by_id(const Daemon& d) {
  std::map<std::string, json> out;
  for (auto& item : all_items(d, std::string(kStudy) + "/ae")) out[item["report_id"].get<std::string>()] = item;
  return out;
}

inline json subject_body(const std::string& id, const std::string& enrolled = "2026-09-01") {
  return {{"subject", id}, {"enrolled", enrolled}, {"sex", "M"}, {"age", 58}};
}

/// Enrols `subject` (enrolled 2026-09-01) as `token`'s site; it must be new (201), else this
/// throws (a test case fails on it; the benchmarks that share this header stop).
inline void enrol_new(const Daemon& d, const std::string& subject = "S01-0007",
                      const std::string& token = "demo-site-s01") {
  auto r = d.client().Post((std::string(kStudy) + "/subjects").c_str(), bearer(token),
                           subject_body(subject).dump(), "application/json");
  if (!r || r->status != 201)
    throw std::runtime_error("enrolling " + subject + ": " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
}

/// The AE report of DESIGN.md, with a chosen report id and subject.
inline json ae_body(const std::string& report_id, const std::string& subject = "S01-0007") {
  json j = json::parse(R"({
    "term": "Alanine aminotransferase increased", "verbatim": "ALT raised",
    "grade": 3, "lab": {"value": 250, "unit": "U/L", "uln": 40, "baseline": 32},
    "onset": "2026-10-02", "resolved": null, "site_aware_at": "2026-10-03T08:10:00Z",
    "serious": {"death": false, "life_threatening": false, "hospitalization": true,
                "disability": false, "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "probable", "apatinib": "possible", "imrt": "unlikely",
                  "surgery": "unrelated"},
    "action_taken": {"apatinib": "dose_reduced"}, "outcome": "recovering", "narrative": "..."})");
  j["report_id"] = report_id;
  j["subject"] = subject;
  return j;
}

}  // namespace pvmon::test
