// End-to-end: alerts reach a real local webhook receiver, signed per Standard Webhooks, and are
// never lost: receiver down, failing, gone, or the daemon killed between commit and delivery.
// Signatures are checked here with OpenSSL directly, not with the daemon's code.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

// whsec_ + base64 of 32 bytes "pvmon-e2e-webhook-secret-32bytes".
const std::string kSecretRaw = "pvmon-e2e-webhook-secret-32bytes";
const std::string kSecret = "whsec_cHZtb24tZTJlLXdlYmhvb2stc2VjcmV0LTMyYnl0ZXM=";

std::string b64(const unsigned char* p, int n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, n);
  return out;
}

/// v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>, computed independently.
std::string expected_signature(const std::string& id, const std::string& ts, const std::string& body) {
  const std::string msg = id + "." + ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecretRaw.data(), static_cast<int>(kSecretRaw.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return "v1," + b64(mac, static_cast<int>(len));
}

/// A free loopback port: bound, read back and closed. (A cpp-httplib server is no probe: its
/// listening socket outlives it, and with SO_REUSEPORT the kernel would hand it connections.)
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Delivery {
  std::string id, timestamp, signature, body;
};

/// A real HTTP receiver on 127.0.0.1:port; answers with the statuses queued, then 200.
class Receiver {
 public:
  explicit Receiver(int port) : port_(port) {}
  ~Receiver() { stop(); }
  void start() {
    server_ = std::make_unique<httplib::Server>();
    server_->Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      got_.push_back({req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
                      req.get_header_value("webhook-signature"), req.body});
      res.status = statuses_.empty() ? 200 : statuses_.front();
      if (!statuses_.empty()) statuses_.erase(statuses_.begin());
      cv_.notify_all();
    });
    REQUIRE(server_->bind_to_port("127.0.0.1", port_));
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void answer(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_ = std::move(statuses);
  }
  /// Waits up to `seconds` until `pred(deliveries)` holds.
  bool wait_for(const std::function<bool(const std::vector<Delivery>&)>& pred, int seconds = 60) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return pred(got_); });
  }
  std::vector<Delivery> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> got_;
  std::vector<int> statuses_;
};

struct Hooks {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  fs::path config;
  std::unique_ptr<Daemon> d;

  Hooks() {
    write_text(tmp.path / "officers.secret", kSecret + "\n");
    config = write_config(tmp.path, [&](json& c) {
      c["alerts"] = {{"escalate_after_seconds", 2}, {"scheduler_tick_seconds", 1}};
      c["webhooks"] = json::array({{{"name", "officers"},
                                    {"url", rx.url()},
                                    {"secret_file", (tmp.path / "officers.secret").string()},
                                    {"events", json::array({"*"})},
                                    {"connect_timeout_ms", 500},
                                    {"read_timeout_ms", 2000}}});
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
  // Acknowledged: no further re-send. Wait three escalation periods and count again.
  const int after_ack = escalations(rx.got());
  std::this_thread::sleep_for(std::chrono::seconds(7));
  CHECK(escalations(rx.got()) <= after_ack + 1);  // one may have been in flight at the ack
}
