// pvmon: the command line for offline and administrative work. argv in, exit code out; each
// subcommand lives in its own *_cmd.cpp.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: pvmon <command> [args]\n"
    "  token hash [TOKEN]     print the SHA-256 to put in token_sha256 (reads stdin if no TOKEN)\n"
    "  token new              make a random token and print it with its hash\n"
    "  term search TEXT       rank CTCAE v5.0 terms matching TEXT\n"
    "  term show CODE         print one CTCAE term (MedDRA code) with its grades\n"
    "  grade --term T --value V --unit U [--uln X] [--lln X] [--baseline X --baseline-abnormal]\n"
    "        [--systolic S --diastolic D]\n"
    "                         grade a lab value by CTCAE v5.0 and print the deciding criterion\n"
    "  boundary --n-max N --p-lo P --p-hi P --alpha A [--shape D]\n"
    "  boundary --bayes --prior A,B --p0 P --cutoff C --n-max N\n"
    "                         print a stopping boundary and its operating characteristics\n"
    "  audit verify --db FILE walk the audit hash chain; print its head, or the first broken row\n"
    "  audit verify --dsn DSN [--password-file FILE]\n"
    "                         the same on PostgreSQL (password also from PGPASSWORD or ~/.pgpass)\n"
    "  backup --db FILE --to FILE\n"
    "                         online copy with SQLite's backup API (safe while pvmond runs)\n"
    "  restore --from FILE --db FILE [--force]\n"
    "                         check a backup (schema, audit chain) and put it in place\n"
    "  migrate --from-sqlite FILE --to-dsn DSN [--password-file FILE]\n"
    "                         copy a SQLite database into an empty PostgreSQL one and verify it\n"
    "  report --db FILE --study ID --cutoff DATE [--as-of DATETIME] [--format json|csv|html] [--table NAME]\n"
    "                         build a DSMB report offline from a database copy (--dsn DSN: PostgreSQL)\n"
    "  icsr --db FILE --study ID --report ID [--version N] [--format xml|cioms]\n"
    "                         an AE report's ICH E2B(R3) ICSR (or CIOMS I form) from a database copy\n"
    "  export sdtm --db FILE --study ID [--domain ae|dm] [--format csv|xpt] [--cutoff DATE]\n"
    "              [--as-of DATETIME]\n"
    "                         a CDISC SDTM domain as CSV or SAS transport (XPT v5)\n"
    "  simulate --url URL --token-file FILE [--subjects N] [--seed S] [--speed Nx] [--dsmb]\n"
    "  simulate --scale --url URL --token-file FILE [--reports N] [--connections C]\n"
    "                         play a synthetic trial against a running pvmond (--help: details)\n"
    "  webhooks list --url URL --token-file FILE [--json]\n"
    "  webhooks enable NAME --url URL --token-file FILE [--comment TEXT]\n"
    "                         webhook endpoints of a running pvmond: state, pending, last attempt;\n"
    "                         re-enable one a 410 disabled (audited)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  for (const auto& c : pvmon::cli::commands())
    if (cmd == c.name) return c.run(args, std::cin, std::cout, std::cerr);
  std::cerr << "pvmon: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
