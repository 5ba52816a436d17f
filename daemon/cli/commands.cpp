#include "commands.hpp"

#include "audit_cmd.hpp"
#include "boundary_cmd.hpp"
#include "ctcae_cmd.hpp"
#include "icsr_cmd.hpp"
#include "report_cmd.hpp"
#include "simulate_cmd.hpp"
#include "webhooks_cmd.hpp"

namespace pvmon::cli {

namespace {

/// Adapts a command that reads no standard input.
template <int (*F)(const std::vector<std::string>&, std::ostream&, std::ostream&)>
int no_stdin(const Args& a, std::istream&, std::ostream& out, std::ostream& err) {
  return F(a, out, err);
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> kAll = {
      {"token", cmd_token},
      {"term", no_stdin<cmd_term>},
      {"grade", no_stdin<cmd_grade>},
      {"boundary", no_stdin<cmd_boundary>},
      {"audit", no_stdin<cmd_audit>},
      {"backup", no_stdin<cmd_backup>},
      {"restore", no_stdin<cmd_restore>},
      {"migrate", no_stdin<cmd_migrate>},
      {"report", no_stdin<cmd_report>},
      {"export", no_stdin<cmd_export>},
      {"icsr", no_stdin<cmd_icsr>},
      {"simulate", no_stdin<cmd_simulate>},
      {"webhooks", no_stdin<cmd_webhooks>},
  };
  return kAll;
}

}  // namespace pvmon::cli
