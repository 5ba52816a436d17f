// The webhook outbox in SQLite: what the Dispatcher sends (due, next_due), what happened to each
// try (record), rows the lead's write transactions add (enqueue), and the admin listing and
// redelivery. Thread-safe: reads take a pooled read connection, writes go through the single
// Writer. Admin calls return Result; the OutboxRepository calls throw (see sqlite_outbox.cpp).
// Private to pvmon::store.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
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
  SqliteOutbox(Writer& writer, ReaderPool& readers, const Clock& clock)
      : writer_(writer), readers_(readers), clock_(clock) {}

  std::vector<notify::OutboxMessage> due(Timestamp now, std::size_t per_endpoint_limit) override;
  std::optional<Timestamp> next_due() override;
  /// Also raises the operator alert for dead_letter and endpoint_gone, in the same transaction.
  void record(const notify::Attempt& attempt) override;

  /// Adds a pending row due at `now`. Called inside the caller's writer transaction, so the
  /// row commits together with the alert it announces. Throws SqliteError (msg_id is UNIQUE).
  static void enqueue(Db& db, const std::string& msg_id, const std::string& endpoint,
                      const std::string& event_type, const std::string& body,
                      std::optional<std::int64_t> alert, Timestamp now);
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

 private:
  Writer& writer_;
  ReaderPool& readers_;
  const Clock& clock_;
};

}  // namespace pvmon::store
