// pvmon simulate: plays a synthetic trial (pvmon::sim) against a running pvmond through its
// public HTTP API, as the trial's sites would.
#include "simulate_cmd.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "pvmon/sim.hpp"
#include "pvmon/time.hpp"

namespace pvmon::cli {

using nlohmann::json;

namespace {

constexpr const char* kSimulateHelp =
    "usage: pvmon simulate --url URL --token-file FILE [--study ID] [--subjects N] [--seed S]\n"
    "                      [--speed Nx|max] [--dsmb] [--quiet]\n"
    "       pvmon simulate --scale --url URL --token-file FILE [--subjects 1000] [--reports 1000000]\n"
    "                      [--connections 8] [--seed S]\n"
    "Plays a synthetic trial (enrolment, IMRT, camrelizumab and apatinib, hepatectomy, follow-up,\n"
    "AE reports and follow-ups, laboratory panels on the visit schedule) against a running pvmond\n"
    "through its HTTP API. The same seed gives the same trial. --speed 86400x plays a trial day\n"
    "per second (default: as fast as possible).\n"
    "FILE has one 'NAME TOKEN' per line: a site id (S01) for each site that posts, and optionally\n"
    "'officer TOKEN' to list the alerts at the end and, with --dsmb, build a DSMB report.\n"
    "--scale posts a large study (default 1,000 subjects, 1,000,000 AE reports) over several\n"
    "connections, for benchmarks.\n";

struct SimArgs {
  std::string url, token_file, study = "hcc-pvtt-imrt";
  int subjects = -1;
  std::int64_t reports = 1'000'000;
  std::uint64_t seed = 7;
  double speed = 0;  // 0: as fast as possible
  int connections = 8;
  bool scale = false, dsmb = false, quiet = false;
};

std::optional<std::string> parse(const std::vector<std::string>& a, SimArgs& out) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string& k = a[i];
    if (k == "--scale") { out.scale = true; continue; }
    if (k == "--dsmb") { out.dsmb = true; continue; }
    if (k == "--quiet") { out.quiet = true; continue; }
    if (i + 1 >= a.size()) return k + " needs a value";
    const std::string& v = a[++i];
    if (k == "--url") out.url = v;
    else if (k == "--token-file") out.token_file = v;
    else if (k == "--study") out.study = v;
    else if (k == "--subjects") {
      auto n = parse_integer(v, 1, 100000);
      if (!n) return "--subjects must be an integer from 1 to 100000";
      out.subjects = static_cast<int>(*n);
    } else if (k == "--reports") {
      auto n = parse_integer(v, 1, 100'000'000);
      if (!n) return "--reports must be an integer from 1 to 100000000";
      out.reports = *n;
    } else if (k == "--seed") {
      auto n = parse_integer(v, 0, INT64_MAX);
      if (!n) return "--seed must be a non-negative integer";
      out.seed = static_cast<std::uint64_t>(*n);
    } else if (k == "--connections") {
      auto n = parse_integer(v, 1, 64);
      if (!n) return "--connections must be an integer from 1 to 64";
      out.connections = static_cast<int>(*n);
    } else if (k == "--speed") {
      if (v == "max") {
        out.speed = 0;
      } else {
        std::string x = v;
        if (!x.empty() && (x.back() == 'x' || x.back() == 'X')) x.pop_back();
        auto n = parse_integer(x, 1, 1'000'000'000'000LL);
        if (!n) return "--speed must be like 1000x (trial time runs 1000 times real time) or max";
        out.speed = static_cast<double>(*n);
      }
    } else {
      return "unknown option " + k;
    }
  }
  if (out.url.empty()) return "--url is required";
  if (out.token_file.empty()) return "--token-file is required";
  if (out.url.rfind("http://", 0) != 0 && out.url.rfind("https://", 0) != 0)
    return "--url must start with http:// or https://";
  while (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  return std::nullopt;
}

/// NAME TOKEN lines; '#' starts a comment.
std::optional<std::string> read_tokens(const std::string& file, std::map<std::string, std::string>& out) {
  std::ifstream in(file);
  if (!in) return "cannot read " + file;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line = line.substr(0, h);
    std::istringstream ss(line);
    std::string name, token, extra;
    if (!(ss >> name)) continue;
    if (!(ss >> token) || (ss >> extra))
      return file + ":" + std::to_string(n) + ": expected 'NAME TOKEN'";
    out[name] = token;
  }
  if (out.empty()) return file + ": no tokens";
  return std::nullopt;
}

/// One client per thread; retries what a restarting or busy daemon answers (connection refused,
/// 429, 503) with a growing pause, up to about a minute.
struct Poster {
  std::string url;
  std::unique_ptr<httplib::Client> c;
  explicit Poster(const std::string& u) : url(u), c(std::make_unique<httplib::Client>(u)) {
    c->set_connection_timeout(5);
    c->set_read_timeout(60);
    c->set_write_timeout(60);
  }
  httplib::Result send(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body) {
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    for (int attempt = 0;; ++attempt) {
      httplib::Result r = method == "GET" ? c->Get(path, h) : c->Post(path, h, body, "application/json");
      const bool retry = !r || r->status == 429 || r->status == 503;
      if (!retry || attempt >= 12) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(attempt, 7)));
    }
  }
};

int run_scale(const SimArgs& a, const std::map<std::string, std::string>& tokens,
              const std::vector<std::string>& sites, std::ostream& out, std::ostream& err) {
  sim::ScaleOptions o;
  o.subjects = a.subjects > 0 ? a.subjects : 1000;
  o.reports = a.reports;
  o.seed = a.seed;
  o.today = SystemClock().now().date();
  o.sites = sites;
  const std::string base = "/v1/studies/" + a.study;
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> next{0}, done{0}, failed{0};
  std::mutex err_mu;
  auto worker = [&](bool enrol) {
    Poster p(a.url);
    const std::int64_t total = enrol ? o.subjects : o.reports;
    for (std::int64_t i; (i = next.fetch_add(1)) < total;) {
      const sim::Step s = enrol ? sim::scale_enrolment(o, static_cast<int>(i)) : sim::scale_report(o, i);
      json body = s.body;
      if (!enrol) body["site_aware_at"] = format_timestamp(SystemClock().now().plus_hours(-s.aware_delay_hours));
      auto r = p.send("POST", base + (enrol ? "/subjects" : "/ae"), tokens.at(s.site), body.dump());
      if (!r || (r->status != 200 && r->status != 201)) {
        if (failed.fetch_add(1) < 5) {
          std::lock_guard lock(err_mu);
          err << "pvmon simulate: " << (enrol ? "subject " + s.subject : "report " + s.report_id) << ": "
              << describe_answer(r) << "\n";
        }
        continue;
      }
      const auto d = done.fetch_add(1) + 1;
      if (!enrol && !a.quiet && d % std::max<std::int64_t>(1, total / 10) == 0) {
        std::lock_guard lock(err_mu);
        const double s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out << "  " << d << " / " << total << " reports (" << static_cast<long long>(d / s_) << "/s)\n" << std::flush;
      }
    }
  };
  auto run = [&](bool enrol) {
    next = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < a.connections; ++i) ts.emplace_back(worker, enrol);
    for (auto& t : ts) t.join();
  };
  run(true);
  const std::int64_t enrolled = done.exchange(0);
  run(false);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out << "scale: " << enrolled << " subjects, " << done.load() << " AE reports in " << static_cast<long long>(secs)
      << " s (" << static_cast<long long>(static_cast<double>(done.load()) / secs) << " reports/s over "
      << a.connections << " connections); " << failed.load() << " failed\n";
  return failed.load() == 0 ? 0 : 1;
}

}  // namespace

int cmd_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SimArgs a;
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kSimulateHelp;
    return 0;
  }
  if (auto e = parse(args, a)) {
    err << "pvmon simulate: " << *e << "\n" << kSimulateHelp;
    return 2;
  }
  std::map<std::string, std::string> tokens;
  if (auto e = read_tokens(a.token_file, tokens)) {
    err << "pvmon simulate: " << *e << "\n";
    return 2;
  }
  std::vector<std::string> sites;
  for (const auto& [name, token] : tokens)
    if (name != "officer" && name != "dsmb" && name != "admin") sites.push_back(name);
  if (sites.empty()) {
    err << "pvmon simulate: " << a.token_file << " names no site (a line like 'S01 TOKEN')\n";
    return 2;
  }
  if (a.dsmb && !tokens.count("officer")) {
    err << "pvmon simulate: --dsmb needs an 'officer TOKEN' line in " << a.token_file << "\n";
    return 2;
  }
  if (a.scale) return run_scale(a, tokens, sites, out, err);

  sim::Options o;
  o.subjects = a.subjects > 0 ? a.subjects : 40;
  o.seed = a.seed;
  o.today = SystemClock().now().date();
  o.sites = sites;
  const auto steps = sim::plan(o);
  const auto sum = sim::summarise(steps);
  out << "simulating " << sum.subjects << " subjects from " << format_date(steps.front().day) << " to "
      << format_date(o.today) << " (seed " << a.seed << "): " << sum.events << " events (" << sum.contacts
      << " follow-up contacts), " << sum.reports
      << " AE reports (" << sum.serious << " serious, " << sum.late << " late), " << sum.followups
      << " follow-ups, " << sum.surgeries << " surgeries, " << sum.deaths << " deaths ("
      << sum.deaths_30d_post_surgery << " within 30 days of surgery), " << sum.panels << " lab panels ("
      << sum.lab_results << " results)\n";

  Poster p(a.url);
  const std::string base = "/v1/studies/" + a.study;
  std::map<std::string, std::int64_t> ids;  // report_id -> server id
  int failed = 0;
  Date prev = steps.front().day;
  for (const auto& s : steps) {
    if (a.speed > 0 && s.day > prev) {
      const double ms = (s.day.days - prev.days) * 86'400'000.0 / a.speed;
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)));
    }
    prev = s.day;
    std::string path;
    json body = s.body;
    switch (s.kind) {
      case sim::StepKind::enrol: path = base + "/subjects"; break;
      case sim::StepKind::event: path = base + "/subjects/" + s.subject + "/events"; break;
      case sim::StepKind::ae: {
        path = base + "/ae";
        // Awareness is stamped now: the daemon clocks the site's report from it to receipt.
        Timestamp aware = SystemClock().now().plus_hours(-s.aware_delay_hours);
        if (auto onset = parse_date(body.value("onset", "")); onset && aware < start_of(*onset))
          aware = start_of(*onset);
        body["site_aware_at"] = format_timestamp(aware);
        break;
      }
      case sim::StepKind::followup: {
        auto it = ids.find(s.report_id);
        if (it == ids.end()) {
          ++failed;
          err << "pvmon simulate: follow-up of " << s.report_id << " skipped: the report was not stored\n";
          continue;
        }
        path = base + "/ae/" + std::to_string(it->second) + "/followups";
        // A follow-up that makes the report serious says when the site learned it (stamped
        // now, as an initial report's awareness is): its SAE clock runs from then.
        if (body["changes"].contains("serious"))
          body["changes"]["site_aware_at"] = format_timestamp(SystemClock().now().plus_hours(-1));
        break;
      }
      case sim::StepKind::lab: {
        path = base + "/subjects/" + s.subject + "/labs";
        // A panel of today may be planned for later in the day than now: the daemon refuses a
        // collection in the future, so it is collected now (never before the day began).
        const Timestamp now = SystemClock().now().plus_ms(-1000);
        if (auto at = parse_timestamp(body.value("collected_at", "")); at && *at > now)
          body["collected_at"] = format_timestamp(std::max(now, start_of(s.day)));
        break;
      }
    }
    auto r = p.send("POST", path, tokens.at(s.site), body.dump());
    if (!r || (r->status != 200 && r->status != 201)) {
      ++failed;
      err << "pvmon simulate: " << format_date(s.day) << " " << path << ": " << describe_answer(r) << "\n";
      continue;
    }
    if (s.kind == sim::StepKind::ae) {
      const json rec = json::parse(r->body, nullptr, false);
      if (rec.is_object() && rec.contains("id")) ids[s.report_id] = rec["id"].get<std::int64_t>();
      if (!a.quiet && rec.is_object() && rec.contains("safety") && rec["safety"].value("serious", false))
        out << "  " << format_date(s.day) << " " << s.subject << " SAE " << rec.value("term", "") << " grade "
            << rec.value("grade", 0) << (rec["safety"].value("susar", false) ? " (SUSAR)" : "")
            << (s.late ? " (late)" : "") << "\n";
    } else if (!a.quiet && s.kind == sim::StepKind::event && s.body.value("kind", "") == "death") {
      out << "  " << format_date(s.day) << " " << s.subject << " death: " << s.body.value("cause", "") << "\n";
    }
  }
  out << "posted " << steps.size() - static_cast<std::size_t>(failed) << " of " << steps.size() << " requests"
      << (failed ? ", " + std::to_string(failed) + " failed" : "") << "\n";

  if (auto it = tokens.find("officer"); it != tokens.end()) {
    std::map<std::string, int> by_rule;
    int total = 0;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      auto r = p.send("GET", base + "/alerts?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor), it->second, "");
      if (!r || r->status != 200) {
        err << "pvmon simulate: listing alerts: " << describe_answer(r) << "\n";
        break;
      }
      const json j = json::parse(r->body, nullptr, false);
      if (!j.is_object()) break;
      for (const auto& al : j.value("items", json::array())) {
        ++by_rule[al.value("rule", "?")];
        ++total;
      }
      if (!j.contains("next_cursor") || j["next_cursor"].is_null()) break;
      cursor = j["next_cursor"].get<std::string>();
    }
    out << "alerts: " << total;
    for (const auto& [rule, n] : by_rule) out << (rule == by_rule.begin()->first ? " (" : ", ") << rule << " " << n;
    out << (by_rule.empty() ? "" : ")") << "\n";
    if (a.dsmb) {
      auto r = p.send("POST", base + "/dsmb-reports", it->second, "{}");
      if (!r || (r->status != 200 && r->status != 201)) {
        ++failed;
        err << "pvmon simulate: DSMB report: " << describe_answer(r) << "\n";
      } else {
        const json j = json::parse(r->body, nullptr, false);
        out << "DSMB report " << (j.is_object() ? j.value("number", 0) : 0) << " built: " << base << "/dsmb-reports/"
            << (j.is_object() ? std::to_string(j.value("id", 0LL)) : "?") << "\n";
      }
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace pvmon::cli
