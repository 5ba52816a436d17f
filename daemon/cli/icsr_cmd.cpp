// pvmon icsr: the ICSR the daemon would serve for a report (GET .../ae/{id}/icsr), built
// offline from a copy of the database with the study file stored in it (or --config), and
// validated the same way: an invalid message is an error, never written out.
#include "icsr_cmd.hpp"
#include "offline_store.hpp"

#include <charconv>
#include <fstream>

#include "pvmon/config.hpp"
#include "pvmon/service/icsr.hpp"
#include "pvmon/store.hpp"

namespace pvmon::cli {

namespace {

constexpr const char* kIcsrUsage =
    "usage: pvmon icsr (--db FILE | --dsn DSN [--password-file FILE]) --study ID --report ID\n"
    "                  [--version N] [--attempt N]\n"
    "                  [--format xml|cioms] [--config FILE]\n"
    "  Writes the ICH E2B(R3) ICSR of AE report ID (its server id) to standard output, for its\n"
    "  current version or --version N, validated against the ICH schema (and FDA's checked rules\n"
    "  under the fda profile); --format cioms writes the CIOMS I form (HTML) instead. The study\n"
    "  file comes from the database (the one in force now) unless --config names a pvmond.json.\n";

std::optional<std::int64_t> positive(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 1) return std::nullopt;
  return v;
}

}  // namespace

int cmd_icsr(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string db, dsn, password_file, study, report_text, version_text, attempt_text = "1", format = "xml",
      config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string* target = a == "--db"              ? &db
                          : a == "--dsn"           ? &dsn
                          : a == "--password-file" ? &password_file
                          : a == "--study"         ? &study
                          : a == "--report"  ? &report_text
                          : a == "--version" ? &version_text
                          : a == "--attempt" ? &attempt_text
                          : a == "--format"  ? &format
                          : a == "--config"  ? &config_path
                                             : nullptr;
    if (!target) {
      err << "pvmon icsr: unknown argument '" << a << "'\n" << kIcsrUsage;
      return 2;
    }
    if (i + 1 >= args.size()) {
      err << "pvmon icsr: " << a << " needs a value\n" << kIcsrUsage;
      return 2;
    }
    *target = args[++i];
  }
  if (const auto why = database_choice_error(db, dsn); !why.empty()) {
    err << "pvmon icsr: " << why << "\n" << kIcsrUsage;
    return 2;
  }
  for (auto [name, v] : {std::pair{"--study", &study}, {"--report", &report_text}})
    if (v->empty()) {
      err << "pvmon icsr: " << name << " is required\n" << kIcsrUsage;
      return 2;
    }
  const auto report = positive(report_text);
  const auto version = version_text.empty() ? std::optional<std::int64_t>() : positive(version_text);
  const auto attempt = positive(attempt_text);
  if (!report) {
    err << "pvmon icsr: --report must be a report's server id (a positive integer)\n";
    return 2;
  }
  if (!version_text.empty() && !version) {
    err << "pvmon icsr: --version must be a positive integer\n";
    return 2;
  }
  if (!attempt || *attempt > 99) {
    err << "pvmon icsr: --attempt must be 1 to 99\n";
    return 2;
  }
  if (format != "xml" && format != "cioms") {
    err << "pvmon icsr: --format must be xml or cioms\n";
    return 2;
  }
  SystemClock clock;
  auto opened = open_offline_store("icsr", db, dsn, password_file, clock, err);
  if (!opened) return 1;
  auto& s = *opened;
  config::Config cfg;
  if (!config_path.empty()) {
    auto loaded = config::load(config_path);
    if (!loaded) {
      err << "pvmon icsr: " << loaded.error().message << "\n";
      return 1;
    }
    cfg = std::move(loaded.value());
  } else {
    auto proto = s.protocol_at(study, clock.now());
    if (!proto || !proto.value()) {
      err << "pvmon icsr: no study file for '" << study << "' in " << db << " (give --config)\n";
      return 1;
    }
    auto parsed = config::parse_study(proto.value()->text, "protocol " + proto.value()->sha256);
    if (!parsed) {
      err << "pvmon icsr: " << parsed.error().message << "\n";
      return 1;
    }
    cfg.studies[study] = std::move(parsed.value());
  }
  if (!cfg.study(study)) {
    err << "pvmon icsr: no study '" << study << "'\n";
    return 1;
  }
  auto rt = service::make_runtime(cfg);
  if (!rt) {
    err << "pvmon icsr: " << rt.error().message << "\n";
    return 1;
  }
  const service::Context cx{*rt.value(), s, clock};
  const config::Study& sp = *rt.value()->config->study(study);
  const auto v = version ? std::optional<int>(static_cast<int>(*version)) : std::nullopt;
  if (format == "cioms") {
    auto html = service::cioms_document(cx, sp, *report, v);
    if (!html) {
      err << "pvmon icsr: " << html.error().message << "\n";
      return 1;
    }
    out << html.value();
    return 0;
  }
  auto doc = service::icsr_document(cx, sp, *report, v, static_cast<int>(*attempt));
  if (!doc) {
    err << "pvmon icsr: " << doc.error().message << "\n";
    return 1;
  }
  err << "ICSR " << doc->c.message_id << " (" << icsr::to_string(doc->profile) << " profile), case "
      << doc->c.safety_report_id << " version " << doc->c.version << "\n";
  out << doc->xml;
  return 0;
}

}  // namespace pvmon::cli
