// End-to-end: alerts reach a real local webhook receiver, signed per Standard Webhooks, and are
// never lost: receiver down, failing, gone, or the daemon killed between commit and delivery.
// Signatures are checked here with OpenSSL directly, not with the daemon's code.
#include <doctest/doctest.h>

#include <atomic>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

struct Hooks {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  fs::path config;
  std::unique_ptr<Daemon> d;

  Hooks() {
    config = write_config(tmp.path, [&](json& c) {
      c["alerts"] = {{"escalate_after_seconds", 2}, {"scheduler_tick_seconds", 1}};
      c["webhooks"] = json::array({officers_endpoint(tmp.path, rx.url())});
    });
    d = std::make_unique<Daemon>(config, tmp.path / "data");
  }
  httplib::Result post(const std::string& path, const json& body, const std::string& token = "demo-site-s01") {
    auto c = d->client();
    return c.Post((std::string(kStudy) + path).c_str(), bearer(token), body.dump(), "application/json");
  }
  void post_sae(const std::string& report_id) {
    auto r = post("/subjects", subject_body("S01-0007"));
    REQUIRE(r);
    REQUIRE((r->status == 201 || r->status == 200));
    json ae = ae_body(report_id);
    ae.erase("lab");
    ae["term"] = "Fatigue";  // expected for both products: an SAE, not a SUSAR
    ae["grade"] = 3;
    auto a = post("/ae", ae);
    REQUIRE(a);
    REQUIRE(a->status == 201);
  }
  static bool has_type(const std::vector<Delivery>& ds, const std::string& type) {
    for (const auto& x : ds)
      if (json::parse(x.body)["type"] == type) return true;
    return false;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Hooks, "an SAE alert is delivered, signed, and can be acknowledged and redelivered") {
  rx.start();
  d->start();
  post_sae("SAE-1");
  REQUIRE(rx.wait_for([](const auto& ds) { return has_type(ds, "alert.sae"); }));
  for (const auto& x : rx.got()) {
    CHECK(x.signature == expected_signature(x.id, x.timestamp, x.body));
    CHECK(x.id.rfind("msg_", 0) == 0);
  }
  const auto sae = [&] {
    for (const auto& x : rx.got())
      if (json::parse(x.body)["type"] == "alert.sae") return x;
    return Delivery{};
  }();
  auto ev = json::parse(sae.body);
  CHECK(ev["data"]["severity"] == "high");
  CHECK(ev["data"]["subject"] == "S01-0007");
  CHECK(ev["data"]["title"].get<std::string>().find("Fatigue grade 3") != std::string::npos);

  auto c = d->client();
  auto list = c.Get((std::string(kStudy) + "/alerts?status=open").c_str(), bearer("demo-officer"));
  REQUIRE(list);
  REQUIRE(list->status == 200);
  auto items = json::parse(list->body)["items"];
  std::int64_t alert_id = 0;
  for (const auto& a : items)
    if (a["rule"] == "sae") alert_id = a["id"].get<std::int64_t>();
  REQUIRE(alert_id > 0);
  const std::string ack = std::string(kStudy) + "/alerts/" + std::to_string(alert_id) + "/ack";
  auto ok = c.Post(ack.c_str(), bearer("demo-officer"), R"({"comment": "seen, PI called"})", "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto twice = c.Post(ack.c_str(), bearer("demo-officer"), R"({"comment": "again"})", "application/json");
  REQUIRE(twice);
  CHECK(twice->status == 409);
  auto by_site = c.Get((std::string(kStudy) + "/alerts").c_str(), bearer("demo-site-s01"));
  REQUIRE(by_site);
  CHECK(by_site->status == 403);

  // The operator sees every attempt and can send a message again under the same webhook-id.
  json row;
  for (int i = 0; i < 500 && !row.is_object(); ++i) {  // recorded just after the receiver answered
    auto del = c.Get("/v1/webhooks/deliveries?state=delivered", bearer("demo-admin"));
    REQUIRE(del);
    REQUIRE(del->status == 200);
    const json rows = json::parse(del->body)["items"];
    for (const auto& r : rows)
      if (r["webhook_id"] == sae.id) row = r;
    if (!row.is_object()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(row.is_object());
  INFO(row.dump());
  CHECK(row["history"].back()["http_status"] == 200);
  CHECK(row.contains("body") == false);
  const std::string again = "/v1/webhooks/deliveries/" + std::to_string(row["id"].get<int>()) + "/redeliver";
  auto re = c.Post(again.c_str(), bearer("demo-admin"), "", "application/json");
  REQUIRE(re);
  CHECK(re->status == 202);
  REQUIRE(rx.wait_for([&](const auto& ds) {
    return std::count_if(ds.begin(), ds.end(), [&](const Delivery& x) { return x.id == sae.id; }) >= 2;
  }));
}

TEST_CASE_FIXTURE(Hooks, "a receiver that fails, then answers, gets the same webhook-id again") {
  rx.answer({500});
  rx.start();
  d->start();
  post_sae("SAE-2");
  REQUIRE(rx.wait_for([](const auto& ds) {
    std::map<std::string, int> n;
    for (const auto& x : ds) ++n[x.id];
    for (const auto& [id, k] : n)
      if (k >= 2) return true;
    return false;
  }));
  // The receiver may see the retry before the daemon has recorded it: poll, bounded.
  auto c = d->client();
  bool retried = false;
  for (int i = 0; i < 500 && !retried; ++i) {
    auto del = c.Get("/v1/webhooks/deliveries", bearer("demo-admin"));
    REQUIRE(del);
    const json rows = json::parse(del->body);
    for (const auto& row : rows["items"]) {
      const json& h = row["history"];
      if (h.size() >= 2 && row["state"] == "delivered")
        retried = retried || h[0]["http_status"] == 500 || h[1]["http_status"] == 500;
    }
    if (!retried) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(retried);
}

TEST_CASE_FIXTURE(Hooks, "410 Gone disables the endpoint and alerts the operator") {
  rx.answer({410});
  rx.start();
  d->start();
  post_sae("SAE-3");
  REQUIRE(rx.wait_for([](const auto& ds) { return !ds.empty(); }));
  auto c = d->client();
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    auto list = c.Get((std::string(kStudy) + "/alerts").c_str(), bearer("demo-officer"));
    REQUIRE(list);
    const json page = json::parse(list->body);
    for (const auto& a : page["items"]) gone = gone || a["rule"] == "webhook.endpoint_gone";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gone);
  // A redelivery to the disabled endpoint is accepted, and the answer says the message waits.
  auto del = c.Get("/v1/webhooks/deliveries", bearer("demo-admin"));
  REQUIRE(del);
  const json rows = json::parse(del->body)["items"];
  REQUIRE_FALSE(rows.empty());
  CHECK_FALSE(rows[0]["endpoint_disabled_at"].is_null());
  const std::string again = "/v1/webhooks/deliveries/" + std::to_string(rows[0]["id"].get<int>()) + "/redeliver";
  auto re = c.Post(again.c_str(), bearer("demo-admin"), "", "application/json");
  REQUIRE(re);
  CHECK(re->status == 202);
  const json answer = json::parse(re->body);
  CHECK(answer["endpoint_disabled"] == true);
  CHECK(answer["state"] == "pending");
  CHECK(answer["note"].get<std::string>().find("re-enables") != std::string::npos);
}

TEST_CASE_FIXTURE(Hooks, "killed between commit and delivery, receiver down: the alert still arrives") {
  d->start();  // the receiver is not listening yet: deliveries fail and wait in the outbox
  post_sae("SAE-4");
  REQUIRE(d->stop(SIGKILL) == 128 + SIGKILL);
  rx.start();
  d->start();
  REQUIRE(rx.wait_for([](const auto& ds) { return has_type(ds, "alert.sae"); }));
  for (const auto& x : rx.got()) CHECK(x.signature == expected_signature(x.id, x.timestamp, x.body));
}

TEST_CASE_FIXTURE(Hooks, "a critical alert not acknowledged is re-sent until it is") {
  rx.start();
  d->start();
  auto r = post("/subjects", subject_body("S01-0007"));
  REQUIRE(r);
  auto death = post("/subjects/S01-0007/events",
                    json{{"kind", "death"}, {"date", "2026-10-01"}, {"cause", "tumour progression"}});
  REQUIRE(death);
  REQUIRE(death->status == 201);
  auto escalations = [](const std::vector<Delivery>& ds) {
    int n = 0;
    for (const auto& x : ds) {
      const json e = json::parse(x.body);
      if (e["type"] == "alert.death" && e["data"]["escalation"].get<int>() > 0) ++n;
    }
    return n;
  };
  REQUIRE(rx.wait_for([&](const auto& ds) { return escalations(ds) >= 1; }, 60));
  auto c = d->client();
  auto list = c.Get((std::string(kStudy) + "/alerts?status=open&severity=critical").c_str(), bearer("demo-officer"));
  REQUIRE(list);
  const json items = json::parse(list->body)["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["escalations"].get<int>() >= 1);
  const std::string ack = std::string(kStudy) + "/alerts/" + std::to_string(items[0]["id"].get<int>()) + "/ack";
  auto ok = c.Post(ack.c_str(), bearer("demo-officer"), R"({"comment": "DSMB chair informed"})", "application/json");
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  // That an acknowledged alert is never re-sent is tested on an injected clock, with no sleeps
  // (tests/unit/service/test_scheduler.cpp).
}
