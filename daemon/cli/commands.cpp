#include "commands.hpp"

#include "audit_cmd.hpp"
#include "boundary_cmd.hpp"
#include "ctcae_cmd.hpp"
#include "icsr_cmd.hpp"
#include "report_cmd.hpp"
#include "simulate_cmd.hpp"
#include "webhooks_cmd.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace pvmon::cli {

namespace {

/// Adapts a command that reads no standard input.
template <int (*F)(const std::vector<std::string>&, std::ostream&, std::ostream&)>
int no_stdin(const Args& a, std::istream&, std::ostream& out, std::ostream& err) {
  return F(a, out, err);
}

}  // namespace

std::string describe_answer(const httplib::Result& r) {
  using nlohmann::json;
  if (!r) return "no answer (" + httplib::to_string(r.error()) + ")";
  // The daemon's errors are problem details (RFC 9457) with each field and its
  // reason.
  auto body = json::parse(r->body, nullptr, false);
  std::string text = std::to_string(r->status);
  if (body.is_object() && body.contains("detail")) {
    text += " " + body.value("detail", std::string());
    for (const auto& f : body.value("errors", json::array()))
      if (f.is_object())
        text += "; " + f.value("field", std::string()) + ": " + f.value("message", std::string());
    return text;
  }
  return text + " " + r->body.substr(0, 400);
}

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
