#include "postgres.hpp"

#include <pqxx/pqxx>

#include "pvmon/store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <vector>

namespace pvmon::store {

/// libpqxx's connection and the one non-transaction every statement runs through (the store
/// sends BEGIN and COMMIT itself).
struct PgDb::Conn {
  explicit Conn(const std::string& dsn) : c(dsn), tx(c) {}
  pqxx::connection c;
  pqxx::nontransaction tx;
};

namespace {

bool word_is(std::string_view w, std::string_view upper) {
  if (w.size() != upper.size()) return false;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(w[i])) != upper[i]) return false;
  return true;
}

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// The next word at or after `i` (skipping spaces), and where it ends.
std::pair<std::string_view, std::size_t> next_word(std::string_view s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  const std::size_t from = i;
  while (i < s.size() && ident_char(s[i])) ++i;
  return {s.substr(from, i - from), i};
}

/// '$.a.b' (its inside) to '{a,b}'.
std::string json_path(std::string p) {
  for (char& c : p)
    if (c == '.') c = ',';
  return "'{" + p + "}'";
}

/// The constructs whose arguments are literals, rewritten before the token pass.
std::string rewrite_functions(std::string s) {
  static const std::regex extract(R"(json_extract\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*,\s*'\$\.([A-Za-z0-9_.]+)'\s*\))");
  static const std::regex remove(R"(json_remove\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*((?:,\s*'\$\.[A-Za-z0-9_.]+'\s*)+)\))");
  static const std::regex path(R"('\$\.([A-Za-z0-9_.]+)')");
  static const std::regex blob_length(R"(length\(\s*CAST\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s+AS\s+BLOB\s*\)\s*\))");
  static const std::regex master(R"(FROM sqlite_master WHERE type = 'table' AND name = \?)");
  static const std::regex columns(R"(FROM pragma_table_info\('([A-Za-z_][A-Za-z0-9_]*)'\) WHERE name = \?)");
  std::smatch m;
  std::string out;
  // json_extract(x, '$.a.b') -> (x::jsonb #>> '{a,b}'): the value as text, NULL when absent.
  while (std::regex_search(s, m, extract)) {
    out = m.prefix().str() + "(" + m[1].str() + "::jsonb #>> " + json_path(m[2].str()) + ")" + m.suffix().str();
    s = out;
  }
  // json_remove(x, '$.a', '$.b.c') -> (x::jsonb #- '{a}' #- '{b,c}')::text.
  while (std::regex_search(s, m, remove)) {
    std::string expr = "(" + m[1].str() + "::jsonb";
    const std::string args = m[2].str();
    for (std::sregex_iterator it(args.begin(), args.end(), path), end; it != end; ++it)
      expr += " #- " + json_path((*it)[1].str());
    expr += ")::text";
    out = m.prefix().str() + expr + m.suffix().str();
    s = out;
  }
  s = std::regex_replace(s, blob_length, "octet_length($1)");
  s = std::regex_replace(s, master,
                         "FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?");
  s = std::regex_replace(
      s, columns,
      "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '$1' AND column_name = ?");
  return s;
}

}  // namespace

std::string pg_dialect(std::string_view in) { return pg_statement(in).text; }

PgSql pg_statement(std::string_view in) {
  const std::string pre = rewrite_functions(std::string(in));
  const std::string_view s = pre;
  std::string out;
  out.reserve(s.size() + 32);
  int max_param = 0;
  std::vector<int> params;  // $k is the statement's ?params[k-1]
  bool ignore = false;  // INSERT OR IGNORE: ON CONFLICT DO NOTHING at the end
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted name, '' and "" inside
      std::size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            ++j;
            continue;
          }
          break;
        }
      }
      out.append(s.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    if (c == '?') {
      std::size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      int n = 0;
      if (j > i + 1) {
        std::from_chars(s.data() + i + 1, s.data() + j, n);
      } else {
        n = max_param + 1;
      }
      max_param = std::max(max_param, n);
      // PostgreSQL must infer a type for every parameter it is sent, so the ones the text
      // does not use (an optional filter left out) are not sent: numbered densely.
      auto at = std::find(params.begin(), params.end(), n);
      if (at == params.end()) at = params.insert(params.end(), n);
      out += '$';
      out += std::to_string(at - params.begin() + 1);
      i = j;
      continue;
    }
    if (c == '+' && i + 1 < s.size() && ident_start(s[i + 1])) {
      // A unary + before a column (WHERE +study = ?): SQLite's way to keep an index out of a
      // plan. Before a name nothing else puts it; PostgreSQL has no such operator on text.
      std::size_t k = out.size();
      while (k > 0 && std::isspace(static_cast<unsigned char>(out[k - 1]))) --k;
      if (k == 0 || out[k - 1] == '(' || out[k - 1] == '=' || out[k - 1] == ',' ||
          (k >= 5 && word_is(std::string_view(out).substr(k - 5, 5), "WHERE")) ||
          (k >= 3 && word_is(std::string_view(out).substr(k - 3, 3), "AND"))) {
        ++i;
        continue;
      }
    }
    if (ident_start(c) && (i == 0 || !ident_char(s[i - 1]))) {
      std::size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      const std::string_view w = s.substr(i, j - i);
      if (word_is(w, "ROWID")) {
        out += "id";
      } else if (word_is(w, "IFNULL")) {
        out += "coalesce";
      } else if (word_is(w, "INSTR")) {
        out += "strpos";
      } else if (word_is(w, "INDEXED")) {
        // INDEXED BY name: SQLite's planner hint; PostgreSQL plans by itself.
        const auto [by, e2] = next_word(s, j);
        const auto [index, e3] = next_word(s, e2);
        if (word_is(by, "BY") && !index.empty()) {
          j = e3;
          while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        } else {
          out += w;
        }
      } else if (word_is(w, "TEMP") && j < s.size() && s[j] == '.') {
        out += "pg_temp";  // temp.t: the session's temporary table
      } else if (word_is(w, "INSERT")) {
        const auto [w2, e2] = next_word(s, j);
        const auto [w3, e3] = next_word(s, e2);
        out += w;
        if (word_is(w2, "OR") && word_is(w3, "IGNORE")) {
          ignore = true;
          j = e3;
        }
      } else if (word_is(w, "BEGIN")) {
        const auto [w2, e2] = next_word(s, j);
        out += w;
        if (word_is(w2, "IMMEDIATE")) j = e2;
      } else {
        out += w;
      }
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  if (ignore) {
    while (!out.empty() && (std::isspace(static_cast<unsigned char>(out.back())) || out.back() == ';')) out.pop_back();
    out += " ON CONFLICT DO NOTHING";
  }
  return PgSql{std::move(out), std::move(params)};
}

namespace {

DbFault fault_of_state(const std::string& state) {
  if (state.rfind("23", 0) == 0) return DbFault::constraint;
  if (state == "53100") return DbFault::full;
  if (state.rfind("53", 0) == 0 || state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) return DbFault::io;
  if (state == "40001" || state == "40P01" || state == "55P03") return DbFault::busy;
  if (state == "25006") return DbFault::io;  // a write on a read-only connection (a replica)
  return DbFault::other;
}

constexpr unsigned kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
                   kFloat8 = 701, kNumeric = 1700;

class PgStmt final : public StmtImpl {
 public:
  PgStmt(PgDb& db, PgSql sql) : db_(db), sql_(std::move(sql)) {}

  void bind_i64(int i, std::int64_t v) override { param(i) = std::to_string(v); }
  void bind_f64(int i, double v) override {
    char buf[40];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
    param(i) = std::string(buf, static_cast<std::size_t>(n));
  }
  void bind_text(int i, std::string_view v) override { param(i) = std::string(v); }
  void bind_null(int i) override { param(i).reset(); }

  bool step() override {
    if (!result_) execute();
    ++row_;
    return row_ < static_cast<long>(result_->size());
  }
  void reset() override {
    result_.reset();
    row_ = -1;
    params_.clear();
  }
  int column_count() const override {
    return result_ ? static_cast<int>(result_->columns()) : 0;
  }
  ColumnType type(int col) const override {
    const auto f = field(col);
    if (f.is_null()) return ColumnType::null;
    switch (static_cast<unsigned>(result_->column_type(static_cast<pqxx::row::size_type>(col)))) {
      case kBool:
      case kInt2:
      case kInt4:
      case kInt8:
      case kOid:
        return ColumnType::integer;
      case kFloat4:
      case kFloat8:
      case kNumeric:
        return ColumnType::real;
      case kBytea:
        return ColumnType::blob;
      default:
        return ColumnType::text;
    }
  }
  std::int64_t i64(int col) const override {
    const auto f = field(col);
    if (f.is_null()) return 0;
    const std::string_view v(f.c_str(), f.size());
    if (v == "t") return 1;
    if (v == "f") return 0;
    std::int64_t n = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (r.ec == std::errc() && r.ptr == v.data() + v.size()) return n;
    return static_cast<std::int64_t>(std::strtod(f.c_str(), nullptr));  // numeric "12.0", as SQLite casts
  }
  double f64(int col) const override {
    const auto f = field(col);
    if (f.is_null()) return 0;
    const std::string_view v(f.c_str(), f.size());
    if (v == "t") return 1;
    if (v == "f") return 0;
    return std::strtod(f.c_str(), nullptr);
  }
  std::string_view view(int col) const override {
    const auto f = field(col);
    if (f.is_null()) return {};
    return std::string_view(f.c_str(), f.size());
  }

 private:
  std::optional<std::string>& param(int i) {
    if (i < 1) throw PgError(DbFault::other, "", "bind: parameter " + std::to_string(i) + " out of range");
    if (static_cast<std::size_t>(i) > params_.size()) params_.resize(static_cast<std::size_t>(i));
    return params_[static_cast<std::size_t>(i) - 1];
  }
  pqxx::field field(int col) const {
    if (!result_ || row_ < 0 || row_ >= static_cast<long>(result_->size()))
      throw PgError(DbFault::other, "", "read: no current row");
    return (*result_)[static_cast<pqxx::result::size_type>(row_)][static_cast<pqxx::row::size_type>(col)];
  }
  void execute() {
    std::vector<const char*> values;
    values.reserve(sql_.params.size());
    for (const int i : sql_.params) {
      const auto k = static_cast<std::size_t>(i) - 1;
      values.push_back(k < params_.size() && params_[k] ? params_[k]->c_str() : nullptr);  // unbound: NULL
    }
    try {
      result_ = db_.conn().tx.exec_params(sql_.text, pqxx::prepare::make_dynamic_params(values));
    } catch (...) {
      db_.rethrow("step");
    }
    db_.set_changes(static_cast<int>(result_->affected_rows()));
    row_ = -1;
  }

  PgDb& db_;
  PgSql sql_;
  std::vector<std::optional<std::string>> params_;
  std::optional<pqxx::result> result_;
  long row_ = -1;
};

}  // namespace

void PgDb::rethrow(std::string_view context) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw PgError(DbFault::io, "", std::string(context) + ": the database connection is lost: " + e.what());
  } catch (const pqxx::sql_error& e) {
    throw PgError(fault_of_state(e.sqlstate()), e.sqlstate(), std::string(context) + ": " + e.what());
  } catch (const DbError&) {
    throw;
  } catch (const pqxx::failure& e) {
    throw PgError(DbFault::io, "", std::string(context) + ": " + e.what());
  }
}

PgDb::PgDb(const std::string& dsn, bool read_only) {
  try {
    conn_ = std::make_unique<Conn>(dsn);
    auto& tx = conn_->tx;
    // Durability as on SQLite with synchronous=FULL: a COMMIT returns once its WAL is flushed
    // (on the standbys too when the server is set up for synchronous replication).
    tx.exec("SET synchronous_commit = on");
    tx.exec("SET client_min_messages = warning");
    if (read_only) tx.exec("SET default_transaction_read_only = on");
  } catch (...) {
    rethrow("connect");
  }
}

PgDb::~PgDb() {
  drop_cache();
  conn_.reset();
}

void PgDb::exec(std::string_view sql) {
  try {
    const auto r = conn_->tx.exec(pg_dialect(sql));
    changes_ = static_cast<int>(r.affected_rows());
  } catch (...) {
    rethrow("exec");
  }
}

Stmt PgDb::prepare(std::string_view sql) { return Stmt(std::make_unique<PgStmt>(*this, pg_statement(sql))); }

std::unique_ptr<StmtImpl> PgDb::prepare_kept(const std::string& sql) {
  return std::make_unique<PgStmt>(*this, pg_statement(sql));
}

std::int64_t PgDb::last_insert_rowid() {
  auto st = cached("SELECT lastval()");
  if (!st.step()) throw PgError(DbFault::other, "", "lastval: no row");
  return st.i64(0);
}

void PgDb::begin_write() {
  exec("BEGIN");
  try {
    exec("SELECT pg_advisory_xact_lock(" + std::to_string(kWriterLock) + ")");
  } catch (...) {
    // The lock wait ran out (lock_timeout: another instance holds it and hangs): the
    // transaction is aborted, and the connection must leave it for the next batch.
    try {
      exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

bool PgDb::try_session_lock(long long key) {
  auto st = prepare("SELECT pg_try_advisory_lock(" + std::to_string(key) + ")");
  return st.step() && st.i64(0) == 1;
}

bool PgDb::alive() {
  try {
    exec("SELECT 1");
    return true;
  } catch (const DbError&) {
    return false;
  }
}

Result<std::string> dsn_with_password(const std::string& dsn, const std::string& password_file) {
  if (password_file.empty()) return dsn;
  if (dsn.rfind("postgres://", 0) == 0 || dsn.rfind("postgresql://", 0) == 0)
    return Error::of(Errc::invalid, "with password_file, give the dsn in key=value form (host=... dbname=...)");
  std::ifstream in(password_file);
  if (!in) return Error::of(Errc::unavailable, "cannot read the password file " + password_file);
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) return Error::of(Errc::invalid, "the password file " + password_file + " is empty");
  // A libpq key=value string: the value single-quoted, \ and ' escaped.
  std::string quoted = "'";
  for (char c : password) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  quoted += '\'';
  return dsn + " password=" + quoted;
}

}  // namespace pvmon::store
