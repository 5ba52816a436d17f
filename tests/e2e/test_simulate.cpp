// End-to-end: pvmon simulate plays a synthetic trial against the real daemon; the webhook
// receiver is down for the whole run, then comes up and gets everything.
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <thread>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

struct Sim {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  fs::path config, tokens;
  std::unique_ptr<Daemon> d;
  Sim() {
    tokens = tmp.path / "tokens";
    write_text(tokens, "# sites and the officer\nS01 demo-site-s01\nS02 demo-site-s02\nofficer demo-officer\n");
    config = write_config(tmp.path, [&](json& c) { c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())}); });
    d = std::make_unique<Daemon>(config, tmp.path / "data");
    d->start();
  }
  std::pair<int, std::string> simulate(const std::string& extra) {
    return run_command(std::string(PVMON_PATH) + " simulate --url http://" + d->host() + ":" +
                       std::to_string(d->port()) + " --token-file " + tokens.string() + " " + extra + " 2>&1");
  }
  /// Every AE record, through the API, as (report_id -> record).
  std::map<std::string, json> reports() { return reports_by_id(*d); }
  int sql_count(const std::string& q) {
    auto [rc, out] = d->sql(q);
    REQUIRE(rc == 0);
    return std::stoi(out);
  }
};

int number_after(const std::string& text, const std::string& pattern) {
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(text, m, std::regex(pattern)), text);
  return std::stoi(m[1].str());
}

}  // namespace

TEST_CASE("pvmon simulate plays a trial through the API; the same seed gives the same trial") {
  Sim a;
  auto [rc, out] = a.simulate("--subjects 12 --seed 7 --dsmb");
  INFO(out);
  REQUIRE(rc == 0);
  const int planned = number_after(out, R"((\d+) AE reports \()");
  const int requests = number_after(out, R"(posted (\d+) of)");
  CHECK(out.find("posted " + std::to_string(requests) + " of " + std::to_string(requests) + " requests\n") !=
        std::string::npos);
  CHECK(out.find("DSMB report 1 built") != std::string::npos);

  const auto got = a.reports();
  CHECK(static_cast<int>(got.size()) == planned);
  int versions = 0, serious = 0;
  for (const auto& [id, rec] : got) {
    versions += rec["version"].get<int>() > 1;
    serious += rec["safety"]["serious"].get<bool>();
  }
  CHECK(versions > 0);  // follow-ups landed
  CHECK(serious > 0);
  // Events landed too: subjects have surgeries, and the 30-day mortality is computed over them.
  auto c = a.d->client();
  auto safety = c.Get((std::string(kStudy) + "/safety").c_str(), bearer("demo-officer"));
  REQUIRE(safety);
  REQUIRE(safety->status == 200);
  CHECK(a.sql_count("SELECT count(*) FROM subject_events WHERE kind = 'surgery'") > 0);
  // The efficacy events landed: every subject's response assessed (all are operated or have
  // progressed by now), a pathology report for each surgery, dated on it.
  CHECK(a.sql_count("SELECT count(DISTINCT subject_id) FROM subject_events WHERE kind = 'response_assessment'") == 12);
  CHECK(a.sql_count("SELECT count(*) FROM subject_events WHERE kind = 'pathology'") ==
        a.sql_count("SELECT count(*) FROM subject_events WHERE kind = 'surgery'"));
  CHECK(a.sql_count("SELECT count(*) FROM subject_events p JOIN subject_events s ON s.subject_id = p.subject_id "
                    "AND s.kind = 'surgery' WHERE p.kind = 'pathology' AND p.date = s.date") ==
        a.sql_count("SELECT count(*) FROM subject_events WHERE kind = 'pathology'"));
  {
    auto r = c.Get((std::string(kStudy) + "/subjects/S01-0101").c_str(), bearer("demo-officer"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const json subject = json::parse(r->body);
    std::set<std::string> kinds;
    for (const auto& e : subject["events"]) kinds.insert(e["kind"].get<std::string>());
    CHECK(kinds.count("response_assessment"));
    CHECK(kinds.count("pathology"));
  }
  // Follow-up visits landed, as many as the plan printed (issue 17: survivors are seen every 3
  // months, so that overall survival censors them rather than falling to 0).
  const int contacts = number_after(out, R"(\((\d+) follow-up contacts\))");
  CHECK(contacts > 12 * 2);
  CHECK(a.sql_count("SELECT count(*) FROM subject_events WHERE kind = 'last_known_alive'") == contacts);
  const int alerts = a.sql_count("SELECT count(*) FROM alerts");
  CHECK(alerts > 0);
  CHECK(out.find("alerts: " + std::to_string(alerts)) != std::string::npos);

  // The receiver was down for the whole run. It comes up now: every message is delivered,
  // each webhook-id at least once.
  const int messages = a.sql_count("SELECT count(*) FROM outbox");
  CHECK(messages >= alerts);  // every alert, and the DSMB report
  CHECK(a.sql_count("SELECT count(*) FROM outbox WHERE state = 'delivered'") == 0);
  a.rx.start();
  REQUIRE(a.rx.wait_for(
      [&](const std::vector<Delivery>& got) {
        std::set<std::string> ids;
        for (const auto& g : got) ids.insert(g.id);
        return static_cast<int>(ids.size()) == messages;
      },
      120));
  std::set<std::string> ids;
  for (const auto& g : a.rx.got()) {
    CHECK(g.signature == expected_signature(g.id, g.timestamp, g.body));
    ids.insert(g.id);
  }
  CHECK(static_cast<int>(ids.size()) == messages);
  // The dispatcher records a delivery after the receiver has answered it, so the last one may
  // still be on its way to the database: a bounded poll, not a race.
  int delivered = 0;
  for (int i = 0; i < 300; ++i) {
    delivered = a.sql_count("SELECT count(*) FROM outbox WHERE state = 'delivered'");
    if (delivered == messages) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(delivered == messages);

  // Deterministic: a second daemon gets the same trial from the same seed.
  Sim b;
  auto [rc2, out2] = b.simulate("--subjects 12 --seed 7 --quiet");
  REQUIRE(rc2 == 0);
  const auto again = b.reports();
  REQUIRE(again.size() == got.size());
  for (const auto& [id, rec] : got) {
    CAPTURE(id);
    const json& other = again.at(id);
    for (const char* k : {"subject", "term", "grade", "onset", "resolved", "serious", "causality", "outcome", "version"})
      CHECK(rec[k] == other[k]);
  }
}

TEST_CASE("pvmon simulate refuses bad arguments with a message and exit 2") {
  TempDir tmp;
  write_text(tmp.path / "officer-only", "officer demo-officer\n");
  write_text(tmp.path / "bad", "S01\n");
  const std::string pvmon = std::string(PVMON_PATH) + " simulate ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--token-file " + (tmp.path / "officer-only").string() + " --url http://127.0.0.1:1", "names no site"},
      {"--token-file " + (tmp.path / "bad").string() + " --url http://127.0.0.1:1", "expected 'NAME TOKEN'"},
      {"--token-file " + (tmp.path / "none").string() + " --url http://127.0.0.1:1", "cannot read"},
      {"--url http://127.0.0.1:1", "--token-file is required"},
      {"--token-file x --url ftp://h", "--url must start with http"},
      {"--token-file x --url http://h --speed fast", "--speed must be like 1000x"},
      {"--token-file x --url http://h --subjects 0", "--subjects must be an integer"},
      {"--token-file x --url http://h --frobnicate 1", "unknown option --frobnicate"},
  };
  for (const auto& [args, says] : cases) {
    CAPTURE(args);
    auto [rc, out] = run_command(pvmon + args + " 2>&1");
    CHECK(rc == 2);
    CHECK_MESSAGE(out.find(says) != std::string::npos, out);
  }
}
