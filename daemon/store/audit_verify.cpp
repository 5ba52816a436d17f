// `pvmon audit verify`, the start-up check and `pvmon audit accept` (pvmon/maintenance.hpp).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "audit_trail.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/maintenance.hpp"
#include "postgres.hpp"
#include "sqlite.hpp"

namespace pvmon::store {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kBusyMs = 5000;
constexpr const char* kCheckpointType = "pvmon.audit-checkpoint/1";

bool has_table(Db& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.step();
}

bool has_column(Db& db, const char* table, const char* column) {
  auto st = db.prepare(std::string("SELECT 1 FROM pragma_table_info('") + table + "') WHERE name = ?");
  st.bind(1, column);
  return st.step();
}

Error from_db(const DbError& e, const std::string& what) {
  const DbFault f = e.fault();
  if (f == DbFault::not_a_db) return Error::of(Errc::invalid, what + ": not an SQLite database");
  if (f == DbFault::busy || f == DbFault::full || f == DbFault::io) return Error::of(Errc::unavailable, what + ": " + e.what());
  return Error::of(Errc::internal, what + ": " + e.what());
}

/// What identifies a chain or checkpoint finding in an acceptance.
/// A checkpoint's line is accepted whole (as the chain grows past a checkpoint of a truncated
/// tail, its finding changes from "beyond the chain" to "head differs"): by its seq and head.
std::string finding_key(const AuditFinding& f) {
  if (f.where == "checkpoint") return f.where + "\x1f" + std::to_string(f.seq) + "\x1f" + f.expected;
  return f.where + "\x1f" + std::to_string(f.seq) + "\x1f" + f.problem + "\x1f" + f.found;
}

json finding_json(const AuditFinding& f) {
  json j{{"where", f.where}, {"problem", f.problem}, {"expected", f.expected}, {"found", f.found}};
  if (f.seq) j["seq"] = f.seq;
  if (!f.table.empty()) j["table"] = f.table;
  if (!f.entity.empty()) j["entity"] = f.entity;
  return j;
}

class Verifier {
 public:
  Verifier(Db& db, const VerifyOptions& opts) : db_(db), opts_(opts) {}

  AuditReport run() {
    report_.head_hash = std::string(64, '0');
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    walk_chain();
    if (opts_.checkpoints) check_checkpoints();
    const auto t1 = clock::now();
    if (opts_.tables) check_tables();
    report_.chain_seconds = std::chrono::duration<double>(t1 - t0).count();
    report_.tables_seconds = std::chrono::duration<double>(clock::now() - t1).count();
    // What an administrator accepted is listed apart: table findings by the entity's own
    // audit.accept row (its latest entry then matches), the others by the "audit" entity's.
    std::vector<AuditFinding> open;
    for (auto& f : found_) {
      if (f.where != "table" && accepted_keys_.count(finding_key(f)))
        report_.accepted.push_back(std::move(f));
      else
        open.push_back(std::move(f));
    }
    report_.findings = std::move(open);
    return std::move(report_);
  }

 private:
  void add(AuditFinding f) {
    if (found_.size() < opts_.max_findings) found_.push_back(std::move(f));
  }

  std::optional<std::string> hash_at(std::int64_t seq) {
    if (seq == 0) return std::string(64, '0');  // the empty chain's head
    auto st = db_.cached("SELECT hash FROM audit WHERE seq = ?");
    st.bind(1, seq);
    if (!st.step()) return std::nullopt;
    return st.text(0);
  }

  void read_acceptance(const std::string& new_value) {
    const json j = json::parse(new_value, nullptr, false);
    if (!j.is_object() || !j.contains("findings") || !j["findings"].is_array()) return;
    for (const auto& f : j["findings"]) {
      if (!f.is_object()) continue;
      AuditFinding a;
      a.where = f.value("where", "");
      a.seq = f.value("seq", std::int64_t{0});
      a.problem = f.value("problem", "");
      a.found = f.value("found", "");
      accepted_keys_.insert(finding_key(a));
    }
  }

  /// The latest content hash of an entity, as the walk found it (a later row replaces it).
  struct Latest {
    std::int64_t seq = 0;
    std::array<unsigned char, 32> digest{};
    bool absent = false;  // accepted as gone ("-")
  };

  static bool to_digest(std::string_view hex, std::array<unsigned char, 32>& out) {
    if (hex.size() != 64) return false;
    const auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < 32; ++i) {
      const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return false;
      out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return true;
  }

  /// Remembers a row's content hash as its entity's latest: entities named by a row id by
  /// (kind, id), the others (subjects, lab panels, protocols) by name.
  void note_latest(std::int64_t seq, std::string_view entity, std::string_view content) {
    const auto k = audit::kind_of(entity);
    if (!k) return;
    Latest l;
    l.seq = seq;
    if (content == audit::kAbsent)
      l.absent = true;
    else if (!to_digest(content, l.digest))
      l.digest.fill(0);  // not a hash: it matches no content
    if (const auto id = audit::id_of(*k, entity))
      by_id_[static_cast<std::size_t>(*k)][*id] = l;
    else
      by_name_[std::string(entity)] = l;
  }

  void walk_chain() {
    std::string prev(64, '0');
    const bool v11 = has_column(db_, "audit", "content_sha256");
    auto st = db_.prepare(std::string("SELECT seq, at, principal, action, entity, new_value, prev_value, prev_hash, "
                                      "hash, ") +
                          (v11 ? "content_sha256" : "NULL") + " FROM audit ORDER BY seq");
    std::int64_t expected_seq = 1;
    while (st.step()) {
      ++report_.rows;
      const std::int64_t seq = st.i64(0);
      const std::string prev_hash = st.text(7);
      const std::string hash = st.text(8);
      if (seq != expected_seq)
        add({"chain", seq, "", "", "sequence gap", std::to_string(expected_seq), std::to_string(seq)});
      if (prev_hash != prev) add({"chain", seq, "", "", "prev_hash mismatch", prev, prev_hash});
      const std::string computed = crypto::sha256_hex(audit::row_material(
          prev_hash, seq, st.view(1), st.view(2), st.view(3), st.view(4), st.opt_text(5), st.opt_text(6),
          st.opt_text(9)));
      if (!crypto::constant_time_equal(computed, hash)) add({"chain", seq, "", "", "hash mismatch", computed, hash});
      // Acceptances of chain findings come after what they accept: collected, applied at the end.
      if (st.view(3) == "audit.accept" && st.view(4) == "audit" && !st.is_null(5)) read_acceptance(st.text(5));
      if (!st.is_null(9)) note_latest(seq, st.view(4), st.view(9));
      prev = hash;
      report_.head_seq = seq;
      expected_seq = seq + 1;
    }
    report_.head_hash = prev;
  }

  void check_checkpoints() {
    const auto& file = *opts_.checkpoints;
    for (std::size_t line : file.bad_lines)
      add({"checkpoint", 0, "", "", "unreadable", "line " + std::to_string(line), "not a checkpoint"});
    for (const auto& c : file.checkpoints) {
      ++report_.checkpoints;
      if (opts_.key && !crypto::constant_time_equal(checkpoint_mac(*opts_.key, c), c.mac))
        add({"checkpoint", c.seq, "", "", "signature invalid", c.head, "a MAC the key does not make: " + c.mac});
      auto h = hash_at(c.seq);
      if (!h)
        add({"checkpoint", c.seq, "", "", "beyond the chain", c.head, "no row " + std::to_string(c.seq)});
      else if (*h != c.head)
        add({"checkpoint", c.seq, "", "", "head differs", c.head, *h});
    }
    // pvmond writes a checkpoint when it stops and another when it starts; `pvmon audit accept`
    // writes one after its rows. Rows after a stop's checkpoint were written by something else,
    // unless the database is shared: on PostgreSQL the other instances write on after one stops.
    if (!file.checkpoints.empty() && opts_.dsn.empty()) {
      const auto& last = file.checkpoints.back();
      auto st = db_.prepare("SELECT max(seq) FROM audit");
      st.step();
      const std::int64_t head = st.is_null(0) ? 0 : st.i64(0);
      if (last.reason == "stop" && head > last.seq)
        add({"checkpoint", last.seq, "", "", "rows after a stop checkpoint", "head at seq " + std::to_string(last.seq),
             "head at seq " + std::to_string(head)});
    }
  }

  void check_tables() {
    if (!has_column(db_, "audit", "content_sha256")) return;  // before schema v11: nothing to compare
    for (audit::Kind k : audit::kKinds) {
      const std::string table(audit::table(k));
      if (!has_table(db_, table.c_str())) continue;
      auto& ids = by_id_[static_cast<std::size_t>(k)];
      auto rows = db_.prepare("SELECT rowid FROM " + table + " ORDER BY rowid");
      while (rows.step()) {
        const std::int64_t id = rows.i64(0);
        auto c = audit::read_content(db_, k, id);
        if (!c) continue;
        ++report_.entities;
        std::optional<Latest> want;
        if (audit::id_of(k, c->entity)) {
          if (auto it = ids.find(id); it != ids.end()) {
            want = it->second;
            ids.erase(it);
          }
        } else if (auto it = by_name_.find(c->entity); it != by_name_.end()) {
          want = it->second;
          by_name_.erase(it);
        }
        std::array<unsigned char, 32> have{};
        to_digest(c->sha256, have);
        if (!want || want->absent)
          add({"table", 0, table, c->entity, "row without audit entry", want ? "-" : "no row", c->sha256});
        else if (want->digest != have)
          add({"table", 0, table, c->entity, "content mismatch", crypto::hex_encode(std::string_view(
                                                                     reinterpret_cast<const char*>(want->digest.data()), 32)),
               c->sha256});
      }
    }
    // What is left was audited and is not there (unless accepted as gone).
    const auto missing = [&](std::int64_t seq, const Latest& l) {
      if (l.absent) return;
      auto st = db_.cached("SELECT entity FROM audit WHERE seq = ?");
      st.bind(1, seq);
      const std::string entity = st.step() ? st.text(0) : "?";
      const auto k = audit::kind_of(entity);
      add({"table", 0, k ? std::string(audit::table(*k)) : "?", entity, "entity missing",
           crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(l.digest.data()), 32)), "no row"});
    };
    std::vector<std::pair<std::int64_t, Latest>> left;
    for (const auto& ids : by_id_)
      for (const auto& [id, l] : ids) left.emplace_back(l.seq, l);
    for (const auto& [name, l] : by_name_) left.emplace_back(l.seq, l);
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [seq, l] : left) missing(seq, l);
  }

  Db& db_;
  const VerifyOptions& opts_;
  AuditReport report_;
  std::vector<AuditFinding> found_;
  std::set<std::string> accepted_keys_;
  std::array<std::unordered_map<std::int64_t, Latest>, audit::kKinds.size()> by_id_;
  std::unordered_map<std::string, Latest> by_name_;
};

Result<AuditReport> verify_open(Db& db, const std::string& db_path, const VerifyOptions& opts) {
  if (!has_table(db, "audit") || !has_table(db, "schema_version"))
    return Error::of(Errc::invalid, db_path + " is not a pvmon database (no audit table)");
  Verifier v(db, opts);
  return v.run();
}

}  // namespace

std::string AuditFinding::describe() const {
  std::string s = where + ": " + problem;
  if (!entity.empty()) s += " at " + table + " " + entity;
  if (seq) s += " at seq " + std::to_string(seq);
  s += " (expected " + expected + ", found " + found + ")";
  return s;
}

std::string checkpoint_mac(std::string_view key, const AuditCheckpoint& c) {
  const std::string material = std::string(kCheckpointType) + "\x1f" + std::to_string(c.seq) + "\x1f" + c.head +
                               "\x1f" + c.at + "\x1f" + c.reason +
                               (c.db_sha256.empty() ? std::string() : "\x1f" + c.db_sha256);
  return crypto::hex_encode(crypto::hmac_sha256(key, material));
}

std::string checkpoint_line(const AuditCheckpoint& c) {
  json j{{"type", kCheckpointType}, {"seq", c.seq}, {"head", c.head}, {"at", c.at}, {"reason", c.reason}};
  if (!c.db_sha256.empty()) j["db_sha256"] = c.db_sha256;
  j["mac"] = c.mac;
  return j.dump();
}

Result<CheckpointFile> read_checkpoints(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::of(Errc::not_found, "cannot read the checkpoint file " + path);
  CheckpointFile out;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("type", "") != kCheckpointType || !j.contains("seq") ||
        !j["seq"].is_number_integer() || !j.contains("head") || !j["head"].is_string() || !j.contains("mac") ||
        !j["mac"].is_string()) {
      out.bad_lines.push_back(n);
      continue;
    }
    out.checkpoints.push_back(AuditCheckpoint{j["seq"].get<std::int64_t>(), j["head"].get<std::string>(),
                                              j.value("at", ""), j.value("reason", ""), j["mac"].get<std::string>(),
                                              j.value("db_sha256", "")});
  }
  return out;
}

Status append_checkpoint(const std::string& path, const AuditCheckpoint& c) {
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error::of(Errc::unavailable, "cannot open the checkpoint file " + path + ": " + std::strerror(errno));
  const std::string line = checkpoint_line(c) + "\n";
  const ssize_t w = ::write(fd, line.data(), line.size());
  const bool ok = w == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Error::of(Errc::unavailable, "cannot write the checkpoint file " + path + ": " + std::strerror(err));
  return Ok{};
}

Result<std::string> read_checkpoint_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::of(Errc::not_found, "cannot read the audit checkpoint key " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  std::size_t lead = 0;
  while (lead < key.size() && std::isspace(static_cast<unsigned char>(key[lead]))) ++lead;
  key.erase(0, lead);
  if (key.size() < 32)
    return Error::of(Errc::invalid, "the audit checkpoint key " + path + " is shorter than 32 bytes (make one with "
                                    "`openssl rand -hex 32`)");
  return key;
}

Result<std::string> load_or_create_checkpoint_key(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return read_checkpoint_key(path);
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string key = crypto::hex_encode(crypto::random_bytes(32));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::of(Errc::unavailable, "cannot create the audit checkpoint key " + path + ": " + std::strerror(errno));
  const std::string text = key + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Error::of(Errc::unavailable, "cannot write the audit checkpoint key " + path);
  return key;
}

Result<AuditReport> verify_audit(const std::string& db_path, const VerifyOptions& opts) {
  const std::string where = opts.dsn.empty() ? db_path : "PostgreSQL (" + redacted_dsn(opts.dsn) + ")";
  std::error_code ec;
  if (opts.dsn.empty() && !fs::is_regular_file(db_path, ec))
    return Error::of(Errc::not_found, "no database file at " + db_path);
  try {
    std::unique_ptr<Db> db;
    if (opts.dsn.empty()) {
      db = std::make_unique<SqliteDb>(db_path, false, true, kBusyMs);
      // One read transaction: the whole check sees one snapshot while pvmond appends.
      db->exec("BEGIN");
    } else {
      db = std::make_unique<PgDb>(opts.dsn, true);
      db->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    auto out = verify_open(*db, where, opts);
    db->exec("COMMIT");
    return out;
  } catch (const DbError& e) {
    return from_db(e, "verify " + where);
  }
}

Result<Acceptance> accept_audit(const std::string& db_path, const VerifyOptions& opts, const std::string& principal,
                                const std::string& reason) {
  const std::string where = opts.dsn.empty() ? db_path : "PostgreSQL (" + redacted_dsn(opts.dsn) + ")";
  std::error_code ec;
  if (opts.dsn.empty() && !fs::is_regular_file(db_path, ec))
    return Error::of(Errc::not_found, "no database file at " + db_path);
  try {
    std::unique_ptr<Db> owned;
    if (opts.dsn.empty())
      owned = std::make_unique<SqliteDb>(db_path, false, false, kBusyMs);
    else
      owned = std::make_unique<PgDb>(opts.dsn, false);
    Db& db = *owned;
    db.begin_write();
    try {
      auto report = verify_open(db, where, opts);
      if (!report) {
        db.exec("ROLLBACK");
        return report.error();
      }
      Acceptance out;
      SystemClock clock;
      const Timestamp now = clock.now();
      const Actor actor{principal, ""};
      json chain = json::array();
      for (const auto& f : report->findings) {
        out.accepted.push_back(f);
        if (f.where != "table") {
          chain.push_back(finding_json(f));
          continue;
        }
        // The entity as it now is (the same walk's content) becomes its latest entry; "-" when
        // it is gone.
        const std::optional<std::string> content =
            f.problem == "entity missing" ? std::string(audit::kAbsent) : f.found;
        audit::append_row(db, now, actor, "audit.accept", f.entity,
                          json{{"reason", reason}, {"finding", finding_json(f)}}.dump(), content);
      }
      if (!chain.empty())
        audit::append_row(db, now, actor, "audit.accept", "audit", json{{"reason", reason}, {"findings", chain}}.dump(),
                          std::nullopt);
      const auto [seq, hash] = audit::head(db);
      out.head_seq = seq;
      out.head_hash = hash;
      db.exec("COMMIT");
      return out;
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  } catch (const DbError& e) {
    return from_db(e, "accept " + where);
  }
}

}  // namespace pvmon::store
