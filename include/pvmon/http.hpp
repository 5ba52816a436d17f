// pvmon::http — the HTTP API: one route table (method, path, roles, handler), bearer-token
// authentication, RFC 9457 problem+json errors and per-request logging. Handlers run on
// cpp-httplib worker threads; each has one top-level catch. Error codes map to HTTP statuses
// in exactly one place (status_of).
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "pvmon/boundary.hpp"
#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace spdlog {
class logger;
}

namespace pvmon::http {

int status_of(Errc code);

/// The caller, after authentication.
struct Principal {
  std::string name;
  config::Role role = config::Role::site;
  std::string site;
};

/// The config in force and what is derived from it (per-study term resolvers with the
/// protocol's own terms). Immutable; built at start-up and on reload.
/// A stopping rule with its boundary table and operating characteristics, computed once at
/// start-up and on reload.
struct Boundary {
  safety::StoppingRule rule;
  std::vector<stats::BoundaryRow> rows;
  std::vector<stats::OcRow> oc;
  double type1_error = 0, power = 0;
};

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::map<std::string, std::shared_ptr<const ctcae::Resolver>> resolvers;  // by study id
  std::map<std::string, std::vector<Boundary>> boundaries;                   // by study id
};

/// Builds the runtime; an error names the study whose protocol terms clash with CTCAE.
Result<std::shared_ptr<const Runtime>> make_runtime(config::Config c);

/// Swapped whole on reload; handlers take a snapshot per request without blocking.
class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const Runtime> r) : rt_(std::move(r)) {}
  std::shared_ptr<const Runtime> get() const {
    std::lock_guard lock(mu_);
    return rt_;
  }
  void set(std::shared_ptr<const Runtime> r) {
    std::lock_guard lock(mu_);
    rt_ = std::move(r);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Runtime> rt_;
};

/// What a handler sees.
struct Call {
  const httplib::Request& req;
  Principal principal;
  std::vector<std::string> params;  // path captures, in order
  std::shared_ptr<const Runtime> runtime;
  const config::Config* config;  // = runtime->config.get()
  std::string request_id;
};

/// What a handler returns: a status with a JSON body, or an error.
struct Reply {
  int status = 200;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::optional<std::string> raw_body;  // sent as is when set (CSV, HTML, metrics)
};

using Handler = std::function<Result<Reply>(Call&)>;

struct Route {
  std::string method;
  std::string path;  // template as documented: /v1/studies/{study}/ae/{id}
  std::vector<config::Role> roles;  // empty: no authentication (health probes)
  Handler handler;
  std::regex re;  // compiled from path
};

struct Services {
  ConfigHolder& config;
  store::Store& store;
  const Clock& clock;
};

class RateLimiter;

class Api {
 public:
  explicit Api(Services s);
  /// Registers the catch-all dispatcher, error and exception handlers and the logger, which
  /// writes each request's line to `access_log` (the default logger when null).
  void install(httplib::Server& server, std::shared_ptr<spdlog::logger> access_log = nullptr);
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void add(std::string method, std::string path, std::vector<config::Role> roles, Handler h);
  void dispatch(const httplib::Request& req, httplib::Response& res);

  Services s_;
  std::vector<Route> routes_;
  std::shared_ptr<RateLimiter> limiter_;  // per principal (rate_limit.hpp)
};

/// The scheduler's alerts for a study as of `now`: crossed stopping boundaries (once per rule:
/// the dedupe key) and reporting clocks due soon or overdue. Pure.
std::vector<store::AlertRecord> scheduled_alerts(const Runtime& rt, const config::Study& st,
                                                 const store::Snapshot& snap, Timestamp now);

/// The snapshot scheduled_alerts needs as of `now`, and no more (SnapshotOptions::scheduler):
/// the interventions of the study's grade >= 3 stopping rules, and the clocks due within the
/// warning hours. Its cost does not grow with the number of reports.
store::Store::SnapshotOptions scheduler_snapshot_options(const Runtime& rt, const config::Study& st,
                                                         Timestamp now);

// ---- DSMB reports (dsmb.cpp) -------------------------------------------------------------

/// Builds, without storing, the report of `st` for `cutoff` from the data recorded by then. Its
/// number and period follow the reports stored with an earlier cut-off (or, when one is stored
/// for this very cut-off, repeat its own), so a rebuild gives the same bytes and SHA-256.
Result<store::DsmbReportDraft> build_dsmb_report(const Runtime& rt, const config::Study& st,
                                                 store::Store& store, Timestamp cutoff,
                                                 const std::string& trigger);
/// Builds and stores the report for `cutoff`, unless one is stored for it already (then that
/// one is returned with `created` false). Logs the audit head hash after storing, so a rewrite
/// of the whole audit table is detectable from the logs.
struct MadeReport {
  store::DsmbReportRow row;
  bool created = true;
};
Result<MadeReport> make_dsmb_report(const Runtime& rt, const config::Study& st, store::Store& store,
                                    Timestamp cutoff, const std::string& trigger,
                                    const store::Actor& actor);
/// The cut-off of the scheduled report due at `now`, if one is: the latest due time of the
/// study's schedule after the newest stored report (or, before any, after the study was first
/// seen). Several due times missed while the daemon was down give one report, for the latest.
std::optional<Timestamp> dsmb_due(const config::Study& st,
                                  const std::optional<store::DsmbReportRow>& latest,
                                  Timestamp first_seen, Timestamp now);
/// Every CSV table of a report in one zip whose entries carry `when` as their time, so the same
/// report always gives the same bytes.
Result<std::string> csv_zip(const std::vector<std::pair<std::string, std::string>>& files, Timestamp when);

/// The subjects of a snapshot for the SDTM AE export, each with its RFSTDTC.
std::vector<interop::SdtmSubject> sdtm_subjects(const store::Snapshot& snap);

/// One scheduler pass over every study with a schedule: builds what is due. Returns the
/// reports built.
std::vector<store::DsmbReportRow> run_dsmb_schedule(const Runtime& rt, store::Store& store,
                                                    const Clock& clock);

/// Sets res to an RFC 9457 problem document.
void write_problem(httplib::Response& res, const Error& e, const std::string& instance,
                   const std::string& request_id);

}  // namespace pvmon::http
