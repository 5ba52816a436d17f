#include <filesystem>
#include <mutex>

#include "pvmon/crypto.hpp"
#include "pvmon/store.hpp"
#include "schema.hpp"
#include "reader_pool.hpp"
#include "writer.hpp"

namespace pvmon::store {

using nlohmann::json;

namespace {

json ae_record(Stmt& st) {
  // Columns: id, study, site, report_id, received_at, current_version, record, recorded_at,
  // recorded_by, kind
  json r = json::parse(st.text(6));
  r["id"] = st.i64(0);
  r["study"] = st.text(1);
  r["site"] = st.text(2);
  r["report_id"] = st.text(3);
  r["received_at"] = st.text(4);
  r["version"] = st.i64(5);
  r["recorded_at"] = st.text(7);
  r["recorded_by"] = st.text(8);
  r["status"] = st.text(9) == "nullification" ? "nullified" : "active";
  return r;
}

constexpr const char* kAeSelect =
    "SELECT r.id, r.study, r.site, r.report_id, r.received_at, r.current_version, v.record, "
    "v.recorded_at, v.recorded_by, v.kind FROM ae_reports r JOIN ae_versions v "
    "ON v.report = r.id AND v.version = r.current_version ";

class SqliteStore final : public Store {
 public:
  SqliteStore(const Options& opts, const Clock& clock, std::unique_ptr<Db> wdb)
      : clock_(clock), readers_(opts.path, opts.busy_timeout_ms),
        writer_(std::move(wdb), opts.max_batch) {}

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

  Result<Stored> enrol_subject(const std::string& study, const std::string& site,
                               const json& draft, const std::string& body_sha256,
                               const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        const std::string subject = draft.at("subject").get<std::string>();
        {
          auto st = db.prepare(
              "SELECT site, record, body_sha256 FROM subjects WHERE study = ? AND subject = ?");
          st.bind(1, study).bind(2, subject);
          if (st.step()) {
            if (st.text(0) != site)
              return Error::field(Errc::conflict, "subject",
                                  "subject " + subject + " is already enrolled at another site");
            if (st.text(2) != body_sha256)
              return Error::field(Errc::conflict, "subject",
                                  "subject " + subject +
                                      " is already enrolled with different details");
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
        db.prepare(
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
        append_audit(db, now, actor, "subject.enrol", study + "/subject/" + subject, text,
                     std::nullopt);
        return Stored{record, true};
      });
    });
  }

  Result<Stored> add_baseline(const std::string& study, const std::string& subject,
                              const json& baseline, const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        auto st = db.prepare("SELECT id, record FROM subjects WHERE study = ? AND subject = ?");
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
        db.prepare("UPDATE subjects SET record = ? WHERE id = ?").bind(1, after).bind(2, id).run();
        append_audit(db, clock_.now(), actor, "subject.baseline", study + "/subject/" + subject,
                     after, before);
        return Stored{record, true};
      });
    });
  }

  Result<std::optional<SubjectRow>> find_subject(const std::string& study,
                                                 const std::string& subject) override {
    return guard([&]() -> Result<std::optional<SubjectRow>> {
      auto db = readers_.take();
      auto st = db->prepare(
          "SELECT id, site, enrolled, record FROM subjects WHERE study = ? AND subject = ?");
      st.bind(1, study).bind(2, subject);
      if (!st.step()) return std::optional<SubjectRow>{};
      SubjectRow row;
      row.id = st.i64(0);
      row.study = study;
      row.subject = subject;
      row.site = st.text(1);
      row.enrolled = parse_date(st.text(2)).value_or(Date{});
      row.record = json::parse(st.text(3));
      return std::optional<SubjectRow>(std::move(row));
    });
  }

  Result<Stored> insert_ae(const std::string& study, const std::string& site, const json& record,
                           const std::string& body_sha256, const Actor& actor) override {
    return guard([&]() -> Result<Stored> {
      return writer_.write<Stored>([&](Db& db) -> Result<Stored> {
        const std::string report_id = record.at("report_id").get<std::string>();
        const std::string subject = record.at("subject").get<std::string>();
        {
          auto st = db.prepare(
              "SELECT id, body_sha256 FROM ae_reports WHERE study = ? AND site = ? AND "
              "report_id = ?");
          st.bind(1, study).bind(2, site).bind(3, report_id);
          if (st.step()) {
            const std::int64_t id = st.i64(0);
            if (st.text(1) != body_sha256)
              return Error::field(Errc::conflict, "report_id",
                                  "report " + report_id + " already exists (id " +
                                      std::to_string(id) + ") with different content: send "
                                      "changes as a follow-up to POST /v1/studies/" + study +
                                      "/ae/" + std::to_string(id) + "/followups");
            auto q = db.prepare(std::string(kAeSelect) + "WHERE r.id = ?");
            q.bind(1, id);
            q.step();
            return Stored{ae_record(q), false};
          }
        }
        std::int64_t subject_id = 0;
        {
          auto st = db.prepare("SELECT id FROM subjects WHERE study = ? AND subject = ?");
          st.bind(1, study).bind(2, subject);
          if (!st.step())
            return Error::field(Errc::invalid, "subject", "is not enrolled in this study");
          subject_id = st.i64(0);
        }
        const Timestamp now = clock_.now();
        const std::string ts = format_timestamp(now);
        db.prepare(
              "INSERT INTO ae_reports (study, site, report_id, subject_id, subject, received_at, "
              "body_sha256, current_version) VALUES (?,?,?,?,?,?,?,1)")
            .bind(1, study)
            .bind(2, site)
            .bind(3, report_id)
            .bind(4, subject_id)
            .bind(5, subject)
            .bind(6, ts)
            .bind(7, body_sha256)
            .run();
        const std::int64_t id = db.last_insert_rowid();
        const std::string text = record.dump();
        db.prepare(
              "INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record) "
              "VALUES (?,1,'initial',?,?,?)")
            .bind(1, id)
            .bind(2, ts)
            .bind(3, actor.principal)
            .bind(4, text)
            .run();
        append_audit(db, now, actor, "ae.create", study + "/ae/" + std::to_string(id), text,
                     std::nullopt);
        json out = record;
        out["id"] = id;
        out["study"] = study;
        out["site"] = site;
        out["received_at"] = ts;
        out["version"] = 1;
        out["recorded_at"] = ts;
        out["recorded_by"] = actor.principal;
        out["status"] = "active";
        return Stored{out, true};
      });
    });
  }

  Result<std::optional<json>> get_ae(const std::string& study, std::int64_t id) override {
    return guard([&]() -> Result<std::optional<json>> {
      auto db = readers_.take();
      auto st = db->prepare(std::string(kAeSelect) + "WHERE r.id = ? AND r.study = ?");
      st.bind(1, id).bind(2, study);
      if (!st.step()) return std::optional<json>{};
      return std::optional<json>(ae_record(st));
    });
  }

  Result<AePage> list_ae(const AeQuery& q) override {
    return guard([&]() -> Result<AePage> {
      auto db = readers_.take();
      std::string sql = std::string(kAeSelect) + "WHERE r.study = ?1 ";
      if (q.site) sql += "AND r.site = ?2 ";
      if (q.subject) sql += "AND r.subject = ?3 ";
      if (q.since) sql += "AND r.received_at >= ?4 ";
      if (q.after_id) sql += "AND r.id > ?5 ";
      sql += "ORDER BY r.id LIMIT ?6";
      auto st = db->prepare(sql);
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
      return page;
    });
  }

 private:
  static int read_version(Db& db) {
    auto st = db.prepare("SELECT max(version) FROM schema_version");
    st.step();
    return static_cast<int>(st.i64(0));
  }

  /// The module edge: SQLite failures become Result errors here.
  template <class F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const SqliteError& e) {
      return to_error(e);
    } catch (const json::exception& e) {
      return Error::of(Errc::internal, std::string("stored record unreadable: ") + e.what());
    }
  }

  const Clock& clock_;
  ReaderPool readers_;
  Writer writer_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const Options& opts, const Clock& clock) {
  try {
    auto db = std::make_unique<Db>(opts.path, true, false, opts.busy_timeout_ms);
    migrate(*db);
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(opts, clock, std::move(db)));
  } catch (const SqliteError& e) {
    return Error::of(Errc::unavailable, "database " + opts.path + ": " + e.what());
  } catch (const std::runtime_error& e) {
    return Error::of(Errc::invalid, "database " + opts.path + ": " + e.what());
  }
}

}  // namespace pvmon::store
