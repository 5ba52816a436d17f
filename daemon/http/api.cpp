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
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
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
    case 408: return "urn:pvmon:problem:timeout";
    case 409: return "urn:pvmon:problem:conflict";
    case 413: return "urn:pvmon:problem:payload-too-large";
    case 415: return "urn:pvmon:problem:unsupported-media-type";
    case 417: return "urn:pvmon:problem:expectation-failed";
    case 422: return "urn:pvmon:problem:validation";
    case 429: return "urn:pvmon:problem:rate-limited";
    case 431: return "urn:pvmon:problem:header-too-large";
    case 503: return "urn:pvmon:problem:unavailable";
    case 505: return "urn:pvmon:problem:http-version";
    default: return "about:blank";
  }
}

/// The error code of a status the front door refuses with (FHIR clients get its outcome).
Errc code_of_status(int status) {
  switch (status) {
    case 413: return Errc::payload_too_large;
    case 503: return Errc::unavailable;
    case 500: return Errc::internal;
    default: return Errc::malformed;
  }
}

/// A FHIR client: it sends or asks for application/fhir+json, or calls a /fhir/ route.
bool is_fhir_request(const Request& req) {
  const std::string fhir = interop::fhir::kMediaType;
  return req.header("Content-Type").find(fhir) != std::string::npos ||
         req.header("Accept").find(fhir) != std::string::npos || req.path.find("/fhir/") != std::string::npos;
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

std::optional<Principal> authenticate(const Request& req, const config::Config& cfg) {
  const std::string& h = req.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0) return {};
  return authenticate_token(std::string_view(h).substr(kBearer.size()), cfg);
}

}  // namespace

std::optional<Principal> authenticate_token(std::string_view token, const config::Config& cfg) {
  if (token.empty()) return {};
  const std::string hash = crypto::sha256_hex(token);
  std::optional<Principal> found;
  // Every principal is compared, in constant time, whatever matched earlier.
  for (const auto& p : cfg.principals)
    if (crypto::constant_time_equal(hash, p.token_sha256)) found = Principal{p.name, p.role, p.site};
  return found;
}

Response problem(int status, const Error& e, const std::string& instance, const std::string& request_id, bool fhir) {
  Response res;
  res.status = status;
  res.set_header("X-Request-Id", request_id);
  if (fhir) {
    res.set_content(interop::fhir::operation_outcome(e).dump(-1, ' ', false, json::error_handler_t::replace),
                    interop::fhir::kMediaType);
    return res;
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
  // A detail may quote the client's bytes (a JSON parse error does): invalid UTF-8 is replaced,
  // never thrown on.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/problem+json");
  return res;
}

/// One request through the API: judged from its headers (route, token, rate, role), handled,
/// logged. Its facts (id, start, route, principal) live here from the header to the log line.
class ApiExchange final : public Exchange {
 public:
  explicit ApiExchange(Api& api) : api_(api), start_(std::chrono::steady_clock::now()), id_(new_request_id()) {}

  std::optional<Response> admit(const Request& req) override {
    fhir_ = is_fhir_request(req);
    // HEAD is GET without the body (RFC 9110 §9.3.2).
    const std::string& method = req.method == "HEAD" ? kGet : req.method;
    std::smatch m;
    std::vector<std::string> allowed;
    for (const auto& r : api_.routes_) {
      if (!std::regex_match(req.path, m, r.re)) continue;
      if (r.method == method) {
        match_ = &r;
        break;
      }
      // Two templates can match one path (/latest and /{id}): each method once.
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) allowed.push_back(r.method);
    }
    if (!match_) {
      if (allowed.empty()) return fail(req, Error::of(Errc::not_found, "no such route"));
      std::string allow;
      for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
      auto res = fail(req, Error::of(Errc::method_not_allowed, req.method + " is not allowed here; allowed: " + allow));
      res.set_header("Allow", allow);
      return res;
    }
    route_ = match_->path;
    for (std::size_t i = 1; i < m.size(); ++i) params_.push_back(m[i].str());
    runtime_ = api_.s_.config.get();
    // Desk pages authenticate by their session, in their handler: never by a bearer token here.
    if (match_->roles.empty() || match_->session) return std::nullopt;

    const config::Config& cfg = *runtime_->config;
    const std::int64_t now_ms = api_.s_.clock.now().ms;
    // Every request is judged by its own token: throttling an address refuses only its failing
    // requests (a proxy's address is every client's), never a valid token.
    auto p = authenticate(req, cfg);
    if (!p) {
      const auto v = api_.auth_failures_->fail(req.remote_addr);
      // Counted for the audit trail (one row per address and minute, Api::audit_auth_failures);
      // logged once per address and minute, and when the address starts getting 429.
      if (v.first || v.throttle_began)
        spdlog::warn("auth: rejected token from {} on {} {} (id={}); {}", req.remote_addr, req.method,
                     match_->path, id_,
                     v.throttle_began ? fmt::format("more than {} this minute: its failing requests get 429",
                                                    AuthFailures::kLimit)
                                      : std::string("more from this address this minute are counted, not logged"));
      if (v.throttled) {
        auto res = fail(req, Error::of(Errc::rate_limited, "too many failed authentications from this address"));
        res.set_header("Retry-After", std::to_string(v.retry_after_s));
        return res;
      }
      auto res = fail(req, Error::of(Errc::unauthorized, "a valid bearer token is required"));
      res.set_header("WWW-Authenticate", "Bearer realm=\"pvmon\"");
      return res;
    }
    principal_ = p->name;
    if (int wait_s = 0; !api_.limiter_->allow(p->name, now_ms, wait_s)) {
      // This runs on the io thread: a principal over its rate is logged once per 10 s, not
      // once per request.
      if (const auto skipped = api_.rate_log_due(p->name, now_ms))
        spdlog::warn("rate limit: {} over {} requests/s on {} {} (id={}; {} more since the last line)", p->name,
                     cfg.http.rate_limit_per_second, req.method, match_->path, id_, *skipped);
      auto res = fail(req, Error::of(Errc::rate_limited, "too many requests from this principal"));
      res.set_header("Retry-After", std::to_string(wait_s));
      return res;
    }
    bool ok = false;
    for (auto role : match_->roles) ok = ok || role == p->role;
    if (!ok)
      return fail(req, Error::of(Errc::forbidden, std::string("role ") + config::to_string(p->role) + " may not " +
                                                      req.method + " " + match_->path));
    who_ = *p;
    return std::nullopt;
  }

  Response handle(const Request& req) override {
    Call call{req, who_, params_, runtime_, runtime_->config.get(), id_, &api_.s_.clock, &api_.s_.store};
    Result<Reply> out = Error::of(Errc::internal, "no reply");
    try {
      out = match_->handler(call);
      // A desk page names its session's principal in the call (with_session).
      if (principal_.empty()) principal_ = call.principal.name;
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {} failed: {}", id_, req.method, match_->path, e.what());
      out = Error::of(Errc::internal, "internal error");
    }
    if (!out) {
      // The operator needs the reason for a server-side failure (storage full, database locked);
      // client errors are the client's and stay at the request line.
      if (status_of(out.error().code) >= 500)
        spdlog::error("request {} {} {}: {}", id_, req.method, match_->path, out.error().message);
      return fail(req, out.error());
    }
    Reply& r = out.value();
    Response res;
    res.status = r.status;
    res.set_header("X-Request-Id", id_);
    // Set-Cookie is the one field sent once per cookie, never folded (RFC 6265 §3); each other field
    // is set once.
    for (auto& [k, v] : r.headers) {
      if (iequals(k, "Set-Cookie"))
        res.headers.emplace_back(k, std::move(v));
      else
        res.set_header(k, std::move(v));
    }
    if (r.raw_body)
      res.set_content(std::move(*r.raw_body), r.content_type);
    else
      res.set_content(r.body.dump(-1, ' ', false, json::error_handler_t::replace), r.content_type);
    return res;
  }

  Response refuse(const Request* head, int status, std::string_view detail) override {
    if (head) fhir_ = fhir_ || is_fhir_request(*head);
    return problem(status, Error::of(code_of_status(status), std::string(detail)), head ? head->path : std::string("-"),
                   id_, fhir_);
  }

  void finished(const Request* head, const Response& res) override {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
    const std::string method = head ? head->method : std::string("-");
    const std::string route = route_.empty() ? std::string("-") : route_;
    // A label per method a client can make up would grow the metrics without bound: the
    // methods of HTTP (RFC 9110 §9) are counted by name, any other as "other".
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "-"};
    const bool known = std::find(std::begin(kMethods), std::end(kMethods), method) != std::end(kMethods);
    metrics().observe(known ? method : std::string("other"), route, res.status, static_cast<double>(us) / 1e6);
    // Never the token, never the body: only what identifies the request.
    api_.access_log_->info("http {} {} {} {:.3f}ms id={} principal={}", method, route, res.status,
                           static_cast<double>(us) / 1000.0, id_, principal_.empty() ? "-" : principal_);
  }

 private:
  inline static const std::string kGet = "GET";

  Response fail(const Request& req, const Error& e) { return problem(status_of(e.code), e, req.path, id_, fhir_); }

  Api& api_;
  const std::chrono::steady_clock::time_point start_;
  const std::string id_;
  bool fhir_ = false;
  const Route* match_ = nullptr;
  std::string route_;
  std::string principal_;
  std::vector<std::string> params_;
  Principal who_;
  std::shared_ptr<const service::Runtime> runtime_;
};

Api::Api(Services s, std::shared_ptr<spdlog::logger> access_log)
    : s_(s), access_log_(access_log ? std::move(access_log) : spdlog::default_logger()) {
  // HTTP settings need a restart, so the limits of the config at start-up hold.
  const auto& h = s_.config.get()->config->http;
  limiter_ = std::make_shared<RateLimiter>(h.rate_limit_per_second, h.rate_limit_burst);
  auth_failures_ = std::make_shared<AuthFailures>(s_.clock);
  s_.auth_failures = auth_failures_.get();
  s_.limiter = limiter_.get();
  for (auto& r : build_routes(s_)) add(r.method, r.path, r.roles, std::move(r.handler), r.session);
}

void Api::add(std::string method, std::string path, std::vector<config::Role> roles, Handler h, bool session) {
  Route r{std::move(method), path, std::move(roles), std::move(h), compile(path), session};
  routes_.push_back(std::move(r));
}

std::unique_ptr<Exchange> Api::exchange() { return std::make_unique<ApiExchange>(*this); }

std::optional<std::int64_t> Api::rate_log_due(const std::string& principal, std::int64_t now_ms) {
  std::lock_guard lock(rate_log_mu_);
  auto& [last_ms, skipped] = rate_log_[principal];
  if (last_ms != 0 && now_ms - last_ms < 10'000) {
    ++skipped;
    return std::nullopt;
  }
  const std::int64_t n = skipped;
  last_ms = now_ms;
  skipped = 0;
  return n;
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
