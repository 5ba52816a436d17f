// pvmon migrate --from-sqlite FILE --to-dsn DSN: a study database moved to PostgreSQL whole,
// audit chain included, then verified there (README "Scaling out").
#include <filesystem>
#include <string>
#include <vector>

#include "postgres.hpp"
#include "pvmon/maintenance.hpp"
#include "pvmon/store.hpp"
#include "schema.hpp"
#include "sqlite.hpp"

namespace pvmon::store {

namespace {

/// Every table, parents before children (foreign keys hold at each insert); schema_version is
/// the target's own. `id`: the table's identity column, whose sequence continues after the copy.
struct Table {
  const char* name;
  const char* id;
};
constexpr Table kTables[] = {
    {"subjects", "id"},          {"ae_reports", "id"},         {"ae_versions", nullptr},
    {"audit", nullptr},          {"subject_events", "id"},     {"submissions", "id"},
    {"alerts", "id"},            {"outbox", "id"},             {"delivery_attempts", "id"},
    {"endpoint_state", nullptr}, {"protocols", "id"},          {"dsmb_reports", "id"},
    {"lab_panels", "id"},        {"lab_results", "id"},        {"clocks", "id"},
    {"alert_assessments", "id"}, {"submission_messages", nullptr}, {"icsr_acks", "id"},
    {"desk_sessions", "id"},     {"endpoint_changes", "id"},
};

std::int64_t count(Db& db, const std::string& table) {
  auto st = db.prepare("SELECT count(*) FROM " + table);
  st.step();
  return st.i64(0);
}

/// The column names of a SQLite table, in order.
std::vector<std::string> columns(Db& db, const std::string& table) {
  std::vector<std::string> out;
  auto st = db.prepare("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace

Result<MigrationReport> migrate_sqlite_to_pg(const std::string& sqlite_path, const std::string& dsn) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sqlite_path, ec))
    return Error::of(Errc::not_found, "no database file at " + sqlite_path);
  const std::string where = "PostgreSQL (" + redacted_dsn(dsn) + ")";
  MigrationReport report;
  try {
    // The source at this pvmon's schema (an older file is migrated first, as pvmond would).
    SqliteDb src(sqlite_path, false, false, 5000);
    migrate(src);
    PgDb dst(dsn, false);
    migrate_pg(dst);
    for (const auto& t : kTables)
      if (count(dst, t.name) != 0)
        return Error::of(Errc::conflict, where + " already holds pvmon data (table " + t.name +
                                             "): migrate into a new, empty database");
    src.exec("BEGIN");  // one snapshot of the source
    dst.begin_write();
    try {
      for (const auto& t : kTables) {
        const auto cols = columns(src, t.name);
        std::string list, marks;
        for (std::size_t i = 0; i < cols.size(); ++i) {
          list += (i ? ", " : "") + cols[i];
          marks += i ? ", ?" : "?";
        }
        auto read = src.prepare("SELECT " + list + " FROM " + t.name);
        auto write = dst.prepare(std::string("INSERT INTO ") + t.name + " (" + list + ") VALUES (" + marks + ")");
        std::int64_t rows = 0;
        while (read.step()) {
          for (int c = 0; c < static_cast<int>(cols.size()); ++c) {
            switch (read.type(c)) {
              case ColumnType::null:
                write.bind_null(c + 1);
                break;
              case ColumnType::integer:
                write.bind(c + 1, read.i64(c));
                break;
              case ColumnType::real:
                write.bind(c + 1, read.f64(c));
                break;
              case ColumnType::text:
              case ColumnType::blob:
                write.bind(c + 1, read.view(c));
                break;
            }
          }
          write.run();
          ++rows;
        }
        if (t.id)
          dst.exec(std::string("SELECT setval(pg_get_serial_sequence('") + t.name + "', '" + t.id +
                   "'), coalesce((SELECT max(" + t.id + ") FROM " + t.name + "), 0) + 1, false)");
        report.tables.emplace_back(t.name, rows);
      }
      // protocols has no id on SQLite (its rowid): PostgreSQL's numbers them in copy order.
      dst.exec("COMMIT");
    } catch (...) {
      try {
        dst.exec("ROLLBACK");
      } catch (...) {
        // The connection is gone: nothing was committed.
      }
      throw;
    }
    src.exec("COMMIT");
    // Proof: the same rows on both sides, and the trail verifies on PostgreSQL (every row's
    // hash recomputed, every audited entity's content hashed from its new rows).
    for (const auto& [table, rows] : report.tables)
      if (count(dst, table) != rows)
        return Error::of(Errc::internal, "after the copy " + table + " has " + std::to_string(count(dst, table)) +
                                             " rows on PostgreSQL, " + std::to_string(rows) + " in the file");
    const auto [src_seq, src_hash] = [&] {
      auto st = src.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
      return st.step() ? std::pair{st.i64(0), st.text(1)} : std::pair{std::int64_t{0}, std::string(64, '0')};
    }();
    VerifyOptions v;
    v.dsn = dsn;
    auto verified = verify_audit("", v);
    if (!verified) return verified.error();
    report.audit = *verified;
    if (verified->head_seq != src_seq || verified->head_hash != src_hash)
      return Error::of(Errc::internal, "the audit head on PostgreSQL is not the file's");
    return report;
  } catch (const DbError& e) {
    return Error::of(Errc::unavailable, "migrate to " + where + ": " + redacted_dsn(e.what()));
  } catch (const std::runtime_error& e) {
    return Error::of(Errc::invalid, "migrate " + sqlite_path + ": " + e.what());
  }
}

}  // namespace pvmon::store
