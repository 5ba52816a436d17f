#include "schema.hpp"

#include <stdexcept>
#include <string>

#include "audit_trail.hpp"
#include "pvmon/safety/ae_facts.hpp"
#include "pvmon/store.hpp"

namespace pvmon::store {

namespace {

// Version 1: subjects, AE reports with every version kept, and the append-only audit trail.
// Timestamps are TEXT in the fixed-width form "YYYY-MM-DDThh:mm:ss.mmmZ" so that they sort.
constexpr const char* kV1 = R"sql(
CREATE TABLE subjects (
  id          INTEGER PRIMARY KEY,
  study       TEXT NOT NULL,
  subject     TEXT NOT NULL,
  site        TEXT NOT NULL,
  enrolled    TEXT NOT NULL,
  record      TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  UNIQUE (study, subject)
);
CREATE TABLE ae_reports (
  id              INTEGER PRIMARY KEY,
  study           TEXT NOT NULL,
  site            TEXT NOT NULL,
  report_id       TEXT NOT NULL,
  subject_id      INTEGER NOT NULL REFERENCES subjects (id),
  subject         TEXT NOT NULL,
  received_at     TEXT NOT NULL,
  body_sha256     TEXT NOT NULL,
  current_version INTEGER NOT NULL,
  UNIQUE (study, site, report_id)
);
CREATE INDEX ae_reports_by_subject ON ae_reports (study, subject, id);
CREATE INDEX ae_reports_by_received ON ae_reports (study, received_at, id);
CREATE TABLE ae_versions (
  report      INTEGER NOT NULL REFERENCES ae_reports (id),
  version     INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('initial', 'followup', 'nullification')),
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  record      TEXT NOT NULL,
  PRIMARY KEY (report, version)
);
-- Versions are history: never rewritten.
CREATE TRIGGER ae_versions_no_update BEFORE UPDATE ON ae_versions
  BEGIN SELECT RAISE(ABORT, 'ae_versions is append-only'); END;
CREATE TRIGGER ae_versions_no_delete BEFORE DELETE ON ae_versions
  BEGIN SELECT RAISE(ABORT, 'ae_versions is append-only'); END;
-- 21 CFR 11.10(e): an audit trail that never obscures earlier entries. Each row holds the
-- SHA-256 of the previous one, so a change anywhere breaks the chain.
CREATE TABLE audit (
  seq        INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  principal  TEXT NOT NULL,
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  new_value  TEXT,
  prev_value TEXT,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_by_entity ON audit (entity, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql";

// Version 2: subject events, reporting clocks and submissions, alerts, and the webhook outbox
// with every delivery attempt.
constexpr const char* kV2 = R"sql(
CREATE TABLE subject_events (
  id          INTEGER PRIMARY KEY,
  subject_id  INTEGER NOT NULL REFERENCES subjects (id),
  kind        TEXT NOT NULL,
  date        TEXT NOT NULL,
  record      TEXT NOT NULL,
  corrects    INTEGER REFERENCES subject_events (id),
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX subject_events_by_subject ON subject_events (subject_id, date, id);
CREATE TRIGGER subject_events_no_update BEFORE UPDATE ON subject_events
  BEGIN SELECT RAISE(ABORT, 'subject_events is append-only'); END;
CREATE TRIGGER subject_events_no_delete BEFORE DELETE ON subject_events
  BEGIN SELECT RAISE(ABORT, 'subject_events is append-only'); END;
CREATE TABLE clocks (
  id          INTEGER PRIMARY KEY,
  report      INTEGER NOT NULL REFERENCES ae_reports (id),
  study       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  due_at      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  version     INTEGER NOT NULL,
  stopped_at  TEXT,
  stop_reason TEXT,
  late        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX clocks_open ON clocks (study, stopped_at, due_at);
CREATE INDEX clocks_by_report ON clocks (report);
CREATE TABLE submissions (
  id          INTEGER PRIMARY KEY,
  report      INTEGER NOT NULL REFERENCES ae_reports (id),
  kind        TEXT NOT NULL,
  submitted   TEXT NOT NULL,
  authority   TEXT NOT NULL,
  reference   TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY,
  study       TEXT NOT NULL,
  rule        TEXT NOT NULL,
  severity    TEXT NOT NULL CHECK (severity IN ('info', 'high', 'critical')),
  dedupe_key  TEXT NOT NULL UNIQUE,
  title       TEXT NOT NULL,
  subject     TEXT,
  report      INTEGER,
  payload     TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acked')),
  acked_at    TEXT,
  acked_by    TEXT,
  ack_comment TEXT,
  escalations INTEGER NOT NULL DEFAULT 0,
  last_sent_at TEXT
);
CREATE INDEX alerts_by_study ON alerts (study, status, id);
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  msg_id          TEXT NOT NULL UNIQUE,
  endpoint        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  body            TEXT NOT NULL,
  alert           INTEGER REFERENCES alerts (id),
  state           TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'dead', 'gone')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (state, endpoint, next_attempt_at, id);
CREATE TABLE delivery_attempts (
  id          INTEGER PRIMARY KEY,
  outbox      INTEGER NOT NULL REFERENCES outbox (id),
  at          TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  latency_ms  INTEGER NOT NULL,
  error       TEXT NOT NULL,
  outcome     TEXT NOT NULL
);
CREATE INDEX delivery_attempts_by_outbox ON delivery_attempts (outbox, id);
CREATE TABLE endpoint_state (
  endpoint    TEXT PRIMARY KEY,
  disabled_at TEXT NOT NULL,
  reason      TEXT NOT NULL
);
)sql";

// Version 3: the coded term, grade, onset and status of each report's version in force, as
// columns, so the cluster rules find a term's recent AEs by index instead of parsing JSON.
constexpr const char* kV3 = R"sql(
ALTER TABLE ae_reports ADD COLUMN meddra_code TEXT;
ALTER TABLE ae_reports ADD COLUMN grade INTEGER;
ALTER TABLE ae_reports ADD COLUMN onset TEXT;
ALTER TABLE ae_reports ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
UPDATE ae_reports SET
  meddra_code = (SELECT json_extract(v.record, '$.ctcae.meddra_code') FROM ae_versions v
                 WHERE v.report = ae_reports.id AND v.version = ae_reports.current_version),
  grade = (SELECT json_extract(v.record, '$.grade') FROM ae_versions v
           WHERE v.report = ae_reports.id AND v.version = ae_reports.current_version),
  onset = (SELECT json_extract(v.record, '$.onset') FROM ae_versions v
           WHERE v.report = ae_reports.id AND v.version = ae_reports.current_version),
  status = (SELECT CASE v.kind WHEN 'nullification' THEN 'nullified' ELSE 'active' END
            FROM ae_versions v WHERE v.report = ae_reports.id AND v.version = ae_reports.current_version);
CREATE INDEX ae_reports_by_term ON ae_reports (study, meddra_code, onset);
)sql";

// Version 4: DSMB reports (the canonical JSON body and its SHA-256, one per study and cut-off)
// and the study protocols they were built under, so a report can be rebuilt offline from a
// database copy alone.
constexpr const char* kV4 = R"sql(
CREATE TABLE protocols (
  study      TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  text       TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (study, sha256)
);
CREATE TABLE dsmb_reports (
  id              INTEGER PRIMARY KEY,
  study           TEXT NOT NULL,
  number          INTEGER NOT NULL,
  cutoff          TEXT NOT NULL,
  previous_cutoff TEXT,
  trigger         TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  body            TEXT NOT NULL,
  sha256          TEXT NOT NULL,
  protocol_sha256 TEXT NOT NULL,
  generated_at    TEXT NOT NULL,
  generated_by    TEXT NOT NULL,
  UNIQUE (study, cutoff),
  UNIQUE (study, number)
);
CREATE TRIGGER dsmb_reports_no_update BEFORE UPDATE ON dsmb_reports
BEGIN SELECT RAISE(ABORT, 'dsmb_reports is append-only'); END;
CREATE TRIGGER dsmb_reports_no_delete BEFORE DELETE ON dsmb_reports
BEGIN SELECT RAISE(ABORT, 'dsmb_reports is append-only'); END;
)sql";

// Version 5: the open critical alerts due for a re-send, by index. The scheduler's escalation
// used to scan every alert inside the writer's transaction at every tick: 166 ms at 490,000
// alerts, with intake waiting behind it. Partial, so only open critical alerts are in it, and
// its expression is the one escalation_sql() compares.
constexpr const char* kV5 = R"sql(
CREATE INDEX alerts_to_escalate ON alerts (coalesce(last_sent_at, created_at))
  WHERE status = 'open' AND severity = 'critical';
)sql";

// Version 6: the facts of each version as typed columns, written with the version text, so
// that reports read columns instead of parsing a million JSON records (issue 16). Each
// column's value is the one version_facts() (version_facts.cpp) computes from the record; the
// backfill's expressions below must agree with it (tests/unit/store/test_facts.cpp checks).
//
// The table is rebuilt rather than altered: its (report, version) primary key index gives way
// to ae_versions_in_force, an index in (report, version) order that covers every fact column,
// so that the versions in force at a cut-off are one scan of it, never of the record texts,
// and an insert still updates two b-trees, not three (every page an insert touches is a WAL
// frame of its commit). A trigger keeps (report, version) unique, through that index; the
// append-only triggers are recreated. The old table is renamed, copied from and dropped only
// after the commit (kV6After): dropping it inside the transaction put every one of its pages
// in SQLite's statement journal, which temp_store=MEMORY keeps in RAM (831 MiB at a million
// reports). The index is created before the copy, which inserts in nearly its order, rather
// than after it, which would sort every entry in memory.
const std::string& v6() {
  static const std::string sql = [] {
    std::string criteria = "CASE value";
    for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
      criteria += " WHEN '" + std::string(safety::kSeriousnessCriteria[i]) + "' THEN " +
                  std::to_string(1u << i);
    criteria += " END";
    return std::string(R"sql(
DROP TRIGGER ae_versions_no_update;
DROP TRIGGER ae_versions_no_delete;
ALTER TABLE ae_versions RENAME TO ae_versions_v5;
CREATE TABLE ae_versions (
  report      INTEGER NOT NULL REFERENCES ae_reports (id),
  version     INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('initial', 'followup', 'nullification')),
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  record      TEXT NOT NULL,
  grade       INTEGER,
  meddra_code TEXT,
  term        TEXT,
  soc         TEXT,
  protocol_term INTEGER NOT NULL DEFAULT 0,
  onset       TEXT,
  resolved    TEXT,
  outcome     TEXT,
  serious     INTEGER NOT NULL DEFAULT 0,
  susar       INTEGER NOT NULL DEFAULT 0,
  fatal_or_life_threatening INTEGER NOT NULL DEFAULT 0,
  criteria    INTEGER NOT NULL DEFAULT 0,  -- bit i = safety::kSeriousnessCriteria[i]
  related_to  TEXT,                        -- "a,b", the record's order
  causality   TEXT,                        -- "a=possible,b=unlikely"
  expected    TEXT,                        -- "a=1,b=0", from safety.products
  drug_withdrawn INTEGER NOT NULL DEFAULT 0,
  verbatim    TEXT,                        -- the site's text (SDTM AETERM)
  reported_term TEXT,                      -- the term the site reported
  action_taken TEXT                        -- "a=dose_reduced,b=drug_withdrawn"
);
CREATE INDEX ae_versions_in_force ON ae_versions (report, version, recorded_at, kind, grade,
  meddra_code, onset, resolved, outcome, serious, susar, fatal_or_life_threatening, criteria,
  related_to, causality, expected, drug_withdrawn);
INSERT INTO ae_versions (rowid, report, version, kind, recorded_at, recorded_by, record, grade,
  meddra_code, term, soc, protocol_term, onset, resolved, outcome, serious, susar,
  fatal_or_life_threatening, criteria, related_to, causality, expected, drug_withdrawn,
  verbatim, reported_term, action_taken)
SELECT rowid, report, version, kind, recorded_at, recorded_by, record,
  CASE json_type(record, '$.grade') WHEN 'integer' THEN json_extract(record, '$.grade') END,
  CASE json_type(record, '$.ctcae.meddra_code') WHEN 'text' THEN json_extract(record, '$.ctcae.meddra_code') END,
  CASE json_type(record, '$.ctcae.term') WHEN 'text' THEN json_extract(record, '$.ctcae.term') END,
  CASE json_type(record, '$.ctcae.soc') WHEN 'text' THEN json_extract(record, '$.ctcae.soc') END,
  json_type(record, '$.ctcae.protocol_term') IS 'true',
  CASE json_type(record, '$.onset') WHEN 'text' THEN json_extract(record, '$.onset') END,
  CASE json_type(record, '$.resolved') WHEN 'text' THEN json_extract(record, '$.resolved') END,
  CASE json_type(record, '$.outcome') WHEN 'text' THEN json_extract(record, '$.outcome') END,
  json_type(record, '$.safety.serious') IS 'true',
  json_type(record, '$.safety.susar') IS 'true',
  json_type(record, '$.safety.fatal_or_life_threatening') IS 'true',
  (SELECT coalesce(sum(DISTINCT )sql") + criteria + R"sql(), 0) FROM json_each(record, '$.safety.criteria')
   WHERE json_type(record, '$.safety.criteria') = 'array'),
  (SELECT group_concat(value, ',') FROM json_each(record, '$.safety.related_to')
   WHERE json_type(record, '$.safety.related_to') = 'array' AND type = 'text'),
  (SELECT group_concat(key || '=' || value, ',') FROM json_each(record, '$.causality')
   WHERE json_type(record, '$.causality') = 'object' AND type = 'text'),
  (SELECT group_concat(json_extract(value, '$.intervention') || '=' ||
                       (json_type(value, '$.expected') IS 'true'), ',')
   FROM json_each(record, '$.safety.products')
   WHERE json_type(record, '$.safety.products') = 'array' AND type = 'object'
     AND json_type(value, '$.intervention') = 'text'),
  EXISTS (SELECT 1 FROM json_each(record, '$.action_taken')
          WHERE json_type(record, '$.action_taken') IN ('object', 'array')
            AND type = 'text' AND value = 'drug_withdrawn'),
  CASE json_type(record, '$.verbatim') WHEN 'text' THEN json_extract(record, '$.verbatim') END,
  CASE json_type(record, '$.term') WHEN 'text' THEN json_extract(record, '$.term') END,
  (SELECT group_concat(key || '=' || value, ',') FROM json_each(record, '$.action_taken')
   WHERE json_type(record, '$.action_taken') = 'object' AND type = 'text')
FROM ae_versions_v5 ORDER BY rowid;
CREATE TRIGGER ae_versions_unique BEFORE INSERT ON ae_versions
  WHEN EXISTS (SELECT 1 FROM ae_versions WHERE report = NEW.report AND version = NEW.version)
  BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: ae_versions.report, ae_versions.version'); END;
-- Versions are history: never rewritten.
CREATE TRIGGER ae_versions_no_update BEFORE UPDATE ON ae_versions
  BEGIN SELECT RAISE(ABORT, 'ae_versions is append-only'); END;
CREATE TRIGGER ae_versions_no_delete BEFORE DELETE ON ae_versions
  BEGIN SELECT RAISE(ABORT, 'ae_versions is append-only'); END;
)sql";
  }();
  return sql;
}
// After v6's commit, in a transaction of its own (no statement journal).
constexpr const char* kV6After = "DROP TABLE IF EXISTS ae_versions_v5";

// Version 7: a DSMB report's two dates (issue 17 §3). `cutoff` is the clinical cut-off (the end
// of its day: events dated on or before it count) and the new `as_of` the instant of the
// database state the report was built from; a report built again at the same pair gives the
// same bytes. A later as-of for the same cut-off is a new report, so (study, cutoff) is no
// longer unique, (study, cutoff, as_of) is: the table is rebuilt (SQLite cannot drop a UNIQUE
// constraint). The reports stored before were built from what was recorded by their cut-off:
// their as-of is their cut-off. A few rows per study: copied and dropped in the transaction.
constexpr const char* kV7 = R"sql(
DROP TRIGGER dsmb_reports_no_update;
DROP TRIGGER dsmb_reports_no_delete;
ALTER TABLE dsmb_reports RENAME TO dsmb_reports_v6;
CREATE TABLE dsmb_reports (
  id              INTEGER PRIMARY KEY,
  study           TEXT NOT NULL,
  number          INTEGER NOT NULL,
  cutoff          TEXT NOT NULL,
  as_of           TEXT NOT NULL,
  previous_cutoff TEXT,
  trigger         TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  body            TEXT NOT NULL,
  sha256          TEXT NOT NULL,
  protocol_sha256 TEXT NOT NULL,
  generated_at    TEXT NOT NULL,
  generated_by    TEXT NOT NULL,
  UNIQUE (study, cutoff, as_of),
  UNIQUE (study, number)
);
INSERT INTO dsmb_reports (id, study, number, cutoff, as_of, previous_cutoff, trigger, body, sha256,
  protocol_sha256, generated_at, generated_by)
SELECT id, study, number, cutoff, cutoff, previous_cutoff, trigger, body, sha256, protocol_sha256,
  generated_at, generated_by FROM dsmb_reports_v6 ORDER BY id;
DROP TABLE dsmb_reports_v6;
CREATE TRIGGER dsmb_reports_no_update BEFORE UPDATE ON dsmb_reports
BEGIN SELECT RAISE(ABORT, 'dsmb_reports is append-only'); END;
CREATE TRIGGER dsmb_reports_no_delete BEFORE DELETE ON dsmb_reports
BEGIN SELECT RAISE(ABORT, 'dsmb_reports is append-only'); END;
)sql";

}  // namespace

const char* escalation_sql() {
  return "SELECT id, study, rule, severity, title, subject, report, payload, escalations FROM alerts "
         "WHERE status = 'open' AND severity = 'critical' AND coalesce(last_sent_at, created_at) <= ?";
}

// Version 8: what a subject's course reads of its AEs, by index (safety/course.hpp): the
// current version's resolution date beside its onset, and partial indexes for a subject's
// latest onset, latest resolution of a non-fatal AE, and grade 5 AEs. The scheduler builds
// every subject's course each tick in time that does not grow with the number of reports.
constexpr const char* kV8 = R"sql(
ALTER TABLE ae_reports ADD COLUMN resolved TEXT;
UPDATE ae_reports SET resolved = (SELECT v.resolved FROM ae_versions v
  WHERE v.report = ae_reports.id AND v.version = ae_reports.current_version);
CREATE INDEX ae_reports_last_onset ON ae_reports (study, subject, onset) WHERE status = 'active';
CREATE INDEX ae_reports_last_resolved ON ae_reports (study, subject, resolved)
  WHERE status = 'active' AND grade < 5;
CREATE INDEX ae_reports_fatal ON ae_reports (study, subject, id) WHERE status = 'active' AND grade = 5;
)sql";

// Version 9: a clock that belongs to a subject, not a report: a death recorded with no SAE
// report of it opens the site's SAE clock from the death event (issue 17 §1; ICH E6 4.11.1),
// and the fatal SAE report stops it. `report` becomes nullable (the table is rebuilt: SQLite
// cannot drop NOT NULL), and a clock names its subject and, for a death, the event.
constexpr const char* kV9 = R"sql(
DROP INDEX clocks_open;
DROP INDEX clocks_by_report;
ALTER TABLE clocks RENAME TO clocks_v8;
CREATE TABLE clocks (
  id          INTEGER PRIMARY KEY,
  report      INTEGER REFERENCES ae_reports (id),
  study       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  due_at      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  version     INTEGER NOT NULL,
  stopped_at  TEXT,
  stop_reason TEXT,
  late        INTEGER NOT NULL DEFAULT 0,
  subject_id  INTEGER REFERENCES subjects (id),
  event       INTEGER REFERENCES subject_events (id),
  CHECK (report IS NOT NULL OR subject_id IS NOT NULL)
);
INSERT INTO clocks (id, report, study, kind, started_at, due_at, reason, version, stopped_at,
  stop_reason, late, subject_id)
SELECT c.id, c.report, c.study, c.kind, c.started_at, c.due_at, c.reason, c.version, c.stopped_at,
  c.stop_reason, c.late, (SELECT r.subject_id FROM ae_reports r WHERE r.id = c.report)
FROM clocks_v8 c;
DROP TABLE clocks_v8;
CREATE INDEX clocks_open ON clocks (study, stopped_at, due_at);
CREATE INDEX clocks_by_report ON clocks (report);
CREATE INDEX clocks_of_subject ON clocks (subject_id) WHERE report IS NULL;
)sql";

// Version 10: laboratory results as a stream (issue 25). A panel is the site's, idempotent on
// (study, panel_id) with the body's hash; its results are graded at intake (CTCAE v5.0 against
// the subject's baseline) and kept with the grade and the multiples of ULN and baseline, by
// subject and collection time for the liver rules. Both append-only. A clock may belong to a
// panel: a potential Hy's law case is a potential SUSAR until the officer assesses it; the
// assessment is kept beside the alert, append-only.
constexpr const char* kV10 = R"sql(
CREATE TABLE lab_panels (
  id           INTEGER PRIMARY KEY,
  study        TEXT NOT NULL,
  subject_id   INTEGER NOT NULL REFERENCES subjects (id),
  panel_id     TEXT NOT NULL,
  collected_at TEXT NOT NULL,
  record       TEXT NOT NULL,
  body_sha256  TEXT NOT NULL,
  recorded_at  TEXT NOT NULL,
  recorded_by  TEXT NOT NULL,
  UNIQUE (study, panel_id)
);
CREATE TABLE lab_results (
  id           INTEGER PRIMARY KEY,
  panel        INTEGER NOT NULL REFERENCES lab_panels (id),
  subject_id   INTEGER NOT NULL REFERENCES subjects (id),
  collected_at TEXT NOT NULL,
  test         TEXT NOT NULL,
  meddra_code  TEXT NOT NULL,
  value        REAL NOT NULL,
  unit         TEXT NOT NULL,
  uln          REAL,
  lln          REAL,
  baseline     REAL,
  baseline_uln REAL,
  baseline_lln REAL,
  grade        INTEGER NOT NULL,
  criterion    TEXT NOT NULL,
  basis        TEXT NOT NULL
);
CREATE INDEX lab_results_by_subject ON lab_results (subject_id, collected_at, id);
CREATE TRIGGER lab_panels_no_update BEFORE UPDATE ON lab_panels
  BEGIN SELECT RAISE(ABORT, 'lab_panels is append-only'); END;
CREATE TRIGGER lab_panels_no_delete BEFORE DELETE ON lab_panels
  BEGIN SELECT RAISE(ABORT, 'lab_panels is append-only'); END;
CREATE TRIGGER lab_results_no_update BEFORE UPDATE ON lab_results
  BEGIN SELECT RAISE(ABORT, 'lab_results is append-only'); END;
CREATE TRIGGER lab_results_no_delete BEFORE DELETE ON lab_results
  BEGIN SELECT RAISE(ABORT, 'lab_results is append-only'); END;
ALTER TABLE clocks ADD COLUMN lab_panel INTEGER REFERENCES lab_panels (id);
CREATE TABLE alert_assessments (
  id          INTEGER PRIMARY KEY,
  alert       INTEGER NOT NULL REFERENCES alerts (id),
  outcome     TEXT NOT NULL,
  comment     TEXT NOT NULL,
  assessed_at TEXT NOT NULL,
  assessed_by TEXT NOT NULL
);
CREATE INDEX alert_assessments_by_alert ON alert_assessments (alert, id);
CREATE TRIGGER alert_assessments_no_update BEFORE UPDATE ON alert_assessments
  BEGIN SELECT RAISE(ABORT, 'alert_assessments is append-only'); END;
)sql";

// Version 11: an audit row carries the SHA-256 of its entity's content as stored after the
// change (audit_trail.hpp) instead of a copy of the text; `pvmon audit verify` and the start-up
// check compare every audited table with it. The rows before keep their text (they are history
// and hashed as written). Every entity that exists gets an `audit.baseline` row, so that the
// database verifies from here on: a change made outside pvmond before it cannot be told.
constexpr const char* kV11 = R"sql(
ALTER TABLE audit ADD COLUMN content_sha256 TEXT;
)sql";

// Version 12: ICH E2B(R3) submissions (issue 20). A submission may name the ICSR message it
// sent; the gateway's acknowledgements of it are kept, append-only, and are part of the
// submission's audited content (audit_trail.cpp), as its message is. Both tables are new, so
// no existing submission's content hash changes.
constexpr const char* kV12 = R"sql(
CREATE TABLE submission_messages (
  submission  INTEGER PRIMARY KEY REFERENCES submissions (id),
  study       TEXT NOT NULL,
  message_id  TEXT NOT NULL
);
CREATE UNIQUE INDEX submission_messages_id ON submission_messages (study, message_id);
CREATE TRIGGER submission_messages_no_update BEFORE UPDATE ON submission_messages
  BEGIN SELECT RAISE(ABORT, 'submission_messages is append-only'); END;
CREATE TRIGGER submission_messages_no_delete BEFORE DELETE ON submission_messages
  BEGIN SELECT RAISE(ABORT, 'submission_messages is append-only'); END;
CREATE TABLE icsr_acks (
  id                  INTEGER PRIMARY KEY,
  study               TEXT NOT NULL,
  submission          INTEGER NOT NULL REFERENCES submissions (id),
  ack_batch_id        TEXT NOT NULL,
  ack_sha256          TEXT NOT NULL,
  message_id          TEXT NOT NULL,
  code                TEXT NOT NULL,
  accepted            INTEGER NOT NULL,
  text                TEXT NOT NULL,
  local_report_number TEXT NOT NULL,
  receipt_at          TEXT NOT NULL,
  recorded_at         TEXT NOT NULL,
  recorded_by         TEXT NOT NULL
);
CREATE INDEX icsr_acks_by_submission ON icsr_acks (submission, id);
CREATE UNIQUE INDEX icsr_acks_batch ON icsr_acks (study, ack_batch_id, message_id);
CREATE TRIGGER icsr_acks_no_update BEFORE UPDATE ON icsr_acks
  BEGIN SELECT RAISE(ABORT, 'icsr_acks is append-only'); END;
CREATE TRIGGER icsr_acks_no_delete BEFORE DELETE ON icsr_acks
  BEGIN SELECT RAISE(ABORT, 'icsr_acks is append-only'); END;
)sql";

// Version 13: the safety desk's sessions (issue 21). The cookie's value and the CSRF token are
// kept only as SHA-256 digests. Who a session is and when it ends never change after sign-in;
// only its last use and its end are written.
constexpr const char* kV13 = R"sql(
CREATE TABLE desk_sessions (
  id            INTEGER PRIMARY KEY,
  id_sha256     TEXT NOT NULL UNIQUE,
  principal     TEXT NOT NULL,
  role          TEXT NOT NULL,
  site          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  ended_at      TEXT,
  end_reason    TEXT,
  csrf_sha256   TEXT NOT NULL
);
CREATE TRIGGER desk_sessions_fixed BEFORE UPDATE OF id, id_sha256, principal, role, site, created_at,
  expires_at, csrf_sha256 ON desk_sessions
  BEGIN SELECT RAISE(ABORT, 'a desk session''s identity and lifetime never change'); END;
CREATE TRIGGER desk_sessions_no_delete BEFORE DELETE ON desk_sessions
  BEGIN SELECT RAISE(ABORT, 'desk_sessions is kept'); END;
)sql";

// Version 14: webhook order and endpoint state (issue 22). Each outbox row gets its endpoint's
// sequence number (1, 2, 3... in commit order, gap-free: rows are never deleted), numbered here
// for the rows already there; the claim (SqliteOutbox::due) sends an endpoint's pending rows in
// that order from the lowest, so a failing head holds back only its endpoint. What happened to
// an endpoint (disabled by a 410, re-enabled by an operator) is kept, append-only;
// endpoint_state stays the set of endpoints disabled now.
constexpr const char* kV14 = R"sql(
ALTER TABLE outbox ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET seq = n.nth FROM (
  SELECT id, ROW_NUMBER() OVER (PARTITION BY endpoint ORDER BY id) AS nth FROM outbox) AS n
WHERE outbox.id = n.id;
CREATE UNIQUE INDEX outbox_sequence ON outbox (endpoint, seq);
CREATE INDEX outbox_pending ON outbox (endpoint, seq) WHERE state = 'pending';
CREATE TABLE endpoint_changes (
  id        INTEGER PRIMARY KEY,
  endpoint  TEXT NOT NULL,
  at        TEXT NOT NULL,
  enabled   INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  reason    TEXT NOT NULL,
  principal TEXT NOT NULL
);
CREATE INDEX endpoint_changes_by_endpoint ON endpoint_changes (endpoint, id);
INSERT INTO endpoint_changes (endpoint, at, enabled, reason, principal)
  SELECT endpoint, disabled_at, 0, reason, 'pvmond' FROM endpoint_state;
CREATE TRIGGER endpoint_changes_no_update BEFORE UPDATE ON endpoint_changes
  BEGIN SELECT RAISE(ABORT, 'endpoint_changes is append-only'); END;
CREATE TRIGGER endpoint_changes_no_delete BEFORE DELETE ON endpoint_changes
  BEGIN SELECT RAISE(ABORT, 'endpoint_changes is append-only'); END;
)sql";

// Version 15: the outbox claimed, not owned (several instances on one PostgreSQL database).
// A claim leases the endpoint's rows it hands out to one instance until lease_until; the other
// instances leave that endpoint alone meanwhile, so its order holds, and take it over when an
// instance dies holding it (SqliteOutbox::due).
constexpr const char* kV15 = R"sql(
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
)sql";

static void v11_baseline(Db& db) {
  SystemClock clock;
  audit::baseline(db, clock.now());
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}, {5, kV5},
                                              {6, v6().c_str(), kV6After}, {7, kV7}, {8, kV8}, {9, kV9}, {10, kV10},
                                              {11, kV11, nullptr, v11_baseline}, {12, kV12}, {13, kV13}, {14, kV14}, {15, kV15}};
  return kAll;
}

int current_schema_version() { return migrations().back().version; }

int read_schema_version(Db& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  auto st = db.prepare("SELECT max(version) FROM schema_version");
  st.step();
  return st.is_null(0) ? 0 : static_cast<int>(st.i64(0));
}

void migrate(Db& db, int target) {
  if (target < 0) target = current_schema_version();
  db.exec("BEGIN IMMEDIATE");
  try {
    const int have = read_schema_version(db);
    if (have > current_schema_version())
      throw std::runtime_error("the database has schema version " + std::to_string(have) +
                               " but this pvmond knows only up to " +
                               std::to_string(current_schema_version()) +
                               ": use a newer pvmond (refusing to touch it)");
    for (const auto& m : migrations()) {
      if (m.version <= have || m.version > target) continue;
      db.exec(m.sql);
      if (m.run) m.run(db);
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").bind(1, m.version).run();
      // A new database has no rows, so its clean-up costs nothing here, and one commit
      // writes fewer WAL frames than two.
      if (have == 0 && m.after) db.exec(m.after);
    }
    db.exec("COMMIT");
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
  // Each migration's clean-up, idempotent: also done on the next open if a crash came between.
  for (const auto& m : migrations())
    if (m.after && m.version <= target) db.exec(m.after);
}

}  // namespace pvmon::store
