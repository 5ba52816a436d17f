// pvmon report: builds a DSMB report offline from a copy of the database, with the study
// protocol stored in it (or --config), exactly as the daemon would: the same (cut-off, as-of)
// pair gives the same bytes as the report the daemon stored, which is how a stored report is
// checked.
#include "report_cmd.hpp"
#include "offline_store.hpp"

#include <fstream>
#include <iostream>

#include "pvmon/config.hpp"
#include "pvmon/service/cutoff.hpp"
#include "pvmon/service/dsmb.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/reports.hpp"
#include "pvmon/store.hpp"

namespace pvmon::cli {

namespace {

constexpr const char* kReportUsage =
    "usage: pvmon report (--db FILE | --dsn DSN [--password-file FILE]) --study ID --cutoff DATE [--as-of DATETIME]\n"
    "                    [--format json|csv|html] [--table NAME] [--config FILE]\n"
    "  Builds the DSMB report for the clinical cut-off DATE (YYYY-MM-DD; of a date-time, its UTC\n"
    "  date), from the data as recorded at --as-of (a date-time with offset; default: the as-of\n"
    "  of the newest stored report for that cut-off, so --cutoff alone checks it, else now), from\n"
    "  a copy of the database, and writes it to standard output; csv without --table is a zip.\n"
    "  The study protocol comes from the database unless --config names a pvmond.json.\n";

/// --cutoff and --as-of (empty: not given) read as the API reads `cutoff` and `as_of`
/// (service::parse_cutoff_input); nullopt, each problem written to `err`, when one is refused.
std::optional<service::CutoffInput> cutoff_args(const char* cmd, const std::string& cutoff_text,
                                                const std::string& as_of_text, std::ostream& err) {
  auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string_view>(s); };
  auto in = service::parse_cutoff_input(opt(cutoff_text), opt(as_of_text));
  if (in) return in.value();
  for (const auto& f : in.error().fields)
    err << "pvmon " << cmd << ": --" << (f.field == "as_of" ? "as-of" : f.field) << " " << f.message << "\n";
  return std::nullopt;
}

}  // namespace

int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string db, dsn, password_file, study, cutoff_text, as_of_text, format = "json", table, config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string* target = a == "--db"              ? &db
                          : a == "--dsn"           ? &dsn
                          : a == "--password-file" ? &password_file
                          : a == "--study"         ? &study
                          : a == "--cutoff" ? &cutoff_text
                          : a == "--as-of"  ? &as_of_text
                          : a == "--format" ? &format
                          : a == "--table"  ? &table
                          : a == "--config" ? &config_path
                                            : nullptr;
    if (!target) {
      err << "pvmon report: unknown argument '" << a << "'\n" << kReportUsage;
      return 2;
    }
    if (i + 1 >= args.size()) {
      err << "pvmon report: " << a << " needs a value\n" << kReportUsage;
      return 2;
    }
    *target = args[++i];
  }
  if (const auto why = database_choice_error(db, dsn); !why.empty()) {
    err << "pvmon report: " << why << "\n" << kReportUsage;
    return 2;
  }
  for (auto [name, v] : {std::pair{"--study", &study}, {"--cutoff", &cutoff_text}})
    if (v->empty()) {
      err << "pvmon report: " << name << " is required\n" << kReportUsage;
      return 2;
    }
  if (format != "json" && format != "csv" && format != "html") {
    err << "pvmon report: --format must be json, csv or html\n";
    return 2;
  }
  const auto args_in = cutoff_args("report", cutoff_text, as_of_text, err);
  if (!args_in) return 2;
  const std::optional<Date> cutoff = args_in->cutoff;
  std::optional<Timestamp> as_of = args_in->as_of;
  SystemClock clock;
  auto opened = open_offline_store("report", db, dsn, password_file, clock, err);
  if (!opened) return 1;
  auto& s = *opened;
  if (!as_of) {
    // The newest stored report for this cut-off is the one to check, by default.
    auto rows = s.list_dsmb_reports(study);
    if (!rows) {
      err << "pvmon report: " << rows.error().message << "\n";
      return 1;
    }
    for (const auto& r : rows.value())
      if (r.cutoff == service::end_of_day(*cutoff)) {
        as_of = r.as_of;
        err << "as-of " << format_timestamp(r.as_of) << ", that of the stored report #" << r.number << "\n";
        break;
      }
  }
  auto at = service::data_cutoff(cutoff, as_of, clock.now());
  if (!at) {
    err << "pvmon report: --" << (at.error().fields.at(0).field == "as_of" ? "as-of" : "cutoff") << " "
        << at.error().fields.at(0).message << "\n";
    return 2;
  }
  config::Config cfg;
  if (!config_path.empty()) {
    auto loaded = config::load(config_path);
    if (!loaded) {
      err << "pvmon report: " << loaded.error().message << "\n";
      return 1;
    }
    cfg = std::move(loaded.value());
  } else {
    // The protocol in force when the report was built: at its as-of.
    auto proto = s.protocol_at(study, at->as_of);
    if (!proto || !proto.value()) {
      err << "pvmon report: no protocol for study '" << study << "' in " << db
          << " (give --config)\n";
      return 1;
    }
    auto parsed = config::parse_study(proto.value()->text, "protocol " + proto.value()->sha256);
    if (!parsed) {
      err << "pvmon report: " << parsed.error().message << "\n";
      return 1;
    }
    cfg.studies[study] = std::move(parsed.value());
  }
  const config::Study* sp = cfg.study(study);
  if (!sp) {
    err << "pvmon report: no study '" << study << "'\n";
    return 1;
  }
  auto rt = service::make_runtime(cfg);
  if (!rt) {
    err << "pvmon report: " << rt.error().message << "\n";
    return 1;
  }
  auto draft = service::build_dsmb_report(*rt.value(), *rt.value()->config->study(study), s, at.value(), "manual");
  if (!draft) {
    err << "pvmon report: " << draft.error().message << "\n";
    return 1;
  }
  s.close();
  const auto& d = draft.value();
  err << "report #" << d.number << " of " << study << ", cut-off " << format_date(d.cutoff.date())
      << ", as-of " << format_timestamp(d.as_of) << ", sha256 " << d.sha256 << "\n";
  if (format == "json") {
    out << d.body;
    return 0;
  }
  const auto model = nlohmann::json::parse(d.body);
  if (format == "html") {
    out << reports::to_html(model, {"offline", format_timestamp(clock.now()), d.sha256});
    return 0;
  }
  auto files = reports::to_csv(model);
  if (!table.empty()) {
    for (const auto& f : files)
      if (f.name == table || f.name == table + ".csv") {
        out << f.text;
        return 0;
      }
    err << "pvmon report: no table '" << table << "'; the tables are:";
    for (const auto& f : files) err << " " << f.name;
    err << "\n";
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> named;
  for (auto& f : files) named.emplace_back(std::move(f.name), std::move(f.text));
  auto zip = service::csv_zip(named, d.cutoff);
  if (!zip) {
    err << "pvmon report: " << zip.error().message << "\n";
    return 1;
  }
  out << zip.value();
  return 0;
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr const char* kExportUsage =
      "usage: pvmon export sdtm (--db FILE | --dsn DSN [--password-file FILE]) --study ID [--domain ae|dm]\n"
      "                         [--format csv|xpt] [--cutoff DATE]\n"
      "                         [--as-of DATETIME]\n"
      "  Writes a CDISC SDTM domain (default AE) to standard output, as CSV (the default) or as a SAS\n"
      "  transport v5 file (xpt, the format FDA takes): what happened by the clinical cut-off\n"
      "  (default: the as-of's date) as recorded at the as-of time (default: now).\n";
  if (args.empty() || args[0] != "sdtm") {
    err << kExportUsage;
    return 2;
  }
  std::string db, dsn, password_file, study, cutoff_text, as_of_text, domain = "ae", format = "csv";
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string* target = args[i] == "--db"              ? &db
                          : args[i] == "--dsn"           ? &dsn
                          : args[i] == "--password-file" ? &password_file
                          : args[i] == "--study"         ? &study
                          : args[i] == "--cutoff" ? &cutoff_text
                          : args[i] == "--as-of"  ? &as_of_text
                          : args[i] == "--domain" ? &domain
                          : args[i] == "--format" ? &format
                                                  : nullptr;
    if (!target || i + 1 >= args.size()) {
      err << "pvmon export: bad argument '" << args[i] << "'\n" << kExportUsage;
      return 2;
    }
    *target = args[++i];
  }
  if (const auto why = database_choice_error(db, dsn); !why.empty()) {
    err << "pvmon export: " << why << "\n" << kExportUsage;
    return 2;
  }
  if (study.empty()) {
    err << "pvmon export: --study is required\n" << kExportUsage;
    return 2;
  }
  if (domain != "ae" && domain != "dm") {
    err << "pvmon export: --domain must be ae or dm\n";
    return 2;
  }
  if (format != "csv" && format != "xpt") {
    err << "pvmon export: --format must be csv or xpt\n";
    return 2;
  }
  SystemClock clock;
  const auto args_in = cutoff_args("export", cutoff_text, as_of_text, err);
  if (!args_in) return 2;
  auto at = service::data_cutoff(args_in->cutoff, args_in->as_of, clock.now());
  if (!at) {
    err << "pvmon export: " << at.error().message;
    for (const auto& f : at.error().fields) err << ": --" << (f.field == "as_of" ? "as-of" : f.field) << " " << f.message;
    err << "\n";
    return 2;
  }
  auto opened = open_offline_store("export", db, dsn, password_file, clock, err);
  if (!opened) {
    return 1;
  }
  const auto which = domain == "dm" ? service::SdtmDomain::dm : service::SdtmDomain::ae;
  const auto as = format == "xpt" ? service::SdtmFormat::xpt : service::SdtmFormat::csv;
  auto body = service::sdtm_export(*opened, study, which, as, at.value());
  opened->close();
  if (!body) {
    err << "pvmon export: " << body.error().message;
    for (const auto& f : body.error().fields) err << "; " << f.field << " " << f.message;
    err << "\n";
    return 1;
  }
  out << body.value();
  return 0;
}

}  // namespace pvmon::cli
