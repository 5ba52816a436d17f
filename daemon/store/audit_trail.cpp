#include "audit_trail.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "pvmon/crypto.hpp"

namespace pvmon::store::audit {

namespace {

/// How an entity's canonical content is read: its main row by rowid (the first column is the
/// entity's name, the others its content), then the rows that belong to it, in a fixed order.
/// Columns are listed, never `*`: a column a later schema adds changes no existing hash. The
/// columns left out are bookkeeping pvmond changes without a decision behind it (an alert's
/// re-send count and time).
struct Spec {
  Kind kind;
  const char* name;
  const char* table;
  const char* row_sql;
  const char* children_sql;  // nullptr when none; ?1 = the main row's rowid
  const char* more_children_sql = nullptr;  // read after children_sql, the same way
};

const std::array<Spec, 9> kSpecs = {{
    {Kind::subject, "subject", "subjects",
     "SELECT study || '/subject/' || subject, id, study, subject, site, enrolled, record, body_sha256, created_at, "
     "created_by FROM subjects WHERE rowid = ?1",
     nullptr},
    {Kind::ae, "ae", "ae_reports",
     "SELECT study || '/ae/' || id, id, study, site, report_id, subject_id, subject, received_at, body_sha256, "
     "current_version, meddra_code, grade, onset, status, resolved FROM ae_reports WHERE rowid = ?1",
     "SELECT report, version, kind, recorded_at, recorded_by, record, grade, meddra_code, term, soc, protocol_term, "
     "onset, resolved, outcome, serious, susar, fatal_or_life_threatening, criteria, related_to, causality, expected, "
     "drug_withdrawn, verbatim, reported_term, action_taken FROM ae_versions WHERE report = ?1 ORDER BY version"},
    {Kind::event, "event", "subject_events",
     "SELECT coalesce((SELECT s.study || '/subject/' || s.subject FROM subjects s WHERE s.id = subject_id), '?') || "
     "'/event/' || id, id, subject_id, kind, date, record, corrects, recorded_at, recorded_by FROM subject_events "
     "WHERE rowid = ?1",
     nullptr},
    {Kind::clock, "clock", "clocks",
     "SELECT study || '/clock/' || id, id, report, study, kind, started_at, due_at, reason, version, stopped_at, "
     "stop_reason, late, subject_id, event, lab_panel FROM clocks WHERE rowid = ?1",
     nullptr},
    {Kind::submission, "submission", "submissions",
     "SELECT coalesce((SELECT r.study FROM ae_reports r WHERE r.id = report), '?') || '/submission/' || id, id, "
     "report, kind, submitted, authority, reference, recorded_at, recorded_by FROM submissions WHERE rowid = ?1",
     // The ICSR message it names, then the gateway's acknowledgements (schema v12), as two
     // reads: each value keeps its own type on PostgreSQL too (a UNION makes a column one
     // type), and the rows come in the order the one UNION ... ORDER BY 1, 2 gave them.
     "SELECT 0, 'message', message_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM submission_messages "
     "WHERE submission = ?1",
     "SELECT 1, id, message_id, ack_batch_id, ack_sha256, code, accepted, text, local_report_number, receipt_at, "
     "recorded_at || ' ' || recorded_by FROM icsr_acks WHERE submission = ?1 ORDER BY id"},
    {Kind::alert, "alert", "alerts",
     "SELECT study || '/alert/' || id, id, study, rule, severity, dedupe_key, title, subject, report, payload, "
     "created_at, status, acked_at, acked_by, ack_comment FROM alerts WHERE rowid = ?1",
     "SELECT id, alert, outcome, comment, assessed_at, assessed_by FROM alert_assessments WHERE alert = ?1 "
     "ORDER BY id"},
    {Kind::lab_panel, "lab_panel", "lab_panels",
     "SELECT study || '/subject/' || coalesce((SELECT s.subject FROM subjects s WHERE s.id = subject_id), '?') || "
     "'/lab/' || panel_id, id, study, subject_id, panel_id, collected_at, record, body_sha256, recorded_at, "
     "recorded_by FROM lab_panels WHERE rowid = ?1",
     "SELECT id, panel, subject_id, collected_at, test, meddra_code, value, unit, uln, lln, baseline, baseline_uln, "
     "baseline_lln, grade, criterion, basis FROM lab_results WHERE panel = ?1 ORDER BY id"},
    {Kind::dsmb_report, "dsmb_report", "dsmb_reports",
     "SELECT study || '/dsmb-report/' || id, id, study, number, cutoff, as_of, previous_cutoff, trigger, body, "
     "sha256, protocol_sha256, generated_at, generated_by FROM dsmb_reports WHERE rowid = ?1",
     nullptr},
    {Kind::protocol, "protocol", "protocols",
     "SELECT study || '/protocol/' || sha256, study, sha256, text, first_seen FROM protocols WHERE rowid = ?1",
     nullptr},
}};

const Spec& spec(Kind k) { return kSpecs[static_cast<std::size_t>(k)]; }

/// One column, typed and length-prefixed, so that no two different rows read the same.
void put_column(std::string& out, const Stmt& st, int col) {
  const auto bytes = [&](char tag, std::string_view v) {
    out += tag;
    out += std::to_string(v.size());
    out += ':';
    out += v;
  };
  switch (st.type(col)) {
    case ColumnType::null:
      out += "n0:";
      return;
    case ColumnType::integer:
      bytes('i', std::to_string(st.i64(col)));
      return;
    case ColumnType::real: {
      char buf[40];
      const int n = std::snprintf(buf, sizeof buf, "%.17g", st.f64(col));
      bytes('f', std::string_view(buf, static_cast<std::size_t>(n)));
      return;
    }
    case ColumnType::blob:
      bytes('b', st.view(col));
      return;
    case ColumnType::text:
      bytes('t', st.view(col));
      return;
  }
}

void put_row(std::string& out, const Stmt& st, int first) {
  out += '\x1e';
  const int n = st.column_count();
  for (int c = first; c < n; ++c) put_column(out, st, c);
}

}  // namespace

std::string_view name(Kind k) { return spec(k).name; }
std::string_view table(Kind k) { return spec(k).table; }

std::optional<Content> read_content(Db& db, Kind k, std::int64_t rowid) {
  const Spec& s = spec(k);
  auto row = db.cached(s.row_sql);
  row.bind(1, rowid);
  if (!row.step()) return std::nullopt;
  Content c;
  c.entity = row.text(0);
  std::string text = "pvmon-entity/1\x1f";
  text += s.name;
  put_row(text, row, 1);
  row.reset();
  for (const char* sql : {s.children_sql, s.more_children_sql}) {
    if (!sql) continue;
    auto kids = db.cached(sql);
    kids.bind(1, rowid);
    while (kids.step()) put_row(text, kids, 0);
  }
  c.sha256 = crypto::sha256_hex(text);
  return c;
}

std::optional<Kind> kind_of(std::string_view entity) {
  std::vector<std::string_view> parts;
  for (std::size_t from = 0;;) {
    const auto slash = entity.find('/', from);
    parts.push_back(entity.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from));
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  if (parts.size() == 3) {
    const auto seg = parts[1];
    if (seg == "subject") return Kind::subject;
    if (seg == "ae") return Kind::ae;
    if (seg == "clock") return Kind::clock;
    if (seg == "submission") return Kind::submission;
    if (seg == "alert") return Kind::alert;
    if (seg == "dsmb-report") return Kind::dsmb_report;
    if (seg == "protocol") return Kind::protocol;
  }
  if (parts.size() == 5 && parts[1] == "subject") {
    if (parts[3] == "event") return Kind::event;
    if (parts[3] == "lab") return Kind::lab_panel;
  }
  return std::nullopt;
}

std::optional<std::int64_t> id_of(Kind k, std::string_view entity) {
  if (k == Kind::subject || k == Kind::lab_panel || k == Kind::protocol) return std::nullopt;
  const auto slash = entity.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= entity.size()) return std::nullopt;
  std::int64_t v = 0;
  for (char c : entity.substr(slash + 1)) {
    if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string row_material(std::string_view prev_hash, std::int64_t seq, std::string_view at,
                         std::string_view principal, std::string_view action, std::string_view entity,
                         const std::optional<std::string>& new_value, const std::optional<std::string>& prev_value,
                         const std::optional<std::string>& content_sha256) {
  // Field-separated so that no two different rows hash the same text; an absent value is the
  // empty string (as the rows before schema v11 were hashed).
  std::string m;
  m.reserve(256);
  m.append(prev_hash).append("\x1f").append(std::to_string(seq)).append("\x1f").append(at).append("\x1f");
  m.append(principal).append("\x1f").append(action).append("\x1f").append(entity).append("\x1f");
  m.append(new_value.value_or(std::string())).append("\x1f").append(prev_value.value_or(std::string()));
  if (content_sha256) m.append("\x1f").append(*content_sha256);
  return m;
}

std::pair<std::int64_t, std::string> head(Db& db) {
  auto st = db.cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (st.step()) return {st.i64(0), st.text(1)};
  return {0, std::string(64, '0')};
}

void append_row(Db& db, Timestamp at, const Actor& actor, std::string_view action, std::string_view entity,
                const std::optional<std::string>& new_value, const std::optional<std::string>& content_sha256) {
  const auto [last, prev_hash] = head(db);
  const std::int64_t seq = last + 1;
  const std::string ts = format_timestamp(at);
  const std::optional<std::string> no_previous;
  const std::string hash = crypto::sha256_hex(
      row_material(prev_hash, seq, ts, actor.principal, action, entity, new_value, no_previous, content_sha256));
  db.cached(
        "INSERT INTO audit (seq, at, principal, action, entity, new_value, prev_value, prev_hash, hash, "
        "content_sha256) VALUES (?,?,?,?,?,?,NULL,?,?,?)")
      .bind(1, seq)
      .bind(2, ts)
      .bind(3, actor.principal)
      .bind(4, action)
      .bind(5, entity)
      .bind(6, new_value)
      .bind(7, prev_hash)
      .bind(8, hash)
      .bind(9, content_sha256)
      .run();
}

void record(Db& db, Timestamp at, const Actor& actor, std::string_view action, Kind k, std::int64_t rowid,
            const std::optional<std::string>& detail) {
  auto c = read_content(db, k, rowid);
  if (!c) throw std::logic_error("audit: no " + std::string(name(k)) + " row " + std::to_string(rowid));
  append_row(db, at, actor, action, c->entity, detail, c->sha256);
}

void baseline(Db& db, Timestamp at) {
  const Actor actor{"pvmond", ""};
  const std::optional<std::string> detail = std::string(R"({"schema":11})");
  for (Kind k : kKinds) {
    std::vector<std::int64_t> ids;
    {
      auto st = db.prepare("SELECT rowid FROM " + std::string(table(k)) + " ORDER BY rowid");
      while (st.step()) ids.push_back(st.i64(0));
    }
    for (std::int64_t id : ids) record(db, at, actor, "audit.baseline", k, id, detail);
  }
}

}  // namespace pvmon::store::audit
