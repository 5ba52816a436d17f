// The store's statements in SQLite's dialect as PostgreSQL receives them (postgres.cpp).
#include <doctest/doctest.h>

#include "postgres.hpp"

using pvmon::store::pg_dialect;

TEST_CASE("pg_dialect: parameters numbered as SQLite numbers them") {
  CHECK(pg_dialect("SELECT a FROM t WHERE b = ? AND c = ?") == "SELECT a FROM t WHERE b = $1 AND c = $2");
  // ?N keeps its number; a bare ? after it takes the next one (SQLite: largest so far + 1).
  CHECK(pg_dialect("WHERE substr(e, 1, length(?1)) = ?1 AND seq < ?2 LIMIT ?") ==
        "WHERE substr(e, 1, length($1)) = $1 AND seq < $2 LIMIT $3");
  // ?N the text leaves out are not sent: $k numbered densely, each naming its ?N.
  const auto gap = pvmon::store::pg_statement("WHERE r.study = ?1 AND r.id > ?5 ORDER BY r.id LIMIT ?6");
  CHECK(gap.text == "WHERE r.study = $1 AND r.id > $2 ORDER BY r.id LIMIT $3");
  CHECK(gap.params == std::vector<int>{1, 5, 6});
  // Inside literals and quoted names nothing changes.
  CHECK(pg_dialect("SELECT '?', \"a?\" FROM t WHERE x = 'it''s ?' AND y = ?") ==
        "SELECT '?', \"a?\" FROM t WHERE x = 'it''s ?' AND y = $1");
}

TEST_CASE("pg_dialect: the constructs PostgreSQL spells differently") {
  CHECK(pg_dialect("INSERT OR IGNORE INTO protocols (study, sha256) VALUES (?,?)") ==
        "INSERT INTO protocols (study, sha256) VALUES ($1,$2) ON CONFLICT DO NOTHING");
  CHECK(pg_dialect("insert or ignore into t (a) values (?);") == "insert into t (a) values ($1) ON CONFLICT DO NOTHING");
  CHECK(pg_dialect("BEGIN IMMEDIATE") == "BEGIN");
  CHECK(pg_dialect("SELECT rowid FROM protocols ORDER BY rowid") == "SELECT id FROM protocols ORDER BY id");
  // Only whole words: a column named rowid_x or a table my_rowid stays.
  CHECK(pg_dialect("SELECT rowid_x, my_rowid FROM t") == "SELECT rowid_x, my_rowid FROM t");
  CHECK(pg_dialect("AND instr(',' || ifnull(v.related_to, '') || ',', ',' || ?4 || ',') > 0") ==
        "AND strpos(',' || coalesce(v.related_to, '') || ',', ',' || $1 || ',') > 0");
  CHECK(pg_dialect("SELECT report FROM ae_versions INDEXED BY ae_versions_in_force WHERE x = ?") ==
        "SELECT report FROM ae_versions WHERE x = $1");
  CHECK(pg_dialect("SELECT id FROM ae_reports WHERE +study = ?1 AND +site = ?2 ORDER BY id") ==
        "SELECT id FROM ae_reports WHERE study = $1 AND site = $2 ORDER BY id");
  CHECK(pg_dialect("SELECT a + b, c+d FROM t") == "SELECT a + b, c+d FROM t");
  CHECK(pg_dialect("DELETE FROM temp.readyz") == "DELETE FROM pg_temp.readyz");
  CHECK(pg_dialect("CREATE TEMP TABLE IF NOT EXISTS readyz (x INTEGER)") == "CREATE TEMP TABLE IF NOT EXISTS readyz (x INTEGER)");
  CHECK(pg_dialect("SELECT length(CAST(o.body AS BLOB)) FROM outbox o") == "SELECT octet_length(o.body) FROM outbox o");
}

TEST_CASE("pg_dialect: SQLite's catalogue as PostgreSQL's") {
  CHECK(pg_dialect("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?") ==
        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1");
  CHECK(pg_dialect("SELECT 1 FROM pragma_table_info('audit') WHERE name = ?") ==
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'audit' AND "
        "column_name = $1");
}

TEST_CASE("pg_dialect: JSON paths") {
  CHECK(pg_dialect("SELECT json_extract(record, '$.followup.sha256') FROM v WHERE json_extract(record, '$.followup.id') = ?") ==
        "SELECT (record::jsonb #>> '{followup,sha256}') FROM v WHERE (record::jsonb #>> '{followup,id}') = $1");
  CHECK(pg_dialect("SELECT json_remove(v.record, '$.narrative', '$.ctcae.grade_text') FROM v") ==
        "SELECT (v.record::jsonb #- '{narrative}' #- '{ctcae,grade_text}')::text FROM v");
}
