// pvmon::store — the SQLite database: schema and migrations, the single writer thread with
// group commit, and the read queries. Writes from any thread block until the COMMIT holding
// them has returned (synchronous=FULL, WAL), so an acknowledged write is on disk. Reads use a
// small pool of read-only connections and run beside the writer. Errors are Result values:
// storage full or busy is Errc::unavailable, duplicates are Errc::conflict.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/notify.hpp"
#include "pvmon/safety/ae_facts.hpp"
#include "pvmon/safety/clocks.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/safety/labs.hpp"
#include "pvmon/safety/rules.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/time.hpp"

namespace pvmon::store {

/// The schema version this binary writes; opening a newer database is refused.
int current_schema_version();

struct Options {
  Options() = default;
  Options(std::string p, int busy_ms = 5000, int batch = 512, int reader_count = 4)
      : path(std::move(p)), busy_timeout_ms(busy_ms), max_batch(batch), readers(reader_count) {}
  std::string path;  // SQLite: the database file
  int busy_timeout_ms = 5000;
  int max_batch = 512;
  int readers = 4;
  /// PostgreSQL instead of SQLite when set: a libpq connection string, password included
  /// (never logged; `redacted_dsn` is what messages show).
  std::string dsn;
  /// PostgreSQL: a read-only replica for the AE report and alert lists (empty: the primary).
  std::string replica_dsn;
  /// How long an instance's claim on an endpoint's webhooks lasts unrenewed (alerts.delivery_lease_seconds).
  std::int64_t delivery_lease_ms = 120'000;
  /// This pvmond's name in its claims: the same across its restarts (its host and data folder),
  /// so that after a crash it sends what it had claimed at once instead of after the lease.
  /// Random when empty.
  std::string instance;
};

/// A libpq connection string with its password replaced by "***", for messages and logs.
std::string redacted_dsn(const std::string& dsn);
/// `dsn` (key=value form) with the first line of `password_file` as its password, so the
/// secret is never in the config or a log; `dsn` as it is when the file is "". Errors name the file.
Result<std::string> dsn_with_password(const std::string& dsn, const std::string& password_file);

/// Who did it, for the audit trail and the version history.
struct Actor {
  std::string principal;
  std::string site;  // empty for non-site principals
};

struct WriterStats {
  std::uint64_t commits = 0;
  std::uint64_t jobs = 0;
  std::uint64_t max_batch = 0;
  /// How long group commits take, BEGIN to COMMIT returned (fsync included): how many took at
  /// most each bound, in seconds (a Prometheus histogram; `commits` is its count). A slow disk
  /// shows here first: every request of a group waits for its commit.
  static constexpr std::array<double, 9> kCommitBounds{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05, 0.1, 0.5, 2.5};
  std::array<std::uint64_t, kCommitBounds.size()> commits_within{};
  double commit_seconds_sum = 0;
};

struct SubjectRow {
  std::int64_t id = 0;
  std::string study, subject, site;
  Date enrolled;
  nlohmann::json record;  // the enrolment as stored, with server fields
};

/// What an insert did: created, or found the identical earlier one (an idempotent replay), or
/// (`stale`) nothing, because what the caller decided from has changed since it read it.
struct Stored {
  nlohmann::json record;
  bool created = true;
  bool stale = false;
};

struct AeQuery {
  std::string study;
  std::optional<std::string> site;  // restrict to one site (site principals)
  std::optional<std::string> subject;
  std::optional<Timestamp> since;  // received at or after
  std::optional<std::int64_t> after_id;  // cursor
  int limit = 50;
  bool count_total = false;  // also count the matches over all pages (a FHIR Bundle's total)
};

struct AePage {
  std::vector<nlohmann::json> items;
  std::optional<std::int64_t> next_after_id;
  std::optional<std::int64_t> total;  // when count_total was asked
};

/// An alert to record in the same transaction as the change that caused it. The dedupe key is
/// unique: recording the same key again does nothing, so a replay never alerts twice.
struct AlertRecord {
  std::string rule;
  std::string severity;  // info, high, critical
  std::string dedupe_key;
  std::string title;
  std::string subject;
  std::optional<std::int64_t> report;
  nlohmann::json payload = nlohmann::json::object();
};

struct ClockRow {
  std::int64_t id = 0;
  std::int64_t report = 0;
  std::string report_ref;  // the site's report_id
  std::string subject;
  std::string site;
  int version = 1;
  safety::Clock clock;
  std::optional<Timestamp> stopped_at;
  std::string stop_reason;
  bool late = false;
};

/// The rules the writer applies to a version it writes: pvmon::safety's version_alerts, a pure
/// function of the version's facts and of what the transaction reads (the cluster rules'
/// recent AEs, the keys already raised). The store fills in the report's server id.
struct VersionRules {
  safety::AeVersionFacts facts;
  const safety::StudyRules* rules = nullptr;  // the study's, alive for the call
};

/// A new AE report with what intake derived from it.
struct AeWrite {
  std::string study, site;
  nlohmann::json record;  // validated and coded; report_id and subject inside
  std::string body_sha256;
  Timestamp received_at;
  std::vector<safety::Clock> clocks;           // to open
  std::vector<ClockRow> closed;                // already ended (the site's clock ends at receipt)
  std::vector<AlertRecord> alerts;
  /// The rules engine's alerts, decided in the transaction once the server id is known.
  std::optional<VersionRules> rules;
};

struct VersionRow {
  int version = 1;
  std::string kind;  // initial, followup, nullification
  nlohmann::json record;
  std::string recorded_at, recorded_by;
};

/// A follow-up or nullification, decided by the caller from the version it read (`expected_version`)
/// and the report's open clocks then (`expected_open_clocks`, ids ascending). The writer checks
/// both in the transaction: when either has changed it writes nothing and answers `stale`, and
/// the caller decides again from what is there now.
struct FollowupWrite {
  std::string study;
  std::int64_t report = 0;
  std::string site;  // the site that owns the report (empty: any)
  std::string followup_id, body_sha256;
  int expected_version = 0;
  std::vector<std::int64_t> expected_open_clocks;
  nlohmann::json record;  // the new version
  bool nullification = false;
  std::vector<safety::Clock> start;
  std::vector<std::pair<std::int64_t, std::string>> stop;  // clock id, reason
  std::vector<ClockRow> closed;  // already ended: an upgrade's site clock ends at receipt
  VersionRules rules;  // facts of the new version (and of the one before it)
};

/// A regulatory submission, decided by the caller from the open clocks it read; checked as
/// FollowupWrite's are (`stale` when they changed).
struct SubmissionWrite {
  std::string study;
  std::int64_t report = 0;
  std::vector<std::int64_t> expected_open_clocks;
  std::vector<safety::ClockStop> stop;
  nlohmann::json record;  // what is stored for the submission
  /// The ICSR message it sent (N.2.r.1), unique: such a submission stops no clock; the
  /// gateway's positive acknowledgement does (add_icsr_ack). Empty: none.
  std::string message_id;
};

/// A submission as stored, with the ICSR message it names and the acknowledgements of it.
struct SubmissionRow {
  std::int64_t id = 0, report = 0;
  std::string kind;
  nlohmann::json record;  // kind, submitted, authority, reference, message_id, recorded_*, acks
  std::string message_id;
  std::optional<bool> accepted;  // the last acknowledgement's verdict; none yet: nullopt
};

/// A gateway's acknowledgement (MCCI_IN200101UV01), decided by the caller per message from
/// the submission and its report's open clocks it read (`stale` when those changed).
struct IcsrAckWrite {
  std::string study;
  std::string ack_batch_id;  // ACK.M.1
  std::string ack_sha256;    // of the document as posted
  Timestamp receipt;         // ACK.M.4: the gateway's time, when the clock stops
  struct Item {
    std::int64_t submission = 0, report = 0;
    std::string message_id, code, text, local_report_number;
    bool accepted = false;
    std::vector<std::int64_t> expected_open_clocks;
    std::vector<safety::ClockStop> stop;  // accepted: the submission's clocks, at `receipt`
    std::optional<AlertRecord> alert;     // rejected: the critical alert
  };
  std::vector<Item> items;
};

/// A subject event validated by the caller against the events it read (`expected_events`:
/// how many the subject had, and the last id); `stale` when another arrived in between. The
/// writer then runs safety::on_subject_event over `facts` (the course with this event) once the
/// event's id is known.
struct EventWrite {
  std::string study, subject;
  std::size_t expected_events = 0;
  std::int64_t expected_last_event = 0;
  safety::SubjectEvent event;
  safety::SubjectFacts facts;
  /// The study's site-to-sponsor SAE hours: a death recorded with no serious grade 5 report of
  /// the subject opens that clock (0: none).
  int sae_report_hours = 0;
};

/// A stored alert as the officers' list shows it, with its webhooks' delivery counts.
struct AlertView {
  std::int64_t id = 0;
  std::string rule, severity, title;
  std::optional<std::string> subject;
  std::optional<std::int64_t> report;
  nlohmann::json details = nlohmann::json::object();  // the rule's payload
  Timestamp created_at;
  std::string status;  // open, acked
  std::optional<Timestamp> acked_at;
  std::optional<std::string> acked_by, ack_comment;
  std::int64_t escalations = 0;
  std::int64_t webhooks_queued = 0, webhooks_delivered = 0;
};

/// One page of alerts, newest first; `next_after_id` continues below the last one.
struct AlertPage {
  std::vector<AlertView> items;
  std::optional<std::int64_t> next_after_id;
};

/// An acknowledgement as recorded.
struct AlertAck {
  std::int64_t id = 0;
  Timestamp acked_at;
  std::string acked_by, comment;
};

/// One delivery attempt of a webhook message (timestamps as stored: RFC 3339 UTC).
struct DeliveryAttempt {
  std::string at;
  std::int64_t http_status = 0;
  std::int64_t latency_ms = 0;
  std::string error, outcome;
};

/// An outbox row as the operators' list shows it: never its body, only the body's size.
struct DeliveryView {
  std::int64_t id = 0;
  std::string webhook_id, endpoint, event_type;
  std::int64_t sequence = 0;  // per endpoint, as sent in webhook-sequence
  std::int64_t body_bytes = 0;
  std::optional<std::int64_t> alert;
  std::string state;  // pending, delivered, dead, gone
  std::int64_t attempts = 0;
  std::string created_at;
  std::optional<std::string> next_attempt_at;  // pending rows only
  std::optional<std::string> delivered_at, endpoint_disabled_at;
  std::vector<DeliveryAttempt> history;
};

/// One page of deliveries, newest first; `next_after_id` continues below the last one.
struct DeliveryPage {
  std::vector<DeliveryView> items;
  std::optional<std::int64_t> next_after_id;
};

/// What a redelivery did: the row is pending again, due now, with the same webhook-id.
struct Redelivery {
  std::int64_t id = 0;
  std::string webhook_id, endpoint, previous_state, next_attempt_at;
  std::optional<std::string> endpoint_disabled_at;  // the message waits for the endpoint
};

/// What the outbox knows of one endpoint (config aside): whether a 410 disabled it, its latest
/// state change, its messages waiting and its latest attempt.
struct EndpointFacts {
  std::string endpoint;
  std::optional<std::string> disabled_at, disabled_reason;  // set while a 410 holds it
  /// The latest change (a 410, or an operator's re-enabling): when, why, who.
  std::optional<std::string> changed_at, change_reason, changed_by;
  std::int64_t pending = 0;  // waiting to be sent (held while disabled)
  std::int64_t gone = 0;     // met the 410; pending again when the endpoint is re-enabled
  std::int64_t last_sequence = 0;
  std::optional<std::string> oldest_pending_at, last_delivered_at;
  std::optional<DeliveryAttempt> last_attempt;
  std::optional<std::string> last_attempt_webhook_id;
};

/// What re-enabling did: `released` rows that met the 410 are pending again.
struct EndpointEnabled {
  std::string endpoint, enabled_at, disabled_at, disabled_reason;
  std::int64_t released = 0, pending = 0;
};

/// One audit row as stored.
struct AuditRow {
  std::int64_t seq = 0;
  std::string at, principal, action, entity;
  std::optional<std::string> new_value, prev_value;  // as stored (JSON text, mostly)
  std::string prev_hash, hash;
  /// The SHA-256 of the entity's content after the change (schema v11; "-": accepted as gone).
  std::optional<std::string> content_sha256;
};

/// One page of audit rows, newest first; `next_before_seq` continues below the last one.
struct AuditPage {
  std::vector<AuditRow> items;
  std::optional<std::int64_t> next_before_seq;
};

/// An alert as it stood at a snapshot's instant (acknowledgement only if made by then).
struct AlertRow {
  std::int64_t id = 0;
  std::string rule, severity, title, subject;
  Timestamp raised_at;
  std::optional<Timestamp> acked_at;
  std::string acked_by;
};

/// Everything the safety figures need, as recorded at or before `as_of`.
struct Snapshot {
  Timestamp as_of;
  std::vector<SubjectRow> subjects;
  std::map<std::string, std::vector<safety::SubjectEvent>> events;  // by subject
  std::vector<nlohmann::json> reports;  // current version of each AE report as of then
  /// Instead of `reports` when asked for (SnapshotOptions::facts): the same reports as compact
  /// rows, in server id order, read from the version rows' fact columns (schema v6), with the
  /// tables their indexes point into.
  std::vector<safety::AeFact> facts;
  safety::AeFactTables fact_tables;
  /// The AEs subjects' courses read, by subject, when the store gives them (the scheduler's
  /// view, SnapshotOptions::Scheduler::course): fatal AEs and the latest evidence of life.
  std::map<std::string, std::vector<safety::CourseAe>> course_aes;
  std::vector<ClockRow> open_clocks;
  std::vector<ClockRow> all_clocks;  // started by then; stopped_at only if stopped by then
  std::vector<AlertRow> alerts;      // raised by then, oldest first
};

/// A stored DSMB report. `body` is the canonical JSON (empty in listings). `cutoff` is the end
/// of the clinical cut-off day (23:59:59.999Z; a report stored before schema v7 has the instant
/// it was built from), `as_of` the instant of the database state it was built from (before
/// schema v7: its cut-off). Reports are ordered by (cutoff, as_of) as by number.
struct DsmbReportRow {
  std::int64_t id = 0;
  std::string study;
  int number = 0;
  Timestamp cutoff;
  Timestamp as_of;
  std::optional<Timestamp> previous_cutoff;
  std::string trigger;  // scheduled, manual
  std::string sha256, protocol_sha256, generated_by;
  Timestamp generated_at;
  std::string body;
};

/// A report to store. `number` and `previous_cutoff` must follow the latest stored report, and
/// (cutoff, as_of) come after its pair: a later cut-off, or the same with a later as-of (the
/// store refuses otherwise with Errc::conflict, so two builders racing cannot both win).
/// `previous_cutoff` is the cut-off of the latest report with an earlier cut-off than this one.
struct DsmbReportDraft {
  std::string study;
  int number = 1;
  Timestamp cutoff;  // the end of the cut-off day
  Timestamp as_of;
  std::optional<Timestamp> previous_cutoff;
  std::string trigger;
  std::string body, sha256, protocol_sha256;
  /// The dsmb.report event's data, given the stored report's id (for its URL).
  std::function<nlohmann::json(std::int64_t id)> webhook_data;
};

/// A study protocol (its config file's text) as the daemon first saw it.
struct ProtocolRow {
  std::string study, sha256, text;
  Timestamp first_seen;
};

// The store's narrow interfaces: each use case of pvmon::service takes the ones it needs, so a
// unit test gives it a fake of those alone. Store implements them all.

/// Subjects and the events of their course.
class SubjectStore {
 public:
  virtual ~SubjectStore() = default;
  virtual Result<Stored> enrol_subject(const std::string& study, const std::string& site,
                                       const nlohmann::json& draft, const std::string& body_sha256,
                                       const Actor& actor) = 0;
  /// Adds baseline lab values to an enrolled subject. A value already recorded for an analyte
  /// is not overwritten: the same value again is a no-op, another value a conflict.
  virtual Result<Stored> add_baseline(const std::string& study, const std::string& subject,
                                      const nlohmann::json& baseline, const Actor& actor) = 0;
  virtual Result<std::optional<SubjectRow>> find_subject(const std::string& study,
                                                         const std::string& subject) = 0;

  virtual Result<Stored> add_event(EventWrite w, const Actor& actor) = 0;
  virtual Result<std::vector<safety::SubjectEvent>> subject_events(const std::string& study,
                                                                   const std::string& subject) = 0;
  /// The subject's AE reports (current version, nullified ones left out) as its course reads
  /// them (safety/course.hpp), from the fact columns: the intake checks against its death.
  virtual Result<std::vector<safety::CourseAe>> subject_aes(const std::string& study,
                                                           const std::string& subject) = 0;
};

/// AE reports: intake, versions, follow-ups, submissions, clocks.
class AeStore {
 public:
  virtual ~AeStore() = default;
  // AE reports. `record` is the validated draft; the store adds id, study, site, version,
  // received_at and recorded_by, and keeps every version.
  virtual Result<Stored> insert_ae(const std::string& study, const std::string& site,
                                   const nlohmann::json& record, const std::string& body_sha256,
                                   const Actor& actor) = 0;
  /// The full intake write: report, clocks, alerts, in one transaction.
  virtual Result<Stored> insert_ae(AeWrite w, const Actor& actor) = 0;
  virtual Result<std::vector<VersionRow>> ae_versions(const std::string& study,
                                                      std::int64_t id) = 0;
  /// A follow-up: idempotent on (report, followup_id) with the body's hash.
  virtual Result<Stored> add_followup(FollowupWrite w, const Actor& actor) = 0;
  /// The body hash a follow-up id of the report was recorded with, if it was.
  virtual Result<std::optional<std::string>> followup_recorded(std::int64_t report,
                                                               const std::string& followup_id) = 0;
  virtual Result<Stored> add_submission(SubmissionWrite w, const Actor& actor) = 0;
  /// The report's submissions (all of the study's when `report` is not set), oldest first.
  virtual Result<std::vector<SubmissionRow>> submissions(const std::string& study,
                                                         std::optional<std::int64_t> report) = 0;
  /// The study's submission that names ICSR message `message_id`.
  virtual Result<std::optional<SubmissionRow>> submission_by_message(const std::string& study,
                                                                     const std::string& message_id) = 0;
  /// Records an acknowledgement's verdicts, stops the accepted submissions' clocks and raises
  /// the rejected ones' alerts, in one transaction. The same acknowledgement again (batch id
  /// and hash): the stored record, `created` false; another document under a batch id already
  /// taken: 409.
  virtual Result<Stored> add_icsr_ack(IcsrAckWrite w, const Actor& actor) = 0;
  virtual Result<std::vector<ClockRow>> clocks(const std::string& study, bool open_only,
                                               std::optional<std::int64_t> report) = 0;

  virtual Result<std::optional<nlohmann::json>> get_ae(const std::string& study,
                                                       std::int64_t id) = 0;
  virtual Result<AePage> list_ae(const AeQuery& q) = 0;
};

/// What the figures, DSMB reports and the scheduler read: the study as recorded at an instant.
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;
  /// What a snapshot holds of the AE reports. Records drop what no summary uses (the narrative,
  /// the lab values, the grading texts, the classification's reasons), which keeps a study of a
  /// million reports in memory.
  struct SnapshotOptions {
    int min_grade = 0;  // only reports whose current grade is at least this (0 = all)
    /// Records hold only id, report_id, subject, site, status, version, grade and
    /// safety.{serious, susar, related_to}: what the scheduler's stopping rules read.
    bool slim = false;
    /// Fill `facts` and `fact_tables` instead of `reports` (DSMB reports of large studies).
    bool facts = false;
    /// Fill `alerts` (DSMB reports list the period's); the scheduler does without them.
    bool alerts = true;
    /// What the scheduler tick reads, in time that does not grow with the number of reports
    /// (`as_of` is now, so the version in force is the current one):
    /// - `reports`: for each subject and each intervention in `related_to`, the first report in
    ///   force at `min_grade` or above related to it, slim. That is all the grade >= 3 stopping
    ///   rule asks: which subjects have one;
    /// - `open_clocks`: only those due by `clocks_due_by` (the others raise nothing yet);
    ///   `all_clocks` stays empty.
    /// - `course_aes`: each subject's grade 5 AEs and latest AE dates (by index, schema v8),
    ///   for its course; off only to measure what the courses cost (bench_report tick).
    struct Scheduler {
      std::vector<std::string> related_to;
      Timestamp clocks_due_by;
      bool courses = true;
    };
    std::optional<Scheduler> scheduler = std::nullopt;
  };
  virtual Result<Snapshot> snapshot(const std::string& study, Timestamp as_of,
                                    const SnapshotOptions& opts) = 0;
  Result<Snapshot> snapshot(const std::string& study, Timestamp as_of) {
    return snapshot(study, as_of, SnapshotOptions{});
  }

  /// The version in force at `as_of` of each AE report of the study (nullified ones flagged), as
  /// the SDTM AE export takes it: read from the fact columns, no version text parsed.
  virtual Result<std::vector<interop::SdtmAe>> sdtm_rows(const std::string& study, Timestamp as_of) = 0;
};

/// Alerts: raised outside another change, listed, acknowledged, escalated.
class AlertStore {
 public:
  virtual ~AlertStore() = default;
  /// Records alerts raised outside any other change (clocks, boundaries), with their webhooks.
  virtual Status raise_alerts(const std::string& study, const std::vector<AlertRecord>& alerts) = 0;
  virtual Result<AlertPage> list_alerts(const std::string& study, std::optional<std::string> status,
                                        std::optional<std::string> severity,
                                        std::optional<std::int64_t> after_id, int limit) = 0;
  /// Audited; a second acknowledgement is a conflict naming who made the first.
  virtual Result<AlertAck> ack_alert(const std::string& study, std::int64_t id,
                                     const std::string& comment, const Actor& actor) = 0;
  /// Re-sends critical alerts still open `after_ms` after they were last sent; returns how
  /// many were re-sent.
  virtual Result<int> escalate(Timestamp now, std::int64_t after_ms) = 0;
};

/// DSMB reports and the protocols they were built under.
class ReportStore {
 public:
  virtual ~ReportStore() = default;
  /// Records the protocol text in force; the same hash again does nothing.
  virtual Status record_protocol(const std::string& study, const std::string& sha256,
                                 const std::string& text) = 0;
  /// The newest protocol first seen at or before `as_of`, else the oldest one.
  virtual Result<std::optional<ProtocolRow>> protocol_at(const std::string& study, Timestamp as_of) = 0;
  /// Stores a report, appends its audit row and queues a `dsmb.report` webhook to every endpoint
  /// that takes it, in one transaction.
  virtual Result<DsmbReportRow> insert_dsmb_report(const DsmbReportDraft& d, const Actor& actor) = 0;
  /// Newest first, without bodies.
  virtual Result<std::vector<DsmbReportRow>> list_dsmb_reports(const std::string& study) = 0;
  /// With body; id 0 = the latest.
  virtual Result<std::optional<DsmbReportRow>> get_dsmb_report(const std::string& study,
                                                               std::int64_t id) = 0;
  /// The stored report with this cut-off and as-of, if any (with body).
  virtual Result<std::optional<DsmbReportRow>> dsmb_report_at(const std::string& study,
                                                              Timestamp cutoff, Timestamp as_of) = 0;

  /// The newest row's seq and hash (all zeros when empty): logged so a rewrite of the whole
  /// table shows from outside the database.
  virtual Result<std::pair<std::int64_t, std::string>> audit_head() = 0;

};

/// A lab panel as the writer stores it (issue 25): validated and graded by pvmon::safety
/// (labs.hpp); the liver rules run in the same transaction over the subject's stored results.
struct LabWrite {
  std::string study, subject;
  safety::LabPanel panel;
  nlohmann::json record;  // the normalised body as posted
  std::string body_sha256;
  safety::HysLawParams hys_law;
  /// A potential Hy's law case opens this clock (21 CFR 312.32(c)(1)(i): 15 calendar days for
  /// a serious and unexpected suspected reaction) until the officer assesses the alert.
  int hys_law_clock_days = 15;
};

/// An officer's assessment of an alert that asks for one (a potential Hy's law case).
struct AlertAssessment {
  std::string study;
  std::int64_t alert = 0;
  std::string outcome;  // "confirmed_dili", "other_cause"
  std::string comment;
};

class LabStore {
 public:
  virtual ~LabStore() = default;
  /// Stores the panel and its results, idempotent on (study, panel_id): the same body again
  /// is Stored{record, created = false}, another body a conflict naming panel_id.
  virtual Result<Stored> add_lab_panel(LabWrite w, const Actor& actor) = 0;
  /// The subject's results in collection order (panel ids as stored).
  virtual Result<std::vector<safety::LabResult>> subject_labs(const std::string& study,
                                                              const std::string& subject) = 0;
  /// Every subject's results collected by `cutoff` as recorded at `as_of`, by subject.
  virtual Result<std::map<std::string, std::vector<safety::LabResult>>> study_labs(const std::string& study,
                                                                                   Timestamp cutoff,
                                                                                   Timestamp as_of) = 0;
  /// What the lab-without-AE rule reads (safety/labs.hpp lab_without_ae): every result of grade
  /// >= `min_grade`, and the AE reports in force of the same subjects and CTCAE terms whose onset
  /// lies within `window_days` of one of them, by subject.
  struct LabFindings {
    std::map<std::string, std::vector<safety::LabResult>> results;
    std::map<std::string, std::vector<safety::AeOfTerm>> aes;
  };
  virtual Result<LabFindings> lab_findings(const std::string& study, int min_grade, int window_days) = 0;
  /// Each assessed alert's outcome as recorded by `as_of`, by alert id.
  virtual Result<std::map<std::int64_t, std::string>> alert_assessments(const std::string& study,
                                                                       Timestamp as_of) = 0;
  /// Acknowledges open alerts by dedupe key, as the system, with `comment` (a finding answered):
  /// returns how many were closed.
  virtual Result<int> close_alerts(const std::string& study, const std::vector<std::string>& dedupe_keys,
                                   const std::string& comment) = 0;
  /// Records the assessment beside the alert (append-only, audited) and stops the clocks the
  /// alert opened. Errors: no such alert (not_found), an alert that takes no assessment or is
  /// already assessed (conflict).
  virtual Result<nlohmann::json> assess_alert(AlertAssessment a, const Actor& actor) = 0;
};

/// A safety desk session (schema v13). Only SHA-256 digests of the session id and of its
/// CSRF token are stored: a copy of the database signs no one in.
struct DeskSessionRow {
  std::int64_t id = 0;
  std::string id_sha256;    // hex SHA-256 of the cookie's value
  std::string principal;
  std::string role;         // config::to_string(Role)
  std::string site;         // sites only
  Timestamp created_at;
  Timestamp last_seen_at;
  Timestamp expires_at;     // absolute end: created_at + desk.session_hours
  std::optional<Timestamp> ended_at;
  std::string end_reason;   // sign_out, idle, lifetime (when ended)
  std::string csrf_sha256;  // hex SHA-256 of the session's CSRF token
};

/// The safety desk's sessions. Each start and end is audited in its own transaction
/// (entity `desk/session/<id>`).
class DeskSessionStore {
 public:
  virtual ~DeskSessionStore() = default;
  /// Stores a new session (row.id ignored) with a `desk.sign_in` audit row; returns its id.
  virtual Result<std::int64_t> insert_desk_session(const DeskSessionRow& row, const std::string& remote_addr) = 0;
  /// The session whose id hashes to `id_sha256`, ended or not.
  virtual Result<std::optional<DeskSessionRow>> find_desk_session(const std::string& id_sha256) = 0;
  /// Records a use of a live session.
  virtual Status touch_desk_session(std::int64_t id, Timestamp at) = 0;
  /// Ends a live session (`reason`: sign_out, idle, lifetime), audited as `desk.sign_out` or
  /// `desk.session_expired`; a session already ended is left as it is.
  virtual Status end_desk_session(std::int64_t id, Timestamp at, const std::string& reason, const Actor& actor) = 0;
};

class Store : public SubjectStore,
              public DeskSessionStore,
              public LabStore,
              public AeStore,
              public SnapshotStore,
              public AlertStore,
              public ReportStore {
 public:
  /// Opens or creates the database, migrates it to the current schema and starts the writer.
  static Result<std::unique_ptr<Store>> open(const Options& opts, const Clock& clock);
  ~Store() override = default;

  virtual int schema_version() = 0;
  /// Stops accepting writes, commits what is queued, stops the writer thread.
  virtual void close() = 0;
  /// True when a trivial write transaction commits (readiness probe).
  virtual Status check_writable() = 0;
  /// While set, every write is refused (unavailable, with this reason) but webhook delivery
  /// bookkeeping, raise_operator_alert and queue_event: the audit trail failed its check.
  virtual void set_read_only(std::optional<std::string> reason) = 0;
  virtual std::optional<std::string> read_only() const = 0;
  /// A critical alert of the installation (study "*"), audited and queued to the endpoints that
  /// take it, once per dedupe key; taken while read-only. True when new.
  virtual Result<bool> raise_operator_alert(const AlertRecord& a) = 0;
  /// Queues one event (type, data) to every endpoint that takes its type; taken while read-only.
  virtual Status queue_event(const std::string& type, const nlohmann::json& data) = 0;
  /// Called after each DSMB report is stored (the audit checkpoint that covers it).
  virtual void set_report_listener(std::function<void()> fn) = 0;
  virtual WriterStats writer_stats() const = 0;
  /// Whether this instance runs the scheduler (tick, escalation, scheduled DSMB reports) now.
  /// SQLite: always (one process). PostgreSQL: while it holds the scheduler's advisory lock on a
  /// connection of its own, taken when free; an instance that dies drops it with its
  /// connection, and the next instance to ask takes it, so exactly one runs at a time.
  virtual bool scheduler_turn() = 0;

  /// The webhook endpoints in force: every alert inserted is queued, in its own transaction,
  /// to each endpoint that subscribes to it. Set once at start-up; the function is called on the
  /// writer thread and must be thread-safe (it reads the current config snapshot).
  virtual void set_endpoints(std::function<std::vector<notify::Endpoint>()> fn) = 0;
  /// Called after a COMMIT that queued webhook messages (wakes the dispatcher). Thread-safe.
  virtual void set_outbox_listener(std::function<void()> fn) = 0;
  /// The delivery side of the outbox, for the dispatcher (thread-safe).
  virtual notify::OutboxRepository& outbox() = 0;
  /// Outbox rows newest first with every attempt (never bodies or secrets).
  virtual Result<DeliveryPage> list_deliveries(std::optional<std::string> endpoint,
                                               std::optional<std::string> state,
                                               std::optional<std::int64_t> after_id, int limit) = 0;
  /// Sends a message again (same webhook-id); audited.
  virtual Result<Redelivery> redeliver(std::int64_t outbox_id, const Actor& actor) = 0;
  /// What the outbox knows of every endpoint with rows or a state (by name).
  virtual Result<std::vector<EndpointFacts>> endpoint_facts() = 0;
  /// Re-enables an endpoint a 410 disabled and resumes its delivery, in order; audited. An
  /// endpoint not disabled: Errc::conflict.
  virtual Result<EndpointEnabled> enable_endpoint(const std::string& endpoint, const std::string& comment,
                                                  const Actor& actor) = 0;

  // Audit trail (21 CFR 11.10(e)).
  /// Appends one row on its own (config reloaded, token rejected).
  /// `content_sha256`: the SHA-256 of what the change made (a config reload: the file's bytes).
  virtual Status audit(const std::string& action, const std::string& entity,
                       const std::optional<std::string>& new_value, const Actor& actor,
                       const std::optional<std::string>& content_sha256 = std::nullopt) = 0;
  /// Rows newest first whose entity starts with `entity_prefix`; cursor = a seq to go below.
  virtual Result<AuditPage> list_audit(const std::string& entity_prefix,
                                       std::optional<std::int64_t> before_seq, int limit) = 0;
  /// Figures for /metrics, read at scrape time: alerts by (rule, severity, status), outbox
  /// rows by state, the oldest undelivered message's creation time, delivery attempts by
  /// outcome, and the database size in bytes (main file + WAL).
  struct Gauges {
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> alerts;
    std::map<std::string, std::int64_t> outbox;
    std::optional<Timestamp> oldest_undelivered;
    std::map<std::string, std::int64_t> attempts;
    std::int64_t db_bytes = 0;
  };
  virtual Result<Gauges> gauges() = 0;

};

}  // namespace pvmon::store
