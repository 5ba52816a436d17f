#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "pvmon/store.hpp"
#include "schema.hpp"
#include "temp_dir.hpp"
#include "test_db.hpp"
#include "writer.hpp"

using namespace pvmon;
using namespace pvmon::store;
using nlohmann::json;
namespace fs = std::filesystem;

using namespace pvmon::test;

namespace {

using TempDb = test::TempDir;

}  // namespace

TEST_CASE("a new database is migrated to the current schema; a newer one is refused") {
  TempDb t;
  {
    auto s = Store::open({t.path()}, kClock);
    REQUIRE(s);
    CHECK(s.value()->schema_version() == current_schema_version());
  }
  {
    SqliteDb db(t.path(), false, false, 1000);
    db.exec("INSERT INTO schema_version VALUES (1000)");
  }
  auto s = Store::open({t.path()}, kClock);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("schema version 1000") != std::string::npos);
}

TEST_CASE("each older schema migrates forward, keeping its data") {
  for (const auto& m : migrations()) {
    if (m.version == current_schema_version()) continue;
    TempDb t;
    {
      SqliteDb db(t.path(), true, false, 1000);
      migrate(db, m.version);
      CHECK(read_schema_version(db) == m.version);
      db.exec("INSERT INTO subjects (study, subject, site, enrolled, record, body_sha256, created_at, created_by) "
              "VALUES ('s', 'S01-0001', 'S01', '2026-09-01', '{}', 'h', 't', 'p')");
    }
    auto s = Store::open({t.path()}, kClock);
    REQUIRE(s);
    CHECK(s.value()->schema_version() == current_schema_version());
    auto row = s.value()->find_subject("s", "S01-0001");
    REQUIRE(row);
    CHECK(row.value().has_value());
  }
}

TEST_CASE("schema v8: each report's resolution date beside its onset, for the subjects' courses") {
  TempDb t;
  SqliteDb db(t.path(), true, false, 1000);
  migrate(db, 7);
  db.exec("INSERT INTO subjects (id, study, site, subject, enrolled, record, body_sha256, created_at, created_by) "
          "VALUES (1, 's', 'S01', 'S01-0001', '2026-01-01', '{}', 'h', '2026-01-01T00:00:00.000Z', 'x')");
  db.exec("INSERT INTO ae_reports (id, study, site, report_id, subject_id, subject, received_at, body_sha256, "
          "current_version, meddra_code, grade, onset, status) VALUES "
          "(1, 's', 'S01', 'R1', 1, 'S01-0001', '2026-02-01T00:00:00.000Z', 'h', 2, '1', 2, '2026-01-20', 'active')");
  db.exec("INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record, resolved) VALUES "
          "(1, 1, 'initial', '2026-02-01T00:00:00.000Z', 'x', '{}', NULL), "
          "(1, 2, 'followup', '2026-03-01T00:00:00.000Z', 'x', '{}', '2026-02-25')");
  migrate(db);
  CHECK(read_schema_version(db) == current_schema_version());
  auto st = db.prepare("SELECT resolved FROM ae_reports WHERE id = 1");
  REQUIRE(st.step());
  CHECK(st.text(0) == "2026-02-25");  // the version in force, not the first
}

TEST_CASE("schema v7: stored DSMB reports get their cut-off as their as-of; a later as-of may follow") {
  TempDb t;
  {
    SqliteDb db(t.path(), true, false, 1000);
    migrate(db, 6);
    db.exec("INSERT INTO dsmb_reports (study, number, cutoff, previous_cutoff, trigger, body, sha256, "
            "protocol_sha256, generated_at, generated_by) VALUES "
            "('s', 1, '2026-11-20T08:00:00.000Z', NULL, 'scheduled', '{}', 'h1', 'p', '2026-11-20T08:00:01.000Z', 'pvmond')");
    migrate(db, 7);
    CHECK(read_schema_version(db) == 7);
    // Still append-only.
    CHECK_THROWS_AS(db.exec("UPDATE dsmb_reports SET as_of = 'x'"), SqliteError);
    CHECK_THROWS_AS(db.exec("DELETE FROM dsmb_reports"), SqliteError);
  }
  auto s = Store::open({t.path()}, kClock);
  REQUIRE(s);
  auto rows = s.value()->list_dsmb_reports("s");
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  const auto old = rows->front();
  CHECK(format_timestamp(old.cutoff) == "2026-11-20T08:00:00.000Z");
  CHECK(old.as_of == old.cutoff);
  auto found = s.value()->dsmb_report_at("s", old.cutoff, old.as_of);
  REQUIRE(found);
  REQUIRE(found.value());
  CHECK(found.value()->body == "{}");
  // A report for the cut-off day of the old one, built later: a new number, the old cut-off
  // its period's start; then the same cut-off again from a later as-of, over the same period.
  DsmbReportDraft d;
  d.study = "s";
  d.number = 2;
  d.cutoff = *parse_timestamp("2026-11-20T23:59:59.999Z");
  d.as_of = *parse_timestamp("2026-11-21T09:00:00Z");
  d.previous_cutoff = old.cutoff;
  d.trigger = "manual";
  d.body = "{\"n\":2}";
  d.sha256 = "h2";
  d.protocol_sha256 = "p";
  auto two = s.value()->insert_dsmb_report(d, {"officer", ""});
  REQUIRE_MESSAGE(two, (two ? "" : two.error().message));
  d.number = 3;
  d.as_of = *parse_timestamp("2026-11-22T09:00:00Z");
  d.sha256 = "h3";
  auto three = s.value()->insert_dsmb_report(d, {"officer", ""});
  REQUIRE_MESSAGE(three, (three ? "" : three.error().message));
  CHECK(three->previous_cutoff == old.cutoff);
  // Not the same pair twice, nor an earlier as-of for the same cut-off.
  d.number = 4;
  auto same = s.value()->insert_dsmb_report(d, {"officer", ""});
  REQUIRE_FALSE(same);
  CHECK(same.error().code == Errc::conflict);
  CHECK(same.error().fields.at(0).field == "as_of");
  CHECK(same.error().message.find("#3") != std::string::npos);
  s.value()->close();
}

TEST_CASE("subjects and AE reports: idempotent replays, conflicts, versions" * doctest::test_suite("engines")) {
  test::TestDb t;
  auto s = std::move(Store::open(t.options(), kClock).value());
  const Actor a{"s01-coordinator", "S01"};
  auto e1 = s->enrol_subject("st", "S01", subject("S01-0001"), "h1", a);
  REQUIRE(e1);
  CHECK(e1->created);
  auto e2 = s->enrol_subject("st", "S01", subject("S01-0001"), "h1", a);
  REQUIRE(e2);
  CHECK_FALSE(e2->created);
  auto e3 = s->enrol_subject("st", "S01", subject("S01-0001"), "h2", a);
  REQUIRE_FALSE(e3);
  CHECK(e3.error().code == Errc::conflict);
  auto e4 = s->enrol_subject("st", "S02", subject("S01-0001"), "h1", a);
  REQUIRE_FALSE(e4);
  CHECK(e4.error().code == Errc::conflict);
  // Another site's subject: the answer of any other conflict, word for word, naming no site.
  CHECK(e4.error().message == e3.error().message);
  CHECK(e4.error().fields == e3.error().fields);
  CHECK(e4.error().message.find("site") == std::string::npos);

  auto r1 = s->insert_ae("st", "S01", ae("R1"), "b1", a);
  REQUIRE(r1);
  CHECK(r1->created);
  CHECK(r1->record["version"] == 1);
  CHECK(r1->record["received_at"] == "2026-11-24T12:00:00.000Z");
  auto r1b = s->insert_ae("st", "S01", ae("R1"), "b1", a);
  REQUIRE(r1b);
  CHECK_FALSE(r1b->created);
  CHECK(r1b->record == r1->record);
  auto r1c = s->insert_ae("st", "S01", ae("R1"), "b2", a);
  REQUIRE_FALSE(r1c);
  CHECK(r1c.error().code == Errc::conflict);
  auto nosubj = s->insert_ae("st", "S01", ae("R2", "S01-0404"), "b3", a);
  REQUIRE_FALSE(nosubj);
  CHECK(nosubj.error().code == Errc::invalid);

  auto got = s->get_ae("st", r1->record["id"].get<std::int64_t>());
  REQUIRE(got);
  CHECK(*got.value() == r1->record);
  auto other_study = s->get_ae("other", r1->record["id"].get<std::int64_t>());
  REQUIRE(other_study);
  CHECK_FALSE(other_study.value().has_value());
}

TEST_CASE("history is append-only and the audit rows are hash-chained" * doctest::test_suite("engines")) {
  test::TestDb t;
  {
    auto s = std::move(Store::open(t.options(), kClock).value());
    const Actor a{"p", "S01"};
    REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", a));
    REQUIRE(s->insert_ae("st", "S01", ae("R1"), "b", a));
    s->close();
  }
  auto db = t.open();
  CHECK_THROWS_AS(db->exec("UPDATE ae_versions SET record = '{}'"), DbError);
  CHECK_THROWS_AS(db->exec("DELETE FROM ae_versions"), DbError);
  CHECK_THROWS_AS(db->exec("UPDATE audit SET principal = 'x'"), DbError);
  CHECK_THROWS_AS(db->exec("DELETE FROM audit"), DbError);
  if (t.postgres()) CHECK_THROWS_AS(db->exec("TRUNCATE audit"), DbError);
  auto st = db->prepare("SELECT seq, prev_hash, hash, action FROM audit ORDER BY seq");
  std::string prev(64, '0');
  int rows = 0;
  while (st.step()) {
    ++rows;
    CHECK(st.text(1) == prev);
    CHECK(st.text(2).size() == 64);
    prev = st.text(2);
  }
  CHECK(rows == 2);
}

TEST_CASE("the writer commits concurrent writes in groups, and a failing job spoils no other" *
          doctest::test_suite("engines")) {
  test::TestDb t;
  t.open(true)->exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
  Writer w(t.open(), 64);
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        const std::string key = std::to_string(i) + "-" + std::to_string(j);
        auto r = w.write<Ok>([&](Db& db) -> Result<Ok> {
          db.prepare("INSERT INTO t (k) VALUES (?)").bind(1, key).run();
          if (j % 10 == 9) {
            // Writes something, then fails: its savepoint must be rolled back alone.
            db.prepare("INSERT INTO t (k) VALUES (?)").bind(1, key + "-half").run();
            return Error::of(Errc::invalid, "refused");
          }
          return Ok{};
        });
        (r ? ok : failed).fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  w.stop();
  CHECK(ok.load() == kThreads * kEach * 9 / 10);
  CHECK(failed.load() == kThreads * kEach / 10);
  const auto stats = w.stats();
  CHECK(stats.jobs == kThreads * kEach);
  CHECK(stats.commits <= stats.jobs);
  auto db = t.open(false, true);
  auto st = db->prepare("SELECT count(*), sum(CASE WHEN k LIKE '%-half' THEN 1 ELSE 0 END) FROM t");
  REQUIRE(st.step());
  CHECK(st.i64(0) == ok.load());
  CHECK(st.i64(1) == 0);
  // After stop, writes are refused rather than lost silently.
  auto late = w.write<Ok>([](Db&) -> Result<Ok> { return Ok{}; });
  REQUIRE_FALSE(late);
  CHECK(late.error().code == Errc::unavailable);
}

TEST_CASE("a database locked by another connection fails writes clearly after the busy timeout" *
          doctest::test_suite("engines")) {
  test::TestDb t;
  auto s = std::move(Store::open(t.options(200), kClock).value());
  // SQLite: another process's write transaction. PostgreSQL: another instance holding the
  // write lock (a hung pvmond mid-transaction).
  auto other = t.open(false, false, 0);
  other->begin_write();
  auto r = s->enrol_subject("st", "S01", subject("S01-0001"), "h", Actor{"p", "S01"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unavailable);
  CHECK(r.error().message.find("locked") != std::string::npos);
  other->exec("ROLLBACK");
  auto again = s->enrol_subject("st", "S01", subject("S01-0001"), "h", Actor{"p", "S01"});
  CHECK(again);
}

namespace {
AlertRecord alert(const std::string& key, const std::string& severity) {
  return AlertRecord{"clock_overdue", severity, key, "Overdue: " + key, "S01-0001", std::nullopt,
                     json{{"key", key}}};
}
std::size_t alert_count(Store& s, const std::string& study) {
  auto page = s.list_alerts(study, std::nullopt, std::nullopt, std::nullopt, 1000);
  REQUIRE(page);
  return page->items.size();
}
}  // namespace

TEST_CASE("raise_alerts records each dedupe key once, however often the scheduler raises it" *
          doctest::test_suite("engines")) {
  test::TestDb t;
  auto s = Store::open(t.options(), kClock);
  REQUIRE(s);
  Store& store = *s.value();
  // More than one chunk of the writer (kAlertChunk, 256): all of them land.
  std::vector<AlertRecord> first;
  for (int i = 0; i < 600; ++i) first.push_back(alert("clock_overdue:" + std::to_string(i), "high"));
  REQUIRE(store.raise_alerts("s", first));
  CHECK(alert_count(store, "s") == 600);
  // The next tick raises the same 600 and 2 new ones: only the 2 are added.
  auto second = first;
  second.push_back(alert("clock_overdue:600", "high"));
  second.push_back(alert("clock_overdue:601", "critical"));
  REQUIRE(store.raise_alerts("s", second));
  CHECK(alert_count(store, "s") == 602);
  // Keys belong to a study: the same key in another study is another alert.
  REQUIRE(store.raise_alerts("other", {alert("clock_overdue:0", "high")}));
  CHECK(alert_count(store, "other") == 1);
  CHECK(alert_count(store, "s") == 602);
}

TEST_CASE("escalation re-sends open critical alerts once per period, by index" * doctest::test_suite("engines")) {
  test::TestDb t;
  auto s = Store::open(t.options(), kClock);  // every alert is created at kClock's time
  REQUIRE(s);
  Store& store = *s.value();
  REQUIRE(store.raise_alerts("s", {alert("a", "critical"), alert("b", "high"), alert("c", "critical")}));
  const Timestamp t0 = kClock.now();
  const std::int64_t hour = 3'600'000;
  auto n = store.escalate(t0.plus_ms(hour - 1), hour);  // not yet an hour old
  REQUIRE(n);
  CHECK(n.value() == 0);
  n = store.escalate(t0.plus_ms(hour), hour);  // the two critical ones, not the high one
  REQUIRE(n);
  CHECK(n.value() == 2);
  n = store.escalate(t0.plus_ms(hour + 1000), hour);  // just re-sent: not again
  REQUIRE(n);
  CHECK(n.value() == 0);
  // An acknowledged alert is not re-sent.
  auto page = store.list_alerts("s", std::nullopt, std::string("critical"), std::nullopt, 10);
  REQUIRE(page);
  REQUIRE(page->items.size() == 2);
  const auto id = page->items[0].id;
  REQUIRE(store.ack_alert("s", id, "seen", Actor{"officer", ""}));
  n = store.escalate(t0.plus_ms(2 * hour), hour);
  REQUIRE(n);
  CHECK(n.value() == 1);

  // The scheduler runs this at every tick: it must read the partial index, not every alert.
  if (t.postgres()) return;  // (SQLite's query plan)
  SqliteDb db(t.sqlite_path(), false, true, 1000);
  auto plan = db.prepare(std::string("EXPLAIN QUERY PLAN ") + escalation_sql());
  plan.bind(1, "2026-11-24T12:00:00.000Z");
  std::string details;
  while (plan.step()) details += plan.text(3) + "\n";
  CHECK(details.find("alerts_to_escalate") != std::string::npos);
  CHECK(details.find("SCAN alerts") == std::string::npos);
}
