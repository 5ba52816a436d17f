// Failure policy. The admin calls (list_deliveries, redeliver) catch DbError at this edge
// and return it as a pvmon::Error. The OutboxRepository calls (due, next_due, record) have no
// error channel: they let DbError, and a failed writer transaction turned into a
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
#include <map>
#include <stdexcept>

#include "pvmon/crypto.hpp"

namespace pvmon::store {

using nlohmann::json;

namespace {

// The claim, where the order is decided (in SQL, not in a process: several instances may
// share the database one day). Per enabled endpoint, its pending rows in sequence order from
// the head; `waiting` counts the rows not yet due up to and including this one, so the run
// stops at the first row that is not due: a head waiting for its retry holds back everything
// behind it, and only that endpoint. Reads the partial index outbox_pending.
constexpr const char* kDueSql = R"sql(
SELECT id, msg_id, endpoint, event_type, body, attempts, created_at, next_attempt_at, seq FROM (
  SELECT o.*,
         ROW_NUMBER() OVER w AS nth,
         sum(CASE WHEN o.next_attempt_at > ?1 THEN 1 ELSE 0 END) OVER w AS waiting
  FROM outbox o
  WHERE o.state = 'pending' AND o.endpoint NOT IN (SELECT endpoint FROM endpoint_state)
    AND o.endpoint NOT IN (SELECT endpoint FROM outbox
                           WHERE state = 'pending' AND claimed_by <> ?3 AND lease_until > ?1)
  WINDOW w AS (PARTITION BY o.endpoint ORDER BY o.seq ROWS UNBOUNDED PRECEDING)) runs
WHERE waiting = 0 AND nth <= ?2
ORDER BY endpoint, seq
)sql";

// When the next claim can return something: the earliest retry time among the heads (rows
// behind a head are not sent before it, whatever their own time).
constexpr const char* kNextDueSql = R"sql(
SELECT min(o.next_attempt_at)
FROM (SELECT endpoint, min(seq) AS head FROM outbox WHERE state = 'pending' GROUP BY endpoint) h
JOIN outbox o ON o.endpoint = h.endpoint AND o.seq = h.head
WHERE h.endpoint NOT IN (SELECT endpoint FROM endpoint_state)
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

/// Raises a critical operator alert (study "*") once per dedupe key, and queues it to every
/// endpoint that takes it but `about` (the endpoint that failed: it would be told last, if
/// ever, and a receiver sees its own gap in webhook-sequence).
void insert_operator_alert(Db& db, const std::vector<notify::Endpoint>& endpoints, const std::string& rule,
                           const std::string& dedupe_key, const std::string& title, const json& payload,
                           Timestamp at, const std::string& about) {
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
  if (db.changes() == 0) return;
  const std::int64_t alert_id = db.last_insert_rowid();
  audit::record(db, at, Actor{"pvmond", ""}, "alert.raise", audit::Kind::alert, alert_id);
  const json event =
      notify::alert_event({alert_id, "*", rule, "critical", title, "", std::nullopt, 0}, payload, at);
  SqliteOutbox::enqueue_routed(db, endpoints, event, "critical", alert_id, at, about);
}

void record_change(Db& db, const std::string& endpoint, const std::string& at, bool enabled,
                   const std::string& reason, const std::string& principal) {
  db.cached("INSERT INTO endpoint_changes (endpoint, at, enabled, reason, principal) VALUES (?,?,?,?,?)")
      .bind(1, endpoint)
      .bind(2, at)
      .bind(3, enabled ? 1 : 0)
      .bind(4, reason)
      .bind(5, principal)
      .run();
}

bool valid_state(const std::string& s) {
  return s == "pending" || s == "delivered" || s == "dead" || s == "gone";
}

}  // namespace

std::vector<notify::OutboxMessage> SqliteOutbox::due(Timestamp now,
                                                     std::size_t per_endpoint_limit) {
  // A read first: nothing due (the common case) costs no write transaction.
  {
    auto db = readers_.take();
    if (due_rows(*db, now, per_endpoint_limit).empty()) return {};
  }
  // The claim, inside a write transaction (one at a time across instances, Writer and
  // PgDb::begin_write): the same query again, its rows leased to this instance. An endpoint
  // another instance holds a lease on is skipped whole, so its order holds; a lease that
  // expires (the instance died mid-send) frees it for the others.
  auto claimed = writer_.write<std::vector<notify::OutboxMessage>>(
      [&](Db& db) -> Result<std::vector<notify::OutboxMessage>> {
        auto rows = due_rows(db, now, per_endpoint_limit);
        const std::string until = format_timestamp(Timestamp{now.ms + lease_ms_});
        for (const auto& m : rows)
          db.cached("UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id = ?")
              .bind(1, instance_)
              .bind(2, until)
              .bind(3, m.id)
              .run();
        return rows;
      },
      true);
  if (!claimed) throw std::runtime_error("claiming due webhooks failed: " + claimed.error().message);
  return std::move(*claimed);
}

std::vector<notify::OutboxMessage> SqliteOutbox::due_rows(Db& db, Timestamp now, std::size_t per_endpoint_limit) {
  auto st = db.cached(kDueSql);
  st.bind(1, format_timestamp(now));
  st.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(per_endpoint_limit, INT64_MAX)));
  st.bind(3, instance_);
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
    m.sequence = st.i64(8);
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<Timestamp> SqliteOutbox::next_due() {
  auto db = readers_.take();
  auto st = db->cached(kNextDueSql);
  st.step();
  if (st.is_null(0)) return std::nullopt;
  return stored_time(st.text(0));
}

void SqliteOutbox::record(const notify::Attempt& a) {
  using notify::Outcome;
  // Read before the transaction: the config snapshot, not under the writer.
  const std::vector<notify::Endpoint> endpoints =
      a.outcome == Outcome::dead_letter || a.outcome == Outcome::endpoint_gone
          ? (endpoints_ ? endpoints_() : std::vector<notify::Endpoint>{})
          : std::vector<notify::Endpoint>{};
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
    // Its lease ends with the attempt (a retry is claimed again when due).
    sql += ", claimed_by = NULL, lease_until = NULL WHERE id = ?1 AND state = 'pending'";
    auto up = db.cached(sql);
    up.bind(1, a.outbox_id);
    if (a.outcome == Outcome::delivered) up.bind(2, at);
    // A retry without a time would be a Dispatcher bug; retrying at once beats never.
    if (a.outcome == Outcome::retry) up.bind(2, format_timestamp(a.next_attempt_at.value_or(a.at)));
    up.run();
    if (db.changes() == 0) return Ok{};
    // The rest of this instance's run on the endpoint is still being sent: its lease goes on.
    db.cached("UPDATE outbox SET lease_until = ? WHERE endpoint = ? AND claimed_by = ? AND state = 'pending'")
        .bind(1, format_timestamp(Timestamp{clock_.now().ms + lease_ms_}))
        .bind(2, endpoint)
        .bind(3, instance_)
        .run();

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
          db, endpoints, "webhook.dead_letter",
          "webhook.dead_letter/" + std::to_string(a.outbox_id) + "/" + std::to_string(attempts),
          "Webhook " + msg_id + " to endpoint " + endpoint + " gave up after " +
              std::to_string(attempts) + " attempts: " + clip(a.error, 120),
          payload, a.at, endpoint);
    } else if (a.outcome == Outcome::endpoint_gone) {
      const std::string reason = "HTTP 410 Gone for webhook " + msg_id;
      db.cached(
            "INSERT INTO endpoint_state (endpoint, disabled_at, reason) VALUES (?,?,?) "
            "ON CONFLICT (endpoint) DO NOTHING")
          .bind(1, endpoint)
          .bind(2, at)
          .bind(3, reason)
          .run();
      if (db.changes() > 0) record_change(db, endpoint, at, false, reason, "pvmond");
      // Keyed by the disabling (its time): one alert however many rows were in flight, and
      // a new one if the operator re-enables the endpoint and it answers 410 again.
      std::string disabled_at = at;
      {
        auto st = db.cached("SELECT disabled_at FROM endpoint_state WHERE endpoint = ?");
        st.bind(1, endpoint);
        if (st.step()) disabled_at = st.text(0);
      }
      payload["disabled_at"] = disabled_at;
      insert_operator_alert(db, endpoints, "webhook.endpoint_gone",
                            "webhook.endpoint_gone/" + endpoint + "/" + disabled_at,
                            "Webhook endpoint " + endpoint +
                                " answered 410 Gone and is disabled; its messages wait until "
                                "an operator re-enables it",
                            payload, a.at, endpoint);
    }
    return Ok{};
  }, /*always=*/true);  // delivery bookkeeping goes on while the store is read-only
  if (!done) throw std::runtime_error("recording the attempt failed: " + done.error().message);
}

std::int64_t SqliteOutbox::next_sequence(Db& db, const std::string& endpoint) {
  auto st = db.cached("SELECT coalesce(max(seq), 0) + 1 FROM outbox WHERE endpoint = ?");
  st.bind(1, endpoint);
  st.step();
  return st.i64(0);
}

void SqliteOutbox::enqueue(Db& db, const std::string& msg_id, const std::string& endpoint,
                           const std::string& event_type, const std::string& body,
                           std::optional<std::int64_t> alert, Timestamp now,
                           std::optional<std::int64_t> sequence) {
  const std::string ts = format_timestamp(now);
  const std::int64_t seq = sequence ? *sequence : next_sequence(db, endpoint);
  db.cached(
        "INSERT INTO outbox (msg_id, endpoint, event_type, body, alert, created_at, "
        "next_attempt_at, seq) VALUES (?,?,?,?,?,?,?,?)")
      .bind(1, msg_id)
      .bind(2, endpoint)
      .bind(3, event_type)
      .bind(4, body)
      .bind(5, alert)
      .bind(6, ts)
      .bind(7, ts)
      .bind(8, seq)
      .run();
}

std::size_t SqliteOutbox::enqueue_routed(Db& db, const std::vector<notify::Endpoint>& endpoints,
                                         const json& event, std::string_view severity,
                                         std::optional<std::int64_t> alert, Timestamp now,
                                         std::string_view except) {
  const std::string type = event.value("type", "");
  // route() numbers each endpoint once, before its row is inserted: max + 1 is free.
  auto messages = notify::route(
      endpoints, event, severity, [&db](const std::string& ep) { return next_sequence(db, ep); }, except);
  for (auto& m : messages) enqueue(db, new_msg_id(), m.endpoint, type, m.body, alert, now, m.sequence);
  return messages.size();
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
        "o.state, o.attempts, o.created_at, o.next_attempt_at, o.delivered_at, e.disabled_at, o.seq "
        "FROM outbox o LEFT JOIN endpoint_state e ON e.endpoint = o.endpoint WHERE 1 = 1 ";
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
      row.sequence = st.i64(12);
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
  } catch (const DbError& e) {
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
          "UPDATE outbox SET state = 'pending', next_attempt_at = ?, delivered_at = NULL, claimed_by = NULL, lease_until = NULL "
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

Result<std::vector<EndpointFacts>> SqliteOutbox::endpoint_facts() {
  try {
    auto db = readers_.take();
    std::map<std::string, EndpointFacts> by_name;
    auto facts = [&](const std::string& name) -> EndpointFacts& {
      auto& f = by_name[name];
      f.endpoint = name;
      return f;
    };
    {
      auto st = db->cached(
          "SELECT endpoint, sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), sum(CASE WHEN state = 'gone' THEN 1 ELSE 0 END), max(seq), "
          "min(CASE WHEN state = 'pending' THEN created_at END), max(delivered_at) "
          "FROM outbox GROUP BY endpoint");
      while (st.step()) {
        auto& f = facts(st.text(0));
        f.pending = st.i64(1);
        f.gone = st.i64(2);
        f.last_sequence = st.i64(3);
        f.oldest_pending_at = st.opt_text(4);
        f.last_delivered_at = st.opt_text(5);
      }
    }
    {
      auto st = db->cached("SELECT endpoint, disabled_at, reason FROM endpoint_state");
      while (st.step()) {
        auto& f = facts(st.text(0));
        f.disabled_at = st.text(1);
        f.disabled_reason = st.text(2);
      }
    }
    {
      // The latest change of each endpoint: the highest id (append-only, so also the latest).
      auto st = db->cached(
          "SELECT c.endpoint, c.at, c.reason, c.principal FROM endpoint_changes c "
          "WHERE c.id = (SELECT max(id) FROM endpoint_changes WHERE endpoint = c.endpoint)");
      while (st.step()) {
        auto& f = facts(st.text(0));
        f.changed_at = st.text(1);
        f.change_reason = st.text(2);
        f.changed_by = st.text(3);
      }
    }
    {
      // The latest attempt of each endpoint: delivery_attempts ids grow with time.
      auto st = db->cached(
          "SELECT o.endpoint, o.msg_id, d.at, d.http_status, d.latency_ms, d.error, d.outcome "
          "FROM delivery_attempts d JOIN outbox o ON o.id = d.outbox "
          "WHERE d.id IN (SELECT max(d2.id) FROM delivery_attempts d2 JOIN outbox o2 ON o2.id = d2.outbox "
          "GROUP BY o2.endpoint)");
      while (st.step()) {
        auto& f = facts(st.text(0));
        f.last_attempt_webhook_id = st.text(1);
        f.last_attempt = DeliveryAttempt{st.text(2), st.i64(3), st.i64(4), st.text(5), st.text(6)};
      }
    }
    std::vector<EndpointFacts> out;
    for (auto& [name, f] : by_name) out.push_back(std::move(f));
    return out;
  } catch (const DbError& e) {
    return to_error(e);
  }
}

Result<EndpointEnabled> SqliteOutbox::enable_endpoint(const std::string& endpoint, const std::string& comment,
                                                      const Actor& actor) {
  return writer_.write<EndpointEnabled>([&](Db& db) -> Result<EndpointEnabled> {
    EndpointEnabled r;
    r.endpoint = endpoint;
    {
      auto st = db.cached("SELECT disabled_at, reason FROM endpoint_state WHERE endpoint = ?");
      st.bind(1, endpoint);
      if (!st.step())
        return Error::field(Errc::conflict, "name", "webhook endpoint " + endpoint + " is not disabled");
      r.disabled_at = st.text(0);
      r.disabled_reason = st.text(1);
    }
    const Timestamp now = clock_.now();
    r.enabled_at = format_timestamp(now);
    db.cached("DELETE FROM endpoint_state WHERE endpoint = ?").bind(1, endpoint).run();
    // The rows that met the 410 were never delivered: they go first again (lowest sequence),
    // so the receiver gets the endpoint's messages in order, with no gap.
    db.cached(
          "UPDATE outbox SET state = 'pending', next_attempt_at = ?, claimed_by = NULL, lease_until = NULL "
          "WHERE endpoint = ? AND state = 'gone'")
        .bind(1, r.enabled_at)
        .bind(2, endpoint)
        .run();
    r.released = db.changes();
    {
      auto st = db.cached("SELECT count(*) FROM outbox WHERE endpoint = ? AND state = 'pending'");
      st.bind(1, endpoint);
      st.step();
      r.pending = st.i64(0);
    }
    const std::string reason = comment.empty() ? "re-enabled by an operator" : comment;
    record_change(db, endpoint, r.enabled_at, true, reason, actor.principal);
    const json before = {{"state", "disabled"}, {"disabled_at", r.disabled_at}, {"reason", r.disabled_reason}};
    const json after = {{"state", "enabled"}, {"comment", comment}, {"released", r.released}, {"pending", r.pending}};
    // Like a redelivery: endpoint state is delivery bookkeeping; the row says who asked and why.
    audit::append_row(db, now, actor, "webhook.endpoint_enable", "webhook/endpoint/" + endpoint,
                      json{{"before", before}, {"after", after}}.dump(), std::nullopt);
    return r;
  });
}

}  // namespace pvmon::store
