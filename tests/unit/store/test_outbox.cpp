#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "temp_dir.hpp"
#include "schema.hpp"
#include "sqlite_outbox.hpp"
#include "test_db.hpp"

using namespace pvmon;
using namespace pvmon::store;
using nlohmann::json;
using notify::Attempt;
using notify::Outcome;
namespace fs = std::filesystem;

namespace {

const Timestamp kT0 = *parse_timestamp("2026-11-24T12:00:00Z");

using test::TempDir;

// A fresh database (SQLite, or PostgreSQL under pg_test_store) with the real Writer and
// ReaderPool the store uses.
struct Fixture {
  test::TestDb db;
  FakeClock clock{kT0};
  Writer writer{db.migrated(), 64};
  ReaderPool readers{[this] { return db.open(false, true); }};
  std::vector<notify::Endpoint> endpoints;  // what record() routes operator alerts to
  SqliteOutbox outbox{writer, readers, clock, [this] { return endpoints; }};

  std::int64_t add(const std::string& endpoint, Timestamp at,
                   const std::string& body = R"({"type":"alert.sae"})") {
    auto id = writer.write<std::int64_t>([&](Db& db) -> Result<std::int64_t> {
      SqliteOutbox::enqueue(db, SqliteOutbox::new_msg_id(), endpoint, "alert.sae", body,
                            std::nullopt, at);
      return db.last_insert_rowid();
    });
    REQUIRE(id);
    return id.value();
  }
  std::int64_t count(const std::string& sql) {
    auto db = readers.take();
    auto st = db->prepare(sql);
    st.step();
    return st.i64(0);
  }
  std::string text(const std::string& sql) {
    auto db = readers.take();
    auto st = db->prepare(sql);
    REQUIRE(st.step());
    return st.is_null(0) ? "NULL" : st.text(0);
  }
  /// The first column of every row, joined with `sep` (group_concat is SQLite's alone).
  std::string joined(const std::string& sql, const std::string& sep = ",") {
    auto db = readers.take();
    auto st = db->prepare(sql);
    std::string out;
    for (bool first = true; st.step(); first = false) out += (first ? "" : sep) + st.text(0);
    return out;
  }
  std::string state(std::int64_t id) {
    return text("SELECT state FROM outbox WHERE id = " + std::to_string(id));
  }
  void record(std::int64_t id, int status, Outcome outcome,
              std::optional<Timestamp> next = std::nullopt, const std::string& error = "") {
    outbox.record(Attempt{id, clock.now(), status, 42, error, outcome, next});
  }
};

std::vector<std::int64_t> ids(const std::vector<notify::OutboxMessage>& ms) {
  std::vector<std::int64_t> out;
  for (const auto& m : ms) out.push_back(m.id);
  return out;
}

}  // namespace

TEST_CASE("outbox: due() takes the first N per endpoint, so one backlog hides no other" * doctest::test_suite("engines")) {
  Fixture f;
  std::vector<std::int64_t> a;
  for (int i = 0; i < 5; ++i) a.push_back(f.add("a", kT0));
  const auto b = f.add("b", kT0.plus_ms(1));
  const auto later = f.add("b", kT0.plus_ms(60'000));
  const Timestamp now = kT0.plus_ms(1'000);

  CHECK(ids(f.outbox.due(now, 1)) == std::vector<std::int64_t>{a[0], b});
  CHECK(ids(f.outbox.due(now, 3)) == std::vector<std::int64_t>{a[0], a[1], a[2], b});
  CHECK(ids(f.outbox.due(kT0.plus_ms(60'000), 2)) ==
        std::vector<std::int64_t>{a[0], a[1], b, later});
  CHECK(f.outbox.due(kT0.plus_ms(-1), 10).empty());

  const auto msgs = f.outbox.due(now, 1);
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].endpoint == "a");
  CHECK(msgs[0].event_type == "alert.sae");
  CHECK(msgs[0].body == R"({"type":"alert.sae"})");
  CHECK(msgs[0].attempts == 0);
  CHECK(msgs[0].created_at == kT0);
  CHECK(msgs[0].next_attempt_at == kT0);
  CHECK(msgs[0].msg_id != msgs[1].msg_id);

  SUBCASE("a head waiting for its retry holds back its endpoint's later messages, and only those") {
    f.record(a[0], 500, Outcome::retry, kT0.plus_ms(600'000), "HTTP 500");
    CHECK(ids(f.outbox.due(now, 10)) == std::vector<std::int64_t>{b});
    f.record(b, 200, Outcome::delivered);
    f.record(later, 200, Outcome::delivered);
    CHECK(f.outbox.next_due() == kT0.plus_ms(600'000));  // the head's time, not a[1]'s
    CHECK(ids(f.outbox.due(kT0.plus_ms(600'000), 2)) == std::vector<std::int64_t>{a[0], a[1]});
  }
  SUBCASE("a delivered head lets the next one lead; a dead-lettered head too (a gap the sequence shows)") {
    f.record(a[0], 200, Outcome::delivered);
    f.record(a[1], 500, Outcome::dead_letter, std::nullopt, "HTTP 500");
    CHECK(ids(f.outbox.due(now, 1)) == std::vector<std::int64_t>{a[2], b});
  }
}

TEST_CASE("outbox: every endpoint numbers its messages 1, 2, 3... in commit order, and the claim follows them" * doctest::test_suite("engines")) {
  Fixture f;
  std::vector<std::int64_t> a, b;
  for (int i = 0; i < 4; ++i) {
    a.push_back(f.add("a", kT0));
    b.push_back(f.add("b", kT0));
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(f.count("SELECT seq FROM outbox WHERE id = " + std::to_string(a[i])) == static_cast<std::int64_t>(i + 1));
    CHECK(f.count("SELECT seq FROM outbox WHERE id = " + std::to_string(b[i])) == static_cast<std::int64_t>(i + 1));
  }
  const auto due = f.outbox.due(kT0, 10);
  REQUIRE(due.size() == 8);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(due[i].endpoint == "a");
    CHECK(due[i].sequence == static_cast<std::int64_t>(i + 1));
    CHECK(due[4 + i].sequence == static_cast<std::int64_t>(i + 1));
  }
  // The order is the sequence's, not the due time's: a later row made due earlier (a
  // redelivery, a row from before v14) still waits for the rows ahead of it.
  f.record(a[0], 503, Outcome::retry, kT0.plus_ms(5'000), "HTTP 503");
  CHECK(ids(f.outbox.due(kT0.plus_ms(1'000), 10)) == b);
  // The numbers are the store's, gap-free: enqueue_routed numbers each endpoint that takes the
  // event, and the body carries its number.
  notify::Endpoint ep;
  ep.name = "a";
  ep.events = {"*"};
  auto n = f.writer.write<std::size_t>([&](Db& db) -> Result<std::size_t> {
    return SqliteOutbox::enqueue_routed(db, {ep}, json{{"type", "dsmb.report"}, {"data", json::object()}}, "info",
                                        std::nullopt, kT0);
  });
  REQUIRE(n);
  CHECK(n.value() == 1);
  CHECK(f.count("SELECT max(seq) FROM outbox WHERE endpoint = 'a'") == 5);
  CHECK(json::parse(f.text("SELECT body FROM outbox WHERE endpoint = 'a' AND seq = 5")).at("sequence") == 5);
}

TEST_CASE("outbox: next_due() is the earliest pending time of an enabled endpoint" * doctest::test_suite("engines")) {
  Fixture f;
  CHECK_FALSE(f.outbox.next_due().has_value());
  const auto a = f.add("a", kT0);
  f.add("b", kT0.plus_ms(5'000));
  CHECK(f.outbox.next_due() == kT0);
  f.record(a, 410, Outcome::endpoint_gone, std::nullopt, "HTTP 410");
  CHECK(f.outbox.next_due() == kT0.plus_ms(5'000));
}

TEST_CASE("outbox: each outcome's effect on the row and the attempt log" * doctest::test_suite("engines")) {
  Fixture f;
  const auto id = f.add("a", kT0, R"({"data":{"narrative":"BODY-MARKER"}})");
  const std::string sid = std::to_string(id);
  f.clock.advance_ms(1'000);

  SUBCASE("retry moves next_attempt_at and keeps the row pending") {
    const Timestamp next = kT0.plus_ms(6'000);
    f.record(id, 503, Outcome::retry, next, "HTTP 503");
    CHECK(f.state(id) == "pending");
    CHECK(f.count("SELECT attempts FROM outbox WHERE id = " + sid) == 1);
    CHECK(f.outbox.due(kT0.plus_ms(5'999), 1).empty());
    CHECK(f.outbox.next_due() == next);
    const auto again = f.outbox.due(next, 1);
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 1);
    CHECK(f.text("SELECT http_status || '/' || latency_ms || '/' || error || '/' || outcome || "
                 "'/' || at FROM delivery_attempts WHERE outbox = " +
                 sid) == "503/42/HTTP 503/retry/2026-11-24T12:00:01.000Z");
    CHECK(f.count("SELECT count(*) FROM alerts") == 0);
  }
  SUBCASE("delivered is final, with its time") {
    f.record(id, 204, Outcome::delivered);
    CHECK(f.state(id) == "delivered");
    CHECK(f.text("SELECT delivered_at FROM outbox WHERE id = " + sid) ==
          "2026-11-24T12:00:01.000Z");
    CHECK(f.text("SELECT outcome FROM delivery_attempts WHERE outbox = " + sid) == "delivered");
    CHECK(f.outbox.due(kT0.plus_days(10), 10).empty());
    CHECK_FALSE(f.outbox.next_due().has_value());
    CHECK(f.count("SELECT count(*) FROM alerts") == 0);
  }
  SUBCASE("dead_letter is final and raises exactly one operator alert") {
    f.record(id, 500, Outcome::dead_letter, std::nullopt, "HTTP 500");
    CHECK(f.state(id) == "dead");
    CHECK(f.outbox.due(kT0.plus_days(10), 10).empty());
    // The same failure recorded twice: kept in the log, no second alert, state unchanged.
    f.record(id, 500, Outcome::dead_letter, std::nullopt, "HTTP 500");
    CHECK(f.count("SELECT count(*) FROM delivery_attempts WHERE outbox = " + sid) == 2);
    CHECK(f.count("SELECT attempts FROM outbox WHERE id = " + sid) == 1);
    CHECK(f.count("SELECT count(*) FROM alerts") == 1);
    CHECK(f.text("SELECT study || '|' || rule || '|' || severity || '|' || status FROM alerts") ==
          "*|webhook.dead_letter|critical|open");
    const json payload = json::parse(f.text("SELECT payload FROM alerts"));
    CHECK(payload.at("endpoint") == "a");
    CHECK(payload.at("webhook_id") == f.text("SELECT msg_id FROM outbox WHERE id = " + sid));
    CHECK(payload.at("attempts") == 1);
    CHECK(payload.at("last_error") == "HTTP 500");
    CHECK(f.text("SELECT payload || title FROM alerts").find("BODY-MARKER") == std::string::npos);
  }
  SUBCASE("endpoint_gone disables the endpoint and raises one alert however many rows hit it") {
    const auto second = f.add("a", kT0);
    const auto other = f.add("b", kT0);
    for (const char* name : {"a", "b", "c"}) {
      notify::Endpoint ep;
      ep.name = name;
      ep.events = {"*"};
      ep.min_severity = "high";
      f.endpoints.push_back(ep);
    }
    f.endpoints[2].events = {"alert.sae"};  // c does not take operator alerts
    f.record(id, 410, Outcome::endpoint_gone, std::nullopt, "HTTP 410");
    CHECK(f.state(id) == "gone");
    CHECK(f.text("SELECT endpoint FROM endpoint_state") == "a");
    const auto due_now = ids(f.outbox.due(kT0.plus_days(1), 10));  // b's, and the alert to b
    REQUIRE(due_now.size() == 2);
    CHECK(due_now[0] == other);
    CHECK(f.state(second) == "pending");  // waits for the operator, is not thrown away
    // A send already in flight to the same endpoint answers 410 too.
    f.record(second, 410, Outcome::endpoint_gone, std::nullopt, "HTTP 410");
    CHECK(f.state(second) == "gone");
    CHECK(f.count("SELECT count(*) FROM endpoint_state") == 1);
    CHECK(f.count("SELECT count(*) FROM alerts") == 1);
    CHECK(f.text("SELECT rule FROM alerts") == "webhook.endpoint_gone");
    const json payload = json::parse(f.text("SELECT payload FROM alerts"));
    CHECK(payload.at("endpoint") == "a");
    CHECK(payload.at("disabled_at") == "2026-11-24T12:00:01.000Z");
    // Delivered to every other endpoint that takes it (b), not to the gone one, in the same
    // transaction, numbered after b's own message.
    CHECK(f.joined("SELECT endpoint || '#' || seq FROM outbox WHERE event_type = "
                   "'alert.webhook.endpoint_gone'") == "b#2");
    const json event = json::parse(f.text("SELECT body FROM outbox WHERE event_type = 'alert.webhook.endpoint_gone'"));
    CHECK(event.at("data").at("severity") == "critical");
    CHECK(event.at("data").at("details").at("endpoint") == "a");
    CHECK(ids(f.outbox.due(kT0.plus_days(1), 10)).size() == 2);
    CHECK(f.text("SELECT endpoint || ' ' || enabled || ' ' || principal FROM endpoint_changes") == "a 0 pvmond");
  }
  SUBCASE("dead_letter goes to the other endpoints too") {
    notify::Endpoint ep;
    ep.name = "b";
    ep.events = {"*"};
    f.endpoints = {ep};
    f.record(id, 500, Outcome::dead_letter, std::nullopt, "HTTP 500");
    CHECK(f.text("SELECT endpoint FROM outbox WHERE event_type = 'alert.webhook.dead_letter'") == "b");
  }
}

TEST_CASE("outbox: re-enabling an endpoint a 410 disabled resumes its messages in order, audited" * doctest::test_suite("engines")) {
  Fixture f;
  const auto first = f.add("a", kT0);
  const auto second = f.add("a", kT0);
  const Actor admin{"operator", ""};
  SUBCASE("an endpoint that is not disabled: conflict, nothing written") {
    auto r = f.outbox.enable_endpoint("a", "", admin);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::conflict);
    CHECK(f.count("SELECT count(*) FROM audit") == 0);
  }
  SUBCASE("the 410's row goes first again, then the ones held behind it") {
    f.clock.advance_ms(1'000);
    f.record(first, 410, Outcome::endpoint_gone, std::nullopt, "HTTP 410");
    const auto third = f.add("a", f.clock.now());  // queued while disabled: held
    CHECK(f.outbox.due(f.clock.now().plus_days(1), 10).empty());
    auto facts = f.outbox.endpoint_facts();
    REQUIRE(facts);
    REQUIRE(facts->size() == 1);
    CHECK(facts->at(0).disabled_at == "2026-11-24T12:00:01.000Z");
    CHECK(facts->at(0).pending == 2);
    CHECK(facts->at(0).gone == 1);
    CHECK(facts->at(0).last_sequence == 3);
    REQUIRE(facts->at(0).last_attempt);
    CHECK(facts->at(0).last_attempt->outcome == "endpoint_gone");

    f.clock.advance_ms(60'000);
    auto r = f.outbox.enable_endpoint("a", "receiver moved back", admin);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(r->released == 1);
    CHECK(r->pending == 3);
    CHECK(r->disabled_at == "2026-11-24T12:00:01.000Z");
    CHECK(r->enabled_at == "2026-11-24T12:01:01.000Z");
    CHECK(ids(f.outbox.due(f.clock.now(), 10)) == std::vector<std::int64_t>{first, second, third});
    CHECK(f.count("SELECT count(*) FROM endpoint_state") == 0);
    CHECK(f.text("SELECT principal || ' ' || action || ' ' || entity FROM audit WHERE action LIKE 'webhook.%'") ==
          "operator webhook.endpoint_enable webhook/endpoint/a");
    CHECK(f.joined("SELECT enabled || ':' || principal || ':' || reason FROM endpoint_changes ORDER BY id", "|") ==
          "0:pvmond:HTTP 410 Gone for webhook " + f.text("SELECT msg_id FROM outbox WHERE id = " + std::to_string(first)) +
              "|1:operator:receiver moved back");
    auto after = f.outbox.endpoint_facts();
    REQUIRE(after);
    CHECK_FALSE(after->at(0).disabled_at);
    CHECK(after->at(0).changed_at == "2026-11-24T12:01:01.000Z");
    CHECK(after->at(0).change_reason == "receiver moved back");
    CHECK(after->at(0).changed_by == "operator");
    // Twice is a conflict: it is enabled.
    CHECK(f.outbox.enable_endpoint("a", "", admin).error().code == Errc::conflict);
  }
}

TEST_CASE("outbox: schema v14 numbers the rows a v13 database has, per endpoint in id order") {
  TempDir dir;
  {
    SqliteDb db(dir.path(), true, false, 1000);
    migrate(db, 13);
    for (const char* ep : {"a", "b", "a", "a", "b"})
      db.prepare("INSERT INTO outbox (msg_id, endpoint, event_type, body, created_at, next_attempt_at) "
                 "VALUES ('msg_' || (SELECT count(*) FROM outbox), ?, 'alert.sae', '{}', '2026-11-24T12:00:00.000Z', "
                 "'2026-11-24T12:00:00.000Z')")
          .bind(1, std::string(ep))
          .run();
    db.exec("INSERT INTO endpoint_state (endpoint, disabled_at, reason) VALUES ('b', '2026-11-24T12:00:01.000Z', 'HTTP 410 Gone')");
    migrate(db);
    CHECK(read_schema_version(db) >= 14);
    auto st = db.prepare("SELECT group_concat(endpoint || seq, ',') FROM (SELECT * FROM outbox ORDER BY id)");
    REQUIRE(st.step());
    CHECK(st.text(0) == "a1,b1,a2,a3,b2");
    auto ch = db.prepare("SELECT endpoint || ' ' || enabled || ' ' || reason FROM endpoint_changes");
    REQUIRE(ch.step());
    CHECK(ch.text(0) == "b 0 HTTP 410 Gone");
  }
  Fixture f;  // a fresh database: the next number follows the highest
  f.add("a", kT0);
  CHECK(f.count("SELECT seq FROM outbox") == 1);
}

TEST_CASE("outbox: a claim is leased to its instance; the same instance restarted sends it at once, another "
          "after the lease" * doctest::test_suite("engines")) {
  Fixture f;
  const auto id = f.add("a", kT0);
  constexpr std::int64_t kLease = 60'000;
  {
    SqliteOutbox first{f.writer, f.readers, f.clock, {}, kLease, "host1:/var/lib/pvmon"};
    CHECK(ids(first.due(kT0, 10)) == std::vector<std::int64_t>{id});
    CHECK(f.text("SELECT claimed_by FROM outbox") == "host1:/var/lib/pvmon");
  }  // ...and dies before it records an attempt.
  SqliteOutbox other{f.writer, f.readers, f.clock, {}, kLease, "host2:/var/lib/pvmon"};
  CHECK(other.due(kT0.plus_ms(1000), 10).empty());  // leased to host1
  // host1's pvmond restarted (same host and data folder): its own claim, at once.
  SqliteOutbox restarted{f.writer, f.readers, f.clock, {}, kLease, "host1:/var/lib/pvmon"};
  CHECK(ids(restarted.due(kT0.plus_ms(1000), 10)) == std::vector<std::int64_t>{id});
  // Had it not come back, host2 takes the endpoint once the (renewed) lease has run out.
  CHECK(other.due(kT0.plus_ms(999 + kLease), 10).empty());
  CHECK(ids(other.due(kT0.plus_ms(1000 + kLease), 10)) == std::vector<std::int64_t>{id});
  CHECK(f.text("SELECT claimed_by FROM outbox") == "host2:/var/lib/pvmon");
}

TEST_CASE("outbox: record() throws when the write fails, so the dispatcher backs off" * doctest::test_suite("engines")) {
  Fixture f;
  const auto id = f.add("a", kT0);
  f.writer.stop();
  CHECK_THROWS_AS(f.record(id, 200, Outcome::delivered), std::runtime_error);
}

TEST_CASE("outbox: redeliver sets the row pending and due now, same webhook-id, audited" * doctest::test_suite("engines")) {
  Fixture f;
  const auto id = f.add("a", kT0);
  const std::string msg_id = f.text("SELECT msg_id FROM outbox WHERE id = " + std::to_string(id));
  f.record(id, 200, Outcome::delivered);
  f.clock.advance_ms(3'600'000);
  const Actor admin{"operator", ""};

  auto r = f.outbox.redeliver(id, admin);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->previous_state == "delivered");
  CHECK(r->next_attempt_at == format_timestamp(f.clock.now()));
  CHECK(r->webhook_id == msg_id);
  CHECK_FALSE(r->endpoint_disabled_at);
  const auto due = f.outbox.due(f.clock.now(), 1);
  REQUIRE(due.size() == 1);
  CHECK(due[0].msg_id == msg_id);
  CHECK(due[0].next_attempt_at == f.clock.now());
  CHECK(f.text("SELECT delivered_at FROM outbox") == "NULL");
  CHECK(f.text("SELECT principal || ' ' || action || ' ' || entity FROM audit") ==
        "operator webhook.redeliver webhook/delivery/" + std::to_string(id));

  SUBCASE("at an endpoint disabled by a 410 the row waits, and the answer says so") {
    const auto gone = f.add("g", kT0);
    f.record(gone, 410, Outcome::endpoint_gone, std::nullopt, "HTTP 410");
    auto g = f.outbox.redeliver(gone, admin);
    REQUIRE(g);
    CHECK(g->endpoint_disabled_at);
    CHECK(f.state(gone) == "pending");
    CHECK(ids(f.outbox.due(f.clock.now(), 10)) == std::vector<std::int64_t>{id});
  }
  SUBCASE("an unknown id is not found") {
    auto missing = f.outbox.redeliver(9999, admin);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);
    CHECK(f.count("SELECT count(*) FROM audit") == 1);
  }
}

TEST_CASE("outbox: list_deliveries filters, pages newest first, and never shows the body" * doctest::test_suite("engines")) {
  Fixture f;
  const std::string body = R"({"type":"alert.sae","data":{"narrative":"BODY-MARKER"}})";
  const auto a1 = f.add("a", kT0, body);
  const auto b1 = f.add("b", kT0, body);
  const auto a2 = f.add("a", kT0, body);
  f.record(a1, 500, Outcome::retry, kT0.plus_ms(5'000), "HTTP 500");
  f.record(a1, 200, Outcome::delivered);

  auto all = f.outbox.list_deliveries(std::nullopt, std::nullopt, std::nullopt, 50);
  REQUIRE(all);
  const auto& items = all->items;
  REQUIRE(items.size() == 3);
  CHECK(items[0].id == a2);
  CHECK(items[2].id == a1);
  CHECK_FALSE(all->next_after_id);
  // DeliveryView has no body member: the body never leaves the outbox, only its size.
  CHECK(items[2].body_bytes == static_cast<std::int64_t>(body.size()));
  CHECK(items[2].state == "delivered");
  CHECK(items[2].attempts == 2);
  CHECK_FALSE(items[2].next_attempt_at);
  const auto& history = items[2].history;
  REQUIRE(history.size() == 2);
  CHECK(history[0].http_status == 500);
  CHECK(history[0].outcome == "retry");
  CHECK(history[0].error == "HTTP 500");
  CHECK(history[0].latency_ms == 42);
  CHECK(history[1].outcome == "delivered");
  CHECK(items[0].history.empty());

  auto only_a = f.outbox.list_deliveries(std::string("a"), std::nullopt, std::nullopt, 50);
  REQUIRE(only_a);
  CHECK(only_a->items.size() == 2);
  auto pending = f.outbox.list_deliveries(std::nullopt, std::string("pending"), std::nullopt, 50);
  REQUIRE(pending);
  REQUIRE(pending->items.size() == 2);
  CHECK(pending->items[0].id == a2);
  CHECK(pending->items[1].id == b1);

  auto page1 = f.outbox.list_deliveries(std::nullopt, std::nullopt, std::nullopt, 2);
  REQUIRE(page1);
  CHECK(page1->items.size() == 2);
  REQUIRE(page1->next_after_id == b1);
  auto page2 = f.outbox.list_deliveries(std::nullopt, std::nullopt, b1, 2);
  REQUIRE(page2);
  REQUIRE(page2->items.size() == 1);
  CHECK(page2->items[0].id == a1);
  CHECK_FALSE(page2->next_after_id);

  auto bad = f.outbox.list_deliveries(std::nullopt, std::string("lost"), std::nullopt, 50);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid);
  CHECK(bad.error().fields.at(0).field == "state");
}

TEST_CASE("outbox: webhook-ids are msg_ and 24 base64url characters, all different") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = SqliteOutbox::new_msg_id();
    REQUIRE(id.size() == 28);
    CHECK(id.rfind("msg_", 0) == 0);
    CHECK(std::all_of(id.begin() + 4, id.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    }));
    seen.insert(id);
  }
  CHECK(seen.size() == 200);
}
