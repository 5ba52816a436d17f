// End-to-end: the audit trail proves the record (21 CFR 11.10(e)). A database is built through
// the real daemon (a simulated trial, an acknowledged alert, a serious report, a DSMB report), then
// altered the ways an attacker holding a copy and the sqlite3 C API would: each audited table
// updated, deleted from and inserted into (triggers dropped where they refuse it), the audit
// table edited in the middle, truncated, its tail rewritten with a recomputed hash, emptied.
// Each must be caught by `pvmon audit verify`, make pvmond start read-only (503 on writes,
// reads served, /readyz 503) and be refused by `pvmon restore`. Then an administrator's
// `pvmon audit accept` and SIGHUP bring the daemon back to writing.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

void exec_sql(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg);
  INFO(sql, " -> ", (msg ? msg : ""));
  sqlite3_free(msg);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

std::string sql_text(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// The last audit row rewritten (its principal), its hash recomputed as README documents the
/// material: the chain alone cannot tell, a checkpoint can.
void rewrite_tail(const fs::path& db) {
  const std::string material = sql_text(
      db,
      "SELECT prev_hash || char(31) || seq || char(31) || at || char(31) || 'mallory' || char(31) || action || "
      "char(31) || entity || char(31) || ifnull(new_value, '') || char(31) || ifnull(prev_value, '') || "
      "ifnull(char(31) || content_sha256, '') FROM audit ORDER BY seq DESC LIMIT 1");
  REQUIRE(!material.empty());
  exec_sql(db, "DROP TRIGGER audit_no_update; UPDATE audit SET principal = 'mallory', hash = '" +
                   sha256_hex(material) + "' WHERE seq = (SELECT max(seq) FROM audit)");
}

struct Tamper {
  const char* name;
  std::function<void(const fs::path&)> apply;
  const char* finding;  // what `pvmon audit verify --all` names
  /// Whether `pvmon restore` must refuse it as a backup. A truncated tail may look like an older
  /// backup (when the rows gone were no entity's latest), a row appended after the last
  /// checkpoint like a newer one: restored, pvmond then starts read-only on them (its
  /// checkpoints say what is missing or unsigned).
  bool backup_refused = true;
};

std::function<void(const fs::path&)> sql(std::string s) {
  return [s](const fs::path& db) { exec_sql(db, s); };
}

/// Every trigger dropped first: an attacker with the file is not stopped by them.
const char* kNoTriggers =
    "DROP TRIGGER IF EXISTS ae_versions_no_update; DROP TRIGGER IF EXISTS ae_versions_no_delete; "
    "DROP TRIGGER IF EXISTS ae_versions_unique; DROP TRIGGER IF EXISTS subject_events_no_update; "
    "DROP TRIGGER IF EXISTS subject_events_no_delete; DROP TRIGGER IF EXISTS dsmb_reports_no_update; "
    "DROP TRIGGER IF EXISTS dsmb_reports_no_delete; DROP TRIGGER IF EXISTS lab_panels_no_update; "
    "DROP TRIGGER IF EXISTS lab_panels_no_delete; DROP TRIGGER IF EXISTS lab_results_no_update; "
    "DROP TRIGGER IF EXISTS lab_results_no_delete; DROP TRIGGER IF EXISTS alert_assessments_no_update; ";

/// Each audited table (and the tables its entities are made of) updated, deleted from and
/// inserted into: `column` is a text column to alter, `unique` makes a copied row insertable.
struct Table {
  const char* name;
  const char* column;
  const char* unique;
  const char* entity_table;  // the table the finding names (an AE version is its report's)
  const char* on_delete;     // what a deleted row shows as
  const char* on_insert;
};

const std::vector<Table> kTables = {
    {"subjects", "created_by", "id = id + 1000000, subject = subject || '-F'", "subjects", "entity missing",
     "row without audit entry"},
    {"ae_reports", "body_sha256", "id = id + 1000000, report_id = report_id || '-F'", "ae_reports", "entity missing",
     "row without audit entry"},
    {"ae_versions", "recorded_by", "version = version + 100", "ae_reports", "content mismatch", "content mismatch"},
    {"subject_events", "recorded_by", "id = id + 1000000", "subject_events", "entity missing",
     "row without audit entry"},
    {"clocks", "reason", "id = id + 1000000", "clocks", "entity missing", "row without audit entry"},
    {"submissions", "reference", "id = id + 1000000", "submissions", "entity missing", "row without audit entry"},
    {"alerts", "title", "id = id + 1000000, dedupe_key = dedupe_key || '-F'", "alerts", "entity missing",
     "row without audit entry"},
    {"lab_panels", "recorded_by", "id = id + 1000000, panel_id = panel_id || '-F'", "lab_panels", "entity missing",
     "row without audit entry"},
    {"lab_results", "unit", "id = id + 1000000", "lab_panels", "content mismatch", "content mismatch"},
    {"dsmb_reports", "generated_by", "id = id + 1000000, number = number + 1000, as_of = as_of || 'x'", "dsmb_reports", "entity missing",
     "row without audit entry"},
    {"protocols", "text", "sha256 = sha256 || 'f'", "protocols", "entity missing", "row without audit entry"},
};

std::string finding(const char* problem, const char* table) {
  return std::string("table: ") + problem + " at " + table;
}

const std::vector<Tamper>& tampers() {
  static std::vector<Tamper> all;
  if (!all.empty()) return all;
  static std::vector<std::string> texts;  // the names and findings the cases point at
  texts.reserve(kTables.size() * 6);
  for (const auto& t : kTables) {
    const std::string last = std::string("(SELECT max(rowid) FROM ") + t.name + ")";
    const std::pair<std::string, std::string> cases[] = {
        {std::string("UPDATE ") + t.name + " SET " + t.column + " = " + t.column + " || 'x' WHERE rowid = " + last,
         finding("content mismatch", t.entity_table)},
        {std::string("DELETE FROM ") + t.name + " WHERE rowid = " + last, finding(t.on_delete, t.entity_table)},
        {std::string("CREATE TEMP TABLE f AS SELECT * FROM ") + t.name + " WHERE rowid = " + last + "; UPDATE f SET " +
             t.unique + "; INSERT INTO " + t.name + " SELECT * FROM f",
         finding(t.on_insert, t.entity_table)},
    };
    const char* verbs[] = {"updated", "deleted from", "inserted into"};
    for (int i = 0; i < 3; ++i) {
      texts.push_back(std::string(t.name) + " " + verbs[i] + " (every trigger dropped)");
      const char* name = texts.back().c_str();
      texts.push_back(cases[i].second);
      all.push_back({name, sql(kNoTriggers + cases[i].first), texts.back().c_str()});
    }
  }
  static const std::vector<Tamper> named = {
      // AE reports and their versions.
      {"a stored grade lowered in the version text and its fact column (trigger dropped)",
       sql("DROP TRIGGER ae_versions_no_update; UPDATE ae_versions SET record = json_set(record, '$.grade', 1), "
           "grade = 1 WHERE rowid = (SELECT min(rowid) FROM ae_versions WHERE grade >= 3)"),
       "table: content mismatch at ae_reports"},
      {"a stored grade lowered in the fact column alone (what /safety reads)",
       sql("DROP TRIGGER ae_versions_no_update; UPDATE ae_versions SET grade = 1 "
           "WHERE rowid = (SELECT max(rowid) FROM ae_versions WHERE grade >= 3)"),
       "table: content mismatch at ae_reports"},
      {"the report's current grade lowered (ae_reports)",
       sql("UPDATE ae_reports SET grade = 1 WHERE id = (SELECT min(id) FROM ae_reports WHERE grade >= 3)"),
       "table: content mismatch at ae_reports"},
      {"an AE report deleted with its versions (trigger dropped)",
       sql("DROP TRIGGER ae_versions_no_delete; "
           "DELETE FROM ae_versions WHERE report = (SELECT max(id) FROM ae_reports); "
           "DELETE FROM ae_reports WHERE id = (SELECT max(id) FROM ae_reports)"),
       "table: entity missing at ae_reports"},
      {"an AE report inserted",
       sql("INSERT INTO ae_reports (study, site, report_id, subject_id, subject, received_at, body_sha256, "
           "current_version, meddra_code, grade, onset, status) SELECT study, site, 'FORGED', subject_id, subject, "
           "received_at, body_sha256, 1, meddra_code, 1, onset, 'active' FROM ae_reports WHERE id = 1; "
           "INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record, grade) "
           "VALUES (last_insert_rowid(), 1, 'initial', '2026-11-01T00:00:00.000Z', 'mallory', '{}', 1)"),
       "table: row without audit entry at ae_reports"},
      // Subjects and their events.
      {"a subject's record changed",
       sql("UPDATE subjects SET record = json_set(record, '$.age', 30) WHERE id = 1"),
       "table: content mismatch at subjects"},
      {"a subject event deleted (trigger dropped)",
       sql("DROP TRIGGER subject_events_no_delete; DELETE FROM subject_events WHERE id = (SELECT max(id) FROM "
           "subject_events)"),
       "table: entity missing at subject_events"},
      {"a death inserted as a subject event",
       sql("INSERT INTO subject_events (subject_id, kind, date, record, recorded_at, recorded_by) VALUES (1, "
           "'death', '2026-11-01', '{\"date\":\"2026-11-01\"}', '2026-11-02T00:00:00.000Z', 'mallory')"),
       "table: row without audit entry at subject_events"},
      // Alerts, clocks, submissions.
      {"an alert's acknowledgement altered",
       sql("UPDATE alerts SET acked_by = 'mallory', ack_comment = 'nothing to see' WHERE id = (SELECT min(id) FROM "
           "alerts WHERE status = 'acked')"),
       "table: content mismatch at alerts"},
      {"an alert deleted", sql("DELETE FROM alerts WHERE id = (SELECT max(id) FROM alerts)"),
       "table: entity missing at alerts"},
      {"a reporting clock's lateness flipped", sql("UPDATE clocks SET late = 1 - late WHERE id = (SELECT min(id) FROM clocks)"),
       "table: content mismatch at clocks"},
      {"a clock deleted", sql("DELETE FROM clocks WHERE id = (SELECT max(id) FROM clocks)"),
       "table: entity missing at clocks"},
      {"a regulatory submission inserted",
       sql("INSERT INTO submissions (report, kind, submitted, authority, reference, recorded_at, recorded_by) VALUES "
           "((SELECT min(id) FROM ae_reports), 'initial', '2026-10-04T00:00:00.000Z', 'NMPA', 'X-1', "
           "'2026-10-04T00:00:00.000Z', 'mallory')"),
       "table: row without audit entry at submissions"},
      // Labs, DSMB reports, protocols.
      {"a lab result's value changed (trigger dropped)",
       sql("DROP TRIGGER lab_results_no_update; UPDATE lab_results SET value = value / 10 WHERE id = (SELECT min(id) "
           "FROM lab_results)"),
       "table: content mismatch at lab_panels"},
      {"a DSMB report's body changed (trigger dropped)",
       sql("DROP TRIGGER dsmb_reports_no_update; UPDATE dsmb_reports SET body = replace(body, 'hcc', 'HCC')"),
       "table: content mismatch at dsmb_reports"},
      {"a protocol text changed", sql("UPDATE protocols SET text = text || ' '"),
       "table: content mismatch at protocols"},
      // The audit table itself.
      {"an audit row in the middle edited (trigger dropped)",
       sql("DROP TRIGGER audit_no_update; UPDATE audit SET principal = 'mallory' WHERE seq = (SELECT max(seq) / 2 "
           "FROM audit)"),
       "chain: hash mismatch"},
      {"an audit row in the middle deleted (trigger dropped)",
       sql("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = (SELECT max(seq) / 3 FROM audit)"),
       "chain: sequence gap"},
      {"the last audit rows deleted (trigger dropped)",
       sql("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit)"),
       "checkpoint: beyond the chain", false},
      {"the last audit row rewritten with its hash recomputed", rewrite_tail, "checkpoint: head differs"},
      {"the whole audit table deleted (trigger dropped)", sql("DROP TRIGGER audit_no_delete; DELETE FROM audit"),
       "table: row without audit entry"},
      {"an audit row appended while pvmond was stopped (a forged acceptance)",
       [](const fs::path& db) {
         const std::string prev = sql_text(db, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1");
         const std::string seq = sql_text(db, "SELECT max(seq) + 1 FROM audit");
         const std::string at = "2026-11-30T00:00:00.000Z";
         const std::string material = prev + "\x1f" + seq + "\x1f" + at + "\x1f" + "mallory" + "\x1f" +
                                      "audit.accept" + "\x1f" + "audit" + "\x1f" + "{}" + "\x1f";
         exec_sql(db, "INSERT INTO audit (seq, at, principal, action, entity, new_value, prev_value, prev_hash, "
                      "hash) VALUES (" + seq + ", '" + at + "', 'mallory', 'audit.accept', 'audit', '{}', NULL, '" +
                          prev + "', '" + sha256_hex(material) + "')");
       },
       "checkpoint: rows after a stop checkpoint", false},
  };
  all.insert(all.end(), named.begin(), named.end());
  return all;
}

/// The database every case starts from: built once through the daemon, then stopped cleanly
/// (its WAL checkpointed into the file, its stop checkpoint signed).
struct Pristine {
  TempDir tmp;
  fs::path db, checkpoints, key;
  Pristine() {
    const fs::path tokens = tmp.path / "tokens";
    write_text(tokens, "S01 demo-site-s01\nS02 demo-site-s02\nofficer demo-officer\n");
    Daemon d(write_config(tmp.path), tmp.path / "data");
    d.start();
    auto [rc, out] = run_command(std::string(PVMON_PATH) + " simulate --url http://" + d.host() + ":" +
                                 std::to_string(d.port()) + " --token-file " + tokens.string() +
                                 " --subjects 6 --seed 7 --dsmb --quiet 2>&1");
    INFO(out);
    REQUIRE(rc == 0);
    auto c = d.client();
    // An acknowledged alert.
    auto alerts = c.Get((std::string(kStudy) + "/alerts?status=open").c_str(), bearer("demo-officer"));
    REQUIRE(alerts);
    REQUIRE(alerts->status == 200);
    const json open = json::parse(alerts->body)["items"];
    REQUIRE(!open.empty());
    auto ack = c.Post((std::string(kStudy) + "/alerts/" + std::to_string(open[0]["id"].get<long>()) + "/ack").c_str(),
                      bearer("demo-officer"), R"({"comment": "reviewed"})", "application/json");
    REQUIRE(ack);
    REQUIRE(ack->status == 200);
    // A SUSAR (myocarditis is in no product's reference safety information) of a subject of its
    // own: its reporting clocks, and the initial report submitted.
    enrol_new(d, "S01-0900");
    json susar = ae_body("T-1", "S01-0900");
    susar.erase("lab");
    susar["term"] = "Myocarditis";
    susar["verbatim"] = "myocarditis";
    susar["onset"] = day(-2);
    susar["site_aware_at"] = hours_ago(30);
    auto sae = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), susar.dump(), "application/json");
    REQUIRE(sae);
    INFO(sae->body);
    REQUIRE(sae->status == 201);
    const std::string sae_id = std::to_string(json::parse(sae->body)["id"].get<long>());
    // Submitted after the sponsor received it (to the second: the next whole second).
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const json sub{{"kind", "initial"}, {"submitted", hours_ago(0)}, {"authority", "NMPA"}, {"reference", "CN-1"}};
    auto s = c.Post((std::string(kStudy) + "/ae/" + sae_id + "/submissions").c_str(), bearer("demo-officer"),
                    sub.dump(), "application/json");
    REQUIRE(s);
    INFO(s->body);
    REQUIRE(s->status == 201);
    REQUIRE(d.stop() == 0);
    db = tmp.path / "data" / "pvmon.db";
    checkpoints = tmp.path / "data-audit" / "checkpoints.jsonl";
    key = tmp.path / "data-audit" / "checkpoint.key";
    REQUIRE(fs::exists(checkpoints));
    REQUIRE(fs::exists(key));
    for (const char* t : {"subjects", "ae_reports", "ae_versions", "subject_events", "clocks", "submissions", "alerts",
                          "lab_panels", "lab_results", "dsmb_reports", "protocols"})
      REQUIRE(std::stoi(sql_text(db, std::string("SELECT count(*) FROM ") + t)) > 0);
  }
};

Pristine& pristine() {
  static Pristine p;
  return p;
}

/// A copy of the pristine database, checkpoint file and key in a folder of its own, laid out as
/// a daemon with data_dir <dir>/data finds them.
struct Copy {
  TempDir tmp;
  fs::path data, db, audit_dir;
  Copy() {
    const Pristine& p = pristine();
    data = tmp.path / "data";
    audit_dir = tmp.path / "data-audit";
    fs::create_directories(data);
    fs::create_directories(audit_dir);
    db = data / "pvmon.db";
    fs::copy_file(p.db, db);
    fs::copy_file(p.checkpoints, audit_dir / "checkpoints.jsonl");
    fs::copy_file(p.key, audit_dir / "checkpoint.key");
  }
  std::pair<int, std::string> verify(bool checkpoints = true) const {
    std::string cmd = PVMON_PATH;  // appended to in place: GCC 12 warns (wrongly) on a + chain
    cmd += " audit verify --all --db ";
    cmd += db.string();
    if (checkpoints) {
      cmd += " --checkpoints ";
      cmd += (audit_dir / "checkpoints.jsonl").string();
      cmd += " --key ";
      cmd += (audit_dir / "checkpoint.key").string();
    }
    cmd += " 2>&1";
    return run_command(cmd);
  }
};

}  // namespace

TEST_CASE("the untouched database verifies, with and without its checkpoints") {
  Copy c;
  auto [rc, out] = c.verify();
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("audit trail intact") != std::string::npos);
  CHECK(out.find("checkpoints checked: 0") == std::string::npos);
  auto [rc2, out2] = c.verify(false);
  CHECK(rc2 == 0);
}

TEST_CASE("every way of altering the database outside pvmond is caught: verify, start, restore") {
  REQUIRE(tampers().size() >= 14 + kTables.size() * 3);
  for (const auto& t : tampers()) {
    const std::string name = t.name;
    CAPTURE(name);
    Copy c;
    t.apply(c.db);

    // pvmon audit verify names it and exits 1.
    auto [rc, out] = c.verify();
    INFO(out);
    CHECK(rc == 1);
    CHECK(out.find("audit trail BROKEN") != std::string::npos);
    CHECK(out.find(t.finding) != std::string::npos);

    // pvmon restore refuses it as a backup (checked against the checkpoints as a backup).
    std::string restore = PVMON_PATH;  // appended to in place: GCC 12 warns (wrongly) on a + chain
    for (const std::string& part : {std::string(" restore --from ") + c.db.string(),
                                    " --db " + (c.tmp.path / "restored.db").string(),
                                    " --checkpoints " + (c.audit_dir / "checkpoints.jsonl").string(),
                                    " --key " + (c.audit_dir / "checkpoint.key").string(), std::string(" 2>&1")})
      restore += part;
    auto [rrc, rout] = run_command(restore);
    INFO(rout);
    if (t.backup_refused) {
      CHECK(rrc == 1);
      CHECK(rout.find("fails the audit verification") != std::string::npos);
      CHECK_FALSE(fs::exists(c.tmp.path / "restored.db"));
    }

    // pvmond starts read-only: reads served, writes 503, /readyz 503, a critical alert.
    Daemon d(write_config(c.tmp.path), c.data);
    d.start();
    auto cl = d.client();
    auto ready = cl.Get("/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 503);
    auto read = cl.Get((std::string(kStudy) + "/ae?limit=5").c_str(), bearer("demo-officer"));
    REQUIRE(read);
    CHECK(read->status == 200);
    auto write = cl.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
                         subject_body("S01-0999").dump(), "application/json");
    REQUIRE(write);
    CHECK(write->status == 503);
    CHECK(write->body.find("audit trail failed its verification") != std::string::npos);
    auto alerts = cl.Get("/v1/studies/hcc-pvtt-imrt/alerts?status=open&limit=500", bearer("demo-officer"));
    REQUIRE(alerts);
    CHECK(alerts->body.find("audit_mismatch") != std::string::npos);
    CHECK(d.log().find("pvmond is read-only") != std::string::npos);
    CHECK(d.stop() == 0);
  }
}

TEST_CASE("without checkpoints, a truncated tail is what the chain cannot see; the tables still catch data changes") {
  Copy c;
  exec_sql(c.db, "UPDATE ae_reports SET grade = 1 WHERE id = (SELECT min(id) FROM ae_reports WHERE grade >= 3)");
  auto [rc, out] = c.verify(false);
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("table: content mismatch at ae_reports") != std::string::npos);
}

TEST_CASE("an administrator accepts a finding: audited, signed, and pvmond writes again after SIGHUP") {
  Copy c;
  exec_sql(c.db, "UPDATE subjects SET record = json_set(record, '$.age', 30) WHERE id = 1");
  Daemon d(write_config(c.tmp.path), c.data);
  d.start();
  auto cl = d.client();
  REQUIRE(cl.Get("/readyz")->status == 503);

  const std::string accept = std::string(PVMON_PATH) + " audit accept --db " + c.db.string() + " --checkpoints " +
                             (c.audit_dir / "checkpoints.jsonl").string() + " --key " +
                             (c.audit_dir / "checkpoint.key").string();
  // A reason is required, and the key must come with the checkpoints.
  CHECK(run_command(accept + " --by qa-lead --reason short 2>&1").first == 2);
  CHECK(run_command(std::string(PVMON_PATH) + " audit accept --db " + c.db.string() +
                    " --by qa-lead --reason 'the age was corrected by the DBA, ticket 42' --checkpoints x 2>&1")
            .first == 2);
  auto [rc, out] = run_command(accept + " --by qa-lead --reason 'the age was corrected by the DBA, ticket 42' 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("accepted 1 finding(s) as qa-lead") != std::string::npos);
  CHECK(out.find("content mismatch at subjects") != std::string::npos);
  CHECK(c.verify().first == 0);

  d.signal(SIGHUP);
  d.log_with("the trail holds again");
  CHECK(cl.Get("/readyz")->status == 200);
  auto write = cl.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
                       subject_body("S01-0999").dump(), "application/json");
  REQUIRE(write);
  CHECK(write->status == 201);
  // The acceptance is in the trail, with who and why.
  auto audit = cl.Get("/v1/audit?entity=hcc-pvtt-imrt/subject/", bearer("demo-admin"));
  REQUIRE(audit);
  CHECK(audit->body.find("\"audit.accept\"") != std::string::npos);
  CHECK(audit->body.find("qa-lead") != std::string::npos);
  CHECK(audit->body.find("ticket 42") != std::string::npos);
  CHECK(d.stop() == 0);
  // And it holds after the restart: the accepted change is the entity's latest entry.
  CHECK(c.verify().first == 0);
}

namespace {

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &n);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) out += hex[md[i] >> 4], out += hex[md[i] & 15];
  return out;
}

/// A checkpoint's MAC as README documents it, computed here from its fields.
std::string documented_mac(const std::string& key, const json& c) {
  std::string material = "pvmon.audit-checkpoint/1\x1f" + std::to_string(c["seq"].get<long>()) + "\x1f" +
                         c["head"].get<std::string>() + "\x1f" + c["at"].get<std::string>() + "\x1f" +
                         c["reason"].get<std::string>();
  if (c.contains("db_sha256")) material += "\x1f" + c["db_sha256"].get<std::string>();
  return hmac_hex(key, material);
}

}  // namespace

TEST_CASE("checkpoints go to the log, the file and an audit.checkpoint webhook, signed with the configured key") {
  TempDir tmp;
  Receiver rx(free_port());
  rx.start();
  const std::string key = std::string(64, 'a').replace(0, 8, "0123abcd");
  write_text(tmp.path / "audit.key", key + "\n");
  const fs::path file = tmp.path / "elsewhere" / "checkpoints.jsonl";
  const auto config = write_config(tmp.path, [&](json& c) {
    c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url(), json::array({"audit.checkpoint"}))});
    c["audit"] = {{"key_file", (tmp.path / "audit.key").string()}, {"checkpoint_file", file.string()}};
  });
  Daemon d(config, tmp.path / "data");
  d.start();
  const auto checkpoint = [](const Delivery& x) { return json::parse(x.body)["data"]; };
  const auto with_reason = [&](const std::string& reason) {
    return [&, reason](const std::vector<Delivery>& got) {
      for (const auto& x : got)
        if (checkpoint(x).value("reason", "") == reason) return true;
      return false;
    };
  };
  REQUIRE(rx.wait_for(with_reason("start"), 30));
  const Delivery start = rx.got().front();
  CHECK(start.signature == expected_signature(start.id, start.timestamp, start.body));
  const json c0 = checkpoint(start);
  CHECK(json::parse(start.body)["type"] == "audit.checkpoint");
  CHECK(c0["mac"] == documented_mac(key, c0));
  CHECK(d.log().find("audit checkpoint seq=" + std::to_string(c0["seq"].get<long>())) != std::string::npos);
  CHECK(d.log().find(c0["mac"].get<std::string>()) != std::string::npos);

  // A DSMB report is covered by a checkpoint of its own.
  enrol_new(d);
  auto made = d.client().Post((std::string(kStudy) + "/dsmb-reports").c_str(), bearer("demo-officer"), "{}",
                              "application/json");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  REQUIRE(rx.wait_for(with_reason("dsmb_report"), 30));
  json c1;
  for (const auto& x : rx.got())
    if (checkpoint(x)["reason"] == "dsmb_report") c1 = checkpoint(x);
  CHECK(c1["seq"].get<long>() > c0["seq"].get<long>());
  CHECK(c1["mac"] == documented_mac(key, c1));
  auto audit = d.client().Get("/v1/audit?limit=50", bearer("demo-admin"));
  REQUIRE(audit);
  const json rows = json::parse(audit->body)["items"];
  bool covered = false;
  for (const auto& row : rows)
    if (row["action"] == "dsmb_report.built") covered = row["seq"].get<long>() <= c1["seq"].get<long>();
  CHECK(covered);

  // The clean stop's checkpoint, in the file, carries the database file's SHA-256.
  REQUIRE(d.stop() == 0);
  std::vector<json> lines;
  for (std::istringstream in(read_text(file)); !in.eof();) {
    std::string line;
    std::getline(in, line);
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  REQUIRE(lines.size() >= 3);
  for (const auto& l : lines) CHECK(l["mac"] == documented_mac(key, l));
  const json stop = lines.back();
  CHECK(stop["reason"] == "stop");
  CHECK(stop["db_sha256"] == sha256_hex(read_text(tmp.path / "data" / "pvmon.db")));
  CHECK(fs::file_size(tmp.path / "data" / "pvmon.db-wal") == 0);
  // The next start finds the same bytes: nothing to verify.
  d.start();
  CHECK(d.log().find("is what pvmond left at its clean stop") != std::string::npos);
  CHECK(d.client().Get("/readyz")->status == 200);
  CHECK(d.stop() == 0);
}

TEST_CASE("audit settings that cannot hold are refused at start: a missing key, checkpoints inside the data folder") {
  TempDir tmp;
  const auto check = [&](const std::function<void(json&)>& edit) {
    const auto config = write_config(tmp.path, edit);
    return run_pvmond("--check-config " + config.string());
  };
  auto [rc1, out1] = check([&](json& c) { c["audit"] = {{"key_file", (tmp.path / "none.key").string()}}; });
  CHECK(rc1 != 0);
  CHECK(out1.find("/audit/key_file: cannot read") != std::string::npos);
  auto [rc2, out2] = check([&](json& c) {
    c["data_dir"] = (tmp.path / "data").string();
    c["audit"] = {{"checkpoint_file", (tmp.path / "data" / "cp.jsonl").string()}};
  });
  CHECK(rc2 != 0);
  CHECK(out2.find("outside the database folder") != std::string::npos);
  write_text(tmp.path / "short.key", "too short\n");
  const auto config = write_config(tmp.path, [&](json& c) { c["audit"] = {{"key_file", (tmp.path / "short.key").string()}}; });
  auto [rc3, out3] = run_command(std::string(PVMOND_PATH) + " --config " + config.string() + " --data-dir " +
                                 (tmp.path / "d").string() + " --listen 127.0.0.1:0 2>&1");
  CHECK(rc3 == 2);
  CHECK(out3.find("shorter than 32 bytes") != std::string::npos);
}
