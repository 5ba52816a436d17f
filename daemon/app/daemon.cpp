#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <filesystem>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "audit_guard.hpp"
#include "json_log_formatter.hpp"
#include "systemd_notify.hpp"
#include "pvmon/app.hpp"
#include "pvmon/config.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/http/server.hpp"
#include "pvmon/notify.hpp"
#include "pvmon/service/dsmb.hpp"
#include "pvmon/service/runtime.hpp"
#include "pvmon/service/scheduler.hpp"
#include "pvmon/store.hpp"
#include "pvmon/store/storage.hpp"

using nlohmann::json;

namespace pvmon::app {

namespace fs = std::filesystem;

namespace {

Result<config::Config> load_config(const Options& opts) {
  auto cfg = config::load(opts.config_path);
  if (!cfg) return cfg.error();
  if (opts.listen) {
    if (auto st = config::apply_listen(cfg.value(), *opts.listen); !st)
      return Error::of(Errc::invalid, "--listen " + *opts.listen + ": " + st.error().message);
  }
  if (opts.data_dir) cfg->data_dir = *opts.data_dir;
  if (auto st = config::check_exposure(cfg.value()); !st) return st.error();
  return cfg;
}

// The daemon's loggers. Warnings and errors are written where they are raised. The access log
// (one line per request) goes through a bounded queue to a thread of its own, pv-log, so that
// a stalled stderr delays the log and not intake: journald under pressure, or a log file behind
// the disk's writeback of the database (a 45 s bench run wrote its log to a file on the
// database's disk: p99 142 ms with the line written by the request's thread, 8.1 ms with none).
// The queue holds kAccessQueue lines, half a second and more at full intake; when it is full,
// request threads wait for room (spdlog's block policy), so no line is ever dropped. Its slots
// are allocated at start (408 bytes each: 8,192 of them cost 3.3 MiB of idle RSS; 2,048, 0.8).
struct Logging {
  static constexpr std::size_t kAccessQueue = 2048;
  std::shared_ptr<spdlog::details::thread_pool> pool;
  std::shared_ptr<spdlog::logger> access;

  Logging() = default;
  Logging(const Logging&) = delete;
  Logging& operator=(const Logging&) = delete;
  // The access logger holds the pool only weakly: the pool's destructor writes the lines still
  // queued, then joins pv-log. After that, a request line could not be written (spdlog reports
  // it on stderr), so this runs once the server has stopped.
  void drain() { pool.reset(); }
  ~Logging() { drain(); }
};

void setup_logging(const config::Config& c, Logging& out) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();  // one sink: one lock on stderr
  auto logger = std::make_shared<spdlog::logger>("pvmond", sink);
  out.pool = std::make_shared<spdlog::details::thread_pool>(Logging::kAccessQueue, 1,
                                                             [] { set_thread_name("pv-log"); });
  out.access = std::make_shared<spdlog::async_logger>("pvmond-access", sink, out.pool,
                                                      spdlog::async_overflow_policy::block);
  for (auto* l : {logger.get(), out.access.get()}) {
    if (c.log_json) l->set_formatter(std::make_unique<JsonLogFormatter>());
    else l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::from_str(c.log_level));
  }
  logger->flush_on(spdlog::level::info);  // the stderr sink also flushes every line it writes
  spdlog::set_default_logger(logger);
}

/// One scheduler pass (service::scheduler_tick), its problems logged.
void scheduler_tick(const service::Runtime& rt, store::Store& store, const Clock& clock) {
  const auto r = service::scheduler_tick(service::Context{rt, store, clock});
  for (const auto& p : r.problems) spdlog::warn("scheduler: {}", p);
  if (r.escalated > 0) spdlog::warn("scheduler: re-sent {} unacknowledged critical alert(s)", r.escalated);
}

/// Keeps each study's protocol text in the database, so a DSMB report names the protocol it
/// was built under and can be rebuilt offline from a copy of the database alone.
void record_protocols(const service::Runtime& rt, store::Store& store) {
  for (const auto& [id, st] : rt.config->studies)
    if (auto r = store.record_protocol(id, st.sha256, st.text); !r)
      spdlog::error("study {}: protocol not recorded: {}", id, r.error().message);
}

/// Periodic work (service::Periodic on the injected clock): the scheduler tick and due DSMB
/// reports, each on a thread of its own at nice 10, one run at a time. An asio timer on the io
/// thread only wakes the runner when the next task is due, at least once a second (a reload
/// may shorten a period). Both are background work with minutes of slack (clocks run in days,
/// the tick every 30 s): under load they yield the CPU to intake. A DSMB report of 1,000,000
/// AE reports takes over a second of one core; the io thread (signals, watchdog) never waits.
class Background {
 public:
  /// `audit_rejections` writes the audit rows of rejected tokens whose minute is over.
  Background(boost::asio::io_context& io, service::ConfigHolder& holder, store::Store& store,
             const Clock& clock, AuditGuard& audit, std::function<void()> audit_rejections)
      : holder_(holder), store_(store), clock_(clock), audit_rejections_(std::move(audit_rejections)),
        periodic_(clock), timer_(io) {
    boost::asio::post(report_builder_, [] {
      set_thread_name("pv-dsmb");
      set_thread_nice(10);
    });
    boost::asio::post(scheduler_pool_, [] {
      set_thread_name("pv-tick");
      set_thread_nice(10);
    });
    const auto tick_ms = [&holder] {
      return static_cast<std::int64_t>(holder.get()->config->scheduler_tick_seconds) * 1000;
    };
    periodic_.add("tick", tick_ms, [this] { tick(); });
    // A report that fell due while the daemon was down is built now.
    periodic_.add_now("dsmb", tick_ms, [this] { build_due_reports(); });
    // A signed checkpoint of the audit head when it moved (none while read-only: the alert's
    // checkpoint holds the head as found).
    periodic_.add("audit", [&holder] {
      return static_cast<std::int64_t>(holder.get()->config->audit.checkpoint_minutes) * 60'000;
    }, [&audit] {
      if (!audit.read_only()) audit.checkpoint("periodic");
    });
    // Rejected tokens reach the audit trail a few seconds after their minute ends.
    periodic_.add("auth-audit", [] { return kAuthAuditMs; }, [this] { audit_rejected_tokens(); });
  }

  void start() {
    periodic_.run_due();
    arm();
  }

  /// Cancels the timer; a build or a tick under way finishes before this returns.
  void stop() {
    timer_.cancel();
    report_builder_.join();
    scheduler_pool_.join();
  }

 private:
  void arm() {
    timer_.expires_after(std::chrono::milliseconds(std::clamp<std::int64_t>(periodic_.ms_until_next(), 1, 1000)));
    timer_.async_wait([this](const boost::system::error_code& e) {
      if (e) return;
      periodic_.run_due();
      arm();
    });
  }

  void tick() {
    if (store_.read_only()) return;  // its writes would be refused; the audit alert says why
    // The tick reads the study's grade >= 3 reports, clocks and events: seconds on a large study.
    if (ticking_.exchange(true)) return;
    boost::asio::post(scheduler_pool_, [this] {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        // One instance at a time (several pvmond on one PostgreSQL database).
        if (!store_.scheduler_turn()) {
          ticking_.store(false);
          return;
        }
        scheduler_tick(*holder_.get(), store_, clock_);
      } catch (const std::exception& ex) {
        spdlog::error("scheduler: {}", ex.what());
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      if (ms > 2000) spdlog::warn("scheduler: the tick took {} ms", ms);
      malloc_trim(0);  // its snapshot is gone: give the pages back rather than keep the high-water mark
      ticking_.store(false);
    });
  }

  void audit_rejected_tokens() {
    if (auditing_.exchange(true)) return;
    boost::asio::post(scheduler_pool_, [this] {
      try {
        audit_rejections_();
      } catch (const std::exception& ex) {
        spdlog::error("auth: rejected tokens not audited: {}", ex.what());
      }
      auditing_.store(false);
    });
  }

  void build_due_reports() {
    // Each due time comes from the database, so a restart neither loses nor repeats one; what
    // falls due while a build runs is picked up by the next pass.
    if (building_.exchange(true)) return;
    boost::asio::post(report_builder_, [this] {
      try {
        if (store_.read_only() || !store_.scheduler_turn()) {
          building_.store(false);
          return;
        }
        if (!service::run_dsmb_schedule(service::Context{*holder_.get(), store_, clock_}).empty())
          malloc_trim(0);  // a large study's snapshot is gone: give its pages back
      } catch (const std::exception& ex) {
        spdlog::error("scheduler: DSMB reports: {}", ex.what());
      }
      building_.store(false);
    });
  }

  static constexpr std::int64_t kAuthAuditMs = 5000;

  service::ConfigHolder& holder_;
  store::Store& store_;
  const Clock& clock_;
  std::function<void()> audit_rejections_;
  service::Periodic periodic_;
  boost::asio::steady_timer timer_;
  boost::asio::thread_pool report_builder_{1};
  boost::asio::thread_pool scheduler_pool_{1};
  std::atomic<bool> building_{false};
  std::atomic<bool> ticking_{false};
  std::atomic<bool> auditing_{false};
};

/// SIGHUP: the config is read again and swapped in whole, or, when it is rejected, the running
/// one keeps serving. Listening address, TLS, storage and HTTP limits need a restart; the rest
/// applies now. The new file passes the start-up checks as it stands, and again as it would run
/// (on the running socket: config::as_reloaded). The audit trail records that the rules of
/// access changed (never the tokens). While the audit trail failed its check, it is verified
/// again first (after `pvmon audit accept`), and writes resume when it holds.
void reload(const Options& opts, service::ConfigHolder& holder, store::Store& store, AuditGuard& audit) {
  if (audit.read_only()) audit.verify("reload");
  auto loaded = load_config(opts);
  if (!loaded) {
    spdlog::error("reload rejected, keeping the running config:\n{}", loaded.error().message);
    return;
  }
  auto cur = holder.get()->config;
  // Port 0 asks for any free port: the one bound (now in the running config) is that.
  if (loaded->listen_host != cur->listen_host || (loaded->listen_port != cur->listen_port && loaded->listen_port != 0))
    spdlog::warn("reload: listen {}:{} takes effect at the next restart; still listening on {}:{}",
                 loaded->listen_host, loaded->listen_port, cur->listen_host, cur->listen_port);
  auto next = config::as_reloaded(*cur, std::move(loaded.value()));
  if (!next) {
    spdlog::error("reload rejected, keeping the running config:\n{}", next.error().message);
    return;
  }
  auto rt = service::make_runtime(std::move(next.value()));
  if (!rt) {
    spdlog::error("reload rejected, keeping the running config:\n{}", rt.error().message);
    return;
  }
  holder.set(rt.value());
  record_protocols(*rt.value(), store);
  spdlog::info("config reloaded from {}", opts.config_path);
  json summary{{"source", opts.config_path},
               {"principals", rt.value()->config->principals.size()},
               {"studies", rt.value()->config->studies.size()},
               {"webhooks", rt.value()->config->webhooks.size()}};
  // What was loaded: the config file's bytes and each study protocol's (their SHA-256s).
  std::string loaded_text = crypto::file_sha256_hex(opts.config_path).value_or("unreadable");
  for (const auto& [id, st] : rt.value()->config->studies) loaded_text += "\x1f" + id + "=" + st.sha256;
  if (auto st = store.audit("config.reload", "config", summary.dump(), {"pvmond", ""},
                            crypto::sha256_hex(loaded_text));
      !st)
    spdlog::error("config reload not audited: {}", st.error().message);
}

/// Writes the bound address for scripts and tests: whole, then renamed, so a reader never sees
/// half an address. An error when the data dir cannot take it.
Status write_addr_file(const fs::path& path, const std::string& addr) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << addr << "\n";
    out.close();
    if (!out) return Error::of(Errc::unavailable, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Error::of(Errc::unavailable, "cannot write " + path.string() + ": " + ec.message());
  }
  return Ok{};
}

}  // namespace

Result<store::Options> store_options(const config::Config& cfg) {
  store::Options o;
  o.path = cfg.database_path();
  o.busy_timeout_ms = cfg.busy_timeout_ms;
  o.max_batch = cfg.writer_max_batch;
  o.readers = 4;
  o.delivery_lease_ms = static_cast<std::int64_t>(cfg.delivery_lease_seconds) * 1000;
  // One data folder per instance (README "Scaling out"): a restarted instance is the same one,
  // and sends what it had claimed before it died at once.
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(cfg.data_dir, ec);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  o.instance = std::string(host) + ":" + (ec ? cfg.data_dir : dir.string());
  if (!cfg.postgres()) return o;
  auto dsn = store::dsn_with_password(cfg.storage_dsn, cfg.storage_password_file);
  if (!dsn) return Error::of(dsn.error().code, "storage.password_file: " + dsn.error().message);
  o.dsn = std::move(*dsn);
  if (!cfg.storage_replica_dsn.empty()) {
    auto replica = store::dsn_with_password(cfg.storage_replica_dsn, cfg.storage_password_file);
    if (!replica) return Error::of(replica.error().code, "storage.password_file: " + replica.error().message);
    o.replica_dsn = std::move(*replica);
  }
  return o;
}

int check_config(const Options& opts, std::ostream& out, std::ostream& err) {
  auto cfg = load_config(opts);
  if (!cfg) {
    err << cfg.error().message << "\n";
    return 2;
  }
  if (auto rt = service::make_runtime(cfg.value()); !rt) {
    err << rt.error().message << "\n";
    return 2;
  }
  out << opts.config_path << ": OK (" << cfg->principals.size() << " principals, "
      << cfg->studies.size() << " studies)\n";
  return 0;
}

int run_daemon(const Options& opts) {
  // Until the config says how to log: stderr, like everything else the daemon says.
  if (!spdlog::get("pvmond-start")) spdlog::set_default_logger(spdlog::stderr_logger_mt("pvmond-start"));
  auto loaded = load_config(opts);
  if (!loaded) {
    spdlog::error("pvmond: configuration rejected:\n{}", loaded.error().message);
    return 2;
  }
  Logging logging;  // declared first: destroyed last, after the last request is logged
  setup_logging(loaded.value(), logging);
  auto runtime = service::make_runtime(loaded.value());
  if (!runtime) {
    spdlog::error("pvmond: configuration rejected:\n{}", runtime.error().message);
    return 2;
  }
  service::ConfigHolder holder(runtime.value());
  const auto cfg = holder.get()->config;

  std::error_code ec;
  fs::create_directories(cfg->data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data dir {}: {}", cfg->data_dir, ec.message());
    return 2;
  }
  // A database that cannot take writes is refused at start, not found out by the first
  // report: SQLite opens a read-only file read-only without a word.
  if (!cfg->postgres()) {
    if (auto st = store::check_storage(cfg->database_path(), 0); !st) {
      spdlog::error("pvmond: cannot write the database {}: {}", cfg->database_path(), st.error().message);
      return 2;
    }
  }
  auto store_options = app::store_options(*cfg);
  if (!store_options) {
    spdlog::error("pvmond: {}", store_options.error().message);
    return 2;
  }
  const std::string database =
      cfg->postgres() ? "PostgreSQL (" + store::redacted_dsn(cfg->storage_dsn) + ")" : cfg->database_path();
  SystemClock clock;
  // Before the store opens the file: whether it is what the last clean stop left.
  AuditGuard audit(clock);
  if (auto st = audit.configure(*cfg, store_options->dsn); !st) {
    spdlog::error("{}", st.error().message);
    return 2;
  }
  const bool unchanged = audit.unchanged_since_stop();
  auto store_or = store::Store::open(*store_options, clock);
  if (!store_or) {
    spdlog::error("{}", store_or.error().message);
    return 2;
  }
  auto& store = *store_or.value();
  if (auto st = store.check_writable(); !st) {
    spdlog::error("pvmond: cannot write the database {}: {}", database, st.error().message);
    return 2;
  }
  spdlog::info("database {} at schema version {}", database, store.schema_version());
  if (auto head = store.audit_head())
    spdlog::info("audit head seq={} sha256={}", head->first, head->second);
  // The endpoints first: the start's checkpoint goes out as a webhook too (delivered once the
  // dispatcher runs).
  auto endpoints = [&holder] { return holder.get()->config->webhooks; };
  store.set_endpoints(endpoints);
  // Before anything else writes: the trail as this process found it.
  audit.attach(store);
  audit.verify("start", unchanged);
  store.set_report_listener([&audit] { audit.checkpoint("dsmb_report", true); });
  if (!audit.read_only()) record_protocols(*holder.get(), store);

  boost::asio::io_context io;
  // Webhooks: every alert committed is in the outbox; the dispatcher delivers it on its own
  // threads, woken after each commit that queued something, and on start-up for what a crash
  // or a stop left undelivered.
  notify::HttpWebhookSender sender;
  notify::Dispatcher dispatcher(io, store.outbox(), sender, endpoints, clock,
                                static_cast<std::size_t>(cfg->delivery_workers), cfg->webhook_retry);
  store.set_outbox_listener([&dispatcher] { dispatcher.wake(); });
  dispatcher.start();

  // Each connection takes a descriptor: the soft limit goes up to the hard one (systemd's
  // LimitNOFILE sets that), and the connection limit stays under it with room for the
  // database, its WAL, the logs and the webhooks' sockets.
  const std::size_t descriptors = http::raise_descriptor_limit();
  config::Config server_cfg = *cfg;
  if (const auto room = descriptors > 256 ? descriptors - 256 : 1;
      static_cast<std::size_t>(cfg->http.max_connections) > room) {
    spdlog::warn("http.max_connections {} is above what {} descriptors allow: {} it is", cfg->http.max_connections,
                 descriptors, room);
    server_cfg.http.max_connections = static_cast<int>(room);
  }
  spdlog::info("descriptors: {}; connections at most {} ({} per address)", descriptors,
               server_cfg.http.max_connections, server_cfg.http.max_connections_per_address);
  auto server = http::Server::create(io, server_cfg, holder, store, clock, logging.access);
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 2;
  }
  auto bound = server.value()->bind(cfg->listen_host, cfg->listen_port);
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 2;
  }
  const std::string addr = bound.value();
  {
    // Links built from the listen address (a dsmb.report webhook's URL when public_url is unset)
    // name the port bound, not `listen`'s port 0, and for a wildcard listen the machine's name.
    // Reloads keep them (config::as_reloaded).
    auto rt = std::make_shared<service::Runtime>(*holder.get());
    auto bound_cfg = std::make_shared<config::Config>(*rt->config);
    bound_cfg->listen_port = std::stoi(addr.substr(addr.rfind(':') + 1));
    bound_cfg->link_base = config::link_base_of(*bound_cfg, boost::asio::ip::host_name());
    if (bound_cfg->public_url.empty() && config::is_wildcard(bound_cfg->listen_host))
      spdlog::warn("public_url is unset: links in webhooks name this machine as {}; set public_url to the address "
                   "receivers reach pvmond at",
                   bound_cfg->link_base);
    rt->config = std::move(bound_cfg);
    holder.set(std::move(rt));
  }
  if (auto st = write_addr_file(fs::path(cfg->data_dir) / "pvmond.addr", addr); !st) {
    spdlog::error("pvmond: {}", st.error().message);
    return 2;
  }

  Background background(io, holder, store, clock, audit,
                        [&server] { server.value()->audit_auth_failures(false); });
  background.start();
  server.value()->start();
  spdlog::info("pvmond listening on {}://{} ({} studies, {} principals)", cfg->tls ? "https" : "http", addr,
               cfg->studies.size(), cfg->principals.size());
  auto notifier = SystemdNotifier::from_environment();
  notifier.ready(std::string("listening on ") + (cfg->tls ? "https://" : "http://") + addr);
  if (notifier.failed()) spdlog::warn("systemd: cannot notify $NOTIFY_SOCKET; readiness not reported");
  // Pinged from the io thread, so a stuck io loop stops the pings and systemd restarts us.
  boost::asio::steady_timer watchdog_timer(io);
  std::function<void()> schedule_watchdog = [&] {
    const auto period = notifier.watchdog_interval();
    if (!period) return;
    watchdog_timer.expires_after(*period);
    watchdog_timer.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      notifier.watchdog();
      schedule_watchdog();
    });
  };
  schedule_watchdog();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& e, int sig) {
        if (e) return;
        if (sig == SIGHUP) {
          notifier.reloading();
          reload(opts, holder, store, audit);
          notifier.ready();  // also after a rejected reload: the old config is still serving
          signals.async_wait(on_signal);
          return;
        }
        if (stopping) {
          spdlog::info("signal {} again: stopping now", sig);
          io.stop();
          return;
        }
        stopping = true;
        spdlog::info("signal {}: stopping (finishing in-flight requests)", sig);
        notifier.stopping();
        // No new connection or request; those under way are answered, then the loop ends.
        server.value()->shutdown(std::chrono::seconds(10), [&io] { io.stop(); });
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  io.run();

  server.value()->stop();  // workers finish what they hold; nothing more is accepted
  // No new periodic run; a report being built is stored and a tick under way ends.
  background.stop();
  // No request is served any more: the minute under way is audited too.
  server.value()->audit_auth_failures(true);
  watchdog_timer.cancel();
  io.restart();
  // Sends in flight finish within their endpoint timeouts; what is not delivered stays in the
  // outbox and goes out after the next start (at least once).
  std::thread io_thread([&io] { io.run_for(std::chrono::seconds(12)); });
  dispatcher.stop();
  io.stop();
  io_thread.join();
  store.set_report_listener(nullptr);
  const bool was_read_only = audit.read_only();
  store.close();  // commits what is queued; the WAL goes into the file
  // The last audit row this process wrote, and the file's bytes, signed: rows after it were
  // written by something else, and the next start that finds the same bytes need not verify.
  if (!was_read_only) audit.stop_checkpoint();
  logging.drain();  // every request's line before the last line
  spdlog::info("pvmond stopped cleanly");
  return 0;
}

}  // namespace pvmon::app
