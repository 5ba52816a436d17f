// The webhook outbox in SQLite: what the Dispatcher sends (due, next_due: the claim, which
// decides the order), what happened to each try (record), rows the lead's write transactions
// add (enqueue_routed, numbered per endpoint), and the admin listings, redelivery and
// re-enabling of an endpoint. Thread-safe: reads take a pooled read connection, writes go through the single
// Writer. Admin calls return Result; the OutboxRepository calls throw (see sqlite_outbox.cpp).
// Private to pvmon::store.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/notify.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"
#include "reader_pool.hpp"
#include "sqlite.hpp"
#include "writer.hpp"

namespace pvmon::store {

class SqliteOutbox final : public notify::OutboxRepository {
 public:
  using EndpointsFn = std::function<std::vector<notify::Endpoint>()>;
  /// `endpoints`: the endpoints in force (thread-safe), to route the operator alerts that
  /// record() raises; none when empty.
  /// How long a claim holds an endpoint's rows for this instance, renewed by each attempt it
  /// records: longer than any one send (connect and read timeouts), so a live instance keeps
  /// its endpoint, and short enough that a dead one's messages go out from another soon.
  static constexpr std::int64_t kDefaultLeaseMs = 120'000;

  SqliteOutbox(Writer& writer, ReaderPool& readers, const Clock& clock, EndpointsFn endpoints = {},
               std::int64_t lease_ms = kDefaultLeaseMs, std::string instance = {})
      : writer_(writer), readers_(readers), clock_(clock), endpoints_(std::move(endpoints)),
        instance_(instance.empty() ? new_msg_id().replace(0, 4, "inst_") : std::move(instance)), lease_ms_(lease_ms) {}
  /// This instance's name in the claims it holds (Options::instance, or random per start).
  const std::string& instance() const { return instance_; }

  std::vector<notify::OutboxMessage> due(Timestamp now, std::size_t per_endpoint_limit) override;
  std::optional<Timestamp> next_due() override;
  /// Also raises the operator alert for dead_letter and endpoint_gone, in the same transaction,
  /// and queues it to every other endpoint that takes it.
  void record(const notify::Attempt& attempt) override;

  /// Queues `event` to every endpoint of `endpoints` that takes it (notify::route) but
  /// `except`, each row numbered with its endpoint's next sequence. Called inside the caller's
  /// writer transaction, so the rows commit together with what they announce. How many rows.
  static std::size_t enqueue_routed(Db& db, const std::vector<notify::Endpoint>& endpoints,
                                    const nlohmann::json& event, std::string_view severity,
                                    std::optional<std::int64_t> alert, Timestamp now,
                                    std::string_view except = {});
  /// Adds one pending row due at `now`, numbered `sequence` (default: the endpoint's next).
  /// Throws DbError (msg_id is UNIQUE, and so is (endpoint, sequence)).
  static void enqueue(Db& db, const std::string& msg_id, const std::string& endpoint,
                      const std::string& event_type, const std::string& body,
                      std::optional<std::int64_t> alert, Timestamp now,
                      std::optional<std::int64_t> sequence = std::nullopt);
  /// The endpoint's next sequence number: one more than its highest (rows are never deleted,
  /// and the single writer numbers them, so the numbers have no gap).
  static std::int64_t next_sequence(Db& db, const std::string& endpoint);
  /// "msg_" + 24 base64url characters (144 random bits): the webhook-id.
  static std::string new_msg_id();

  /// Outbox rows, newest first, each with its attempts; the body's size, never the body.
  /// `after_id` is the cursor of the previous page (rows with a smaller id). An unknown `state`
  /// is Errc::invalid.
  Result<DeliveryPage> list_deliveries(std::optional<std::string> endpoint,
                                         std::optional<std::string> state,
                                         std::optional<std::int64_t> after_id, int limit);
  /// Sets the row back to pending, due now, with the same webhook-id; audited as
  /// webhook.redeliver. The caller wakes the Dispatcher after it returns. Unknown id:
  /// Errc::not_found.
  Result<Redelivery> redeliver(std::int64_t outbox_id, const Actor& actor);

  /// What the outbox knows of each endpoint that has rows or a state, by name.
  Result<std::vector<EndpointFacts>> endpoint_facts();
  /// Re-enables an endpoint a 410 disabled: its rows that met the 410 are pending again, due
  /// now, ahead of those held behind them (their sequence is lower); audited as
  /// webhook.endpoint_enable and kept in endpoint_changes. The caller wakes the Dispatcher.
  /// Not disabled: Errc::conflict.
  Result<EndpointEnabled> enable_endpoint(const std::string& endpoint, const std::string& comment,
                                          const Actor& actor);

 private:
  std::vector<notify::OutboxMessage> due_rows(Db& db, Timestamp now, std::size_t per_endpoint_limit);
  Writer& writer_;
  ReaderPool& readers_;
  const Clock& clock_;
  EndpointsFn endpoints_;
  const std::string instance_;
  const std::int64_t lease_ms_;
};

}  // namespace pvmon::store
