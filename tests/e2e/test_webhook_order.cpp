// End-to-end: each webhook endpoint gets its messages in the order they were
// created, numbered 1, 2, 3... (webhook-sequence, and "sequence" in the signed
// body), across retries and an outage, while another endpoint is not held up; a
// 410 disables only that endpoint, the operators' other endpoints hear of it,
// and `pvmon webhooks` lists and re-enables it. A dsmb.report reaches a
// `min_severity: high` endpoint, with a link to the port bound.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include <unistd.h>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

struct Order {
  TempDir tmp;
  int port_a = free_port();
  int port_b = free_port();
  Receiver a{port_a};  // "officers": the one that fails
  Receiver b{port_b};  // "desk": never fails
  std::unique_ptr<Daemon> d;

  explicit Order(const std::function<void(json&)>& edit = {}) {
    auto config = write_config(tmp.path, [&](json& c) {
      // A short retry schedule (retries after 1-2 s, 2-4 s, 4-8 s), so the test
      // takes seconds; the first message (the start's audit.checkpoint) is the
      // head the failures hold.
      c["alerts"] = {{"retry_base_ms", 2000}, {"scheduler_tick_seconds", 3600}};
      json desk = officers_endpoint(tmp.path, b.url());
      desk["name"] = "desk";
      c["webhooks"] = json::array({officers_endpoint(tmp.path, a.url()), desk});
      if (edit) edit(c);
    });
    d = std::make_unique<Daemon>(config, tmp.path / "data");
  }
  httplib::Result post(const std::string& path, const json& body,
                       const std::string& token = "demo-site-s01") {
    return d->client().Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(),
                            "application/json");
  }
  /// `n` SAE reports, SAE-<from>.. in this order: each commits one alert.sae
  /// per endpoint.
  void post_saes(int from, int n) {
    for (int i = from; i < from + n; ++i) {
      json ae = ae_body("SAE-" + std::to_string(i));
      ae.erase("lab");
      ae["term"] = "Fatigue";
      ae["grade"] = 3;
      auto r = post("/ae", ae);
      REQUIRE(r);
      REQUIRE(r->status == 201);
    }
  }
  json admin_get(const std::string& path) {
    auto r = d->client().Get(path.c_str(), bearer("demo-admin"));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  }
  json endpoint_state(const std::string& name) {
    const json list = admin_get("/v1/webhooks/endpoints");  // the loop must not outlive it
    for (const auto& e : list["items"])
      if (e["name"] == name) return e;
    return nullptr;
  }
};

/// The report ids of the alert.sae messages, in the order first received.
std::vector<std::string> sae_reports(const std::vector<Delivery>& ds) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& x : ds) {
    const json e = json::parse(x.body);
    if (e["type"] != "alert.sae" || !seen.insert(x.id).second) continue;
    out.push_back(e["data"]["details"]["site_report_id"].get<std::string>());
  }
  return out;
}

std::size_t sae_count(const std::vector<Delivery>& ds) { return sae_reports(ds).size(); }

/// Every message the receiver accepted (2xx), once each, in the order accepted,
/// is numbered 1, 2, 3... with no gap and no repeat; the body's signed
/// "sequence" is the header's.
void check_in_sequence(const std::vector<Delivery>& ds) {
  std::int64_t want = 1;
  std::set<std::string> accepted;
  for (const auto& x : ds) {
    CHECK(x.signature == expected_signature(x.id, x.timestamp, x.body));
    const json e = json::parse(x.body);
    CHECK(std::to_string(e.at("sequence").get<std::int64_t>()) == x.sequence);
    if (x.status < 200 || x.status > 299) continue;
    if (!accepted.insert(x.id).second) continue;  // at least once: a repeat keeps its number
    CHECK_MESSAGE(x.sequence == std::to_string(want), "message " << x.id << " " << e["type"]);
    ++want;
  }
}

}  // namespace

TEST_CASE_FIXTURE(Order,
                  "a receiver that fails its first 3 attempts (503) gets every "
                  "message in the order created; another endpoint is not delayed") {
  a.answer({503, 503, 503});
  a.start();
  b.start();
  d->start();
  REQUIRE(post("/subjects", subject_body("S01-0007")));
  post_saes(1, 6);
  REQUIRE(a.wait_for([](const auto& ds) { return sae_count(ds) == 6 && ds.back().status == 200; },
                     120));
  REQUIRE(b.wait_for([](const auto& ds) { return sae_count(ds) == 6; }));

  const auto got = a.got();
  // The same message three times (the head, retried with backoff), then
  // everything in order.
  REQUIRE(got.size() >= 4);
  CHECK(got[0].status == 503);
  CHECK(got[1].id == got[0].id);
  CHECK(got[2].id == got[0].id);
  CHECK(got[3].id == got[0].id);
  CHECK(got[3].status == 200);
  const std::vector<std::string> in_order{"SAE-1", "SAE-2", "SAE-3", "SAE-4", "SAE-5", "SAE-6"};
  CHECK(sae_reports(got) == in_order);
  check_in_sequence(got);

  // The other endpoint had all six before the failing one accepted its first.
  const auto desk = b.got();
  CHECK(sae_reports(desk) == in_order);
  check_in_sequence(desk);
  const auto desk_last =
      std::max_element(desk.begin(), desk.end(), [](const auto& x, const auto& y) {
        return x.at < y.at;
      })->at;
  CHECK(desk_last < got[3].at);

  // The operators' list numbers them too, and the failed attempts name the
  // status.
  const json rows = admin_get("/v1/webhooks/deliveries?endpoint=officers")["items"];
  REQUIRE_FALSE(rows.empty());
  const json& head = rows.back();  // newest first: the head is the oldest
  CHECK(head["sequence"] == 1);
  REQUIRE(head["history"].size() == 4);
  CHECK(head["history"][0]["error"] == "HTTP 503");
}

TEST_CASE_FIXTURE(Order,
                  "an outage (connection refused, then back): the head waits, "
                  "the error says refused, then all arrive in order") {
  b.start();  // officers' receiver is down: its port refuses connections
  d->start();
  REQUIRE(post("/subjects", subject_body("S01-0007")));
  post_saes(1, 4);
  REQUIRE(b.wait_for([](const auto& ds) { return sae_count(ds) == 4; }));
  // Wait until the head has failed twice: only it is tried, the rest wait
  // behind it.
  json rows;
  for (int i = 0; i < 600; ++i) {
    rows = admin_get("/v1/webhooks/deliveries?endpoint=officers&state=pending")["items"];
    const bool twice =
        std::any_of(rows.begin(), rows.end(), [](const json& r) { return r["attempts"] >= 2; });
    if (twice) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(rows.size() >= 4);
  for (const auto& r : rows) {
    if (r["sequence"] == 1) {
      CHECK(r["attempts"] >= 2);
      CHECK(r["history"][0]["error"] ==
            "connection refused by 127.0.0.1:" + std::to_string(port_a));
      CHECK(r["history"][0]["http_status"] == 0);
    } else {
      CHECK_MESSAGE(r["attempts"] == 0,
                    "sequence " << r["sequence"] << " was tried before the head");
    }
  }
  const json state = endpoint_state("officers");
  CHECK(state["state"] == "enabled");
  CHECK(state["pending"].get<int>() >= 4);
  CHECK(state["last_attempt"]["error"].get<std::string>().starts_with("connection refused"));

  a.start();
  REQUIRE(a.wait_for([](const auto& ds) { return sae_count(ds) == 4; }, 120));
  CHECK(sae_reports(a.got()) == std::vector<std::string>{"SAE-1", "SAE-2", "SAE-3", "SAE-4"});
  check_in_sequence(a.got());
}

TEST_CASE_FIXTURE(Order,
                  "410: only that endpoint stops, the others hear of "
                  "it, and pvmon webhooks lists it and re-enables it") {
  a.answer({410});
  a.start();
  b.start();
  d->start();
  REQUIRE(post("/subjects", subject_body("S01-0007")));
  post_saes(1, 2);
  // The desk gets the operator alert; the gone endpoint does not.
  REQUIRE(b.wait_for([](const auto& ds) {
    return std::any_of(ds.begin(), ds.end(), [](const Delivery& x) {
      return json::parse(x.body)["type"] == "alert.webhook.endpoint_gone";
    });
  }));
  for (const auto& x : b.got()) {
    const json e = json::parse(x.body);
    if (e["type"] != "alert.webhook.endpoint_gone") continue;
    CHECK(e["data"]["severity"] == "critical");
    CHECK(e["data"]["details"]["endpoint"] == "officers");
  }
  CHECK(a.got().size() == 1);

  json officers;
  for (int i = 0; i < 200 && !(officers.is_object() && officers["state"] == "disabled"); ++i) {
    officers = endpoint_state("officers");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(officers["state"] == "disabled");
  CHECK(officers["disabled_by"] == "410");
  CHECK(officers["why"].get<std::string>().starts_with("HTTP 410 Gone for webhook msg_"));
  CHECK_FALSE(officers["since"].is_null());
  CHECK(officers["gone"] == 1);
  CHECK(officers["pending"].get<int>() >= 1);
  CHECK(officers["last_attempt"]["outcome"] == "endpoint_gone");
  CHECK(officers.contains("url_origin"));
  CHECK(officers["url_origin"] == "http://127.0.0.1:" + std::to_string(port_a));
  CHECK(endpoint_state("desk")["state"] == "enabled");

  // While disabled, new messages are held, not sent: the desk has received SAE-3's alert, sent
  // in the same pass, while the officers' copy waits among its pending messages.
  const int pending_before = officers["pending"].get<int>();
  post_saes(3, 1);
  REQUIRE(b.wait_for([](const auto& ds) {
    const auto ids = sae_reports(ds);
    return std::find(ids.begin(), ids.end(), "SAE-3") != ids.end();
  }));
  CHECK(a.got().size() == 1);
  CHECK(endpoint_state("officers")["pending"].get<int>() > pending_before);  // SAE-3's messages

  // pvmon webhooks, through the admin API.
  write_text(tmp.path / "tokens", "# pvmon webhooks reads the admin line\nadmin demo-admin\n");
  const std::string base = std::string(PVMON_PATH) + " webhooks ";
  const std::string where = " --url http://" + d->host() + ":" + std::to_string(d->port()) +
                            " --token-file " + (tmp.path / "tokens").string();
  auto [list_rc, listing] = run_command(base + "list" + where + " 2>&1");
  CHECK(list_rc == 0);
  CHECK(listing.find("officers") != std::string::npos);
  CHECK(listing.find("disabled(410)") != std::string::npos);
  CHECK(listing.find("HTTP 410 Gone") != std::string::npos);
  auto [json_rc, listed] = run_command(base + "list --json" + where);
  CHECK(json_rc == 0);
  CHECK(json::parse(listed)["items"].size() == 2);

  // An officer may not; an unknown name is 404; the endpoint comes back once,
  // audited.
  auto forbidden = d->client().Post("/v1/webhooks/endpoints/officers/enable",
                                    bearer("demo-officer"), "", "application/json");
  REQUIRE(forbidden);
  CHECK(forbidden->status == 403);
  auto [bad_rc, bad] = run_command(base + "enable nobody" + where + " 2>&1");
  CHECK(bad_rc == 1);
  CHECK(bad.find("404") != std::string::npos);
  auto [rc, out] =
      run_command(base + "enable officers" + where + " --comment 'receiver redeployed' 2>&1");
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("endpoint officers enabled") != std::string::npos);
  auto again = d->client().Post("/v1/webhooks/endpoints/officers/enable", bearer("demo-admin"), "",
                                "application/json");
  REQUIRE(again);
  CHECK(again->status == 409);

  // What was held goes out, the 410's message first, in order and numbered
  // without a gap.
  REQUIRE(a.wait_for([](const auto& ds) {
    return sae_count(ds) == 3 && ds.back().status == 200 &&
           std::count_if(ds.begin(), ds.end(), [](const Delivery& x) { return x.status == 200; }) >=
               3;
  }));
  const auto got = a.got();
  CHECK(got[1].id == got[0].id);  // the message that met the 410, again
  CHECK(sae_reports(got) == std::vector<std::string>{"SAE-1", "SAE-2", "SAE-3"});
  check_in_sequence(got);
  const json audit = admin_get("/v1/audit?entity=webhook/endpoint/officers")["items"];
  REQUIRE(audit.size() == 1);
  CHECK(audit[0]["action"] == "webhook.endpoint_enable");
  CHECK(audit[0]["principal"] == "operator");
  CHECK(audit[0]["new_value"]["after"]["comment"] == "receiver redeployed");
  const json after = endpoint_state("officers");
  CHECK(after["state"] == "enabled");
  CHECK(after["why"] == "receiver redeployed");
}

TEST_CASE(
    "a dsmb.report reaches an endpoint with min_severity high and events "
    "*, linking to the port bound") {
  TempDir tmp;
  Receiver rx{free_port()};
  auto config = write_config(tmp.path, [&](json& c) {
    json ep = officers_endpoint(tmp.path, rx.url());
    ep["min_severity"] = "high";
    c["webhooks"] = json::array({ep});
    c.erase("public_url");
  });
  Daemon d(config, tmp.path / "data");
  d.listen_on("127.0.0.1:0");
  rx.start();
  d.start();
  auto r = d.client().Post((std::string(kStudy) + "/dsmb-reports").c_str(), bearer("demo-officer"),
                           "{}", "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const auto is_report = [](const Delivery& x) {
    return json::parse(x.body)["type"] == "dsmb.report";
  };
  REQUIRE(
      rx.wait_for([&](const auto& ds) { return std::any_of(ds.begin(), ds.end(), is_report); }));
  for (const auto& x : rx.got()) {
    if (!is_report(x)) continue;
    const json e = json::parse(x.body);
    const std::string url = e["data"]["url"];
    const std::string bound = "http://127.0.0.1:" + std::to_string(d.port()) + "/";
    CHECK_MESSAGE(url.starts_with(bound), url);
    CHECK(url.find(":0/") == std::string::npos);
    // The link works: the report is there.
    auto got = d.client().Get(url.substr(bound.size() - 1).c_str(), bearer("demo-dsmb"));
    REQUIRE(got);
    CHECK(got->status == 200);
  }
}

TEST_CASE("on a wildcard listen, a dsmb.report links to the machine's name and the port bound, also after a reload") {
  TempDir tmp;
  Receiver rx{free_port()};
  const std::string officer = "order-test-officer-token-7d2e91c4", dsmb = "order-test-dsmb-token-0b5a7f3e";
  const auto config = write_config(tmp.path, [&](json& c) {
    c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())});
    c.erase("public_url");
    c["listen"] = "0.0.0.0:0";
    c["plain_http"] = true;  // a TLS-terminating proxy in front; no demo token beyond loopback
    c["principals"] = json::array({{{"name", "officer"}, {"role", "officer"}, {"token_sha256", sha256_hex(officer)}},
                                   {{"name", "dsmb"}, {"role", "dsmb"}, {"token_sha256", sha256_hex(dsmb)}}});
  });
  Daemon d(config, tmp.path / "data");
  d.listen_on(std::nullopt);
  rx.start();
  d.start();
  REQUIRE(d.host() == "0.0.0.0");
  char name[256] = {};
  REQUIRE(gethostname(name, sizeof name - 1) == 0);
  const std::string base = "http://" + std::string(name) + ":" + std::to_string(d.port()) + "/";
  CHECK(d.log_settled().find("links in webhooks name this machine as http://" + std::string(name)) != std::string::npos);
  httplib::Client c("127.0.0.1", d.port());
  const auto report_link = [&](std::size_t nth) {
    auto r = c.Post((std::string(kStudy) + "/dsmb-reports").c_str(), bearer(officer), "{}", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    std::vector<std::string> urls;
    REQUIRE(rx.wait_for([&](const auto& ds) {
      urls.clear();
      for (const auto& x : ds)
        if (json::parse(x.body)["type"] == "dsmb.report") urls.push_back(json::parse(x.body)["data"]["url"]);
      return urls.size() >= nth;
    }));
    return urls[nth - 1];
  };
  const std::string first = report_link(1);
  CHECK_MESSAGE(first.starts_with(base), first);
  // The link's path serves the report.
  auto got = c.Get(first.substr(base.size() - 1).c_str(), bearer(dsmb));
  REQUIRE(got);
  CHECK(got->status == 200);
  // A reload keeps the address bound: the next report's link names the same host and port.
  d.signal(SIGHUP);
  CHECK(d.log_with("config reloaded", 10).find("config reloaded") != std::string::npos);
  const std::string second = report_link(2);
  CHECK_MESSAGE(second.starts_with(base), second);
  CHECK(second != first);
}
