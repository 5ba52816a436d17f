#include "audit_cmd.hpp"

#include <map>
#include <optional>
#include <set>

#include "pvmon/maintenance.hpp"

namespace pvmon::cli {

namespace {

constexpr int kFailed = 1;
constexpr int kUsageError = 2;

/// Parses `--name VALUE` pairs and bare flags; nullopt (with a message) on
/// anything else.
std::optional<std::map<std::string, std::string>>
parse(const std::vector<std::string> &args, std::size_t first,
      const std::set<std::string> &valued, const std::set<std::string> &flags,
      std::ostream &err) {
  std::map<std::string, std::string> opts;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (flags.count(a)) {
      opts[a] = "";
    } else if (valued.count(a)) {
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

void print_error(const char *cmd, const Error &e, std::ostream &err) {
  err << "pvmon " << cmd << ": " << e.message << '\n';
}

} // namespace

int cmd_audit(const std::vector<std::string> &args, std::ostream &out,
              std::ostream &err) {
  constexpr const char *kUsage = "usage: pvmon audit verify --db FILE\n";
  if (args.empty() || args[0] != "verify") {
    err << kUsage;
    return kUsageError;
  }
  auto opts = parse(args, 1, {"--db"}, {}, err);
  if (!opts) {
    err << kUsage;
    return kUsageError;
  }
  auto report = store::verify_audit(opts->at("--db"));
  if (!report) {
    print_error("audit verify", report.error(), err);
    return kFailed;
  }
  if (const auto &b = report->broken) {
    out << "audit chain BROKEN at seq " << b->seq << ": " << b->problem << '\n'
        << "  expected: " << b->expected << '\n'
        << "  found:    " << b->found << '\n'
        << "rows checked: " << report->rows << '\n'
        << "last good hash: " << report->head_hash << '\n';
    return kFailed;
  }
  out << "audit chain intact\n"
      << "rows checked: " << report->rows << '\n'
      << "head hash: " << report->head_hash << '\n';
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
      "usage: pvmon restore --from FILE --db FILE [--force]\n";
  auto opts = parse(args, 0, {"--from", "--db"}, {"--force"}, err);
  if (!opts) {
    err << kUsage;
    return kUsageError;
  }
  auto done = store::restore(opts->at("--from"), opts->at("--db"),
                             opts->count("--force") > 0);
  if (!done) {
    print_error("restore", done.error(), err);
    return kFailed;
  }
  out << "restored " << opts->at("--from") << " to " << opts->at("--db")
      << '\n';
  return 0;
}

} // namespace pvmon::cli
