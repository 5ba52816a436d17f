// pvmon::http — the HTTP API: one route table (method, path, roles, handler), bearer-token
// authentication, RFC 9457 problem+json errors and per-request logging. Handlers only translate
// HTTP to and from pvmon::service's use cases; they see pvmon's own Request, never a transport's
// type. Each request is an Exchange of the front door (front_door.hpp): its route, principal and
// rate are judged from the headers alone (on the io thread, before any body is read), its
// handler runs on a worker thread with one top-level catch. Error codes map to HTTP statuses in
// exactly one place (status_of).
#pragma once

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
#include "front_door.hpp"
#include "request.hpp"

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
  const Request& req;
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
  /// A safety desk page (routes_desk.cpp): `roles` stay empty and its handler checks the session
  /// cookie and the roles desk_routes gives it; a bearer token is never looked at, as a cookie is
  /// never looked at on the API's routes.
  bool session = false;
};

class RateLimiter;
class AuthFailures;

struct Services {
  service::ConfigHolder& config;
  store::Store& store;
  const Clock& clock;
  /// Rejected authentications per address (the Api's): the desk's sign-in counts its failures
  /// where the API counts a bad bearer token.
  AuthFailures* auth_failures = nullptr;
  /// Requests per principal (the Api's): a desk session's pages draw on its principal's budget.
  RateLimiter* limiter = nullptr;
};

/// The principal whose token this is (its SHA-256 compared with every configured hash, in
/// constant time), as the API authenticates a bearer token and the desk a sign-in.
std::optional<Principal> authenticate_token(std::string_view token, const config::Config& cfg);

class ApiExchange;

class Api {
 public:
  /// Each request's line goes to `access_log` (the default logger when null).
  explicit Api(Services s, std::shared_ptr<spdlog::logger> access_log = nullptr);
  /// One request's exchange, for the front door.
  std::unique_ptr<Exchange> exchange();
  const std::vector<Route>& routes() const { return routes_; }
  /// Writes one `auth.rejected` audit row per address and minute of rejected tokens whose
  /// minute is over (every one when `all`: at shutdown, once no request is served).
  void audit_auth_failures(bool all);

 private:
  friend class ApiExchange;
  void add(std::string method, std::string path, std::vector<config::Role> roles, Handler h, bool session);
  /// A principal's rate-limit line is due (at most one per 10 s): how many were not logged.
  std::optional<std::int64_t> rate_log_due(const std::string& principal, std::int64_t now_ms);

  Services s_;
  std::mutex rate_log_mu_;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> rate_log_;  // last line (ms), skipped since
  std::shared_ptr<spdlog::logger> access_log_;
  std::vector<Route> routes_;
  std::shared_ptr<RateLimiter> limiter_;  // per principal (rate_limit.hpp)
  std::shared_ptr<AuthFailures> auth_failures_;  // per source address (auth_failures.hpp)
};

/// An RFC 9457 problem document (a FHIR OperationOutcome for a FHIR client) with `status`.
Response problem(int status, const Error& e, const std::string& instance, const std::string& request_id, bool fhir);

}  // namespace pvmon::http
