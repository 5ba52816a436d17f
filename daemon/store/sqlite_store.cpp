#include <algorithm>

#include <spdlog/spdlog.h>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <set>
#include <unordered_map>

#include "pvmon/crypto.hpp"
#include "pvmon/store.hpp"
#include "audit_trail.hpp"
#include "schema.hpp"
#include "reader_pool.hpp"
#include "postgres.hpp"
#include "sqlite_outbox.hpp"
#include "writer.hpp"
#include "version_facts.hpp"

namespace pvmon::store {

namespace {

/// Strings to the indexes of a table they are added to once (load_facts). Rows often repeat
/// the previous row's value, which is checked first.
class Interner {
 public:
  void seed(std::string_view s, std::uint32_t i) { index_.emplace(std::string(s), i); }
  /// The index of `s`; `add(s)` appends it to the table and returns its index when new.
  template <class Add>
  std::uint32_t get(std::string_view s, Add&& add) {
    if (has_last_ && s == last_) return last_index_;
    auto it = index_.find(s);
    if (it == index_.end()) it = index_.emplace(std::string(s), static_cast<std::uint32_t>(add(s))).first;
    last_ = it->first;
    last_index_ = it->second;
    has_last_ = true;
    return last_index_;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
  std::string_view last_;  // a key of index_: node keys do not move
  std::uint32_t last_index_ = 0;
  bool has_last_ = false;
};

}  // namespace

using nlohmann::json;

namespace {

/// A version's record as the API shows it: the stored JSON with the report's server fields.
json with_report_fields(json r, std::int64_t id, const std::string& study, const std::string& site,
                        const std::string& report_id, const std::string& received_at,
                        std::int64_t version, const std::string& recorded_at,
                        const std::string& recorded_by, const std::string& kind) {
  r["id"] = id;
  r["study"] = study;
  r["site"] = site;
  r["report_id"] = report_id;
  r["received_at"] = received_at;
  r["version"] = version;
  r["recorded_at"] = recorded_at;
  r["recorded_by"] = recorded_by;
  r["status"] = kind == "nullification" ? "nullified" : "active";
  return r;
}

json ae_record(Stmt& st) {
  // Columns: id, study, site, report_id, received_at, current_version, record, recorded_at,
  // recorded_by, kind
  return with_report_fields(json::parse(st.text(6)), st.i64(0), st.text(1), st.text(2), st.text(3),
                            st.text(4), st.i64(5), st.text(7), st.text(8), st.text(9));
}

/// The few fields of a version the scheduler's stopping rules read (Store::SnapshotOptions::slim),
/// from the version's fact columns (schema v6): no version text is parsed.
constexpr const char* kSlimColumns = "r.subject, v.grade, v.serious, v.susar, v.related_to";

/// Columns: id, study, site, report_id, received_at, version, then kSlimColumns, then
/// recorded_at, recorded_by, kind.
json slim_record(Stmt& st) {
  json related = json::array();
  const std::string list = st.opt_text(10).value_or("");
  for (std::size_t from = 0; from < list.size();) {
    const auto comma = std::min(list.find(',', from), list.size());
    if (comma > from) related.push_back(list.substr(from, comma - from));
    from = comma + 1;
  }
  json r{{"subject", st.text(6)},
         {"grade", st.opt_i64(7).value_or(0)},
         {"safety", {{"serious", st.opt_i64(8).value_or(0) != 0},
                     {"susar", st.opt_i64(9).value_or(0) != 0},
                     {"related_to", std::move(related)}}}};
  return with_report_fields(std::move(r), st.i64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.i64(5),
                            st.text(11), st.text(12), st.text(13));
}

/// An alert's dedupe key as stored: keys are unique per study (subject ids repeat across studies).
std::string stored_key(const std::string& study, const std::string& key) { return study + "|" + key; }

/// Whether `db` holds the alert of this study and key (the writer, inside its transaction, or
/// a reader).
bool alert_raised(Db& db, const std::string& study, const std::string& key) {
  auto st = db.cached("SELECT 1 FROM alerts WHERE dedupe_key = ?");
  st.bind(1, stored_key(study, key));
  return st.step();
}

constexpr const char* kSubmissionSelect =
    "SELECT s.id, s.report, s.kind, s.submitted, s.authority, s.reference, s.recorded_at, s.recorded_by, "
    "m.message_id, r.report_id FROM submissions s JOIN ae_reports r ON r.id = s.report "
    "LEFT JOIN submission_messages m ON m.submission = s.id ";

SubmissionRow submission_row(Stmt& st) {
  SubmissionRow row;
  row.id = st.i64(0);
  row.report = st.i64(1);
  row.kind = st.text(2);
  row.message_id = st.opt_text(8).value_or("");
  row.record = {{"id", row.id},          {"report", row.report},       {"report_id", st.text(9)},
                {"kind", row.kind},      {"submitted", st.text(3)},    {"authority", st.text(4)},
                {"reference", st.text(5)}, {"recorded_at", st.text(6)}, {"recorded_by", st.text(7)},
                {"message_id", row.message_id.empty() ? json(nullptr) : json(row.message_id)}};
  return row;
}

/// The acknowledgements of a submission's message, oldest first; `accepted` is the last one's.
void add_acks(Db& db, SubmissionRow& row) {
  json acks = json::array();
  auto st = db.cached(
      "SELECT ack_batch_id, code, accepted, text, local_report_number, receipt_at, recorded_at, recorded_by "
      "FROM icsr_acks WHERE submission = ? ORDER BY id");
  st.bind(1, row.id);
  while (st.step()) {
    row.accepted = st.i64(2) != 0;
    acks.push_back({{"ack_batch_id", st.text(0)},
                    {"code", st.text(1)},
                    {"accepted", st.i64(2) != 0},
                    {"text", st.text(3)},
                    {"local_report_number", st.text(4)},
                    {"receipt_at", st.text(5)},
                    {"recorded_at", st.text(6)},
                    {"recorded_by", st.text(7)}});
  }
  if (!row.message_id.empty()) {
    row.record["acks"] = std::move(acks);
    row.record["accepted"] = row.accepted ? json(*row.accepted) : json(nullptr);
  }
}

/// An acknowledgement batch as recorded: one entry per message it acknowledged.
json ack_record(Db& db, const std::string& study, const std::string& batch) {
  auto st = db.cached(
      "SELECT a.submission, s.report, a.message_id, a.code, a.accepted, a.text, a.local_report_number, "
      "a.receipt_at, a.recorded_at, a.recorded_by FROM icsr_acks a JOIN submissions s ON s.id = a.submission "
      "WHERE a.study = ? AND a.ack_batch_id = ? ORDER BY a.id");
  st.bind(1, study).bind(2, batch);
  json items = json::array();
  std::string receipt, recorded_at, recorded_by;
  while (st.step()) {
    receipt = st.text(7);
    recorded_at = st.text(8);
    recorded_by = st.text(9);
    items.push_back({{"submission", st.i64(0)},
                     {"report", st.i64(1)},
                     {"message_id", st.text(2)},
                     {"code", st.text(3)},
                     {"accepted", st.i64(4) != 0},
                     {"text", st.text(5)},
                     {"local_report_number", st.text(6)}});
  }
  return {{"ack_batch_id", batch}, {"receipt_at", receipt}, {"recorded_at", recorded_at},
          {"recorded_by", recorded_by}, {"messages", items}};
}

constexpr const char* kAeSelect =
    "SELECT r.id, r.study, r.site, r.report_id, r.received_at, r.current_version, v.record, "
    "v.recorded_at, v.recorded_by, v.kind FROM ae_reports r JOIN ae_versions v "
    "ON v.report = r.id AND v.version = r.current_version ";

/// Who changes a clock, and when, for its audit row: the action's actor at the action's time
/// (a clock stopped by a submission stops at the submission's date, audited now).
struct By {
  Timestamp at;
  const Actor& actor;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(const Options& opts, const Clock& clock, std::unique_ptr<Db> wdb)
      : path_(opts.path), dsn_(opts.dsn), lease_ms_(opts.delivery_lease_ms), instance_(opts.instance), clock_(clock), readers_(reader(opts, opts.dsn)),
        replica_(reader(opts, opts.replica_dsn.empty() ? opts.dsn : opts.replica_dsn)),
        writer_(std::move(wdb), opts.max_batch, reopen(opts)) {}

  /// The writer's new connection after a lost one (PostgreSQL only: a SQLite file does not go away).
  static std::function<std::unique_ptr<Db>()> reopen(const Options& opts) {
    if (opts.dsn.empty()) return {};
    return [dsn = opts.dsn, ms = opts.busy_timeout_ms] {
      auto db = std::make_unique<PgDb>(dsn, false);
      bound_lock_waits(*db, ms);
      return std::unique_ptr<Db>(std::move(db));
    };
  }

  /// A PostgreSQL writer's lock waits end after `busy_ms`, as SQLite's busy timeout does: a
  /// write behind an instance that holds the write lock and hangs fails with "locked" (503)
  /// instead of waiting for ever.
  static void bound_lock_waits(Db& db, int busy_ms) {
    db.exec("SET lock_timeout = " + std::to_string(std::max(busy_ms, 1)));
  }

  /// Read-only connections: SQLite's file, or a PostgreSQL server (the primary, or a replica).
  static ReaderPool::Open reader(const Options& opts, const std::string& dsn) {
    if (!opts.dsn.empty()) return [dsn] { return std::unique_ptr<Db>(std::make_unique<PgDb>(dsn, true)); };
    return [path = opts.path, ms = opts.busy_timeout_ms] {
      return std::unique_ptr<Db>(std::make_unique<SqliteDb>(path, false, true, ms));
    };
  }

  ~SqliteStore() override { close(); }

  int schema_version() override {
    auto db = readers_.take();
    return read_version(*db);
  }

  void close() override { writer_.stop(); }

  Status check_writable() override {
    return guard([&]() -> Status {
      return writer_.write<Ok>([](Db& db) -> Result<Ok> {
        db.exec("CREATE TEMP TABLE IF NOT EXISTS readyz (x INTEGER)");
        db.exec("DELETE FROM temp.readyz");
        return Ok{};
      });
    });
  }

  WriterStats writer_stats() const override { return writer_.stats(); }

  bool scheduler_turn() override {
    if (dsn_.empty()) return true;
    std::lock_guard lock(lead_mu_);
    try {
      if (lead_ && lead_held_ && lead_->alive()) return true;
      const bool had = lead_held_;
      lead_held_ = false;
      if (lead_ && !lead_->alive()) lead_.reset();
      if (!lead_) lead_ = std::make_unique<PgDb>(dsn_, false);
      lead_held_ = lead_->try_session_lock(kSchedulerLock);
      if (lead_held_ != had)
        spdlog::info("scheduler: {}", lead_held_ ? "this instance runs the scheduler now (it holds the lock)"
                                                 : "another instance runs the scheduler");
      return lead_held_;
    } catch (const DbError& e) {
      spdlog::warn("scheduler: cannot reach the database for the scheduler's lock: {}", redacted_dsn(e.what()));
      lead_.reset();
      lead_held_ = false;
      return false;
    }
  }

  void set_read_only(std::optional<std::string> reason) override { writer_.set_read_only(std::move(reason)); }
  std::optional<std::string> read_only() const override { return writer_.read_only(); }

  Result<bool> raise_operator_alert(const AlertRecord& a) override {
    return guard([&]() -> Result<bool> {
      return writer_.write<bool>(
          [&](Db& db) -> Result<bool> { return record_alerts(db, "*", {a}, std::nullopt, clock_.now()) > 0; },
          true);
    });
  }

  Status queue_event(const std::string& type, const json& data) override {
    return guard([&]() -> Status {
      return writer_.write<Ok>(
          [&](Db& db) -> Result<Ok> {
            const Timestamp now = clock_.now();
            const json event{{"type", type}, {"timestamp", format_timestamp(now)}, {"data", data}};
            if (SqliteOutbox::enqueue_routed(db, current_endpoints(), event, "info", std::nullopt, now) > 0)
              queued_.store(true);
            return Ok{};
          },
          true);
    });
  }

  void set_report_listener(std::function<void()> fn) override {
    std::lock_guard lock(endpoints_mu_);
    report_listener_ = std::move(fn);
  }

  Result<Stored> enrol_subject(const std::string& study, const std::string& site,
                               const json& draft, const std::string& body_sha256,
                               const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        const std::string subject = draft.at("subject").get<std::string>();
        {
          auto st = db.cached(
              "SELECT site, record, body_sha256 FROM subjects WHERE study = ? AND subject = ?");
          st.bind(1, study).bind(2, subject);
          if (st.step()) {
            // Another site's subject gets the answer of any other conflict, word for word: the
            // caller learns that the id is taken, never where.
            if (st.text(0) != site || st.text(2) != body_sha256)
              return Error::field(Errc::conflict, "subject",
                                  "subject " + subject + " is already enrolled in this study");
            return Stored{json::parse(st.text(1)), false};
          }
        }
        const Timestamp now = clock_.now();
        json record = draft;
        record["study"] = study;
        record["site"] = site;
        record["created_at"] = format_timestamp(now);
        record["created_by"] = actor.principal;
        const std::string text = record.dump();
        db.cached(
              "INSERT INTO subjects (study, subject, site, enrolled, record, body_sha256, "
              "created_at, created_by) VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, study)
            .bind(2, subject)
            .bind(3, site)
            .bind(4, draft.at("enrolled").get<std::string>())
            .bind(5, text)
            .bind(6, body_sha256)
            .bind(7, format_timestamp(now))
            .bind(8, actor.principal)
            .run();
        audit::record(db, now, actor, "subject.enrol", audit::Kind::subject, db.last_insert_rowid());
        return Stored{record, true};
      });
    });
  }

  Result<Stored> add_baseline(const std::string& study, const std::string& subject,
                              const json& baseline, const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        auto st = db.cached("SELECT id, record FROM subjects WHERE study = ? AND subject = ?");
        st.bind(1, study).bind(2, subject);
        if (!st.step()) return Error::field(Errc::not_found, "subject", "no subject '" + subject + "'");
        const std::int64_t id = st.i64(0);
        const std::string before = st.text(1);
        json record = json::parse(before);
        json& base = record["baseline"];
        if (!base.is_object()) base = json::object();
        bool changed = false;
        std::vector<FieldError> conflicts;
        for (auto it = baseline.begin(); it != baseline.end(); ++it) {
          if (base.contains(it.key())) {
            if (base[it.key()] != it.value())
              conflicts.push_back({it.key(), "a different baseline is already recorded: " +
                                                 base[it.key()].dump()});
            continue;
          }
          base[it.key()] = it.value();
          changed = true;
        }
        if (!conflicts.empty())
          return Error{Errc::conflict, "baseline values are not overwritten", conflicts};
        if (!changed) return Stored{record, false};
        const std::string after = record.dump();
        db.cached("UPDATE subjects SET record = ? WHERE id = ?").bind(1, after).bind(2, id).run();
        audit::record(db, clock_.now(), actor, "subject.baseline", audit::Kind::subject, id);
        return Stored{record, true};
      });
    });
  }

  Result<std::optional<SubjectRow>> find_subject(const std::string& study,
                                                 const std::string& subject) override {
    return guard([&]() -> Result<std::optional<SubjectRow>> {
      auto db = readers_.take();
      return load_subject(*db, study, subject);
    });
  }

  Result<Stored> insert_ae(const std::string& study, const std::string& site, const json& record,
                           const std::string& body_sha256, const Actor& actor) override {
    AeWrite w;
    w.study = study;
    w.site = site;
    w.record = record;
    w.body_sha256 = body_sha256;
    w.received_at = clock_.now();
    return insert_ae(std::move(w), actor);
  }

  Result<Stored> insert_ae(AeWrite w, const Actor& actor) override {
    // What does not need the transaction is done before it, on the caller's thread: the single
    // writer is the one resource every request shares.
    const std::string text = w.record.dump();
    const VersionFacts facts = version_facts(w.record);
    const std::string ts = format_timestamp(w.received_at);
    const json* ct = w.record.contains("ctcae") ? &w.record.at("ctcae") : nullptr;
    const std::string meddra_code = ct ? ct->value("meddra_code", "") : "";
    std::int64_t id = 0;  // set when the report is new
    auto written = guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        const std::string& study = w.study;
        const std::string report_id = w.record.at("report_id").get<std::string>();
        const std::string subject = w.record.at("subject").get<std::string>();
        {
          auto st = db.cached(
              "SELECT id, body_sha256 FROM ae_reports WHERE study = ? AND site = ? AND "
              "report_id = ?");
          st.bind(1, study).bind(2, w.site).bind(3, report_id);
          if (st.step()) {
            const std::int64_t existing = st.i64(0);
            if (st.text(1) != w.body_sha256)
              return Error::field(Errc::conflict, "report_id",
                                  "report " + report_id + " already exists (id " +
                                      std::to_string(existing) + ") with different content: send "
                                      "changes as a follow-up to POST /v1/studies/" + study +
                                      "/ae/" + std::to_string(existing) + "/followups");
            return Stored{read_ae(db, existing), false};
          }
        }
        std::int64_t subject_id = 0;
        {
          auto st = db.cached("SELECT id FROM subjects WHERE study = ? AND subject = ?");
          st.bind(1, study).bind(2, subject);
          if (!st.step())
            return Error::field(Errc::invalid, "subject", "is not enrolled in this study");
          subject_id = st.i64(0);
        }
        // The columns that mirror the version in force (set_current) are written with the row:
        // one index update each instead of two.
        db.cached(
              "INSERT INTO ae_reports (study, site, report_id, subject_id, subject, received_at, "
              "body_sha256, current_version, meddra_code, grade, onset, status, resolved) "
              "VALUES (?,?,?,?,?,?,?,1,?,?,?,'active',?)")
            .bind(1, study)
            .bind(2, w.site)
            .bind(3, report_id)
            .bind(4, subject_id)
            .bind(5, subject)
            .bind(6, ts)
            .bind(7, w.body_sha256)
            .bind(8, meddra_code)
            .bind(9, w.record.value("grade", 0))
            .bind(10, w.record.value("onset", ""))
            .bind(11, w.record.contains("resolved") && w.record["resolved"].is_string()
                          ? std::optional<std::string>(w.record["resolved"].get<std::string>())
                          : std::nullopt)
            .run();
        id = db.last_insert_rowid();
        insert_version(db, id, 1, "initial", ts, actor.principal, text, facts);
        audit::record(db, w.received_at, actor, "ae.create", audit::Kind::ae, id);
        const By by{w.received_at, actor};
        for (const auto& c : w.clocks) insert_clock(db, by, id, study, 1, c);
        for (const auto& c : w.closed)
          insert_clock(db, by, id, study, 1, c.clock,
                       Stopped{c.stopped_at.value_or(w.received_at), c.stop_reason, c.late});
        if (w.record.value("grade", 0) == 5 && w.record.value("safety", json::object()).value("serious", false))
          stop_death_clocks(db, by, study, subject, report_id, w.received_at);
        auto alerts = w.alerts;
        if (w.rules) {
          w.rules->facts.report = id;
          for (auto& a : rule_alerts(db, study, *w.rules)) alerts.push_back(std::move(a));
        }
        record_alerts(db, study, alerts, id, w.received_at);
        return Stored{json(), true};  // the record is built below, after the commit
      });
    });
    if (!written || !written->created) return written;
    // What read_ae would read back, without parsing the text just written (ae_record). The
    // record is moved: the caller gave it up.
    const std::string report_id = w.record.at("report_id").get<std::string>();
    return Stored{with_report_fields(std::move(w.record), id, w.study, w.site, report_id, ts, 1, ts,
                                     actor.principal, "initial"),
                  true};
  }

  Result<std::vector<VersionRow>> ae_versions(const std::string& study, std::int64_t id) override {
    return guard([&]() -> Result<std::vector<VersionRow>> {
      auto db = readers_.take();
      auto st = db->cached(
          "SELECT v.version, v.kind, v.record, v.recorded_at, v.recorded_by FROM ae_versions v "
          "JOIN ae_reports r ON r.id = v.report WHERE r.id = ? AND r.study = ? ORDER BY v.version");
      st.bind(1, id).bind(2, study);
      std::vector<VersionRow> out;
      while (st.step())
        out.push_back(VersionRow{static_cast<int>(st.i64(0)), st.text(1), json::parse(st.text(2)),
                                 st.text(3), st.text(4)});
      return out;
    });
  }

  Result<Stored> add_followup(FollowupWrite w, const Actor& actor) override {
    const std::string& study = w.study;
    const std::int64_t id = w.report;
    // What does not need the transaction is done before it, on the caller's thread.
    w.record["followup"] = {{"id", w.followup_id}, {"sha256", w.body_sha256}};
    const std::string text = w.record.dump();
    const VersionFacts facts = version_facts(w.record);
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        auto cur = db.cached(
            "SELECT r.site, r.current_version, v.kind FROM ae_reports r JOIN ae_versions v "
            "ON v.report = r.id AND v.version = r.current_version WHERE r.id = ? AND r.study = ?");
        cur.bind(1, id).bind(2, study);
        if (!cur.step() || (!w.site.empty() && cur.text(0) != w.site))
          return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(id));
        const int version = static_cast<int>(cur.i64(1));
        if (cur.text(2) == "nullification")
          return Error::field(Errc::conflict, "id", "the report was nullified; it takes no follow-up");
        cur.reset();
        if (auto sha = recorded_followup(db, id, w.followup_id)) {
          if (*sha != w.body_sha256)
            return Error::field(Errc::conflict, "followup_id",
                                "follow-up " + w.followup_id + " was already recorded with other content");
          return Stored{read_ae(db, id), false};
        }
        if (version != w.expected_version || open_clock_ids(db, id) != w.expected_open_clocks)
          return Stored{json(), false, true};
        const Timestamp now = clock_.now();
        const std::string ts = format_timestamp(now);
        const json& rec = w.record;
        insert_version(db, id, version + 1, w.nullification ? "nullification" : "followup", ts,
                       actor.principal, text, facts);
        db.cached("UPDATE ae_reports SET current_version = ? WHERE id = ?")
            .bind(1, version + 1)
            .bind(2, id)
            .run();
        set_current(db, id, rec, w.nullification);
        audit::record(db, now, actor, w.nullification ? "ae.nullify" : "ae.followup", audit::Kind::ae, id);
        const By by{now, actor};
        for (const auto& c : w.start) insert_clock(db, by, id, study, version + 1, c);
        for (const auto& c : w.closed)
          insert_clock(db, by, id, study, version + 1, c.clock,
                       Stopped{c.stopped_at.value_or(now), c.stop_reason, c.late});
        for (const auto& [cid, why] : w.stop) stop_clock(db, by, cid, now, why, false);
        if (!w.nullification && rec.value("grade", 0) == 5 && rec.value("safety", json::object()).value("serious", false))
          stop_death_clocks(db, by, study, rec.value("subject", ""), rec.value("report_id", ""), now);
        if (w.rules.rules) {
          w.rules.facts.report = id;
          record_alerts(db, study, rule_alerts(db, study, w.rules), id, now);
        }
        return Stored{read_ae(db, id), true};
      });
    });
  }

  Result<std::vector<interop::SdtmAe>> sdtm_rows(const std::string& study, Timestamp as_of) override {
    return guard([&]() -> Result<std::vector<interop::SdtmAe>> {
      auto db = readers_.take();
      auto st = db->cached(
          "SELECT r.report_id, r.subject, v.kind, v.verbatim, v.reported_term, v.term, v.meddra_code, "
          "v.soc, v.grade, v.serious, v.criteria, v.causality, v.action_taken, v.outcome, v.onset, "
          "v.resolved FROM ae_reports r JOIN ae_versions v ON v.report = r.id "
          "WHERE r.study = ?1 AND v.version = (SELECT max(version) FROM ae_versions "
          "WHERE report = r.id AND recorded_at <= ?2) ORDER BY r.id");
      st.bind(1, study).bind(2, format_timestamp(as_of));
      auto pairs = [](const std::optional<std::string>& list) {
        std::vector<std::pair<std::string, std::string>> out;
        const std::string v = list.value_or("");
        for (std::size_t from = 0; from < v.size();) {
          const auto comma = std::min(v.find(',', from), v.size());
          const std::string item = v.substr(from, comma - from);
          if (const auto eq = item.find('='); eq != std::string::npos)
            out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
          from = comma + 1;
        }
        return out;
      };
      std::vector<interop::SdtmAe> out;
      while (st.step()) {
        interop::SdtmAe a;
        a.report_id = st.text(0);
        a.subject = st.text(1);
        a.nullified = st.text(2) == "nullification";
        a.verbatim = st.opt_text(3).value_or("");
        a.reported_term = st.opt_text(4).value_or("");
        a.term = st.opt_text(5).value_or("");
        a.meddra_code = st.opt_text(6).value_or("");
        a.soc = st.opt_text(7).value_or("");
        a.grade = static_cast<int>(st.opt_i64(8).value_or(0));
        a.serious = st.opt_i64(9).value_or(0) != 0;
        a.criteria = static_cast<std::uint8_t>(st.opt_i64(10).value_or(0));
        a.causality = pairs(st.opt_text(11));
        a.action_taken = pairs(st.opt_text(12));
        a.outcome = st.opt_text(13).value_or("");
        a.onset = st.opt_text(14).value_or("");
        a.resolved = st.opt_text(15).value_or("");
        out.push_back(std::move(a));
      }
      return out;
    });
  }

  Result<std::optional<std::string>> followup_recorded(std::int64_t report,
                                                       const std::string& followup_id) override {
    return guard([&]() -> Result<std::optional<std::string>> {
      auto db = readers_.take();
      return recorded_followup(*db, report, followup_id);
    });
  }

  Result<Stored> add_submission(SubmissionWrite w, const Actor& actor) override {
    const std::string& study = w.study;
    const std::int64_t id = w.report;
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        {
          auto cur = db.cached("SELECT 1 FROM ae_reports WHERE id = ? AND study = ?");
          cur.bind(1, id).bind(2, study);
          if (!cur.step()) return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(id));
        }
        if (open_clock_ids(db, id) != w.expected_open_clocks) return Stored{json(), false, true};
        const Timestamp now = clock_.now();
        json& rec = w.record;
        db.cached(
              "INSERT INTO submissions (report, kind, submitted, authority, reference, recorded_at, "
              "recorded_by) VALUES (?,?,?,?,?,?,?)")
            .bind(1, id)
            .bind(2, rec.at("kind").get<std::string>())
            .bind(3, rec.at("submitted").get<std::string>())
            .bind(4, rec.at("authority").get<std::string>())
            .bind(5, rec.at("reference").get<std::string>())
            .bind(6, format_timestamp(now))
            .bind(7, actor.principal)
            .run();
        const std::int64_t submission = db.last_insert_rowid();
        if (!w.message_id.empty()) {
          auto dup = db.cached("SELECT submission FROM submission_messages WHERE study = ? AND message_id = ?");
          dup.bind(1, study).bind(2, w.message_id);
          if (dup.step())
            return Error::field(Errc::conflict, "message_id",
                                "ICSR message " + w.message_id + " is named by submission " +
                                    std::to_string(dup.i64(0)) + " already");
          dup.reset();
          db.cached("INSERT INTO submission_messages (submission, study, message_id) VALUES (?,?,?)")
              .bind(1, submission)
              .bind(2, study)
              .bind(3, w.message_id)
              .run();
          rec["message_id"] = w.message_id;
          rec["acks"] = json::array();
          rec["accepted"] = nullptr;
        }
        audit::record(db, now, actor, "ae.submission", audit::Kind::submission, submission);
        rec["id"] = submission;
        rec["report"] = id;
        rec["recorded_at"] = format_timestamp(now);
        rec["recorded_by"] = actor.principal;
        json stopped = json::array();
        for (const auto& st : w.stop) {
          stop_clock(db, By{now, actor}, st.clock.id, *parse_timestamp(rec.at("submitted").get<std::string>()),
                     st.reason, st.late);
          stopped.push_back({{"clock", st.clock.id},
                             {"kind", std::string(safety::to_string(st.clock.kind))},
                             {"due_at", format_timestamp(st.clock.due_at)},
                             {"late", st.late}});
        }
        rec["clocks_stopped"] = stopped;
        return Stored{rec, true};
      });
    });
  }

  Result<std::vector<SubmissionRow>> submissions(const std::string& study,
                                                 std::optional<std::int64_t> report) override {
    return guard([&]() -> Result<std::vector<SubmissionRow>> {
      auto db = readers_.take();
      std::string sql = std::string(kSubmissionSelect) + "WHERE r.study = ?1 ";
      if (report) sql += "AND s.report = ?2 ";
      sql += "ORDER BY s.id";
      auto st = db->cached(sql);
      st.bind(1, study);
      if (report) st.bind(2, *report);
      std::vector<SubmissionRow> out;
      while (st.step()) out.push_back(submission_row(st));
      st.reset();
      for (auto& row : out) add_acks(*db, row);
      return out;
    });
  }

  Result<std::optional<SubmissionRow>> submission_by_message(const std::string& study,
                                                             const std::string& message_id) override {
    return guard([&]() -> Result<std::optional<SubmissionRow>> {
      auto db = readers_.take();
      auto st = db->cached(std::string(kSubmissionSelect) + "WHERE r.study = ?1 AND m.message_id = ?2");
      st.bind(1, study).bind(2, message_id);
      if (!st.step()) return std::optional<SubmissionRow>{};
      SubmissionRow row = submission_row(st);
      st.reset();
      add_acks(*db, row);
      return std::optional<SubmissionRow>(std::move(row));
    });
  }

  Result<Stored> add_icsr_ack(IcsrAckWrite w, const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        {
          // The same document again is a replay; another under the same batch id, a conflict.
          auto seen = db.cached("SELECT ack_sha256 FROM icsr_acks WHERE study = ? AND ack_batch_id = ? LIMIT 1");
          seen.bind(1, w.study).bind(2, w.ack_batch_id);
          if (seen.step()) {
            const std::string sha = seen.text(0);
            seen.reset();
            if (sha != w.ack_sha256)
              return Error::field(Errc::conflict, "ACK.M.1",
                                  "acknowledgement batch " + w.ack_batch_id +
                                      " was recorded already with other content");
            return Stored{ack_record(db, w.study, w.ack_batch_id), false};
          }
        }
        for (const auto& item : w.items)
          if (open_clock_ids(db, item.report) != item.expected_open_clocks) return Stored{json(), false, true};
        const Timestamp now = clock_.now();
        for (const auto& item : w.items) {
          db.cached(
                "INSERT INTO icsr_acks (study, submission, ack_batch_id, ack_sha256, message_id, code, accepted, "
                "text, local_report_number, receipt_at, recorded_at, recorded_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
              .bind(1, w.study)
              .bind(2, item.submission)
              .bind(3, w.ack_batch_id)
              .bind(4, w.ack_sha256)
              .bind(5, item.message_id)
              .bind(6, item.code)
              .bind(7, item.accepted ? 1 : 0)
              .bind(8, item.text)
              .bind(9, item.local_report_number)
              .bind(10, format_timestamp(w.receipt))
              .bind(11, format_timestamp(now))
              .bind(12, actor.principal)
              .run();
          audit::record(db, now, actor, item.accepted ? "icsr.ack.accepted" : "icsr.ack.rejected",
                        audit::Kind::submission, item.submission);
          // The gateway's receipt is the proof of submission (ICH E2A III.A's day 7/15).
          for (const auto& stop : item.stop) stop_clock(db, By{w.receipt, actor}, stop.clock.id, w.receipt, stop.reason, stop.late);
          if (item.alert) record_alerts(db, w.study, {*item.alert}, item.report, now);
        }
        return Stored{ack_record(db, w.study, w.ack_batch_id), true};
      });
    });
  }

  Result<std::vector<ClockRow>> clocks(const std::string& study, bool open_only,
                                       std::optional<std::int64_t> report) override {
    return guard([&]() -> Result<std::vector<ClockRow>> {
      auto db = readers_.take();
      return load_clocks(*db, study, open_only, report);
    });
  }

  Result<Stored> add_event(EventWrite w, const Actor& actor) override {
    const std::string& study = w.study;
    const std::string& subject = w.subject;
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        auto row = load_subject(db, study, subject);
        if (!row) return Error::field(Errc::not_found, "subject", "no subject '" + subject + "'");
        if (!actor.site.empty() && row->site != actor.site)
          return Error::field(Errc::not_found, "subject", "no subject '" + subject + "'");
        {
          auto st = db.cached("SELECT count(*), ifnull(max(id), 0) FROM subject_events WHERE subject_id = ?");
          st.bind(1, row->id);
          st.step();
          if (static_cast<std::size_t>(st.i64(0)) != w.expected_events || st.i64(1) != w.expected_last_event)
            return Stored{json(), false, true};
        }
        const Timestamp now = clock_.now();
        const json& rec = w.event.fields;
        const std::string text = rec.dump();
        std::optional<std::int64_t> corrects;
        if (rec.contains("corrects") && rec["corrects"].is_number_integer())
          corrects = rec["corrects"].get<std::int64_t>();
        db.cached(
              "INSERT INTO subject_events (subject_id, kind, date, record, corrects, recorded_at, "
              "recorded_by) VALUES (?,?,?,?,?,?,?)")
            .bind(1, row->id)
            .bind(2, w.event.kind)
            .bind(3, format_date(w.event.date))
            .bind(4, text)
            .bind(5, corrects)
            .bind(6, format_timestamp(now))
            .bind(7, actor.principal)
            .run();
        const std::int64_t id = db.last_insert_rowid();
        audit::record(db, now, actor, "subject.event", audit::Kind::event, id);
        // A death recorded with no SAE report of it: the site's SAE clock runs from now, when the
        // sponsor learnt the site knew (issue 17 §1; ICH E6 4.11.1), until the grade 5 report.
        if (w.sae_report_hours > 0 && safety::records_death(w.event) && !fatal_sae_reported(db, study, subject)) {
          const safety::Clock c = safety::site_report_clock(now, w.sae_report_hours);
          db.cached("INSERT INTO clocks (report, study, kind, started_at, due_at, reason, version, late, "
                    "subject_id, event) VALUES (NULL, ?, ?, ?, ?, ?, 0, 0, ?, ?)")
              .bind(1, study)
              .bind(2, std::string(safety::to_string(c.kind)))
              .bind(3, format_timestamp(c.started_at))
              .bind(4, format_timestamp(c.due_at))
              .bind(5, "death recorded (event " + std::to_string(id) + ", " + format_date(w.event.date) +
                           ") with no SAE report of grade 5: the site's SAE report is due")
              .bind(6, row->id)
              .bind(7, id)
              .run();
          audit::record(db, now, actor, "clock.start", audit::Kind::clock, db.last_insert_rowid());
        }
        // The alerts name the event they come from: pvmon::safety's rules over the course with it.
        w.event.id = id;
        record_alerts(db, study, to_alert_records(safety::on_subject_event(study, w.event, w.facts)),
                      std::nullopt, now);
        json out = rec;
        out["id"] = id;
        out["recorded_at"] = format_timestamp(now);
        out["recorded_by"] = actor.principal;
        return Stored{out, true};
      });
    });
  }

  Result<std::vector<safety::SubjectEvent>> subject_events(const std::string& study,
                                                           const std::string& subject) override {
    return guard([&]() -> Result<std::vector<safety::SubjectEvent>> {
      auto db = readers_.take();
      auto row = load_subject(*db, study, subject);
      if (!row) return std::vector<safety::SubjectEvent>{};
      return load_events(*db, row->id, std::nullopt);
    });
  }

  // ---- Laboratory results (issue 25) -------------------------------------------------------

  Result<Stored> add_lab_panel(LabWrite w, const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        const std::string& study = w.study;
        const std::string& subject = w.subject;
        auto row = load_subject(db, study, subject);
        if (!row || (!actor.site.empty() && row->site != actor.site))
          return Error::field(Errc::not_found, "subject", "no subject '" + subject + "'");
        {
          // Idempotent on the site's panel id: the same body again is the stored panel.
          auto st = db.cached(
              "SELECT p.record, p.body_sha256, s.subject, p.id FROM lab_panels p JOIN subjects s ON s.id = p.subject_id "
              "WHERE p.study = ? AND p.panel_id = ?");
          st.bind(1, study).bind(2, w.panel.panel_id);
          if (st.step()) {
            if (st.text(1) != w.body_sha256 || st.text(2) != subject)
              return Error::field(Errc::conflict, "panel_id",
                                  "panel " + w.panel.panel_id + " is already recorded with other results");
            json stored = json::parse(st.text(0));
            stored["id"] = st.i64(3);
            return Stored{stored, false};
          }
        }
        const Timestamp now = clock_.now();
        json record = w.record;
        record["subject"] = subject;
        record["recorded_at"] = format_timestamp(now);
        record["recorded_by"] = actor.principal;
        json results = json::array();
        for (const auto& r : w.panel.results) results.push_back(safety::result_json(r));
        record["results"] = results;
        // The stored text has no id (the row's id, added when read back): append-only, written once.
        const std::string text = record.dump();
        db.cached(
              "INSERT INTO lab_panels (study, subject_id, panel_id, collected_at, record, body_sha256, recorded_at, "
              "recorded_by) VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, study)
            .bind(2, row->id)
            .bind(3, w.panel.panel_id)
            .bind(4, format_timestamp(w.panel.collected_at))
            .bind(5, text)
            .bind(6, w.body_sha256)
            .bind(7, format_timestamp(now))
            .bind(8, actor.principal)
            .run();
        const std::int64_t pid = db.last_insert_rowid();
        for (const auto& r : w.panel.results) {
          db.cached(
                "INSERT INTO lab_results (panel, subject_id, collected_at, test, meddra_code, value, unit, uln, lln, "
                "baseline, baseline_uln, baseline_lln, grade, criterion, basis) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
              .bind(1, pid)
              .bind(2, row->id)
              .bind(3, format_timestamp(w.panel.collected_at))
              .bind(4, r.test)
              .bind(5, std::string(r.term->meddra_code))
              .bind(6, r.value)
              .bind(7, r.unit)
              .bind(8, r.uln)
              .bind(9, r.lln)
              .bind(10, r.baseline ? std::optional(r.baseline->value) : std::nullopt)
              .bind(11, r.baseline ? r.baseline->uln : std::nullopt)
              .bind(12, r.baseline ? r.baseline->lln : std::nullopt)
              .bind(13, r.grade)
              .bind(14, r.criterion)
              .bind(15, r.basis)
              .run();
        }
        audit::record(db, now, actor, "lab.panel", audit::Kind::lab_panel, pid);
        // The liver rules over the subject's results with this panel, in this transaction.
        const auto all = load_labs(db, row->id, std::nullopt);
        if (auto c = safety::potential_hys_law(all, w.panel.panel_id, w.hys_law)) {
          const auto draft = safety::hys_law_alert(study, subject, *c);
          if (record_alerts(db, study, to_alert_records({draft}), std::nullopt, now) > 0) {
            // A potential Hy's law case may be a serious unexpected suspected reaction: the
            // 15-day clock runs (21 CFR 312.32(c)(1)) until the officer's assessment.
            const Timestamp due = safety::calendar_day_deadline(now, w.hys_law_clock_days);
            db.cached("INSERT INTO clocks (report, study, kind, started_at, due_at, reason, version, late, subject_id, "
                      "lab_panel) VALUES (NULL, ?, ?, ?, ?, ?, 0, 0, ?, ?)")
                .bind(1, study)
                .bind(2, std::string(safety::to_string(safety::ClockKind::regulatory_initial)))
                .bind(3, format_timestamp(now))
                .bind(4, format_timestamp(due))
                .bind(5, "potential Hy's law case (" + c->text + "): assess it; if confirmed it is reported as a "
                         "serious unexpected suspected reaction within " + std::to_string(w.hys_law_clock_days) +
                         " calendar days")
                .bind(6, row->id)
                .bind(7, pid)
                .run();
            audit::record(db, now, actor, "clock.start", audit::Kind::clock, db.last_insert_rowid());
          }
        }
        record["id"] = pid;
        return Stored{record, true};
      });
    });
  }

  Result<std::vector<safety::LabResult>> subject_labs(const std::string& study, const std::string& subject) override {
    return guard([&]() -> Result<std::vector<safety::LabResult>> {
      auto db = readers_.take();
      auto row = load_subject(*db, study, subject);
      if (!row) return std::vector<safety::LabResult>{};
      return load_labs(*db, row->id, std::nullopt);
    });
  }

  Result<std::map<std::string, std::vector<safety::LabResult>>> study_labs(const std::string& study, Timestamp cutoff,
                                                                           Timestamp as_of) override {
    return guard([&]() -> Result<std::map<std::string, std::vector<safety::LabResult>>> {
      auto db = readers_.take();
      std::map<std::string, std::vector<safety::LabResult>> out;
      auto st = db->cached("SELECT id, subject FROM subjects WHERE study = ? ORDER BY subject");
      st.bind(1, study);
      std::vector<std::pair<std::int64_t, std::string>> subjects;
      while (st.step()) subjects.emplace_back(st.i64(0), st.text(1));
      st.reset();
      for (const auto& [id, subject] : subjects) {
        auto labs = load_labs(*db, id, as_of);
        std::erase_if(labs, [&](const safety::LabResult& r) { return r.collected_at > cutoff; });
        if (!labs.empty()) out[subject] = std::move(labs);
      }
      return out;
    });
  }

  Result<LabFindings> lab_findings(const std::string& study, int min_grade, int window_days) override {
    return guard([&]() -> Result<LabFindings> {
      auto db = readers_.take();
      LabFindings out;
      std::map<std::string, std::set<std::string>> codes;  // subject -> CTCAE codes with a finding
      {
        auto st = db->cached("SELECT s.id, s.subject FROM lab_results r JOIN subjects s ON s.id = r.subject_id "
                             "WHERE s.study = ? AND r.grade >= ? GROUP BY s.id");
        st.bind(1, study).bind(2, min_grade);
        std::vector<std::pair<std::int64_t, std::string>> subjects;
        while (st.step()) subjects.emplace_back(st.i64(0), st.text(1));
        st.reset();
        for (const auto& [id, subject] : subjects) {
          auto labs = load_labs(*db, id, std::nullopt);
          std::erase_if(labs, [&](const safety::LabResult& r) { return r.grade < min_grade; });
          for (const auto& r : labs) codes[subject].insert(std::string(r.term->meddra_code));
          out.results[subject] = std::move(labs);
        }
      }
      // Only the AE reports whose onset lies within `window_days` of a finding: a range on the
      // partial index of active reports by (study, subject, onset), not the subject's every report.
      auto ae = db->cached(
          "SELECT report_id, meddra_code, onset FROM ae_reports WHERE study = ?1 AND subject = ?2 AND "
          "status = 'active' AND onset BETWEEN ?3 AND ?4");
      for (const auto& [subject, wanted] : codes) {
        std::set<std::string> seen;
        for (const auto& r : out.results[subject]) {
          const Date day = r.collected_at.date();
          ae.bind(1, study).bind(2, subject).bind(3, format_date(day.plus_days(-window_days)))
              .bind(4, format_date(day.plus_days(window_days)));
          while (ae.step()) {
            const std::string code = ae.text(1);
            if (!wanted.count(code) || !seen.insert(ae.text(0)).second) continue;
            const auto* term = ctcae::find_code(code);
            const auto onset = parse_date(ae.text(2));
            if (term == nullptr || !onset) continue;
            out.aes[subject].push_back({ae.text(0), std::string(term->term), *onset});
          }
          ae.reset();
        }
      }
      return out;
    });
  }

  Result<std::map<std::int64_t, std::string>> alert_assessments(const std::string& study, Timestamp as_of) override {
    return guard([&]() -> Result<std::map<std::int64_t, std::string>> {
      auto db = readers_.take();
      auto st = db->cached(
          "SELECT x.alert, x.outcome FROM alert_assessments x JOIN alerts a ON a.id = x.alert "
          "WHERE a.study = ? AND x.assessed_at <= ? ORDER BY x.id");
      st.bind(1, study).bind(2, format_timestamp(as_of));
      std::map<std::int64_t, std::string> out;
      while (st.step()) out.emplace(st.i64(0), st.text(1));
      return out;
    });
  }

  Result<int> close_alerts(const std::string& study, const std::vector<std::string>& dedupe_keys,
                           const std::string& comment) override {
    if (dedupe_keys.empty()) return 0;
    return guard([&]() -> Result<int> {
      return writer_.write<int>([&](Db& db) -> Result<int> {
        const Timestamp now = clock_.now();
        const Actor system{"pvmond", ""};
        int closed = 0;
        for (const auto& key : dedupe_keys) {
          auto st = db.cached("SELECT id FROM alerts WHERE study = ? AND dedupe_key = ? AND status = 'open'");
          st.bind(1, study).bind(2, stored_key(study, key));
          if (!st.step()) continue;
          const std::int64_t id = st.i64(0);
          st.reset();
          db.cached("UPDATE alerts SET status = 'acked', acked_at = ?, acked_by = ?, ack_comment = ? WHERE id = ?")
              .bind(1, format_timestamp(now))
              .bind(2, system.principal)
              .bind(3, comment)
              .bind(4, id)
              .run();
          audit::record(db, now, system, "alert.ack", audit::Kind::alert, id);
          ++closed;
        }
        return closed;
      });
    });
  }

  Result<json> assess_alert(AlertAssessment a, const Actor& actor) override {
    return guard([&]() -> Result<json> {
      return writer_.write<json>([&](Db& db) -> Result<json> {
        auto st = db.cached("SELECT rule FROM alerts WHERE id = ? AND study = ?");
        st.bind(1, a.alert).bind(2, a.study);
        if (!st.step()) return Error::field(Errc::not_found, "id", "no alert " + std::to_string(a.alert));
        const std::string rule = st.text(0);
        st.reset();
        if (rule != safety::rule::kPotentialHysLaw)
          return Error::field(Errc::conflict, "id", "a " + rule + " alert takes no assessment");
        {
          auto done = db.cached("SELECT outcome, assessed_by FROM alert_assessments WHERE alert = ? LIMIT 1");
          done.bind(1, a.alert);
          if (done.step())
            return Error::field(Errc::conflict, "id",
                                "alert " + std::to_string(a.alert) + " is already assessed (" + done.text(0) + ", by " +
                                    done.text(1) + ")");
        }
        const Timestamp now = clock_.now();
        db.cached("INSERT INTO alert_assessments (alert, outcome, comment, assessed_at, assessed_by) VALUES (?,?,?,?,?)")
            .bind(1, a.alert)
            .bind(2, a.outcome)
            .bind(3, a.comment)
            .bind(4, format_timestamp(now))
            .bind(5, actor.principal)
            .run();
        // The clock the alert opened (its panel's potential-case clock) stops with the assessment.
        auto payload = db.cached("SELECT payload FROM alerts WHERE id = ?");
        payload.bind(1, a.alert);
        payload.step();
        const json p = json::parse(payload.text(0));
        payload.reset();
        std::vector<std::pair<std::int64_t, Timestamp>> open;
        std::set<std::string> panels;  // the case's panels (often one)
        for (const char* k : {"transaminase", "bilirubin"})
          if (p.contains(k) && p[k].is_object()) panels.insert(p[k].value("panel_id", ""));
        for (const auto& panel : panels) {
          auto c = db.cached(
              "SELECT c.id, c.due_at FROM clocks c JOIN lab_panels l ON l.id = c.lab_panel "
              "WHERE l.study = ? AND l.panel_id = ? AND c.stopped_at IS NULL");
          c.bind(1, a.study).bind(2, panel);
          while (c.step()) open.emplace_back(c.i64(0), parse_timestamp(c.text(1)).value_or(Timestamp{}));
        }
        for (const auto& [cid, due] : open)
          stop_clock(db, By{now, actor}, cid, now, "potential Hy's law case assessed: " + a.outcome, now > due);
        // An assessed case is acknowledged too (its escalations stop), with the assessment.
        db.cached("UPDATE alerts SET status = 'acked', acked_at = ?, acked_by = ?, ack_comment = ? "
                  "WHERE id = ? AND status = 'open'")
            .bind(1, format_timestamp(now))
            .bind(2, actor.principal)
            .bind(3, "assessed: " + a.outcome + ": " + a.comment)
            .bind(4, a.alert)
            .run();
        const json out{{"alert", a.alert},
                       {"outcome", a.outcome},
                       {"comment", a.comment},
                       {"assessed_at", format_timestamp(now)},
                       {"assessed_by", actor.principal},
                       {"clocks_stopped", open.size()}};
        audit::record(db, now, actor, "alert.assess", audit::Kind::alert, a.alert);
        return out;
      });
    });
  }

  Result<std::vector<safety::CourseAe>> subject_aes(const std::string& study,
                                                   const std::string& subject) override {
    return guard([&]() -> Result<std::vector<safety::CourseAe>> {
      auto db = readers_.take();
      return load_course_aes(*db, study, subject);
    });
  }

  /// A subject's AEs as its course reads them: the current version of each active report
  /// (ae_reports_by_subject), from the fact columns.
  static std::vector<safety::CourseAe> load_course_aes(Db& db, const std::string& study,
                                                       const std::string& subject) {
    auto st = db.cached(
        "SELECT r.report_id, v.onset, v.resolved, v.grade, v.outcome, v.serious FROM ae_reports r "
        "JOIN ae_versions v ON v.report = r.id AND v.version = r.current_version "
        "WHERE r.study = ?1 AND r.subject = ?2 AND r.status = 'active' ORDER BY r.id");
    st.bind(1, study).bind(2, subject);
    std::vector<safety::CourseAe> out;
    while (st.step()) {
      auto onset = st.is_null(1) ? std::nullopt : parse_date(st.view(1));
      if (!onset) continue;
      const int grade = static_cast<int>(st.opt_i64(3).value_or(0));
      out.push_back({st.text(0), *onset, st.is_null(2) ? std::nullopt : parse_date(st.view(2)), grade,
                     grade == 5, st.opt_i64(5).value_or(0) != 0});
    }
    return out;
  }

  using Store::snapshot;
  Result<Snapshot> snapshot(const std::string& study, Timestamp as_of,
                            const SnapshotOptions& opts) override {
    return guard([&]() -> Result<Snapshot> {
      auto db = readers_.take();
      // One read transaction: every query below sees the same committed state.
      db->exec("BEGIN");
      Snapshot snap;
      snap.as_of = as_of;
      const std::string cut = format_timestamp(as_of);
      try {
        auto st = db->cached(
            "SELECT id, subject, site, enrolled, record FROM subjects WHERE study = ? AND "
            "created_at <= ? ORDER BY subject");
        st.bind(1, study).bind(2, cut);
        while (st.step()) {
          SubjectRow r;
          r.id = st.i64(0);
          r.study = study;
          r.subject = st.text(1);
          r.site = st.text(2);
          r.enrolled = parse_date(st.text(3)).value_or(Date{});
          r.record = json::parse(st.text(4));
          snap.events[r.subject] = load_events(*db, r.id, as_of);
          snap.subjects.push_back(std::move(r));
        }
        if (opts.scheduler) {
          load_scheduler_view(*db, study, opts.min_grade, *opts.scheduler, snap);
          db->exec("ROLLBACK");
          return snap;
        }
        // The version in force at the cut-off: the newest recorded at or before it.
        // json_remove in SQLite: the dropped parts are never parsed into memory here. The
        // grade filter uses the current version's column, then checks the version in force.
        auto rs = db->cached(std::string(
            "SELECT r.id, r.study, r.site, r.report_id, r.received_at, v.version, ") +
            (opts.slim ? std::string(kSlimColumns) + ", "
                       : "json_remove(v.record, '$.narrative', '$.lab', '$.ctcae.grade_text', "
                         "'$.ctcae.lab_criterion', '$.ctcae.definition', '$.safety.reasons', '$.changes'), ") +
            "v.recorded_at, v.recorded_by, v.kind FROM ae_reports r JOIN ae_versions v ON v.report = r.id "
            "WHERE r.study = ?1 AND (?3 = 0 OR r.grade >= ?3 OR r.current_version > 1) "
            "AND v.version = (SELECT max(version) FROM ae_versions "
            "WHERE report = r.id AND recorded_at <= ?2) ORDER BY r.id");
        rs.bind(1, study).bind(2, cut).bind(3, static_cast<std::int64_t>(opts.min_grade));
        if (opts.facts) {
          load_facts(*db, study, cut, snap);
        } else {
          while (rs.step()) {
            auto rec = opts.slim ? slim_record(rs) : ae_record(rs);
            if (opts.min_grade > 0 && rec.value("grade", 0) < opts.min_grade) continue;
            snap.reports.push_back(std::move(rec));
          }
        }
        // Every clock started by then, with its stop as of then; the open ones among them.
        for (auto& c : load_clocks(*db, study, false, std::nullopt)) {
          if (c.clock.started_at > as_of) continue;
          if (c.stopped_at && *c.stopped_at > as_of) {
            c.stopped_at.reset();
            c.stop_reason.clear();
            c.late = false;
          }
          if (!c.stopped_at) snap.open_clocks.push_back(c);
          snap.all_clocks.push_back(std::move(c));
        }
        auto al = db->cached(
            "SELECT id, rule, severity, title, subject, created_at, acked_at, acked_by FROM alerts "
            "WHERE (study = ?1 OR study = '*') AND created_at <= ?2 ORDER BY id");
        al.bind(1, study).bind(2, cut);
        while (opts.alerts && al.step()) {
          AlertRow a;
          a.id = al.i64(0);
          a.rule = al.text(1);
          a.severity = al.text(2);
          a.title = al.text(3);
          a.subject = al.opt_text(4).value_or("");
          a.raised_at = parse_timestamp(al.text(5)).value_or(Timestamp{});
          if (auto t = al.opt_text(6); t && *t <= cut) {
            a.acked_at = parse_timestamp(*t);
            a.acked_by = al.opt_text(7).value_or("");
          }
          snap.alerts.push_back(std::move(a));
        }
      } catch (...) {
        db->exec("ROLLBACK");
        throw;
      }
      db->exec("ROLLBACK");
      return snap;
    });
  }

  notify::OutboxRepository& outbox() override { return outbox_; }

  Status audit(const std::string& action, const std::string& entity,
               const std::optional<std::string>& new_value, const Actor& actor,
               const std::optional<std::string>& content_sha256) override {
    return guard([&]() -> Status {
      return writer_.write<Ok>([&](Db& db) -> Result<Ok> {
        audit::append_row(db, clock_.now(), actor, action, entity, new_value, content_sha256);
        return Ok{};
      });
    });
  }

  Result<std::int64_t> insert_desk_session(const DeskSessionRow& r, const std::string& remote_addr) override {
    return guard([&]() -> Result<std::int64_t> {
      return writer_.write<std::int64_t>([&](Db& db) -> Result<std::int64_t> {
        db.cached("INSERT INTO desk_sessions (id_sha256, principal, role, site, created_at, last_seen_at, "
                  "expires_at, csrf_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(1, r.id_sha256)
            .bind(2, r.principal)
            .bind(3, r.role)
            .bind(4, r.site)
            .bind(5, format_timestamp(r.created_at))
            .bind(6, format_timestamp(r.last_seen_at))
            .bind(7, format_timestamp(r.expires_at))
            .bind(8, r.csrf_sha256)
            .run();
        const std::int64_t id = db.last_insert_rowid();
        // Who, from where, until when; never the session id or the token.
        const json what{{"role", r.role}, {"remote_addr", remote_addr}, {"expires_at", format_timestamp(r.expires_at)}};
        audit::append_row(db, r.created_at, Actor{r.principal, r.site}, "desk.sign_in",
                          "desk/session/" + std::to_string(id), what.dump(), std::nullopt);
        return id;
      });
    });
  }

  Result<std::optional<DeskSessionRow>> find_desk_session(const std::string& id_sha256) override {
    return guard([&]() -> Result<std::optional<DeskSessionRow>> {
      auto db = readers_.take();
      auto st = db->cached(
          "SELECT id, id_sha256, principal, role, site, created_at, last_seen_at, expires_at, ended_at, "
          "end_reason, csrf_sha256 FROM desk_sessions WHERE id_sha256 = ?");
      st.bind(1, id_sha256);
      if (!st.step()) return std::optional<DeskSessionRow>{};
      auto ts = [](const std::string& t) {
        auto v = parse_timestamp(t);
        if (!v) throw std::runtime_error("desk_sessions: unreadable time '" + t + "'");
        return *v;
      };
      DeskSessionRow r;
      r.id = st.i64(0);
      r.id_sha256 = st.text(1);
      r.principal = st.text(2);
      r.role = st.text(3);
      r.site = st.text(4);
      r.created_at = ts(st.text(5));
      r.last_seen_at = ts(st.text(6));
      r.expires_at = ts(st.text(7));
      if (auto e = st.opt_text(8)) r.ended_at = ts(*e);
      r.end_reason = st.opt_text(9).value_or("");
      r.csrf_sha256 = st.text(10);
      return std::optional(std::move(r));
    });
  }

  Status touch_desk_session(std::int64_t id, Timestamp at) override {
    return guard([&]() -> Status {
      return writer_.write<Ok>([&](Db& db) -> Result<Ok> {
        db.cached("UPDATE desk_sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL")
            .bind(1, format_timestamp(at))
            .bind(2, id)
            .run();
        return Ok{};
      });
    });
  }

  Status end_desk_session(std::int64_t id, Timestamp at, const std::string& reason, const Actor& actor) override {
    return guard([&]() -> Status {
      return writer_.write<Ok>([&](Db& db) -> Result<Ok> {
        db.cached("UPDATE desk_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL")
            .bind(1, format_timestamp(at))
            .bind(2, reason)
            .bind(3, id)
            .run();
        if (db.changes() == 0) return Ok{};  // ended already (two sign-outs at once)
        audit::append_row(db, at, actor, reason == "sign_out" ? "desk.sign_out" : "desk.session_expired",
                          "desk/session/" + std::to_string(id), json{{"reason", reason}}.dump(), std::nullopt);
        return Ok{};
      });
    });
  }

  Result<AuditPage> list_audit(const std::string& entity_prefix, std::optional<std::int64_t> before_seq,
                               int limit) override {
    return guard([&]() -> Result<AuditPage> {
      auto db = readers_.take();
      auto st = db->cached(
          "SELECT seq, at, principal, action, entity, new_value, prev_value, prev_hash, hash, content_sha256 "
          "FROM audit WHERE substr(entity, 1, length(?1)) = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3");
      st.bind(1, entity_prefix).bind(2, before_seq.value_or(INT64_MAX)).bind(3, limit + 1);
      AuditPage page;
      while (st.step())
        page.items.push_back({st.i64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.opt_text(5),
                              st.opt_text(6), st.text(7), st.text(8), st.opt_text(9)});
      if (static_cast<int>(page.items.size()) > limit) {
        page.items.pop_back();
        page.next_before_seq = page.items.back().seq;
      }
      return page;
    });
  }


  Result<std::pair<std::int64_t, std::string>> audit_head() override {
    return guard([&]() -> Result<std::pair<std::int64_t, std::string>> {
      auto db = readers_.take();
      return audit::head(*db);
    });
  }

  Result<Gauges> gauges() override {
    return guard([&]() -> Result<Gauges> {
      auto db = readers_.take();
      Gauges g;
      auto a = db->cached("SELECT rule, severity, status, count(*) FROM alerts GROUP BY 1, 2, 3");
      while (a.step()) g.alerts[{a.text(0), a.text(1), a.text(2)}] = a.i64(3);
      auto o = db->cached("SELECT state, count(*) FROM outbox GROUP BY 1");
      while (o.step()) g.outbox[o.text(0)] = o.i64(1);
      auto old = db->cached("SELECT min(created_at) FROM outbox WHERE state = 'pending'");
      if (old.step() && !old.is_null(0)) g.oldest_undelivered = parse_timestamp(old.text(0));
      auto t = db->cached("SELECT outcome, count(*) FROM delivery_attempts GROUP BY 1");
      while (t.step()) g.attempts[t.text(0)] = t.i64(1);
      if (db->engine() == Engine::postgresql) {
        auto size = db->cached("SELECT pg_database_size(current_database())");
        if (size.step()) g.db_bytes = size.i64(0);
        return g;
      }
      std::error_code ec;
      for (const char* suffix : {"", "-wal"}) {
        const auto n = std::filesystem::file_size(path_ + suffix, ec);
        if (!ec) g.db_bytes += static_cast<std::int64_t>(n);
      }
      return g;
    });
  }

  Result<DeliveryPage> list_deliveries(std::optional<std::string> endpoint, std::optional<std::string> state,
                               std::optional<std::int64_t> after_id, int limit) override {
    return outbox_.list_deliveries(std::move(endpoint), std::move(state), after_id, limit);
  }

  Result<Redelivery> redeliver(std::int64_t outbox_id, const Actor& actor) override {
    auto r = outbox_.redeliver(outbox_id, actor);
    if (r) queued_.store(true);
    wake_if_queued();
    return r;
  }

  Result<std::vector<EndpointFacts>> endpoint_facts() override { return outbox_.endpoint_facts(); }

  Result<EndpointEnabled> enable_endpoint(const std::string& endpoint, const std::string& comment,
                                          const Actor& actor) override {
    auto r = outbox_.enable_endpoint(endpoint, comment, actor);
    if (r) queued_.store(true);
    wake_if_queued();
    return r;
  }

  void set_outbox_listener(std::function<void()> fn) override {
    std::lock_guard lock(endpoints_mu_);
    outbox_listener_ = std::move(fn);
  }

  /// The scheduler raises the same alerts at every tick (an overdue clock stays overdue until
  /// its submission is recorded), and relies on the dedupe keys. So the keys already raised are
  /// dropped here, on a reader, and the writer gets only new alerts, kAlertChunk at a time: a
  /// tick never holds intake up for long, even the first one after a restart with thousands of
  /// clocks overdue. (Each alert stands alone, so the chunks need not commit together; a key
  /// raised between the check and the write is still ignored by record_alerts.)
  static constexpr std::size_t kAlertChunk = 256;

  Status raise_alerts(const std::string& study, const std::vector<AlertRecord>& alerts) override {
    if (alerts.empty()) return Ok{};
    return guard([&]() -> Status {
      std::vector<const AlertRecord*> fresh;
      {
        auto db = readers_.take();
        for (const auto& a : alerts)
          if (!alert_raised(*db, study, a.dedupe_key)) fresh.push_back(&a);
      }
      for (std::size_t at = 0; at < fresh.size(); at += kAlertChunk) {
        std::vector<AlertRecord> chunk;
        for (std::size_t i = at; i < std::min(fresh.size(), at + kAlertChunk); ++i)
          chunk.push_back(*fresh[i]);
        auto st = writer_.write<Ok>([&](Db& db) -> Result<Ok> {
          record_alerts(db, study, chunk, std::nullopt, clock_.now());
          return Ok{};
        });
        if (!st) return st;
        wake_if_queued();  // this chunk's webhooks go out while the next is written
      }
      return Ok{};
    });
  }

  Result<AlertPage> list_alerts(const std::string& study, std::optional<std::string> status,
                                std::optional<std::string> severity, std::optional<std::int64_t> after_id,
                                int limit) override {
    return guard([&]() -> Result<AlertPage> {
      auto db = replica_.take();
      std::string sql =
          "SELECT id, rule, severity, title, subject, report, payload, created_at, status, acked_at, "
          "acked_by, ack_comment, escalations, (SELECT count(*) FROM outbox o WHERE o.alert = a.id), "
          "(SELECT count(*) FROM outbox o WHERE o.alert = a.id AND o.state = 'delivered') "
          "FROM alerts a WHERE (study = ?1 OR study = '*') ";
      if (status) sql += "AND status = ?2 ";
      if (severity) sql += "AND severity = ?3 ";
      if (after_id) sql += "AND id < ?4 ";
      sql += "ORDER BY id DESC LIMIT ?5";
      auto st = db->cached(sql);
      st.bind(1, study);
      if (status) st.bind(2, *status);
      if (severity) st.bind(3, *severity);
      if (after_id) st.bind(4, *after_id);
      st.bind(5, limit + 1);
      AlertPage page;
      while (st.step()) {
        AlertView a;
        a.id = st.i64(0);
        a.rule = st.text(1);
        a.severity = st.text(2);
        a.title = st.text(3);
        a.subject = st.opt_text(4);
        a.report = st.opt_i64(5);
        a.details = json::parse(st.text(6));
        a.created_at = parse_timestamp(st.text(7)).value_or(Timestamp{});
        a.status = st.text(8);
        if (auto t = st.opt_text(9)) a.acked_at = parse_timestamp(*t);
        a.acked_by = st.opt_text(10);
        a.ack_comment = st.opt_text(11);
        a.escalations = st.i64(12);
        a.webhooks_queued = st.i64(13);
        a.webhooks_delivered = st.i64(14);
        page.items.push_back(std::move(a));
      }
      if (static_cast<int>(page.items.size()) > limit) {
        page.items.pop_back();
        page.next_after_id = page.items.back().id;
      }
      return page;
    });
  }

  Result<AlertAck> ack_alert(const std::string& study, std::int64_t id, const std::string& comment,
                             const Actor& actor) override {
    return guard([&]() -> Result<AlertAck> {
      return writer_.write<AlertAck>([&](Db& db) -> Result<AlertAck> {
        auto st = db.cached("SELECT status, acked_by FROM alerts WHERE id = ? AND (study = ? OR study = '*')");
        st.bind(1, id).bind(2, study);
        if (!st.step()) return Error::field(Errc::not_found, "id", "no alert " + std::to_string(id));
        if (st.text(0) == "acked")
          return Error::field(Errc::conflict, "id",
                              "alert " + std::to_string(id) + " was already acknowledged by " +
                                  st.opt_text(1).value_or("?"));
        const Timestamp now = clock_.now();
        db.cached("UPDATE alerts SET status = 'acked', acked_at = ?, acked_by = ?, ack_comment = ? WHERE id = ?")
            .bind(1, format_timestamp(now))
            .bind(2, actor.principal)
            .bind(3, comment)
            .bind(4, id)
            .run();
        audit::record(db, now, actor, "alert.ack", audit::Kind::alert, id);
        return AlertAck{id, now, actor.principal, comment};
      });
    });
  }

  Result<int> escalate(Timestamp now, std::int64_t after_ms) override {
    return guard([&]() -> Result<int> {
      return writer_.write<int>([&](Db& db) -> Result<int> {
        const std::string limit = format_timestamp(now.plus_ms(-after_ms));
        auto st = db.cached(escalation_sql());
        st.bind(1, limit);
        struct Row {
          std::int64_t id;
          std::string study;
          AlertRecord a;
          std::int64_t escalations;
        };
        std::vector<Row> rows;
        while (st.step())
          rows.push_back({st.i64(0), st.text(1),
                          AlertRecord{st.text(2), st.text(3), "", st.text(4), st.opt_text(5).value_or(""),
                                      st.opt_i64(6), json::parse(st.text(7))},
                          st.i64(8)});
        for (const auto& r : rows) {
          db.cached("UPDATE alerts SET escalations = escalations + 1, last_sent_at = ? WHERE id = ?")
              .bind(1, format_timestamp(now))
              .bind(2, r.id)
              .run();
          queue_alert(db, r.id, r.study, r.a, r.a.report, now, r.escalations + 1);
        }
        return static_cast<int>(rows.size());
      });
    });
  }

  void set_endpoints(std::function<std::vector<notify::Endpoint>()> fn) override {
    std::lock_guard lock(endpoints_mu_);
    endpoints_ = std::move(fn);
  }

  // ---- DSMB reports ----------------------------------------------------------------------

  Status record_protocol(const std::string& study, const std::string& sha256,
                         const std::string& text) override {
    return guard([&]() -> Status {
      return writer_.write<Ok>([&](Db& db) -> Result<Ok> {
        db.cached("INSERT OR IGNORE INTO protocols (study, sha256, text, first_seen) VALUES (?,?,?,?)")
            .bind(1, study)
            .bind(2, sha256)
            .bind(3, text)
            .bind(4, format_timestamp(clock_.now()))
            .run();
        if (db.changes() > 0)
          audit::record(db, clock_.now(), Actor{"pvmond", ""}, "protocol.recorded", audit::Kind::protocol,
                        db.last_insert_rowid());
        return Ok{};
      });
    });
  }

  Result<std::optional<ProtocolRow>> protocol_at(const std::string& study, Timestamp as_of) override {
    return guard([&]() -> Result<std::optional<ProtocolRow>> {
      auto db = readers_.take();
      // The newest seen by then; a cut-off before the first one falls back to the oldest.
      auto st = db->cached(
          "SELECT sha256, text, first_seen FROM protocols WHERE study = ?1 "
          "ORDER BY (first_seen <= ?2) DESC, CASE WHEN first_seen <= ?2 THEN first_seen END DESC, "
          "first_seen ASC LIMIT 1");
      st.bind(1, study).bind(2, format_timestamp(as_of));
      if (!st.step()) return std::optional<ProtocolRow>{};
      return std::optional<ProtocolRow>(ProtocolRow{study, st.text(0), st.text(1),
                                                    parse_timestamp(st.text(2)).value_or(Timestamp{})});
    });
  }

  static constexpr const char* kDsmbCols =
      "id, study, number, cutoff, previous_cutoff, trigger, sha256, protocol_sha256, generated_at, "
      "generated_by, as_of";

  static DsmbReportRow dsmb_row(Stmt& st, bool with_body) {
    DsmbReportRow r;
    r.id = st.i64(0);
    r.study = st.text(1);
    r.number = static_cast<int>(st.i64(2));
    r.cutoff = parse_timestamp(st.text(3)).value_or(Timestamp{});
    if (auto t = st.opt_text(4)) r.previous_cutoff = parse_timestamp(*t);
    r.trigger = st.text(5);
    r.sha256 = st.text(6);
    r.protocol_sha256 = st.text(7);
    r.generated_at = parse_timestamp(st.text(8)).value_or(Timestamp{});
    r.generated_by = st.text(9);
    r.as_of = parse_timestamp(st.text(10)).value_or(Timestamp{});
    if (with_body) r.body = st.text(11);
    return r;
  }

  static std::optional<DsmbReportRow> latest_report(Db& db, const std::string& study) {
    auto st = db.cached(std::string("SELECT ") + kDsmbCols +
                        ", body FROM dsmb_reports WHERE study = ? ORDER BY number DESC LIMIT 1");
    st.bind(1, study);
    if (!st.step()) return std::nullopt;
    return dsmb_row(st, true);
  }

  Result<DsmbReportRow> insert_dsmb_report(const DsmbReportDraft& d, const Actor& actor) override {
    auto stored = store_dsmb_report(d, actor);
    if (stored) {
      std::function<void()> listener;
      {
        std::lock_guard lock(endpoints_mu_);
        listener = report_listener_;
      }
      if (listener) listener();
    }
    return stored;
  }

  Result<DsmbReportRow> store_dsmb_report(const DsmbReportDraft& d, const Actor& actor) {
    return guard([&]() -> Result<DsmbReportRow> {
      return writer_.write<DsmbReportRow>([&](Db& db) -> Result<DsmbReportRow> {
        // Checked again inside the write: the draft was built from a read that another
        // builder (the scheduler, an officer) may have overtaken.
        const auto last = latest_report(db, d.study);
        // Reports follow one another in (cut-off, as-of) order: a later cut-off, or the same
        // cut-off built again from a later database state. The period of a report starts at
        // the latest earlier cut-off.
        if (last && !(std::tie(d.cutoff, d.as_of) > std::tie(last->cutoff, last->as_of))) {
          const bool same_cutoff = d.cutoff == last->cutoff;
          return Error::field(Errc::conflict, same_cutoff ? "as_of" : "cutoff",
                              "must be after the latest report's (#" + std::to_string(last->number) +
                                  ", id " + std::to_string(last->id) + ": cut-off " +
                                  format_date(last->cutoff.date()) + ", as-of " +
                                  format_timestamp(last->as_of) + ")" +
                                  (same_cutoff ? ": a report for this cut-off is built again only "
                                                 "from a later as-of" : ""));
        }
        const int want = last ? last->number + 1 : 1;
        std::optional<Timestamp> prev;  // the latest earlier cut-off
        if (last) prev = last->cutoff == d.cutoff ? last->previous_cutoff : std::optional(last->cutoff);
        if (d.number != want || d.previous_cutoff != prev)
          return Error::field(Errc::conflict, "cutoff",
                              "another report was stored meanwhile (now number " +
                                  std::to_string(want - 1) + "); build again");
        const Timestamp now = clock_.now();
        db.cached(
              "INSERT INTO dsmb_reports (study, number, cutoff, previous_cutoff, trigger, body, "
              "sha256, protocol_sha256, generated_at, generated_by, as_of) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
            .bind(1, d.study)
            .bind(2, d.number)
            .bind(3, format_timestamp(d.cutoff))
            .bind(4, d.previous_cutoff ? std::optional(format_timestamp(*d.previous_cutoff))
                                       : std::optional<std::string>{})
            .bind(5, d.trigger)
            .bind(6, d.body)
            .bind(7, d.sha256)
            .bind(8, d.protocol_sha256)
            .bind(9, format_timestamp(now))
            .bind(10, actor.principal)
            .bind(11, format_timestamp(d.as_of))
            .run();
        DsmbReportRow row;
        row.id = db.last_insert_rowid();
        row.study = d.study;
        row.number = d.number;
        row.cutoff = d.cutoff;
        row.as_of = d.as_of;
        row.previous_cutoff = d.previous_cutoff;
        row.trigger = d.trigger;
        row.sha256 = d.sha256;
        row.protocol_sha256 = d.protocol_sha256;
        row.generated_at = now;
        row.generated_by = actor.principal;
        audit::record(db, now, actor, "dsmb_report.built", audit::Kind::dsmb_report, row.id);
        json data = d.webhook_data ? d.webhook_data(row.id) : json::object();
        data["report_id"] = row.id;
        json event{{"type", "dsmb.report"}, {"timestamp", format_timestamp(now)}, {"data", data}};
        // Not an alert: routed by each endpoint's `events` alone (notify::subscribes).
        if (SqliteOutbox::enqueue_routed(db, current_endpoints(), event, "info", std::nullopt, now) > 0)
          queued_.store(true);
        row.body = d.body;
        return row;
      });
    });
  }

  Result<std::vector<DsmbReportRow>> list_dsmb_reports(const std::string& study) override {
    return guard([&]() -> Result<std::vector<DsmbReportRow>> {
      auto db = readers_.take();
      auto st = db->cached(std::string("SELECT ") + kDsmbCols +
                           " FROM dsmb_reports WHERE study = ? ORDER BY number DESC");
      st.bind(1, study);
      std::vector<DsmbReportRow> out;
      while (st.step()) out.push_back(dsmb_row(st, false));
      return out;
    });
  }

  Result<std::optional<DsmbReportRow>> get_dsmb_report(const std::string& study, std::int64_t id) override {
    return guard([&]() -> Result<std::optional<DsmbReportRow>> {
      auto db = readers_.take();
      if (id == 0) return latest_report(*db, study);
      auto st = db->cached(std::string("SELECT ") + kDsmbCols +
                           ", body FROM dsmb_reports WHERE study = ? AND id = ?");
      st.bind(1, study).bind(2, id);
      if (!st.step()) return std::optional<DsmbReportRow>{};
      return std::optional(dsmb_row(st, true));
    });
  }

  Result<std::optional<DsmbReportRow>> dsmb_report_at(const std::string& study, Timestamp cutoff,
                                                      Timestamp as_of) override {
    return guard([&]() -> Result<std::optional<DsmbReportRow>> {
      auto db = readers_.take();
      auto st = db->cached(std::string("SELECT ") + kDsmbCols +
                           ", body FROM dsmb_reports WHERE study = ? AND cutoff = ? AND as_of = ?");
      st.bind(1, study).bind(2, format_timestamp(cutoff)).bind(3, format_timestamp(as_of));
      if (!st.step()) return std::optional<DsmbReportRow>{};
      return std::optional(dsmb_row(st, true));
    });
  }

  Result<std::optional<json>> get_ae(const std::string& study, std::int64_t id) override {
    return guard([&]() -> Result<std::optional<json>> {
      auto db = readers_.take();
      auto st = db->cached(std::string(kAeSelect) + "WHERE r.id = ? AND r.study = ?");
      st.bind(1, id).bind(2, study);
      if (!st.step()) return std::optional<json>{};
      return std::optional<json>(ae_record(st));
    });
  }

  Result<AePage> list_ae(const AeQuery& q) override {
    return guard([&]() -> Result<AePage> {
      auto db = replica_.take();
      std::string sql = std::string(kAeSelect) + "WHERE r.study = ?1 ";
      if (q.site) sql += "AND r.site = ?2 ";
      if (q.subject) sql += "AND r.subject = ?3 ";
      if (q.since) sql += "AND r.received_at >= ?4 ";
      if (q.after_id) sql += "AND r.id > ?5 ";
      sql += "ORDER BY r.id LIMIT ?6";
      auto st = db->cached(sql);
      st.bind(1, q.study);
      if (q.site) st.bind(2, *q.site);
      if (q.subject) st.bind(3, *q.subject);
      if (q.since) st.bind(4, format_timestamp(*q.since));
      if (q.after_id) st.bind(5, *q.after_id);
      st.bind(6, q.limit + 1);  // one more tells whether a next page exists
      AePage page;
      while (st.step()) page.items.push_back(ae_record(st));
      if (static_cast<int>(page.items.size()) > q.limit) {
        page.items.pop_back();
        page.next_after_id = page.items.back().at("id").get<std::int64_t>();
      }
      if (q.count_total) {
        // The same filters without the cursor: every page's matches.
        std::string count = "SELECT count(*) FROM ae_reports r WHERE r.study = ?1 ";
        if (q.site) count += "AND r.site = ?2 ";
        if (q.subject) count += "AND r.subject = ?3 ";
        if (q.since) count += "AND r.received_at >= ?4 ";
        auto ct = db->cached(count);
        ct.bind(1, q.study);
        if (q.site) ct.bind(2, *q.site);
        if (q.subject) ct.bind(3, *q.subject);
        if (q.since) ct.bind(4, format_timestamp(*q.since));
        if (ct.step()) page.total = ct.i64(0);
      }
      return page;
    });
  }

 private:
  static std::vector<AlertRecord> to_alert_records(const std::vector<safety::AlertDraft>& ds) {
    std::vector<AlertRecord> out;
    out.reserve(ds.size());
    for (const auto& d : ds)
      out.push_back(AlertRecord{d.rule, std::string(safety::to_string(d.severity)), d.dedupe_key,
                                d.title, d.subject, d.report, d.payload});
    return out;
  }

  /// The rules engine over a version being written and what this transaction reads.
  static std::vector<AlertRecord> rule_alerts(Db& db, const std::string& study, const VersionRules& v) {
    return to_alert_records(safety::version_alerts(v.facts, *v.rules, rule_reads(db, study)));
  }

  /// The body hash of follow-up `followup_id` of the report, if it was recorded.
  static std::optional<std::string> recorded_followup(Db& db, std::int64_t report,
                                                      const std::string& followup_id) {
    auto dup = db.cached(
        "SELECT json_extract(record, '$.followup.sha256') FROM ae_versions WHERE report = ? "
        "AND json_extract(record, '$.followup.id') = ?");
    dup.bind(1, report).bind(2, followup_id);
    if (!dup.step()) return std::nullopt;
    return dup.opt_text(0).value_or("");
  }

  /// Whether the subject has a serious grade 5 AE report in force (ae_reports_fatal, v8).
  static bool fatal_sae_reported(Db& db, const std::string& study, const std::string& subject) {
    auto st = db.cached(
        "SELECT 1 FROM ae_reports r JOIN ae_versions v ON v.report = r.id AND v.version = r.current_version "
        "WHERE r.study = ?1 AND r.subject = ?2 AND r.status = 'active' AND r.grade = 5 AND v.serious = 1 LIMIT 1");
    st.bind(1, study).bind(2, subject);
    return st.step();
  }

  /// A serious grade 5 report of the subject is in force: the death's SAE clocks stop, late if
  /// it came after their due time.
  static void stop_death_clocks(Db& db, const By& by, const std::string& study, const std::string& subject,
                                const std::string& report_id, Timestamp at) {
    auto st = db.cached(
        "SELECT c.id, c.due_at FROM clocks c JOIN subjects s ON s.id = c.subject_id WHERE c.report IS NULL "
        "AND c.event IS NOT NULL AND c.stopped_at IS NULL AND s.study = ?1 AND s.subject = ?2");
    st.bind(1, study).bind(2, subject);
    std::vector<std::pair<std::int64_t, Timestamp>> open;
    while (st.step()) open.emplace_back(st.i64(0), parse_timestamp(st.text(1)).value_or(Timestamp{}));
    st.reset();
    for (const auto& [cid, due] : open)
      stop_clock(db, by, cid, at, "SAE report " + report_id + " of the death received", at > due);
  }

  /// The report's open clocks, ids ascending: what a follow-up or submission was decided from.
  static std::vector<std::int64_t> open_clock_ids(Db& db, std::int64_t report) {
    auto st = db.cached("SELECT id FROM clocks WHERE report = ? AND stopped_at IS NULL ORDER BY id");
    st.bind(1, report);
    std::vector<std::int64_t> out;
    while (st.step()) out.push_back(st.i64(0));
    return out;
  }

  static safety::RuleReads rule_reads(Db& db, const std::string& study) {
    safety::RuleReads lookup;
    lookup.recent = [&db, study](const std::string& code, int min_grade, Date from, Date to, int limit) {
      auto st = db.cached(
          "SELECT id, subject, grade, onset FROM ae_reports WHERE study = ? AND meddra_code = ? "
          "AND status = 'active' AND grade >= ? AND onset BETWEEN ? AND ? ORDER BY onset, id LIMIT ?");
      st.bind(1, study).bind(2, code).bind(3, min_grade).bind(4, format_date(from));
      st.bind(5, format_date(to)).bind(6, limit);
      std::vector<safety::RecentAe> out;
      while (st.step()) {
        safety::RecentAe a;
        a.report = st.i64(0);
        a.subject = st.text(1);
        a.meddra_code = code;
        a.grade = static_cast<int>(st.i64(2));
        a.onset = parse_date(st.text(3)).value_or(Date{});
        out.push_back(std::move(a));
      }
      return out;
    };
    lookup.raised = [&db, study](const std::string& key) { return alert_raised(db, study, key); };
    return lookup;
  }

  /// The columns that mirror the version in force (schema v3).
  static void set_current(Db& db, std::int64_t id, const json& record, bool nullified) {
    const json ct = record.value("ctcae", json::object());
    auto st = db.cached("UPDATE ae_reports SET meddra_code = ?, grade = ?, onset = ?, status = ?, resolved = ? WHERE id = ?");
    st.bind(1, ct.value("meddra_code", ""))
        .bind(2, record.value("grade", 0))
        .bind(3, record.value("onset", ""))
        .bind(4, nullified ? "nullified" : "active");
    if (record.contains("resolved") && record["resolved"].is_string()) st.bind(5, record["resolved"].get<std::string>());
    else st.bind_null(5);
    st.bind(6, id).run();
  }

  json read_ae(Db& db, std::int64_t id) {
    auto q = db.cached(std::string(kAeSelect) + "WHERE r.id = ?");
    q.bind(1, id);
    q.step();
    return ae_record(q);
  }

  /// How a clock that is already over when it is recorded ended (stop_clock's fields).
  struct Stopped {
    Timestamp at;
    std::string reason;
    bool late = false;
  };

  static std::int64_t insert_clock(Db& db, const By& by, std::int64_t report, const std::string& study,
                                   int version, const safety::Clock& c,
                                   const std::optional<Stopped>& stopped = std::nullopt) {
    auto st = db.cached(
        "INSERT INTO clocks (report, study, kind, started_at, due_at, reason, version, "
        "stopped_at, stop_reason, late, subject_id) VALUES (?,?,?,?,?,?,?,?,?,?,"
        "(SELECT subject_id FROM ae_reports WHERE id = ?1))");
    st.bind(1, report)
        .bind(2, study)
        .bind(3, std::string(safety::to_string(c.kind)))
        .bind(4, format_timestamp(c.started_at))
        .bind(5, format_timestamp(c.due_at))
        .bind(6, c.reason)
        .bind(7, version);
    if (stopped) {
      st.bind(8, format_timestamp(stopped->at)).bind(9, stopped->reason).bind(10, stopped->late ? 1 : 0);
    } else {
      st.bind_null(8).bind_null(9).bind(10, 0);
    }
    st.run();
    const std::int64_t id = db.last_insert_rowid();
    audit::record(db, by.at, by.actor, stopped ? "clock.closed" : "clock.start", audit::Kind::clock, id);
    return id;
  }

  static void stop_clock(Db& db, const By& by, std::int64_t id, Timestamp at, const std::string& reason,
                         bool late) {
    db.cached(
          "UPDATE clocks SET stopped_at = ?, stop_reason = ?, late = ? WHERE id = ? AND "
          "stopped_at IS NULL")
        .bind(1, format_timestamp(at))
        .bind(2, reason)
        .bind(3, late ? 1 : 0)
        .bind(4, id)
        .run();
    if (db.changes() > 0) audit::record(db, by.at, by.actor, "clock.stop", audit::Kind::clock, id);
  }

  /// The reports in force at `cut` as compact facts, from the fact columns of their versions
  /// (schema v6): no record text is read. Two scans in report id order, merged here: the
  /// study's reports, and the versions recorded by `cut` in (report, version) order from the
  /// covering index ae_versions_in_force, of which each report's last is the one in force.
  /// (A GROUP BY with max(version) in SQL took a third longer: it copies every row's columns.)
  static void load_facts(Db& db, const std::string& study, const std::string& cut, Snapshot& snap) {
    auto& tables = snap.fact_tables;
    {
      // As many as were received by then (each one's first version is recorded on receipt).
      auto n = db.cached("SELECT count(*) FROM ae_reports WHERE study = ? AND received_at <= ?");
      n.bind(1, study).bind(2, cut);
      n.step();
      snap.facts.reserve(static_cast<std::size_t>(n.i64(0)));
    }
    auto reports = db.cached(
        "SELECT id, report_id, subject_id, subject, site FROM ae_reports WHERE +study = ?1 "
        "ORDER BY id");
    reports.bind(1, study);
    auto versions = db.cached(
        "SELECT report, version, kind, grade, meddra_code, onset, resolved, outcome, serious, "
        "susar, fatal_or_life_threatening, criteria, related_to, causality, expected, drug_withdrawn "
        "FROM ae_versions INDEXED BY ae_versions_in_force WHERE recorded_at <= ?1 "
        "ORDER BY report, version");
    versions.bind(1, cut);
    auto term_row = db.cached("SELECT term, soc, protocol_term FROM ae_versions WHERE report = ? AND version = ?");
    std::unordered_map<std::int64_t, std::uint32_t> subject_index;
    Interner terms, sites, outcomes, related, causality, expected;
    for (auto* i : {&outcomes, &related, &causality, &expected}) i->seed("", 0);
    // One version's columns into `f`, but for the term: its code is kept until the version in
    // force is known, so that the term table takes the names that version gives.
    std::string code;
    std::int64_t code_version = 0;
    auto read_version = [&](safety::AeFact& f) {
      f.nullified = versions.view(2) == "nullification";
      f.grade = static_cast<std::uint8_t>(std::clamp<std::int64_t>(versions.i64(3), 0, 255));
      code.assign(versions.view(4));
      code_version = versions.i64(1);
      f.onset = versions.is_null(5) ? std::nullopt : parse_date(versions.view(5));
      f.resolved = versions.is_null(6) ? std::nullopt : parse_date(versions.view(6));
      f.outcome = static_cast<std::uint8_t>(outcomes.get(versions.view(7), [&](std::string_view v) {
        tables.outcomes.emplace_back(v);
        if (tables.outcomes.size() > 0xff) throw std::runtime_error("over 255 distinct AE outcomes");
        return tables.outcomes.size() - 1;
      }));
      f.serious = versions.i64(8) != 0;
      f.susar = versions.i64(9) != 0;
      f.fatal_or_life_threatening = versions.i64(10) != 0;
      f.criteria = static_cast<std::uint8_t>(versions.i64(11));
      f.related_to = static_cast<std::uint16_t>(related.get(versions.view(12), [&](std::string_view v) {
        auto& list = tables.related.emplace_back();
        for (std::size_t from = 0; from <= v.size();) {
          const std::size_t comma = std::min(v.find(',', from), v.size());
          list.emplace_back(v.substr(from, comma - from));
          from = comma + 1;
        }
        if (tables.related.size() > 0xffff) throw std::runtime_error("over 65,535 related_to lists");
        return tables.related.size() - 1;
      }));
      f.causality = static_cast<std::uint16_t>(causality.get(versions.view(13), [&](std::string_view v) {
        tables.causality.emplace_back(v);
        if (tables.causality.size() > 0xffff) throw std::runtime_error("over 65,535 causality assessments");
        return tables.causality.size() - 1;
      }));
      f.expected = static_cast<std::uint16_t>(expected.get(versions.view(14), [&](std::string_view v) {
        tables.expected.emplace_back(v);
        if (tables.expected.size() > 0xffff) throw std::runtime_error("over 65,535 expectedness lists");
        return tables.expected.size() - 1;
      }));
      f.drug_withdrawn = versions.i64(15) != 0;
    };
    bool more = versions.step();
    while (more && reports.step()) {
      const std::int64_t id = reports.i64(0);
      while (more && versions.i64(0) < id) more = versions.step();
      if (!more || versions.i64(0) != id) continue;  // no version recorded by the cut-off
      safety::AeFact f;
      f.id = id;
      f.report_id = tables.add_report_id(reports.view(1));
      auto [s, added] = subject_index.try_emplace(reports.i64(2), static_cast<std::uint32_t>(tables.subjects.size()));
      if (added) tables.subjects.emplace_back(reports.view(3));
      f.subject = s->second;
      f.site = static_cast<std::uint16_t>(sites.get(reports.view(4), [&](std::string_view v) {
        tables.sites.emplace_back(v);
        return tables.sites.size() - 1;
      }));
      do {  // its versions by then, oldest first: the last one read is in force
        read_version(f);
        more = versions.step();
      } while (more && versions.i64(0) == id);
      f.term = static_cast<std::int32_t>(terms.get(code, [&](std::string_view c) {
        // The term's names as the first version in force that has the code gives them.
        term_row.bind(1, id).bind(2, code_version);
        term_row.step();
        tables.terms.push_back({std::string(c), term_row.text(0), term_row.text(1), term_row.i64(2) != 0});
        term_row.reset();
        return tables.terms.size() - 1;
      }));
      snap.facts.push_back(f);
    }
  }

  /// SnapshotOptions::scheduler. Each query walks an index and stops early: the subject's
  /// reports in id order until one matches (ae_reports_by_subject), the open clocks in due order
  /// up to the horizon (clocks_open).
  static void load_scheduler_view(Db& db, const std::string& study, int min_grade,
                                  const Store::SnapshotOptions::Scheduler& opts, Snapshot& snap) {
    auto first = db.cached(std::string(
        "SELECT r.id, r.study, r.site, r.report_id, r.received_at, v.version, ") + kSlimColumns +
        ", v.recorded_at, v.recorded_by, v.kind FROM ae_reports r JOIN ae_versions v "
        "ON v.report = r.id AND v.version = r.current_version "
        "WHERE r.study = ?1 AND r.subject = ?2 AND r.status = 'active' AND r.grade >= ?3 "
        "AND instr(',' || ifnull(v.related_to, '') || ',', ',' || ?4 || ',') > 0 "
        "ORDER BY r.id LIMIT 1");
    std::set<std::int64_t> seen;  // a report related to two interventions is listed once
    for (const auto& subject : snap.subjects)
      for (const auto& iv : opts.related_to) {
        first.bind(1, study).bind(2, subject.subject).bind(3, min_grade).bind(4, iv);
        if (first.step() && seen.insert(first.i64(0)).second) snap.reports.push_back(slim_record(first));
        first.reset();
      }
    for (auto& c : load_clocks(db, study, true, std::nullopt, opts.clocks_due_by))
      snap.open_clocks.push_back(std::move(c));
    // Each subject's course (safety/course.hpp): its grade 5 AEs, and one entry with its latest
    // AE onset and latest resolution of a non-fatal AE (evidence of life), each by index (v7).
    auto fatal = db.cached(
        "SELECT r.report_id, v.onset, v.resolved, v.serious FROM ae_reports r JOIN ae_versions v "
        "ON v.report = r.id AND v.version = r.current_version "
        "WHERE r.study = ?1 AND r.subject = ?2 AND r.status = 'active' AND r.grade = 5 ORDER BY r.id");
    auto last_onset = db.cached(
        "SELECT max(onset) FROM ae_reports WHERE study = ?1 AND subject = ?2 AND status = 'active'");
    auto last_resolved = db.cached(
        "SELECT max(resolved) FROM ae_reports WHERE study = ?1 AND subject = ?2 AND status = 'active' "
        "AND grade < 5");
    for (const auto& subject : snap.subjects) {
      if (!opts.courses) break;
      std::vector<safety::CourseAe> aes;
      fatal.bind(1, study).bind(2, subject.subject);
      while (fatal.step())
        if (auto onset = fatal.is_null(1) ? std::nullopt : parse_date(fatal.view(1)))
          aes.push_back({fatal.text(0), *onset, fatal.is_null(2) ? std::nullopt : parse_date(fatal.view(2)), 5, true,
                         fatal.opt_i64(3).value_or(0) != 0});
      fatal.reset();
      last_onset.bind(1, study).bind(2, subject.subject);
      std::optional<Date> onset;
      if (last_onset.step() && !last_onset.is_null(0)) onset = parse_date(last_onset.view(0));
      last_onset.reset();
      last_resolved.bind(1, study).bind(2, subject.subject);
      std::optional<Date> resolved;
      if (last_resolved.step() && !last_resolved.is_null(0)) resolved = parse_date(last_resolved.view(0));
      last_resolved.reset();
      if (onset) aes.push_back({"", *onset, resolved, 0, false, false});
      if (!aes.empty()) snap.course_aes[subject.subject] = std::move(aes);
    }
  }

  static std::vector<ClockRow> load_clocks(Db& db, const std::string& study, bool open_only,
                                           std::optional<std::int64_t> report,
                                           std::optional<Timestamp> due_by = std::nullopt) {
    std::string sql =
        "SELECT c.id, ifnull(c.report, 0), ifnull(r.report_id, ''), coalesce(r.subject, s.subject), "
        "coalesce(r.site, s.site), c.version, c.kind, c.started_at, c.due_at, c.reason, c.stopped_at, "
        "c.stop_reason, c.late FROM clocks c LEFT JOIN ae_reports r ON r.id = c.report "
        "LEFT JOIN subjects s ON s.id = c.subject_id WHERE c.study = ?1 ";
    if (open_only) sql += "AND c.stopped_at IS NULL ";
    if (report) sql += "AND c.report = ?2 ";
    if (due_by) sql += "AND c.due_at <= ?3 ";  // timestamps are fixed-width UTC text
    sql += "ORDER BY c.due_at, c.id";
    auto st = db.cached(sql);
    st.bind(1, study);
    if (report) st.bind(2, *report);
    if (due_by) st.bind(3, format_timestamp(*due_by));
    std::vector<ClockRow> out;
    while (st.step()) {
      ClockRow c;
      c.id = st.i64(0);
      c.report = st.i64(1);
      c.report_ref = st.text(2);
      c.subject = st.text(3);
      c.site = st.text(4);
      c.version = static_cast<int>(st.i64(5));
      c.clock.kind = safety::parse_clock_kind(st.text(6)).value_or(safety::ClockKind::site_report);
      c.clock.started_at = parse_timestamp(st.text(7)).value_or(Timestamp{});
      c.clock.due_at = parse_timestamp(st.text(8)).value_or(Timestamp{});
      c.clock.reason = st.text(9);
      c.clock.id = c.id;
      if (auto t = st.opt_text(10)) c.stopped_at = parse_timestamp(*t);
      c.stop_reason = st.opt_text(11).value_or("");
      c.late = st.i64(12) != 0;
      out.push_back(std::move(c));
    }
    return out;
  }

  static std::optional<SubjectRow> load_subject(Db& db, const std::string& study,
                                                const std::string& subject) {
    auto st = db.cached(
        "SELECT id, site, enrolled, record FROM subjects WHERE study = ? AND subject = ?");
    st.bind(1, study).bind(2, subject);
    if (!st.step()) return std::nullopt;
    SubjectRow row;
    row.id = st.i64(0);
    row.study = study;
    row.subject = subject;
    row.site = st.text(1);
    row.enrolled = parse_date(st.text(2)).value_or(Date{});
    row.record = json::parse(st.text(3));
    return row;
  }

  /// The subject's results in collection order, as recorded by `as_of` (all when nullopt).
  static std::vector<safety::LabResult> load_labs(Db& db, std::int64_t subject_id, std::optional<Timestamp> as_of) {
    std::string sql =
        "SELECT r.panel, p.panel_id, r.collected_at, r.test, r.meddra_code, r.value, r.unit, r.uln, r.lln, "
        "r.baseline, r.baseline_uln, r.baseline_lln, r.grade, r.criterion, r.basis FROM lab_results r "
        "JOIN lab_panels p ON p.id = r.panel WHERE r.subject_id = ?1 ";
    if (as_of) sql += "AND p.recorded_at <= ?2 ";
    sql += "ORDER BY r.collected_at, r.id";
    auto st = db.cached(sql);
    st.bind(1, subject_id);
    if (as_of) st.bind(2, format_timestamp(*as_of));
    std::vector<safety::LabResult> out;
    while (st.step()) {
      safety::LabResult r;
      r.panel = st.i64(0);
      r.panel_ref = st.text(1);
      r.collected_at = parse_timestamp(st.text(2)).value_or(Timestamp{});
      r.test = st.text(3);
      r.term = ctcae::find_code(st.text(4));
      if (r.term == nullptr) continue;  // a code the embedded dictionary no longer has
      r.analyte = safety::analyte_of(*r.term);
      r.value = st.f64(5);
      r.unit = st.text(6);
      r.uln = st.opt_f64(7);
      r.lln = st.opt_f64(8);
      // A baseline is in its result's unit (validate_panel refuses another).
      if (auto b = st.opt_f64(9)) r.baseline = safety::BaselineValue{*b, st.opt_f64(10), st.opt_f64(11), r.unit};
      r.grade = static_cast<int>(st.i64(12));
      r.criterion = st.text(13);
      r.basis = st.text(14);
      if (r.uln && *r.uln > 0) r.x_uln = r.value / *r.uln;
      if (r.baseline && r.baseline->value > 0) r.x_baseline = r.value / r.baseline->value;
      out.push_back(std::move(r));
    }
    return out;
  }

  /// The subject's events with corrections applied: a correcting event replaces the one it
  /// names, so every list handed to validation or figures is the current truth.
  static std::vector<safety::SubjectEvent> load_events(Db& db, std::int64_t subject_id,
                                                       std::optional<Timestamp> as_of) {
    std::string sql =
        "SELECT id, kind, date, record, corrects FROM subject_events WHERE subject_id = ?1 ";
    if (as_of) sql += "AND recorded_at <= ?2 ";
    sql += "ORDER BY id";
    auto st = db.cached(sql);
    st.bind(1, subject_id);
    if (as_of) st.bind(2, format_timestamp(*as_of));
    std::vector<safety::SubjectEvent> out;
    while (st.step()) {
      safety::SubjectEvent e;
      e.id = st.i64(0);
      e.kind = st.text(1);
      e.date = parse_date(st.text(2)).value_or(Date{});
      e.fields = json::parse(st.text(3));
      if (auto c = st.opt_i64(4)) {
        std::erase_if(out, [&](const safety::SubjectEvent& x) { return x.id == *c; });
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  /// Inserts alerts (a dedupe key already present is skipped) and queues each new one to the
  /// webhook endpoints that take it, in the caller's transaction. How many were new.
  int record_alerts(Db& db, const std::string& study, const std::vector<AlertRecord>& alerts,
                    std::optional<std::int64_t> report, Timestamp now) {
    if (alerts.empty()) return 0;
    int raised = 0;
    const std::string ts = format_timestamp(now);
    for (const auto& a : alerts) {
      const auto rep = a.report ? a.report : report;
      db.cached(
            "INSERT OR IGNORE INTO alerts (study, rule, severity, dedupe_key, title, subject, "
            "report, payload, created_at) VALUES (?,?,?,?,?,?,?,?,?)")
          .bind(1, study)
          .bind(2, a.rule)
          .bind(3, a.severity)
          .bind(4, stored_key(study, a.dedupe_key))
          .bind(5, a.title)
          .bind(6, a.subject.empty() ? std::optional<std::string>{} : std::optional(a.subject))
          .bind(7, rep)
          .bind(8, a.payload.dump())
          .bind(9, ts)
          .run();
      if (db.changes() == 0) continue;  // already raised: a replay or a repeat
      const std::int64_t id = db.last_insert_rowid();
      audit::record(db, now, Actor{"pvmond", ""}, "alert.raise", audit::Kind::alert, id);
      queue_alert(db, id, study, a, rep, now, 0);
      ++raised;
    }
    return raised;
  }

  /// Queues one alert to every endpoint that takes it (escalation > 0: a re-send of an open
  /// critical alert, with a new webhook-id since it is a new message).
  void queue_alert(Db& db, std::int64_t alert_id, const std::string& study, const AlertRecord& a,
                   std::optional<std::int64_t> report, Timestamp now, std::int64_t escalation) {
    const std::string type = "alert." + a.rule;
    // Whether anybody takes it is decided before the event is built: most alerts of a study
    // without webhooks cost no rendering.
    const auto endpoints = current_endpoints();
    if (std::none_of(endpoints.begin(), endpoints.end(),
                     [&](const notify::Endpoint& ep) { return notify::subscribes(ep, type, a.severity); }))
      return;
    const json event = notify::alert_event(
        {alert_id, study, a.rule, a.severity, a.title, a.subject, report, escalation}, a.payload, now);
    if (SqliteOutbox::enqueue_routed(db, endpoints, event, a.severity, alert_id, now) > 0) queued_.store(true);
  }

  std::vector<notify::Endpoint> current_endpoints() {
    std::lock_guard lock(endpoints_mu_);
    return endpoints_ ? endpoints_() : std::vector<notify::Endpoint>{};
  }

  static int read_version(Db& db) {
    auto st = db.cached("SELECT max(version) FROM schema_version");
    st.step();
    return static_cast<int>(st.i64(0));
  }

  /// Wakes the dispatcher when a committed write queued webhook messages.
  void wake_if_queued() {
    if (!queued_.exchange(false)) return;
    std::function<void()> listener;
    {
      std::lock_guard lock(endpoints_mu_);
      listener = outbox_listener_;
    }
    if (listener) listener();
  }

  /// The module edge: SQLite failures become Result errors here.
  template <class F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      auto out = f();
      wake_if_queued();  // after the COMMIT: write() has returned
      return out;
    } catch (const DbError& e) {
      if (e.fault() == DbFault::io && !dsn_.empty()) {
        // A lost connection: the pooled ones went with the server; new ones next time.
        readers_.clear();
        replica_.clear();
      }
      return to_error(e);
    } catch (const json::exception& e) {
      return Error::of(Errc::internal, std::string("stored record unreadable: ") + e.what());
    }
  }

  std::string path_;
  std::string dsn_;  // PostgreSQL, password included; empty for SQLite
  std::int64_t lease_ms_;
  std::string instance_;  // the outbox claims' name (Options::instance)
  std::mutex lead_mu_;
  std::unique_ptr<PgDb> lead_;  // the connection that holds the scheduler's lock
  bool lead_held_ = false;
  const Clock& clock_;
  ReaderPool readers_;
  /// Reads that may lag the primary by a moment (the AE report and alert lists): the replica
  /// when one is configured, else the same connections as readers_. A DSMB report, /safety and
  /// SDTM stay on the primary: what they state "as of" a time must include every commit before it.
  ReaderPool replica_;
  Writer writer_;
  std::mutex endpoints_mu_;
  std::function<std::vector<notify::Endpoint>()> endpoints_;
  std::function<void()> outbox_listener_;
  std::function<void()> report_listener_;
  std::atomic<bool> queued_{false};
  SqliteOutbox outbox_{writer_, readers_, clock_, [this] { return current_endpoints(); }, lease_ms_, instance_};
};

}  // namespace

std::string redacted_dsn(const std::string& dsn) {
  // key=value pairs: the value of password (quoted or not) becomes ***.
  std::string out;
  std::size_t i = 0;
  while (i < dsn.size()) {
    const std::size_t key = dsn.find("password", i);
    if (key == std::string::npos || (key > 0 && !std::isspace(static_cast<unsigned char>(dsn[key - 1])))) {
      if (key == std::string::npos) break;
      out.append(dsn, i, key + 8 - i);
      i = key + 8;
      continue;
    }
    std::size_t j = key + 8;
    while (j < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[j]))) ++j;
    if (j >= dsn.size() || dsn[j] != '=') {
      out.append(dsn, i, j - i);
      i = j;
      continue;
    }
    ++j;
    while (j < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[j]))) ++j;
    std::size_t end = j;
    if (end < dsn.size() && dsn[end] == '\'') {
      for (++end; end < dsn.size() && dsn[end] != '\''; ++end)
        if (dsn[end] == '\\') ++end;
      if (end < dsn.size()) ++end;
    } else {
      while (end < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[end]))) ++end;
    }
    out.append(dsn, i, key - i).append("password=***");
    i = end;
  }
  out.append(dsn, std::min(i, dsn.size()), std::string::npos);
  // A URI's user:password@ part.
  const auto scheme = out.find("://");
  const auto at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> Store::open(const Options& opts, const Clock& clock) {
  const std::string where = opts.dsn.empty() ? opts.path : "PostgreSQL (" + redacted_dsn(opts.dsn) + ")";
  try {
    std::unique_ptr<Db> db;
    if (opts.dsn.empty()) {
      db = std::make_unique<SqliteDb>(opts.path, true, false, opts.busy_timeout_ms);
      migrate(*db);
      // One process has a SQLite file: the claims on the outbox are a dead process's, and its
      // messages are this one's to send at once (on PostgreSQL, another instance may be alive:
      // its claims run out with their lease).
      db->exec("UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by IS NOT NULL");
    } else {
      db = std::make_unique<PgDb>(opts.dsn, false);
      migrate_pg(*db);  // (waits for another instance's migration however long it takes)
      SqliteStore::bound_lock_waits(*db, opts.busy_timeout_ms);
    }
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(opts, clock, std::move(db)));
  } catch (const DbError& e) {
    return Error::of(Errc::unavailable, "database " + where + ": " + redacted_dsn(e.what()));
  } catch (const std::runtime_error& e) {
    return Error::of(Errc::invalid, "database " + where + ": " + e.what());
  }
}

}  // namespace pvmon::store
