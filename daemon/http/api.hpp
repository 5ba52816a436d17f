// pvmon::http — the HTTP API: one route table (method, path, roles, handler), bearer-token
// authentication, RFC 9457 problem+json errors and per-request logging. Handlers only translate
// HTTP to and from pvmon::service's use cases. They run on cpp-httplib worker threads; each has
// one top-level catch. Error codes map to HTTP statuses in exactly one place (status_of).
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

#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/service/runtime.hpp"
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

/// What a handler sees.
struct Call {
  const httplib::Request& req;
  Principal principal;
  std::vector<std::string> params;  // path captures, in order
  std::shared_ptr<const service::Runtime> runtime;
  const config::Config* config;  // = runtime->config.get()
  std::string request_id;
  const Clock* clock = nullptr;
  store::Store* store = nullptr;

  /// What the use cases take: the config in force for this request, the store, the clock.
  service::Context context() const { return service::Context{*runtime, *store, *clock}; }
  service::Caller caller() const { return service::Caller{principal.name, principal.role, principal.site}; }
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
  service::ConfigHolder& config;
  store::Store& store;
  const Clock& clock;
};

class RateLimiter;
class AuthFailures;

class Api {
 public:
  explicit Api(Services s);
  /// Registers the catch-all dispatcher, error and exception handlers and the logger, which
  /// writes each request's line to `access_log` (the default logger when null).
  void install(httplib::Server& server, std::shared_ptr<spdlog::logger> access_log = nullptr);
  const std::vector<Route>& routes() const { return routes_; }
  /// Writes one `auth.rejected` audit row per address and minute of rejected tokens whose
  /// minute is over (every one when `all`: at shutdown, once no request is served).
  void audit_auth_failures(bool all);

 private:
  void add(std::string method, std::string path, std::vector<config::Role> roles, Handler h);
  void dispatch(const httplib::Request& req, httplib::Response& res);

  Services s_;
  std::vector<Route> routes_;
  std::shared_ptr<RateLimiter> limiter_;  // per principal (rate_limit.hpp)
  std::shared_ptr<AuthFailures> auth_failures_;  // per source address (auth_failures.hpp)
};

/// Sets res to an RFC 9457 problem document.
void write_problem(httplib::Response& res, const Error& e, const std::string& instance,
                   const std::string& request_id);

}  // namespace pvmon::http
