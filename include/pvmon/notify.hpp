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

/// True for the event types that are alerts ("alert.<rule>"): only they have a severity.
bool is_alert(std::string_view event_type);

/// The endpoint takes this event: not disabled and type listed (or "*"); for an alert, also
/// severity at least min_severity. Other event types (dsmb.report, audit.checkpoint) are
/// routed by `events` alone: min_severity is a floor for alerts, and an endpoint that lists a
/// report type wants every report. An unknown alert severity counts as critical: a safety
/// alert is never dropped because of a typo.
bool subscribes(const Endpoint& endpoint, std::string_view event_type, std::string_view severity);

/// The request body for this endpoint. `event` is {"type","timestamp","data":{...}} (the
/// Standard Webhooks payload shape); standard sends it compact, with "sequence" added at the
/// top level when given (so the signature covers it); slack sends
/// {"text": "<one line: severity, title, study, subject>"}.
std::string render_body(const Endpoint& endpoint, const nlohmann::json& event,
                        std::optional<std::int64_t> sequence = std::nullopt);

/// An outbox row to write: which endpoint takes the message, its per-endpoint sequence number
/// and the body rendered for it.
struct Outgoing {
  std::string endpoint;
  std::int64_t sequence = 0;
  std::string body;
};

/// The next sequence number of an endpoint (the store's, in the caller's transaction).
using NextSequence = std::function<std::int64_t(const std::string& endpoint)>;

/// Routing, in one place: the messages of one event for every endpoint that takes it
/// (subscribes) but `except` (the endpoint an operator alert is about), each numbered by
/// `next_sequence` and rendered in the endpoint's format. The store writes what it is given;
/// an empty result means nobody takes the event (nothing is rendered or numbered).
std::vector<Outgoing> route(const std::vector<Endpoint>& endpoints, const nlohmann::json& event,
                            std::string_view severity, const NextSequence& next_sequence,
                            std::string_view except = {});

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
  std::string host;              // without brackets: "127.0.0.1", "::1", "pv.example.org"
  int port = 0;                  // as written, else 80 (http) or 443 (https)
};
/// Only http and https, a non-empty host, a port 1..65535 if given, no credentials in the URL.
Result<Url> parse_url(std::string_view url);

// ---------------------------------------------------------------------------------------
// Outbox: the store (SQLite, owned by the app) implements this; tests use a fake.

struct OutboxMessage {
  std::int64_t id = 0;
  std::string msg_id;  // webhook-id: stable across retries and redeliveries
  std::string endpoint;
  std::int64_t sequence = 0;  // webhook-sequence: 1, 2, 3... per endpoint, in commit order
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
  /// The claim: for each enabled endpoint, its pending messages in sequence order from the
  /// head (the lowest pending sequence), as long as each is due at `now`, at most
  /// `per_endpoint_limit`. A head waiting for its retry holds back every later message of its
  /// endpoint and nothing else: per-endpoint order is strict, and a backlog at one endpoint
  /// never hides another's. Ordered by (endpoint, sequence).
  virtual std::vector<OutboxMessage> due(Timestamp now, std::size_t per_endpoint_limit) = 0;
  /// Earliest next_attempt_at among the heads of enabled endpoints.
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
  /// What failed, for operators: "connection refused by 127.0.0.1:9", "DNS lookup of x failed:
  /// ...", "connect to h:p timed out after 2000 ms", "no response from h:p within 5000 ms (read
  /// timed out)", "TLS handshake with h:p failed", "TLS certificate of h:p not verified: ...".
  std::string error;
};

class Sender {  // thread-safe; blocking; called on dispatcher worker threads only
 public:
  virtual ~Sender() = default;
  virtual SendResult send(const Endpoint& endpoint, const OutboxMessage& message, Timestamp now) = 0;
};

/// cpp-httplib client, one connection per send; connect/read/write timeouts from the
/// endpoint; https verifies the server certificate (system CAs, or `ca_file` when given).
/// Headers: webhook-id, webhook-timestamp, webhook-signature, webhook-sequence.
class HttpWebhookSender final : public Sender {
 public:
  explicit HttpWebhookSender(std::string ca_file = {});
  SendResult send(const Endpoint& endpoint, const OutboxMessage& message, Timestamp now) override;
  static std::string user_agent();  // "pvmon/<version>"

 private:
  std::string ca_file_;
};

// ---------------------------------------------------------------------------------------
// Dispatcher.

/// Drains the outbox: at most one message in flight per endpoint, in the order the
/// repository's claim gives (strict per endpoint: a failing head is retried with backoff and
/// holds back only its own endpoint; a slow or failing endpoint holds one worker), sends
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
