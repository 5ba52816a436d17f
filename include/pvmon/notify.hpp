// pvmon::notify — webhook delivery: Standard Webhooks signing, endpoint matching, payload
// rendering, the retry policy, and the Dispatcher that drains the outbox on a worker pool.
// Signing, rendering and the retry policy are pure and callable from any thread; the
// Dispatcher's start/wake/stop are thread-safe. Bad input (secrets, URLs) is a Result;
// delivery failures are recorded as Attempts, never thrown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace boost::asio {
class io_context;
}

namespace pvmon::notify {

// ---------------------------------------------------------------------------------------
// Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md
// "Signature scheme"): v1 = base64(HMAC-SHA256(secret, "{msg_id}.{timestamp}.{body}")).

/// "whsec_" + standard base64 of 24..64 random bytes (the spec's "at least 24 bytes,
/// 512 bits maximum") -> the raw key bytes. Errors name the problem, never the secret.
Result<std::string> parse_secret(std::string_view whsec);

/// A fresh "whsec_..." secret of 32 random bytes, for `pvmon` to hand to an operator.
std::string generate_secret();

/// "v1,<base64 HMAC-SHA256 of msg_id.timestamp_s.body>" with the raw key.
std::string sign(std::string_view secret_raw, std::string_view msg_id, std::int64_t timestamp_s,
                 std::string_view body);

/// Receiver-side check: true when any space-separated "v1,..." entry of `signature_header`
/// matches (constant-time) and |now_s - timestamp_s| <= tolerance_s (replay protection).
bool verify(std::string_view secret_raw, std::string_view msg_id, std::int64_t timestamp_s,
            std::string_view body, std::string_view signature_header, std::int64_t now_s,
            std::int64_t tolerance_s = 300);

// ---------------------------------------------------------------------------------------
// Endpoints (filled by the config loader) and what they receive.

struct Endpoint {
  enum class Format { standard, slack };
  std::string name;
  std::string url;                    // http://host[:port]/path or https://...
  std::string secret_raw;             // parse_secret() output, never logged
  std::vector<std::string> events;    // event types; "*" = all
  std::string min_severity = "info";  // info | high | critical
  Format format = Format::standard;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{5000};
  bool disabled = false;
};

/// 0 info, 1 high, 2 critical; nullopt for anything else (the config loader rejects it).
std::optional<int> severity_rank(std::string_view severity);

/// The endpoint takes this event: not disabled, type listed (or "*"), severity at least
/// min_severity. An unknown event severity counts as critical: a safety alert is never
/// dropped because of a typo.
bool subscribes(const Endpoint& endpoint, std::string_view event_type, std::string_view severity);

/// The request body for this endpoint. `event` is {"type","timestamp","data":{...}} (the
/// Standard Webhooks payload shape); standard sends it as is (compact), slack sends
/// {"text": "<one line: severity, title, study, subject>"}.
std::string render_body(const Endpoint& endpoint, const nlohmann::json& event);

/// An outbox row to write: which endpoint takes the message and the body rendered for it.
struct Outgoing {
  std::string endpoint;
  std::string body;
};

/// Routing, in one place: the messages of one event for every endpoint that takes it
/// (subscribes), each body rendered in the endpoint's format. The store writes what it is
/// given; an empty result means nobody takes the event (nothing is rendered).
std::vector<Outgoing> route(const std::vector<Endpoint>& endpoints, const nlohmann::json& event,
                            std::string_view severity);

/// What an alert event carries (the webhook's `data`).
struct AlertEvent {
  std::int64_t alert_id = 0;
  std::string study, rule, severity, title, subject;
  std::optional<std::int64_t> report;
  std::int64_t escalation = 0;  // > 0: a re-send of an open critical alert
};
/// The Standard Webhooks event of an alert (type "alert.<rule>"), with the rule's `details`.
nlohmann::json alert_event(const AlertEvent& a, const nlohmann::json& details, Timestamp now);

struct Url {
  std::string scheme;            // "http" | "https"
  std::string scheme_host_port;  // "https://host:443", what httplib::Client takes
  std::string path;              // "/..." (with query), "/" when absent
};
/// Only http and https, a non-empty host, no credentials in the URL.
Result<Url> parse_url(std::string_view url);

// ---------------------------------------------------------------------------------------
// Outbox: the store (SQLite, owned by the app) implements this; tests use a fake.

struct OutboxMessage {
  std::int64_t id = 0;
  std::string msg_id;  // webhook-id: stable across retries and redeliveries
  std::string endpoint;
  std::string event_type;
  std::string body;  // already rendered for the endpoint
  int attempts = 0;  // attempts made so far
  Timestamp created_at;
  Timestamp next_attempt_at;
};

enum class Outcome { delivered, retry, dead_letter, endpoint_gone /* 410: disable endpoint */ };
std::string_view to_string(Outcome o);

struct Attempt {
  std::int64_t outbox_id = 0;
  Timestamp at;
  int http_status = 0;  // 0 = no response
  std::int64_t latency_ms = 0;
  std::string error;  // empty on 2xx; never contains the secret or the body
  Outcome outcome = Outcome::retry;
  std::optional<Timestamp> next_attempt_at;  // set when outcome == retry
};

class OutboxRepository {  // thread-safe; called from the dispatcher's threads
 public:
  virtual ~OutboxRepository() = default;
  /// Pending messages due at `now` of enabled endpoints: for each endpoint, its first
  /// `per_endpoint_limit` in (next_attempt_at, id) order. Per endpoint, not a global limit,
  /// so that a backlog at one endpoint never hides another endpoint's messages.
  virtual std::vector<OutboxMessage> due(Timestamp now, std::size_t per_endpoint_limit) = 0;
  /// Earliest next_attempt_at among pending messages of enabled endpoints.
  virtual std::optional<Timestamp> next_due() = 0;
  /// Store the attempt and apply its outcome to the message (attempts + 1, next_attempt_at,
  /// delivered / dead-lettered; endpoint_gone also disables the endpoint).
  virtual void record(const Attempt& attempt) = 0;
};

// ---------------------------------------------------------------------------------------
// Retry policy (pure).

/// A uniform random number in [0, 1); injected so tests are deterministic.
using UniformRandom = std::function<double()>;

struct RetryPolicy {
  std::int64_t base_ms = 5'000;
  std::int64_t cap_ms = 3'600'000;
  std::int64_t give_up_after_ms = 3LL * 86'400'000;  // from created_at
};

/// Delay before the next try after `failed_attempts` failures (>= 1): "equal jitter" of
/// Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog (2015):
/// t = min(cap, base * 2^(failed_attempts-1)); delay = t/2 + uniform(0, t/2).
std::int64_t backoff_ms(const RetryPolicy& policy, int failed_attempts, double uniform01);

/// 2xx delivered; 410 endpoint_gone; everything else (other statuses, no response) retry.
Outcome classify(int http_status);

struct Decision {
  Outcome outcome;
  std::optional<Timestamp> next_attempt_at;
};
/// The outcome of an attempt on `message` made at `now`: a retry whose next try would fall
/// after created_at + give_up_after becomes dead_letter.
Decision decide(const RetryPolicy& policy, const OutboxMessage& message, int http_status,
                Timestamp now, double uniform01);

// ---------------------------------------------------------------------------------------
// Sending.

struct SendResult {
  int http_status = 0;  // 0 = no response (connect/read/TLS failure)
  std::int64_t latency_ms = 0;
  std::string error;
};

class Sender {  // thread-safe; blocking; called on dispatcher worker threads only
 public:
  virtual ~Sender() = default;
  virtual SendResult send(const Endpoint& endpoint, const std::string& msg_id, Timestamp now,
                          const std::string& body) = 0;
};

/// cpp-httplib client, one connection per send; connect/read/write timeouts from the
/// endpoint; https verifies the server certificate (system CAs, or `ca_file` when given).
class HttpWebhookSender final : public Sender {
 public:
  explicit HttpWebhookSender(std::string ca_file = {});
  SendResult send(const Endpoint& endpoint, const std::string& msg_id, Timestamp now,
                  const std::string& body) override;
  static std::string user_agent();  // "pvmon/<version>"

 private:
  std::string ca_file_;
};

// ---------------------------------------------------------------------------------------
// Dispatcher.

/// Drains the outbox: at most one message in flight per endpoint (per-endpoint order kept
/// for first attempts; a slow or failing endpoint holds one worker and nothing else), sends
/// on its own worker pool, never on the io thread; polls the repository on its own thread;
/// an Asio steady_timer on `io` wakes it at the next due time. `endpoints` is called on the
/// poller thread before each look at the outbox (so a reload takes effect at the next poll).
/// `io` must outlive the Dispatcher.
class Dispatcher {
 public:
  using EndpointsFn = std::function<std::vector<Endpoint>()>;
  Dispatcher(boost::asio::io_context& io, OutboxRepository& repo, Sender& sender,
             EndpointsFn endpoints, const Clock& clock, std::size_t workers,
             RetryPolicy policy = {}, UniformRandom random = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  /// New or reset outbox rows were committed: look again. Cheap, thread-safe, coalesced.
  void wake();
  /// Stop dispatching, wait up to `grace` for in-flight sends, then join. Unfinished
  /// messages stay pending and go out after the next start (at least once).
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{10'000});

  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pvmon::notify
