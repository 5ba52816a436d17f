// Failure policy. The admin calls (list_deliveries, redeliver) catch SqliteError at this edge
// and return it as a pvmon::Error. The OutboxRepository calls (due, next_due, record) have no
// error channel: they let SqliteError, and a failed writer transaction turned into a
// std::runtime_error, reach the Dispatcher, which catches std::exception at both of its call
// sites, logs it, and looks again after a second. That is safer than
// swallowing here: an empty due() would idle the dispatcher for its 30 s safety-net poll, and a
// record() that silently failed would leave the row due, so the dispatcher's immediate re-poll
// would send the message again at once, and keep doing so for as long as the lock lasts. The
// row stays pending either way, so nothing is lost (at least once). The store logs nothing.
#include "sqlite_outbox.hpp"

#include "audit_trail.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "pvmon/crypto.hpp"

namespace pvmon::store {

using nlohmann::json;

namespace {

constexpr const char* kDueSql = R"sql(
SELECT id, msg_id, endpoint, event_type, body, attempts, created_at, next_attempt_at FROM (
  SELECT o.*, ROW_NUMBER() OVER (PARTITION BY endpoint ORDER BY next_attempt_at, id) AS nth
  FROM outbox o
  WHERE state = 'pending' AND next_attempt_at <= ?1
    AND endpoint NOT IN (SELECT endpoint FROM endpoint_state))
WHERE nth <= ?2
ORDER BY next_attempt_at, id
)sql";

// Stored timestamps are always written by format_timestamp; an unreadable one is a bug, and
// treating it as the epoch makes such a row due rather than stuck.
Timestamp stored_time(const std::string& text) {
  return parse_timestamp(text).value_or(Timestamp{});
}

// Operator alert text keeps the receiver's error short: it may be a long HTML error page.
std::string clip(const std::string& s, std::size_t n = 300) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

void insert_operator_alert(Db& db, const std::string& rule, const std::string& dedupe_key,
                           const std::string& title, const json& payload, Timestamp at) {
  // ON CONFLICT: an alert raised once for this row or this disabling is never raised again.
  db.cached(
        "INSERT INTO alerts (study, rule, severity, dedupe_key, title, payload, created_at) "
        "VALUES ('*', ?, 'critical', ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING")
      .bind(1, rule)
      .bind(2, dedupe_key)
      .bind(3, title)
      .bind(4, payload.dump())
      .bind(5, format_timestamp(at))
      .run();
  if (db.changes() > 0)
    audit::record(db, at, Actor{"pvmond", ""}, "alert.raise", audit::Kind::alert, db.last_insert_rowid());
}

bool valid_state(const std::string& s) {
  return s == "pending" || s == "delivered" || s == "dead" || s == "gone";
}

}  // namespace

std::vector<notify::OutboxMessage> SqliteOutbox::due(Timestamp now,
                                                     std::size_t per_endpoint_limit) {
  auto db = readers_.take();
  auto st = db->cached(kDueSql);
  st.bind(1, format_timestamp(now));
  st.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(per_endpoint_limit, INT64_MAX)));
  std::vector<notify::OutboxMessage> out;
  while (st.step()) {
    notify::OutboxMessage m;
    m.id = st.i64(0);
    m.msg_id = st.text(1);
    m.endpoint = st.text(2);
    m.event_type = st.text(3);
    m.body = st.text(4);
    m.attempts = static_cast<int>(st.i64(5));
    m.created_at = stored_time(st.text(6));
    m.next_attempt_at = stored_time(st.text(7));
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<Timestamp> SqliteOutbox::next_due() {
  auto db = readers_.take();
  auto st = db->cached(
      "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND endpoint NOT IN "
      "(SELECT endpoint FROM endpoint_state)");
  st.step();
  if (st.is_null(0)) return std::nullopt;
  return stored_time(st.text(0));
}

void SqliteOutbox::record(const notify::Attempt& a) {
  using notify::Outcome;
  auto done = writer_.write<Ok>([&](Db& db) -> Result<Ok> {
    std::string msg_id, endpoint, event_type;
    {
      auto st = db.cached("SELECT msg_id, endpoint, event_type FROM outbox WHERE id = ?");
      st.bind(1, a.outbox_id);
      // The row is never deleted; an unknown id is a caller bug with nothing to record.
      if (!st.step()) return Ok{};
      msg_id = st.text(0);
      endpoint = st.text(1);
      event_type = st.text(2);
    }
    const std::string at = format_timestamp(a.at);
    // Every attempt that happened is kept, even one that lost a race with a redelivery.
    db.cached(
          "INSERT INTO delivery_attempts (outbox, at, http_status, latency_ms, error, outcome) "
          "VALUES (?,?,?,?,?,?)")
        .bind(1, a.outbox_id)
        .bind(2, at)
        .bind(3, a.http_status)
        .bind(4, a.latency_ms)
        .bind(5, a.error)
        .bind(6, std::string(notify::to_string(a.outcome)))
        .run();

    // The outcome applies only to a pending row: a second record for the same send (or a
    // row an operator has meanwhile reset) must not flip a final state or alert twice.
    std::string sql = "UPDATE outbox SET attempts = attempts + 1";
    switch (a.outcome) {
      case Outcome::delivered:
        sql += ", state = 'delivered', delivered_at = ?2";
        break;
      case Outcome::retry:
        sql += ", next_attempt_at = ?2";
        break;
      case Outcome::dead_letter:
        sql += ", state = 'dead'";
        break;
      case Outcome::endpoint_gone:
        sql += ", state = 'gone'";
        break;
    }
    sql += " WHERE id = ?1 AND state = 'pending'";
    auto up = db.cached(sql);
    up.bind(1, a.outbox_id);
    if (a.outcome == Outcome::delivered) up.bind(2, at);
    // A retry without a time would be a Dispatcher bug; retrying at once beats never.
    if (a.outcome == Outcome::retry) up.bind(2, format_timestamp(a.next_attempt_at.value_or(a.at)));
    up.run();
    if (db.changes() == 0) return Ok{};

    std::int64_t attempts = 0;
    {
      auto st = db.cached("SELECT attempts FROM outbox WHERE id = ?");
      st.bind(1, a.outbox_id);
      st.step();
      attempts = st.i64(0);
    }
    // Names the message, never its body or the endpoint's secret.
    json payload = {{"endpoint", endpoint},       {"webhook_id", msg_id},
                    {"outbox_id", a.outbox_id},   {"event_type", event_type},
                    {"attempts", attempts},       {"last_http_status", a.http_status},
                    {"last_error", clip(a.error)}};
    if (a.outcome == Outcome::dead_letter) {
      // Keyed by row and attempt count: a redelivered message that dead-letters again is a
      // new failure the operator hears about; the same failure recorded twice is not.
      insert_operator_alert(
          db, "webhook.dead_letter",
          "webhook.dead_letter/" + std::to_string(a.outbox_id) + "/" + std::to_string(attempts),
          "Webhook " + msg_id + " to endpoint " + endpoint + " gave up after " +
              std::to_string(attempts) + " attempts: " + clip(a.error, 120),
          payload, a.at);
    } else if (a.outcome == Outcome::endpoint_gone) {
      db.cached(
            "INSERT INTO endpoint_state (endpoint, disabled_at, reason) VALUES (?,?,?) "
            "ON CONFLICT (endpoint) DO NOTHING")
          .bind(1, endpoint)
          .bind(2, at)
          .bind(3, "HTTP 410 Gone for webhook " + msg_id)
          .run();
      // Keyed by the disabling (its time): one alert however many rows were in flight, and
      // a new one if the operator re-enables the endpoint and it answers 410 again.
      std::string disabled_at = at;
      {
        auto st = db.cached("SELECT disabled_at FROM endpoint_state WHERE endpoint = ?");
        st.bind(1, endpoint);
        if (st.step()) disabled_at = st.text(0);
      }
      payload["disabled_at"] = disabled_at;
      insert_operator_alert(db, "webhook.endpoint_gone",
                            "webhook.endpoint_gone/" + endpoint + "/" + disabled_at,
                            "Webhook endpoint " + endpoint +
                                " answered 410 Gone and is disabled; its messages wait until "
                                "an operator re-enables it",
                            payload, a.at);
    }
    return Ok{};
  }, /*always=*/true);  // delivery bookkeeping goes on while the store is read-only
  if (!done) throw std::runtime_error("recording the attempt failed: " + done.error().message);
}

void SqliteOutbox::enqueue(Db& db, const std::string& msg_id, const std::string& endpoint,
                           const std::string& event_type, const std::string& body,
                           std::optional<std::int64_t> alert, Timestamp now) {
  const std::string ts = format_timestamp(now);
  db.cached(
        "INSERT INTO outbox (msg_id, endpoint, event_type, body, alert, created_at, "
        "next_attempt_at) VALUES (?,?,?,?,?,?,?)")
      .bind(1, msg_id)
      .bind(2, endpoint)
      .bind(3, event_type)
      .bind(4, body)
      .bind(5, alert)
      .bind(6, ts)
      .bind(7, ts)
      .run();
}

std::string SqliteOutbox::new_msg_id() {
  // 18 bytes are exactly 24 base64 characters, so there is no padding to strip.
  std::string s = crypto::base64_encode(crypto::random_bytes(18));
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return "msg_" + s;
}

Result<DeliveryPage> SqliteOutbox::list_deliveries(std::optional<std::string> endpoint,
                                           std::optional<std::string> state,
                                           std::optional<std::int64_t> after_id, int limit) {
  if (state && !valid_state(*state))
    return Error::field(Errc::invalid, "state", "must be one of: pending, delivered, dead, gone");
  limit = std::clamp(limit, 1, 1000);
  try {
    auto db = readers_.take();
    std::string sql =
        "SELECT o.id, o.msg_id, o.endpoint, o.event_type, length(CAST(o.body AS BLOB)), o.alert, "
        "o.state, o.attempts, o.created_at, o.next_attempt_at, o.delivered_at, e.disabled_at "
        "FROM outbox o LEFT JOIN endpoint_state e ON e.endpoint = o.endpoint WHERE 1 ";
    if (endpoint) sql += "AND o.endpoint = ?1 ";
    if (state) sql += "AND o.state = ?2 ";
    if (after_id) sql += "AND o.id < ?3 ";
    sql += "ORDER BY o.id DESC LIMIT ?4";
    auto st = db->cached(sql);
    if (endpoint) st.bind(1, *endpoint);
    if (state) st.bind(2, *state);
    if (after_id) st.bind(3, *after_id);
    st.bind(4, limit + 1);  // one more tells whether a next page exists
    DeliveryPage page;
    while (st.step()) {
      DeliveryView row;
      row.id = st.i64(0);
      row.webhook_id = st.text(1);
      row.endpoint = st.text(2);
      row.event_type = st.text(3);
      row.body_bytes = st.i64(4);
      row.alert = st.opt_i64(5);
      row.state = st.text(6);
      row.attempts = st.i64(7);
      row.created_at = st.text(8);
      if (row.state == "pending") row.next_attempt_at = st.text(9);
      row.delivered_at = st.opt_text(10);
      row.endpoint_disabled_at = st.opt_text(11);
      page.items.push_back(std::move(row));
    }
    if (static_cast<int>(page.items.size()) > limit) {
      page.items.pop_back();
      page.next_after_id = page.items.back().id;
    }
    auto hist = db->cached(
        "SELECT at, http_status, latency_ms, error, outcome FROM delivery_attempts "
        "WHERE outbox = ? ORDER BY id");
    for (auto& row : page.items) {
      hist.reset();
      hist.bind(1, row.id);
      while (hist.step())
        row.history.push_back({hist.text(0), hist.i64(1), hist.i64(2), hist.text(3), hist.text(4)});
    }
    return page;
  } catch (const SqliteError& e) {
    return to_error(e);
  }
}

Result<Redelivery> SqliteOutbox::redeliver(std::int64_t outbox_id, const Actor& actor) {
  // The Writer turns SQLite failures inside the job into Error values itself.
  return writer_.write<Redelivery>([&](Db& db) -> Result<Redelivery> {
    std::string msg_id, endpoint, state, next_at;
    {
      auto st =
          db.cached("SELECT msg_id, endpoint, state, next_attempt_at FROM outbox WHERE id = ?");
      st.bind(1, outbox_id);
      if (!st.step())
        return Error::field(Errc::not_found, "id",
                            "no webhook delivery with id " + std::to_string(outbox_id));
      msg_id = st.text(0);
      endpoint = st.text(1);
      state = st.text(2);
      next_at = st.text(3);
    }
    const Timestamp now = clock_.now();
    const std::string ts = format_timestamp(now);
    // The webhook-id stays: a receiver that already has the message de-duplicates on it.
    db.cached(
          "UPDATE outbox SET state = 'pending', next_attempt_at = ?, delivered_at = NULL "
          "WHERE id = ?")
        .bind(1, ts)
        .bind(2, outbox_id)
        .run();
    std::optional<std::string> disabled_at;
    {
      auto st = db.cached("SELECT disabled_at FROM endpoint_state WHERE endpoint = ?");
      st.bind(1, endpoint);
      if (st.step()) disabled_at = st.text(0);
    }
    const json before = {{"state", state}, {"next_attempt_at", next_at}};
    const json after = {{"state", "pending"}, {"next_attempt_at", ts}};
    // The outbox is delivery bookkeeping, not an audited table: the row says what was asked.
    audit::append_row(db, now, actor, "webhook.redeliver", "webhook/delivery/" + std::to_string(outbox_id),
                      json{{"before", before}, {"after", after}}.dump(), std::nullopt);
    return Redelivery{outbox_id, msg_id, endpoint, state, ts, disabled_at};
  });
}

}  // namespace pvmon::store
