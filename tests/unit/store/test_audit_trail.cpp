// The audit trail's pieces (audit_trail.hpp, pvmon/maintenance.hpp): entity names, the
// checkpoint format and its MAC, and the v11 migration's baseline of an existing database.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <random>

#include "temp_dir.hpp"
#include "audit_trail.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/maintenance.hpp"
#include "schema.hpp"

using namespace pvmon;
using namespace pvmon::store;
namespace fs = std::filesystem;

namespace {
using test::TempDir;
}  // namespace

TEST_CASE("entity names map to the table behind them; the others have none") {
  CHECK(audit::kind_of("hcc/subject/S01-0007") == audit::Kind::subject);
  CHECK(audit::kind_of("hcc/subject/S01-0007/event/4") == audit::Kind::event);
  CHECK(audit::kind_of("hcc/subject/S01-0007/lab/L-1") == audit::Kind::lab_panel);
  CHECK(audit::kind_of("hcc/ae/12") == audit::Kind::ae);
  CHECK(audit::kind_of("hcc/clock/9") == audit::Kind::clock);
  CHECK(audit::kind_of("hcc/submission/3") == audit::Kind::submission);
  CHECK(audit::kind_of("*/alert/5") == audit::Kind::alert);
  CHECK(audit::kind_of("hcc/dsmb-report/1") == audit::Kind::dsmb_report);
  CHECK(audit::kind_of("hcc/protocol/ab12") == audit::Kind::protocol);
  CHECK_FALSE(audit::kind_of("config"));
  CHECK_FALSE(audit::kind_of("auth/127.0.0.1"));
  CHECK_FALSE(audit::kind_of("audit"));
  CHECK_FALSE(audit::kind_of("webhook/delivery/3"));
  CHECK_FALSE(audit::kind_of("hcc/subject/S01/note/1"));
}

TEST_CASE("a row's hash material: the pre-v11 form unchanged, the content hash appended after it") {
  const std::optional<std::string> none;
  const std::string old = audit::row_material("p", 2, "t", "who", "ae.create", "s/ae/1", std::string("v"), none, none);
  CHECK(old == std::string("p\x1f" "2\x1f" "t\x1f" "who\x1f" "ae.create\x1f" "s/ae/1\x1f" "v\x1f"));
  CHECK(audit::row_material("p", 2, "t", "who", "ae.create", "s/ae/1", std::string("v"), none, std::string("c")) ==
        old + "\x1f" "c");
}

TEST_CASE("checkpoints: a line round-trips, its MAC covers every field, an unreadable line is named") {
  TempDir t;
  const std::string key(40, 'k');
  AuditCheckpoint c{41, std::string(64, 'a'), "2026-12-06T10:00:00.000Z", "stop", "", std::string(64, 'd')};
  c.mac = checkpoint_mac(key, c);
  // RFC 2104 HMAC over the documented material, computed independently of checkpoint_mac.
  CHECK(c.mac == crypto::hex_encode(crypto::hmac_sha256(
                     key, "pvmon.audit-checkpoint/1\x1f" "41\x1f" + std::string(64, 'a') +
                              "\x1f" "2026-12-06T10:00:00.000Z\x1f" "stop\x1f" + std::string(64, 'd'))));
  for (auto edit : std::vector<std::function<void(AuditCheckpoint&)>>{
           [](AuditCheckpoint& x) { x.seq = 40; }, [](AuditCheckpoint& x) { x.head[0] = 'b'; },
           [](AuditCheckpoint& x) { x.at = "2026-12-06T10:00:01.000Z"; }, [](AuditCheckpoint& x) { x.reason = "start"; },
           [](AuditCheckpoint& x) { x.db_sha256.clear(); }}) {
    AuditCheckpoint y = c;
    edit(y);
    CHECK(checkpoint_mac(key, y) != c.mac);
  }
  CHECK(checkpoint_mac(std::string(40, 'x'), c) != c.mac);

  const auto path = (t.dir / "sub" / "cp.jsonl").string();
  REQUIRE(append_checkpoint(path, c));
  { std::ofstream(path, std::ios::app) << "not json\n"; }
  REQUIRE(append_checkpoint(path, c));
  auto file = read_checkpoints(path);
  REQUIRE(file);
  REQUIRE(file->checkpoints.size() == 2);
  CHECK(file->checkpoints[0].seq == 41);
  CHECK(file->checkpoints[0].db_sha256 == c.db_sha256);
  CHECK(file->checkpoints[0].mac == c.mac);
  CHECK(file->bad_lines == std::vector<std::size_t>{2});
  CHECK((fs::status(path).permissions() & fs::perms::others_read) == fs::perms::none);
}

TEST_CASE("checkpoint keys: at least 32 bytes; one is made when none exists, and kept") {
  TempDir t;
  const auto short_key = (t.dir / "short.key").string();
  std::ofstream(short_key) << "too short\n";
  CHECK_FALSE(read_checkpoint_key(short_key));
  CHECK(read_checkpoint_key((t.dir / "none.key").string()).error().code == Errc::not_found);
  const auto made = (t.dir / "made" / "k.key").string();
  auto k1 = load_or_create_checkpoint_key(made);
  REQUIRE(k1);
  CHECK(k1->size() == 64);
  auto k2 = load_or_create_checkpoint_key(made);
  REQUIRE(k2);
  CHECK(*k1 == *k2);
}

TEST_CASE("schema v11: a database from before gets a baseline row for every entity and verifies") {
  TempDir t;
  const auto path = (t.dir / "v10.db").string();
  {
    SqliteDb db(path, true, false, 1000);
    migrate(db, 10);
    db.exec("INSERT INTO subjects (id, study, site, subject, enrolled, record, body_sha256, created_at, created_by) "
            "VALUES (1, 's', 'S01', 'S01-0001', '2026-01-01', '{}', 'h', '2026-01-01T00:00:00.000Z', 'x')");
    db.exec("INSERT INTO ae_reports (id, study, site, report_id, subject_id, subject, received_at, body_sha256, "
            "current_version, grade, status) VALUES (1, 's', 'S01', 'R1', 1, 'S01-0001', "
            "'2026-02-01T00:00:00.000Z', 'h', 1, 3, 'active')");
    db.exec("INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record, grade) VALUES "
            "(1, 1, 'initial', '2026-02-01T00:00:00.000Z', 'x', '{\"grade\":3}', 3)");
    db.exec("INSERT INTO alerts (study, rule, severity, dedupe_key, title, payload, created_at) VALUES "
            "('s', 'sae', 'high', 's|k', 'an SAE', '{}', '2026-02-01T00:00:00.000Z')");
    migrate(db);
    auto st = db.prepare("SELECT entity, action, content_sha256 FROM audit ORDER BY seq");
    std::vector<std::string> entities;
    while (st.step()) {
      CHECK(st.text(1) == "audit.baseline");
      CHECK(st.text(2).size() == 64);
      entities.push_back(st.text(0));
    }
    CHECK(entities == std::vector<std::string>{"s/subject/S01-0001", "s/ae/1", "s/alert/1"});
    // The content hash is the one read_content gives now.
    auto c = db.prepare("SELECT content_sha256 FROM audit WHERE entity = 's/ae/1'");
    REQUIRE(c.step());
    CHECK(audit::read_content(db, audit::Kind::ae, 1)->sha256 == c.text(0));
  }
  auto r = verify_audit(path);
  REQUIRE(r);
  CHECK(r->intact());
  CHECK(r->entities == 3);
  // An alert's re-send bookkeeping is not content; its acknowledgement is.
  {
    SqliteDb db(path, false, false, 1000);
    db.exec("UPDATE alerts SET escalations = 3, last_sent_at = '2026-02-02T00:00:00.000Z'");
  }
  CHECK(verify_audit(path)->intact());
  {
    SqliteDb db(path, false, false, 1000);
    db.exec("UPDATE alerts SET status = 'acked', acked_by = 'mallory'");
  }
  auto bad = verify_audit(path);
  REQUIRE(bad);
  REQUIRE(bad->findings.size() == 1);
  CHECK(bad->findings[0].problem == "content mismatch");
  CHECK(bad->findings[0].entity == "s/alert/1");
}
