#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "pvmon/notify.hpp"

using namespace pvmon;
using namespace pvmon::notify;
using nlohmann::json;

namespace {
Endpoint endpoint(std::vector<std::string> events, std::string min_severity,
                  Endpoint::Format format = Endpoint::Format::standard) {
  Endpoint e;
  e.name = "officers";
  e.url = "http://127.0.0.1:9/hook";
  e.events = std::move(events);
  e.min_severity = std::move(min_severity);
  e.format = format;
  return e;
}

json sae_event() {
  return json::parse(R"({
    "type": "alert.sae",
    "timestamp": "2026-10-03T08:10:00.000Z",
    "data": {"alert_id": 17, "severity": "critical", "title": "Serious adverse event: Alanine aminotransferase increased grade 3",
             "study": "hcc-pvtt-imrt", "subject": "S01-0007", "rule": "sae"}
  })");
}
}  // namespace

TEST_CASE("subscribes: event type list, wildcard, minimum severity, disabled") {
  struct Case {
    std::vector<std::string> events;
    const char* min;
    const char* type;
    const char* severity;
    bool expected;
  };
  const Case cases[] = {
      {{"alert.sae"}, "info", "alert.sae", "critical", true},
      {{"alert.sae"}, "info", "alert.death", "critical", false},
      {{"*"}, "info", "alert.death", "info", true},
      {{"*"}, "high", "alert.late_report", "info", false},
      {{"*"}, "high", "alert.late_report", "high", true},
      {{"*"}, "critical", "alert.sae", "high", false},
      {{"*"}, "critical", "alert.sae", "critical", true},
      {{"alert.sae", "alert.death"}, "high", "alert.death", "critical", true},
      {{}, "info", "alert.sae", "critical", false},
      // An unknown severity counts as critical: never drop a safety alert over a typo.
      {{"*"}, "critical", "alert.sae", "severe", true},
      // Event types that are not alerts are routed by `events` alone: min_severity is a floor
      // for alerts (the store queues reports and checkpoints as "info").
      {{"*"}, "high", "dsmb.report", "info", true},
      {{"*"}, "critical", "audit.checkpoint", "info", true},
      {{"dsmb.report"}, "critical", "dsmb.report", "info", true},
      {{"alert.sae"}, "info", "dsmb.report", "info", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    CAPTURE(c.severity);
    CHECK(subscribes(endpoint(c.events, c.min), c.type, c.severity) == c.expected);
  }
  Endpoint off = endpoint({"*"}, "info");
  off.disabled = true;
  CHECK_FALSE(subscribes(off, "alert.sae", "critical"));
}

TEST_CASE("render_body standard: the event itself, compact, keys in JSON object order") {
  const json event = json::parse(
      R"({"type":"alert.death","timestamp":"2026-11-05T10:00:00.000Z","data":{"subject":"S01-0007","severity":"critical"}})");
  // Written by hand: nlohmann::json keeps object keys sorted, no spaces.
  CHECK(
      render_body(endpoint({"*"}, "info"), event) ==
      R"({"data":{"severity":"critical","subject":"S01-0007"},"timestamp":"2026-11-05T10:00:00.000Z","type":"alert.death"})");
}

TEST_CASE("render_body slack: one human line with severity, title, study and subject") {
  const Endpoint slack = endpoint({"*"}, "info", Endpoint::Format::slack);
  const json body = json::parse(render_body(slack, sae_event()));
  REQUIRE(body.is_object());
  CHECK(body.size() == 1);
  CHECK(body["text"] ==
        "[CRITICAL] Serious adverse event: Alanine aminotransferase increased grade 3 | study "
        "hcc-pvtt-imrt | subject S01-0007 (alert.sae)");

  // Slack's three control characters are escaped (api.slack.com, "Escaping text").
  json odd = sae_event();
  odd["data"]["title"] = "ALT <3x ULN & rising>";
  CHECK(json::parse(render_body(slack, odd))["text"] ==
        "[CRITICAL] ALT &lt;3x ULN &amp; rising&gt; | study hcc-pvtt-imrt | subject S01-0007 "
        "(alert.sae)");

  // Missing fields shorten the line instead of printing empty labels.
  const json bare = json::parse(R"({"type":"boundary.crossed","data":{"severity":"high"}})");
  CHECK(json::parse(render_body(slack, bare))["text"] == "[HIGH] boundary.crossed");
}

TEST_CASE("parse_url splits what httplib::Client needs and refuses the rest") {
  auto u = parse_url("http://127.0.0.1:8080/hooks/pv?x=1");
  REQUIRE(u.ok());
  CHECK(u->scheme == "http");
  CHECK(u->scheme_host_port == "http://127.0.0.1:8080");
  CHECK(u->path == "/hooks/pv?x=1");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  auto s = parse_url("https://hooks.example.org");
  REQUIRE(s.ok());
  CHECK(s->scheme_host_port == "https://hooks.example.org");
  CHECK(s->path == "/");
  CHECK(s->host == "hooks.example.org");
  CHECK(s->port == 443);
  auto v6 = parse_url("http://[::1]:9000/h");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
  CHECK(parse_url("http://[::1]/h")->port == 80);
  CHECK_FALSE(parse_url("http://example.org:0/x").ok());
  CHECK_FALSE(parse_url("http://example.org:65536/x").ok());
  CHECK_FALSE(parse_url("http://example.org:8x/x").ok());
  CHECK_FALSE(parse_url("http://[::1/x").ok());
  CHECK_FALSE(parse_url("ftp://example.org/x").ok());
  CHECK_FALSE(parse_url("example.org/x").ok());
  CHECK_FALSE(parse_url("http:///x").ok());
  CHECK_FALSE(parse_url("https://user:pw@example.org/x").ok());
}

TEST_CASE("route: each endpoint that takes the event gets it in its own format; the others nothing") {
  Endpoint officers = endpoint({"*"}, "high");
  Endpoint chat = endpoint({"alert.sae"}, "info", Endpoint::Format::slack);
  chat.name = "chat";
  Endpoint dsmb = endpoint({"dsmb.report"}, "info");
  dsmb.name = "dsmb";
  const json event = sae_event();
  std::map<std::string, std::int64_t> last{{"officers", 41}, {"chat", 6}};
  std::vector<std::string> asked;
  const NextSequence next = [&](const std::string& ep) {
    asked.push_back(ep);
    return last[ep] + 1;
  };
  auto out = route({officers, chat, dsmb}, event, "critical", next);
  REQUIRE(out.size() == 2);
  CHECK(out[0].endpoint == "officers");
  CHECK(out[0].sequence == 42);
  CHECK(out[0].body == render_body(officers, event, 42));
  CHECK(out[1].endpoint == "chat");
  CHECK(out[1].sequence == 7);
  CHECK(out[1].body == render_body(chat, event, 7));
  CHECK(out[0].body != out[1].body);
  CHECK(asked == std::vector<std::string>{"officers", "chat"});  // only those that take it are numbered
  CHECK(route({officers, chat, dsmb}, event, "info", next).size() == 1);  // below officers' minimum
  CHECK(route({}, event, "critical", next).empty());
  // An operator alert about an endpoint goes to every other endpoint that takes it.
  auto others = route({officers, chat, dsmb}, event, "critical", next, "officers");
  REQUIRE(others.size() == 1);
  CHECK(others[0].endpoint == "chat");
}

TEST_CASE("render_body: a standard body carries its sequence (signed with it); slack's does not") {
  const json event = sae_event();
  const json numbered = json::parse(render_body(endpoint({"*"}, "info"), event, 7));
  CHECK(numbered.at("sequence") == 7);
  json without = numbered;
  without.erase("sequence");
  CHECK(without == event);
  CHECK_FALSE(json::parse(render_body(endpoint({"*"}, "info"), event)).contains("sequence"));
  const json slack = json::parse(render_body(endpoint({"*"}, "info", Endpoint::Format::slack), event, 7));
  CHECK(slack.size() == 1);
  CHECK(slack.contains("text"));
}

TEST_CASE("alert_event: type alert.<rule>, the rule's details, a re-send says so in its title") {
  AlertEvent a{17, "hcc-pvtt-imrt", "death", "critical", "Death: subject S01-0007", "S01-0007", std::nullopt, 0};
  const Timestamp t = parse_timestamp("2026-10-03T08:10:00Z").value();
  const json e = alert_event(a, json{{"date", "2026-10-01"}}, t);
  CHECK(e["type"] == "alert.death");
  CHECK(e["timestamp"] == "2026-10-03T08:10:00.000Z");
  CHECK(e["data"]["alert_id"] == 17);
  CHECK(e["data"]["report"].is_null());
  CHECK(e["data"]["details"]["date"] == "2026-10-01");
  CHECK(e["data"]["title"] == "Death: subject S01-0007");
  a.escalation = 2;
  a.report = 9;
  const json again = alert_event(a, json::object(), t);
  CHECK(again["data"]["title"] == "[unacknowledged, re-sent 2] Death: subject S01-0007");
  CHECK(again["data"]["escalation"] == 2);
  CHECK(again["data"]["report"] == 9);
}
