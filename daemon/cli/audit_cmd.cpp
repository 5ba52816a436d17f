#include "audit_cmd.hpp"
#include "commands.hpp"

#include <map>
#include <optional>
#include <set>
#include <cstdint>

#include "pvmon/maintenance.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace pvmon::cli {

namespace {

constexpr int kFailed = 1;

/// Parses `--name VALUE` pairs and bare flags; nullopt (with a message) on
/// anything else.
std::optional<std::map<std::string, std::string>>
parse(const std::vector<std::string> &args, std::size_t first,
      const std::set<std::string> &valued, const std::set<std::string> &flags,
      std::ostream &err, const std::set<std::string> &optional = {}) {
  std::map<std::string, std::string> opts;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (flags.count(a)) {
      opts[a] = "";
    } else if (valued.count(a) || optional.count(a)) {
      if (i + 1 >= args.size()) {
        err << a << " needs a value\n";
        return std::nullopt;
      }
      opts[a] = args[++i];
    } else {
      err << "unknown argument '" << a << "'\n";
      return std::nullopt;
    }
  }
  for (const auto &v : valued) {
    if (!opts.count(v)) {
      err << v << " is required\n";
      return std::nullopt;
    }
  }
  return opts;
}

/// `--db FILE` or `--dsn DSN [--password-file FILE]` (exactly one) into `v.dsn` and the path:
/// the database a verification or acceptance reads. The password may also come from libpq's
/// own PGPASSWORD or ~/.pgpass; it is never printed.
bool database_option(const std::map<std::string, std::string> &opts, store::VerifyOptions &v, std::string &path,
                     std::ostream &err) {
  const bool db = opts.count("--db") > 0, dsn = opts.count("--dsn") > 0;
  if (db == dsn) {
    err << "pvmon audit: give --db FILE (SQLite) or --dsn DSN (PostgreSQL), one of them\n";
    return false;
  }
  if (db) {
    path = opts.at("--db");
    return true;
  }
  auto full = store::dsn_with_password(opts.at("--dsn"), opts.count("--password-file") ? opts.at("--password-file") : "");
  if (!full) {
    err << "pvmon audit: --password-file: " << full.error().message << '\n';
    return false;
  }
  v.dsn = *full;
  return true;
}

bool opts_has(const std::map<std::string, std::string> &opts, const char *k) {
  return opts.count(k) > 0;
}

void print_error(const char *cmd, const Error &e, std::ostream &err) {
  err << "pvmon " << cmd << ": " << e.message << '\n';
}

} // namespace

namespace {

/// `--checkpoints FILE [--key FILE]` into verification options; false (with a message) when
/// a file cannot be read.
bool checkpoint_options(const std::map<std::string, std::string> &opts,
                        store::VerifyOptions &v, std::ostream &err) {
  if (opts.count("--key")) {
    auto key = store::read_checkpoint_key(opts.at("--key"));
    if (!key) {
      err << "pvmon audit: " << key.error().message << '\n';
      return false;
    }
    v.key = *key;
  }
  if (opts.count("--checkpoints")) {
    auto file = store::read_checkpoints(opts.at("--checkpoints"));
    if (!file) {
      err << "pvmon audit: " << file.error().message << '\n';
      return false;
    }
    v.checkpoints = std::move(*file);
  }
  return true;
}

int audit_verify(const std::map<std::string, std::string> &opts,
                 std::ostream &out, std::ostream &err) {
  store::VerifyOptions v;
  std::string path;
  if (!database_option(opts, v, path, err) || !checkpoint_options(opts, v, err))
    return kFailed;
  auto report = store::verify_audit(path, v);
  if (!report) {
    print_error("audit verify", report.error(), err);
    return kFailed;
  }
  const auto &r = *report;
  const auto summary = [&] {
    out << "rows checked: " << r.rows << '\n'
        << "entities checked: " << r.entities << '\n'
        << "checkpoints checked: " << r.checkpoints
        << (r.checkpoints && !v.key ? " (signatures not checked: no --key)" : "")
        << '\n'
        << "head: seq " << r.head_seq << " sha256 " << r.head_hash << '\n'
        << "took: chain " << r.chain_seconds << " s, tables " << r.tables_seconds
        << " s\n";
    if (!r.accepted.empty())
      out << "accepted earlier (pvmon audit accept): " << r.accepted.size()
          << " finding(s)\n";
  };
  if (!r.intact()) {
    out << "audit trail BROKEN: " << r.findings.size() << " finding(s)\n";
    const bool all = opts.count("--all") > 0;
    for (std::size_t i = 0; i < r.findings.size() && (all || i == 0); ++i)
      out << "  " << r.findings[i].describe() << '\n';
    if (!all && r.findings.size() > 1)
      out << "  (" << r.findings.size() - 1 << " more: --all lists them)\n";
    summary();
    return kFailed;
  }
  out << "audit trail intact: the chain holds"
      << (opts_has(opts, "--checkpoints") ? ", every checkpoint is in it" : "")
      << " and every audited row matches its latest entry\n";
  summary();
  return 0;
}

int audit_accept(const std::map<std::string, std::string> &opts,
                 std::ostream &out, std::ostream &err) {
  if (opts.count("--checkpoints") != opts.count("--key")) {
    err << "pvmon audit accept: --checkpoints and --key go together (the "
           "acceptance is followed by a signed checkpoint)\n";
    return kUsageError;
  }
  if (opts.at("--reason").size() < 10) {
    err << "pvmon audit accept: --reason must say what was found and why it "
           "is accepted (10 characters at least)\n";
    return kUsageError;
  }
  store::VerifyOptions v;
  v.max_findings = SIZE_MAX;
  std::string path;
  if (!database_option(opts, v, path, err) || !checkpoint_options(opts, v, err))
    return kFailed;
  auto done = store::accept_audit(path, v, opts.at("--by"),
                                  opts.at("--reason"));
  if (!done) {
    print_error("audit accept", done.error(), err);
    return kFailed;
  }
  if (done->accepted.empty()) {
    out << "nothing to accept: the audit trail verifies\n";
    return 0;
  }
  out << "accepted " << done->accepted.size() << " finding(s) as "
      << opts.at("--by") << ":\n";
  for (const auto &f : done->accepted)
    out << "  " << f.describe() << '\n';
  out << "head: seq " << done->head_seq << " sha256 " << done->head_hash
      << '\n';
  if (opts.count("--checkpoints")) {
    store::AuditCheckpoint c{done->head_seq, done->head_hash,
                             format_timestamp(SystemClock().now()), "accept",
                             "", ""};
    c.mac = store::checkpoint_mac(*v.key, c);
    if (auto st = store::append_checkpoint(opts.at("--checkpoints"), c); !st) {
      print_error("audit accept", st.error(), err);
      return kFailed;
    }
    out << "checkpoint written to " << opts.at("--checkpoints") << '\n';
  }
  out << "send pvmond SIGHUP (or restart it): it verifies again and takes "
         "writes when the trail holds\n";
  return 0;
}

} // namespace

int cmd_audit(const std::vector<std::string> &args, std::ostream &out,
              std::ostream &err) {
  constexpr const char *kUsage =
      "usage: pvmon audit verify (--db FILE | --dsn DSN [--password-file FILE]) "
      "[--checkpoints FILE [--key FILE]] [--all]\n"
      "       pvmon audit accept (--db FILE | --dsn DSN [--password-file FILE]) --by NAME --reason TEXT "
      "[--checkpoints FILE --key FILE]\n";
  if (args.empty() || (args[0] != "verify" && args[0] != "accept")) {
    err << kUsage;
    return kUsageError;
  }
  const bool verify = args[0] == "verify";
  auto opts = verify ? parse(args, 1, {}, {"--all"}, err,
                             {"--db", "--dsn", "--password-file", "--checkpoints", "--key"})
                     : parse(args, 1, {"--by", "--reason"}, {}, err,
                             {"--db", "--dsn", "--password-file", "--checkpoints", "--key"});
  if (!opts || opts->count("--db") == opts->count("--dsn")) {
    if (opts) err << "pvmon audit: give --db FILE (SQLite) or --dsn DSN (PostgreSQL), one of them\n";
    err << kUsage;
    return kUsageError;
  }
  return verify ? audit_verify(*opts, out, err) : audit_accept(*opts, out, err);
}

int cmd_migrate(const std::vector<std::string> &args, std::ostream &out, std::ostream &err) {
  constexpr const char *kUsage =
      "usage: pvmon migrate --from-sqlite FILE --to-dsn DSN [--password-file FILE]\n"
      "  Copies a pvmon SQLite database (stop pvmond first) into an empty PostgreSQL database,\n"
      "  audit chain included, and verifies it there. The password: --password-file, or libpq's\n"
      "  PGPASSWORD or ~/.pgpass.\n";
  auto opts = parse(args, 0, {"--from-sqlite", "--to-dsn"}, {}, err, {"--password-file"});
  if (!opts) {
    err << kUsage;
    return kUsageError;
  }
  auto dsn = store::dsn_with_password(opts->at("--to-dsn"),
                                      opts->count("--password-file") ? opts->at("--password-file") : "");
  if (!dsn) {
    print_error("migrate", dsn.error(), err);
    return kFailed;
  }
  auto done = store::migrate_sqlite_to_pg(opts->at("--from-sqlite"), *dsn);
  if (!done) {
    print_error("migrate", done.error(), err);
    return kFailed;
  }
  for (const auto &[table, rows] : done->tables) out << table << ": " << rows << " rows\n";
  const auto &a = done->audit;
  if (!a.intact()) {
    err << "pvmon migrate: copied, but the audit trail does not verify on PostgreSQL (" << a.findings.size()
        << " finding(s)); run pvmon audit verify --dsn for them\n";
    return kFailed;
  }
  out << "audit trail intact on PostgreSQL: " << a.rows << " rows, " << a.entities << " entities, head seq "
      << a.head_seq << " sha256 " << a.head_hash << " (the file's)\n";
  return 0;
}

int cmd_backup(const std::vector<std::string> &args, std::ostream &out,
               std::ostream &err) {
  constexpr const char *kUsage = "usage: pvmon backup --db FILE --to FILE\n";
  auto opts = parse(args, 0, {"--db", "--to"}, {}, err);
  if (!opts) {
    err << kUsage;
    return kUsageError;
  }
  auto done = store::backup(opts->at("--db"), opts->at("--to"));
  if (!done) {
    print_error("backup", done.error(), err);
    return kFailed;
  }
  out << "backed up " << opts->at("--db") << " to " << opts->at("--to") << '\n';
  return 0;
}

int cmd_restore(const std::vector<std::string> &args, std::ostream &out,
                std::ostream &err) {
  constexpr const char *kUsage =
      "usage: pvmon restore --from FILE --db FILE [--force] [--checkpoints "
      "FILE --key FILE]\n";
  auto opts = parse(args, 0, {"--from", "--db"}, {"--force"}, err,
                    {"--checkpoints", "--key"});
  if (!opts) {
    err << kUsage;
    return kUsageError;
  }
  store::VerifyOptions v;
  if (!checkpoint_options(*opts, v, err))
    return kFailed;
  auto done = store::restore(opts->at("--from"), opts->at("--db"),
                             opts->count("--force") > 0, v);
  if (!done) {
    print_error("restore", done.error(), err);
    return kFailed;
  }
  out << "restored " << opts->at("--from") << " to " << opts->at("--db")
      << '\n';
  return 0;
}

} // namespace pvmon::cli
