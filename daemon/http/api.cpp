#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "pvmon/crypto.hpp"
#include "api.hpp"
#include "auth_failures.hpp"
#include "metrics.hpp"
#include "pvmon/interop.hpp"
#include "rate_limit.hpp"
#include "routes.hpp"

namespace pvmon::http {

using nlohmann::json;

int status_of(Errc code) {
  switch (code) {
    case Errc::invalid: return 422;
    case Errc::malformed: return 400;
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::unauthorized: return 401;
    case Errc::forbidden: return 403;
    case Errc::payload_too_large: return 413;
    case Errc::unsupported_media: return 415;
    case Errc::method_not_allowed: return 405;
    case Errc::rate_limited: return 429;
    case Errc::unavailable: return 503;
    case Errc::internal: return 500;
  }
  return 500;
}

namespace {

const char* title_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

const char* type_of(int status) {
  switch (status) {
    case 400: return "urn:pvmon:problem:malformed";
    case 401: return "urn:pvmon:problem:unauthorized";
    case 403: return "urn:pvmon:problem:forbidden";
    case 404: return "urn:pvmon:problem:not-found";
    case 405: return "urn:pvmon:problem:method-not-allowed";
    case 409: return "urn:pvmon:problem:conflict";
    case 413: return "urn:pvmon:problem:payload-too-large";
    case 415: return "urn:pvmon:problem:unsupported-media-type";
    case 422: return "urn:pvmon:problem:validation";
    case 429: return "urn:pvmon:problem:rate-limited";
    case 503: return "urn:pvmon:problem:unavailable";
    default: return "about:blank";
  }
}

/// Per-request facts the logger needs; the same worker thread handles a request from the
/// pre-routing handler to the logger.
struct RequestScope {
  std::chrono::steady_clock::time_point start;
  std::string id;
  std::string route;
  std::string principal;
  bool fhir = false;  // a FHIR exchange: errors are OperationOutcome resources
};
thread_local RequestScope t_scope;

/// A FHIR client: it sends or asks for application/fhir+json, or calls a /fhir/ route.
bool is_fhir_request(const httplib::Request& req) {
  const std::string fhir = interop::fhir::kMediaType;
  return req.get_header_value("Content-Type").find(fhir) != std::string::npos ||
         req.get_header_value("Accept").find(fhir) != std::string::npos ||
         req.path.find("/fhir/") != std::string::npos;
}

std::string new_request_id() { return crypto::hex_encode(crypto::random_bytes(8)); }

std::regex compile(const std::string& path) {
  // {name} captures one path segment; everything else is literal.
  std::string re = "^";
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '{') {
      i = path.find('}', i);
      re += "([^/]+)";
    } else if (std::string_view(".^$|()[]*+?\\").find(c) != std::string_view::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return std::regex(re + "$");
}

std::optional<Principal> authenticate(const httplib::Request& req, const config::Config& cfg) {
  const std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0) return {};
  const std::string hash = crypto::sha256_hex(std::string_view(h).substr(kBearer.size()));
  std::optional<Principal> found;
  // Every principal is compared, in constant time, whatever matched earlier.
  for (const auto& p : cfg.principals)
    if (crypto::constant_time_equal(hash, p.token_sha256)) found = Principal{p.name, p.role, p.site};
  return found;
}

}  // namespace

void write_problem(httplib::Response& res, const Error& e, const std::string& instance,
                   const std::string& request_id) {
  const int status = status_of(e.code);
  if (t_scope.fhir) {
    res.status = status;
    res.set_content(interop::fhir::operation_outcome(e).dump(-1, ' ', false, json::error_handler_t::replace),
                    interop::fhir::kMediaType);
    return;
  }
  json errors = json::array();
  for (const auto& f : e.fields) errors.push_back({{"field", f.field}, {"message", f.message}});
  json body{{"type", type_of(status)},
            {"title", title_of(status)},
            {"status", status},
            {"detail", e.message},
            {"instance", instance},
            {"request_id", request_id},
            {"errors", errors}};
  res.status = status;
  // A detail may quote the client's bytes (a JSON parse error does): invalid UTF-8 is replaced,
  // never thrown on.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/problem+json");
}

Api::Api(Services s) : s_(s) {
  // HTTP settings need a restart, so the limits of the config at start-up hold.
  const auto& h = s_.config.get()->config->http;
  limiter_ = std::make_shared<RateLimiter>(h.rate_limit_per_second, h.rate_limit_burst);
  auth_failures_ = std::make_shared<AuthFailures>(s_.clock);
  for (auto& r : build_routes(s_)) add(r.method, r.path, r.roles, std::move(r.handler));
}

void Api::add(std::string method, std::string path, std::vector<config::Role> roles, Handler h) {
  Route r{std::move(method), path, std::move(roles), std::move(h), compile(path)};
  routes_.push_back(std::move(r));
}

void Api::install(httplib::Server& server, std::shared_ptr<spdlog::logger> access_log) {
  if (!access_log) access_log = spdlog::default_logger();
  auto d = [this](const httplib::Request& req, httplib::Response& res) { dispatch(req, res); };
  server.Get(".*", d);
  server.Post(".*", d);
  server.Put(".*", d);
  server.Patch(".*", d);
  server.Delete(".*", d);
  server.Options(".*", d);

  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    t_scope = RequestScope{std::chrono::steady_clock::now(), new_request_id(), "", "", is_fhir_request(req)};
    res.set_header("X-Request-Id", t_scope.id);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors raised by cpp-httplib itself (413 over the payload limit, 400 unreadable request)
  // get a problem document like every other error.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    if (!res.body.empty()) return HR::Unhandled;
    Errc code = Errc::internal;
    std::string detail = "request failed";
    switch (res.status) {
      case 413:
        code = Errc::payload_too_large;
        detail = "the body is larger than the configured limit";
        break;
      case 400:
        code = Errc::malformed;
        detail = "the request could not be read";
        break;
      case 404:
        code = Errc::not_found;
        detail = "no such route";
        break;
      default:
        break;
    }
    const int keep = res.status;
    if (t_scope.id.empty()) t_scope.id = new_request_id();
    write_problem(res, Error::of(code, detail), req.path, t_scope.id);
    if (code == Errc::internal) res.status = keep;
    return HR::Handled;
  }));
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
          what = "non-standard exception";
        }
        spdlog::error("request {} {} {} failed: {}", t_scope.id, req.method, req.path, what);
        write_problem(res, Error::of(Errc::internal, "internal error"), req.path, t_scope.id);
      });
  server.set_logger([access_log](const httplib::Request& req, const httplib::Response& res) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - t_scope.start)
                        .count();
    metrics().observe(req.method, t_scope.route.empty() ? std::string("-") : t_scope.route,
                      res.status, static_cast<double>(us) / 1e6);
    // Never the token, never the body: only what identifies the request.
    access_log->info("http {} {} {} {:.3f}ms id={} principal={}", req.method,
                 t_scope.route.empty() ? std::string("-") : t_scope.route, res.status,
                 static_cast<double>(us) / 1000.0, t_scope.id,
                 t_scope.principal.empty() ? "-" : t_scope.principal);
  });
}

void Api::dispatch(const httplib::Request& req, httplib::Response& res) {
  const std::string& rid = t_scope.id;
  std::smatch m;
  const Route* match = nullptr;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!std::regex_match(req.path, m, r.re)) continue;
    if (r.method == req.method) {
      match = &r;
      break;
    }
    // Two templates can match one path (/latest and /{id}): each method once.
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) allowed.push_back(r.method);
  }
  if (!match) {
    if (!allowed.empty()) {
      std::string allow;
      for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
      res.set_header("Allow", allow);
      write_problem(res,
                    Error::of(Errc::method_not_allowed,
                              req.method + " is not allowed here; allowed: " + allow),
                    req.path, rid);
    } else {
      write_problem(res, Error::of(Errc::not_found, "no such route"), req.path, rid);
    }
    return;
  }
  t_scope.route = match->path;
  auto rt = s_.config.get();
  const config::Config* cfg = rt->config.get();
  Call call{req, {}, {}, rt, cfg, rid, &s_.clock, &s_.store};
  for (std::size_t i = 1; i < m.size(); ++i) call.params.push_back(m[i].str());

  if (!match->roles.empty()) {
    const std::int64_t now_ms = s_.clock.now().ms;
    // Every request is judged by its own token: throttling an address refuses only its failing
    // requests (a proxy's address is every client's), never a valid token.
    auto p = authenticate(req, *cfg);
    if (!p) {
      const auto v = auth_failures_->fail(req.remote_addr);
      // Counted for the audit trail (one row per address and minute, Api::audit_auth_failures);
      // logged once per address and minute, and when the address starts getting 429.
      if (v.first || v.throttle_began)
        spdlog::warn("auth: rejected token from {} on {} {} (id={}); {}", req.remote_addr, req.method,
                     match->path, rid,
                     v.throttle_began ? fmt::format("more than {} this minute: its failing requests get 429",
                                                    AuthFailures::kLimit)
                                      : std::string("more from this address this minute are counted, not logged"));
      if (v.throttled) {
        res.set_header("Retry-After", std::to_string(v.retry_after_s));
        write_problem(res,
                      Error::of(Errc::rate_limited, "too many failed authentications from this address"),
                      req.path, rid);
        return;
      }
      res.set_header("WWW-Authenticate", "Bearer realm=\"pvmon\"");
      write_problem(res, Error::of(Errc::unauthorized, "a valid bearer token is required"),
                    req.path, rid);
      return;
    }
    t_scope.principal = p->name;
    if (int wait_s = 0; !limiter_->allow(p->name, now_ms, wait_s)) {
      spdlog::warn("rate limit: {} over {} requests/s on {} {} (id={})", p->name,
                   cfg->http.rate_limit_per_second, req.method, match->path, rid);
      res.set_header("Retry-After", std::to_string(wait_s));
      write_problem(res, Error::of(Errc::rate_limited, "too many requests from this principal"), req.path, rid);
      return;
    }
    bool ok = false;
    for (auto role : match->roles) ok = ok || role == p->role;
    if (!ok) {
      write_problem(res,
                    Error::of(Errc::forbidden, std::string("role ") + config::to_string(p->role) +
                                                   " may not " + req.method + " " + match->path),
                    req.path, rid);
      return;
    }
    call.principal = *p;
  }

  Result<Reply> out = Error::of(Errc::internal, "no reply");
  try {
    out = match->handler(call);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed: {}", rid, req.method, match->path, e.what());
    out = Error::of(Errc::internal, "internal error");
  }
  if (!out) {
    // The operator needs the reason for a server-side failure (storage full, database locked);
    // client errors are the client's and stay at the request line.
    if (status_of(out.error().code) >= 500)
      spdlog::error("request {} {} {}: {}", rid, req.method, match->path, out.error().message);
    write_problem(res, out.error(), req.path, rid);
    return;
  }
  Reply& r = out.value();
  res.status = r.status;
  for (auto& [k, v] : r.headers) res.set_header(k, v);
  if (r.raw_body)
    res.set_content(*r.raw_body, r.content_type);
  else
    res.set_content(r.body.dump(-1, ' ', false, json::error_handler_t::replace), r.content_type);
}

void Api::audit_auth_failures(bool all) {
  for (const auto& w : auth_failures_->take_closed(all)) {
    // Who and when, how many; never a token.
    json what{{"remote_addr", w.addr},
              {"from", format_timestamp(Timestamp{w.start_ms})},
              {"to", format_timestamp(Timestamp{w.end_ms})},
              {"count", w.count},
              {"throttled", w.throttled}};
    if (auto st = s_.store.audit("auth.rejected", "auth/" + w.addr, what.dump(), {"-", ""}); !st)
      spdlog::error("auth: {} rejected token(s) from {} not audited: {}", w.count, w.addr, st.error().message);
  }
}

}  // namespace pvmon::http
