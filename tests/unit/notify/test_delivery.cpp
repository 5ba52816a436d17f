// The dispatcher and HttpWebhookSender against real HTTP receivers on 127.0.0.1 (port 0).
// The retry schedule runs on a FakeClock that the tests advance; real round trips take real
// time, so every wait is on a condition with a generous limit, never a sleep.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fake_outbox.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/notify.hpp"

using namespace pvmon;
using namespace pvmon::notify;
using pvmon::notify::testing::count_outcome;
using pvmon::notify::testing::FakeOutbox;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr auto kWait = std::chrono::seconds(30);
// A secret of the Standard Webhooks test vector, decoded here without pvmon's parse_secret.
const std::string kKey = crypto::base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();

struct Received {
  std::string id, timestamp, signature, body, content_type, user_agent, sequence;
};

// The spec's scheme computed independently of notify::sign: v1,base64(HMAC(key, id.ts.body)).
bool independently_signed(const Received& r) {
  const std::string expected = "v1," + crypto::base64_encode(crypto::hmac_sha256(
                                           kKey, r.id + "." + r.timestamp + "." + r.body));
  return r.signature == expected;
}

class Receiver {
 public:
  using Responder = std::function<int(const Received&, std::size_t index)>;
  explicit Receiver(Responder responder, int port = 0) : responder_(std::move(responder)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Received r{
          req.get_header_value("webhook-id"),        req.get_header_value("webhook-timestamp"),
          req.get_header_value("webhook-signature"), req.body,
          req.get_header_value("Content-Type"),      req.get_header_value("User-Agent"),
          req.get_header_value("webhook-sequence")};
      std::size_t index = 0;
      {
        std::lock_guard lk(m_);
        index = got_.size();
        got_.push_back(r);
      }
      cv_.notify_all();
      res.status = responder_(r, index);
      res.set_content("{}", "application/json");
    });
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_.bind_to_port("127.0.0.1", port) ? port : -1;
    }
    REQUIRE(port_ > 0);
    // Bound and listening already: connections wait in the backlog until the loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<Received> received() {
    std::lock_guard lk(m_);
    return got_;
  }
  bool wait_count(std::size_t n) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, kWait, [&] { return got_.size() >= n; });
  }

 private:
  Responder responder_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<Received> got_;
};

// A one-shot gate a slow receiver waits on (bounded, so a failing test still ends).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lk(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lk(m_);
    cv_.wait_for(lk, std::chrono::seconds(15), [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

struct IoThread {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    guard.reset();
    io.stop();
    thread.join();
  }
};

Endpoint make_endpoint(std::string name, int port) {
  Endpoint e;
  e.name = std::move(name);
  e.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  e.secret_raw = kKey;
  e.events = {"*"};
  e.connect_timeout = std::chrono::milliseconds(2000);
  e.read_timeout = std::chrono::milliseconds(20000);
  return e;
}

const Timestamp kT0 = parse_timestamp("2026-10-03T08:10:00Z").value();
const UniformRandom kLowDraw = [] { return 0.0; };

std::string body_for(int n) {
  return R"({"type":"alert.sae","data":{"n":)" + std::to_string(n) + "}}";
}

}  // namespace

TEST_CASE("delivered webhooks carry Standard Webhooks headers that verify independently") {
  Receiver rx([](const Received&, std::size_t) { return 204; });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  const auto a = outbox.add("officers", body_for(1), kT0);
  const auto b = outbox.add("officers", body_for(2), kT0);
  std::vector<Endpoint> endpoints{make_endpoint("officers", rx.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  REQUIRE(
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 2; }));

  const auto got = rx.received();
  REQUIRE(got.size() == 2);
  // One message in flight per endpoint: commit order is kept.
  CHECK(got[0].id == outbox.msg_id(a));
  CHECK(got[1].id == outbox.msg_id(b));
  CHECK(got[0].body == body_for(1));
  CHECK(got[0].sequence == "1");
  CHECK(got[1].sequence == "2");
  for (const Received& r : got) {
    CHECK(independently_signed(r));
    CHECK(r.timestamp == std::to_string(kT0.ms / 1000));
    CHECK(r.content_type == "application/json");
    CHECK(r.user_agent.starts_with("pvmon/"));
  }
  for (const Attempt& at : outbox.attempts()) {
    CHECK(at.http_status == 204);
    CHECK(at.error.empty());
    CHECK(at.at == kT0);
    CHECK_FALSE(at.next_attempt_at);
  }
  d.stop();
}

TEST_CASE("a receiver answering 500 then 200: retried with the same webhook-id, then delivered") {
  Receiver rx([](const Received&, std::size_t index) { return index == 0 ? 500 : 200; });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  const auto id = outbox.add("officers", body_for(1), kT0);
  std::vector<Endpoint> endpoints{make_endpoint("officers", rx.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  REQUIRE(outbox.wait_for([](const auto& as) { return as.size() == 1; }));
  auto first = outbox.attempts_of(id);
  REQUIRE(first.size() == 1);
  CHECK(first[0].outcome == Outcome::retry);
  CHECK(first[0].http_status == 500);
  CHECK(first[0].error == "HTTP 500");
  REQUIRE(first[0].next_attempt_at);
  // First failure, draw 0: t = 5 s, delay = t/2 = 2.5 s.
  CHECK(first[0].next_attempt_at->ms == kT0.ms + 2'500);

  clock.advance_ms(2'500);
  d.wake();
  REQUIRE(
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 1; }));
  auto all = outbox.attempts_of(id);
  REQUIRE(all.size() == 2);
  CHECK(all[1].http_status == 200);
  CHECK(all[1].at.ms == kT0.ms + 2'500);
  const auto got = rx.received();
  REQUIRE(got.size() == 2);
  CHECK(got[0].id == got[1].id);
  CHECK(got[1].timestamp == std::to_string((kT0.ms + 2'500) / 1000));
  CHECK(independently_signed(got[0]));
  CHECK(independently_signed(got[1]));
  CHECK(outbox.state(id) == FakeOutbox::State::delivered);
}

TEST_CASE("410 Gone marks the endpoint gone; its other messages are not sent") {
  Receiver gone([](const Received&, std::size_t) { return 410; });
  Receiver ok([](const Received&, std::size_t) { return 200; });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  const auto g1 = outbox.add("gone", body_for(1), kT0);
  const auto g2 = outbox.add("gone", body_for(2), kT0);
  std::vector<Endpoint> endpoints{make_endpoint("gone", gone.port()),
                                  make_endpoint("ok", ok.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  REQUIRE(outbox.wait_for(
      [](const auto& as) { return count_outcome(as, Outcome::endpoint_gone) == 1; }));
  CHECK(outbox.endpoint_disabled("gone"));
  auto ag = outbox.attempts_of(g1);
  REQUIRE(ag.size() == 1);
  CHECK(ag[0].http_status == 410);
  CHECK_FALSE(ag[0].next_attempt_at);

  // A later message to another endpoint goes through; by then the gone endpoint got no more.
  const auto o1 = outbox.add("ok", body_for(3), kT0);
  d.wake();
  REQUIRE(
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 1; }));
  CHECK(outbox.state(o1) == FakeOutbox::State::delivered);
  CHECK(gone.received().size() == 1);
  CHECK(outbox.attempts_of(g2).empty());
  CHECK(outbox.state(g2) == FakeOutbox::State::pending);
}

/// A loopback port held without listening: connecting is refused, and nobody else takes it
/// until close().
struct RefusedPort {
  int fd = -1;
  int port = 0;
  RefusedPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~RefusedPort() { close(); }
};

TEST_CASE("receiver down (connection refused) then up: the head waits, then everything arrives in order") {
  RefusedPort refused;
  FakeOutbox outbox;
  FakeClock clock(kT0);
  std::vector<std::int64_t> ids;
  for (int i = 1; i <= 3; ++i) ids.push_back(outbox.add("later", body_for(i), kT0));
  std::vector<Endpoint> endpoints{make_endpoint("later", refused.port)};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  REQUIRE(outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::retry) == 1; }));
  // Strict order: only the head was tried; the two behind it wait for it.
  const auto tried = outbox.attempts();
  REQUIRE(tried.size() == 1);
  CHECK(tried[0].outbox_id == ids[0]);
  CHECK(tried[0].http_status == 0);
  CHECK(tried[0].error == "connection refused by 127.0.0.1:" + std::to_string(refused.port));
  CHECK(tried[0].next_attempt_at.has_value());
  CHECK(outbox.next_due() == tried[0].next_attempt_at);

  refused.close();
  Receiver rx([](const Received&, std::size_t) { return 200; }, refused.port);
  clock.advance_ms(3'600'000);
  d.wake();
  REQUIRE(
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 3; }));
  const auto got = rx.received();
  REQUIRE(got.size() == 3);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CHECK(outbox.state(ids[i]) == FakeOutbox::State::delivered);
    CHECK(got[i].id == outbox.msg_id(ids[i]));
    CHECK(got[i].sequence == std::to_string(i + 1));
    CHECK(independently_signed(got[i]));
  }
}

TEST_CASE("a receiver failing the first N attempts gets every message once, in order; another endpoint is not held") {
  constexpr std::size_t kFailures = 3;
  Receiver flaky([](const Received&, std::size_t index) { return index < kFailures ? 503 : 200; });
  Receiver steady([](const Received&, std::size_t) { return 200; });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  std::vector<std::int64_t> a_ids, b_ids;
  for (int i = 1; i <= 6; ++i) {
    a_ids.push_back(outbox.add("A", body_for(i), kT0));
    b_ids.push_back(outbox.add("B", body_for(100 + i), kT0));
  }
  std::vector<Endpoint> endpoints{make_endpoint("A", flaky.port()), make_endpoint("B", steady.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  // B is delivered in full while A's head is still failing (the clock has not moved).
  REQUIRE(outbox.wait_for([&](const std::vector<Attempt>& as) {
    return std::count_if(as.begin(), as.end(), [&](const Attempt& a) {
             return a.outcome == Outcome::delivered && std::find(b_ids.begin(), b_ids.end(), a.outbox_id) != b_ids.end();
           }) == static_cast<std::ptrdiff_t>(b_ids.size());
  }));
  REQUIRE(outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::retry) >= 1; }));
  for (std::size_t k = 1; k < kFailures; ++k) {
    clock.advance_ms(3'600'000);  // past any backoff
    d.wake();
    REQUIRE(outbox.wait_for([&](const auto& as) { return count_outcome(as, Outcome::retry) >= k + 1; }));
  }
  clock.advance_ms(3'600'000);
  d.wake();
  REQUIRE(outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 12; }));

  // Every failed attempt was the head's: nothing behind it was sent before it.
  for (const Attempt& a : outbox.attempts())
    if (a.outcome == Outcome::retry) CHECK(a.outbox_id == a_ids[0]);
  const auto got = flaky.received();
  REQUIRE(got.size() == kFailures + a_ids.size());
  for (std::size_t i = 0; i < kFailures; ++i) CHECK(got[i].id == outbox.msg_id(a_ids[0]));
  for (std::size_t i = 0; i < a_ids.size(); ++i) {
    const Received& r = got[kFailures + i];
    CHECK(r.id == outbox.msg_id(a_ids[i]));
    CHECK(r.sequence == std::to_string(i + 1));  // consecutive: no gap, no repeat
    CHECK(r.body == body_for(static_cast<int>(i) + 1));
  }
  const auto b_got = steady.received();
  REQUIRE(b_got.size() == b_ids.size());
  for (std::size_t i = 0; i < b_ids.size(); ++i) CHECK(b_got[i].sequence == std::to_string(i + 1));
}

TEST_CASE("HttpWebhookSender names what failed: refused, DNS, closed, read timed out, TLS handshake, TLS certificate") {
  HttpWebhookSender sender;
  OutboxMessage msg;
  msg.msg_id = "msg_fail";
  msg.body = "{}";
  msg.sequence = 1;

  SUBCASE("a port nobody listens on: connection refused") {
    RefusedPort refused;
    const SendResult r = sender.send(make_endpoint("x", refused.port), msg, kT0);
    CHECK(r.http_status == 0);
    CHECK(r.error == "connection refused by 127.0.0.1:" + std::to_string(refused.port));
  }
  SUBCASE("a host that does not resolve (.invalid, RFC 2606): DNS") {
    Endpoint e = make_endpoint("x", 80);
    e.url = "http://pvmon-test.invalid/hook";
    const SendResult r = sender.send(e, msg, kT0);
    CHECK(r.http_status == 0);
    CHECK(r.error.starts_with("DNS lookup of pvmon-test.invalid failed: "));
  }
  SUBCASE("a receiver that closes the connection on the request: closed before a complete response") {
    RefusedPort closing;  // bound; listening below, it accepts once, reads the request and hangs up
    REQUIRE(::listen(closing.fd, 1) == 0);
    std::thread t([&] {
      const int c = ::accept(closing.fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      ::close(c);
    });
    Endpoint e = make_endpoint("x", closing.port);
    e.read_timeout = std::chrono::milliseconds(5000);
    const SendResult r = sender.send(e, msg, kT0);
    t.join();
    CHECK(r.http_status == 0);
    CHECK(r.error == "connection closed by 127.0.0.1:" + std::to_string(closing.port) + " before a complete response");
  }
  SUBCASE("a receiver that never answers: read timed out after the endpoint's read timeout") {
    Gate gate;
    Receiver silent([&](const Received&, std::size_t) {
      gate.wait();
      return 200;
    });
    Endpoint e = make_endpoint("x", silent.port());
    e.read_timeout = std::chrono::milliseconds(300);
    const SendResult r = sender.send(e, msg, kT0);
    gate.open();
    CHECK(r.http_status == 0);
    CHECK(r.error == "no response from 127.0.0.1:" + std::to_string(silent.port()) + " within 300 ms (read timed out)");
    CHECK(r.latency_ms >= 300);
  }
  SUBCASE("https to a plain HTTP server: the TLS handshake fails") {
    Receiver rx([](const Received&, std::size_t) { return 200; });
    Endpoint e = make_endpoint("tls", rx.port());
    e.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/hook";
    e.read_timeout = std::chrono::milliseconds(3000);
    const SendResult r = sender.send(e, msg, kT0);
    CHECK(r.http_status == 0);
    CHECK(r.error.starts_with("TLS handshake with 127.0.0.1:" + std::to_string(rx.port()) + " failed"));
    CHECK(rx.received().empty());
  }
  SUBCASE("https to a server whose certificate no CA vouches for: not verified, and why") {
    const fs::path dir = fs::temp_directory_path() / ("pvmon-notify-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " + (dir / "key.pem").string() + " -out " +
        (dir / "cert.pem").string() + " 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    httplib::SSLServer server((dir / "cert.pem").c_str(), (dir / "key.pem").c_str());
    server.Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    const int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread t([&] { server.listen_after_bind(); });
    Endpoint e = make_endpoint("tls", port);
    e.url = "https://127.0.0.1:" + std::to_string(port) + "/hook";
    const SendResult r = sender.send(e, msg, kT0);
    // Trusting that certificate, the same send is delivered: the failure was the verification.
    HttpWebhookSender trusting((dir / "cert.pem").string());
    const SendResult ok = trusting.send(e, msg, kT0);
    server.stop();
    t.join();
    fs::remove_all(dir);
    CHECK(r.http_status == 0);
    CHECK(r.error.starts_with("TLS certificate of 127.0.0.1:" + std::to_string(port) + " not verified: "));
    CHECK(r.error.find("self") != std::string::npos);  // OpenSSL: "self-signed certificate"
    CHECK(ok.http_status == 200);
  }
}

TEST_CASE("a slow endpoint does not delay another") {
  // A's receiver holds its first request until the test opens the gate; B's messages must all
  // be delivered while A's first is still in flight.
  Gate gate;
  Receiver slow([&](const Received&, std::size_t) {
    gate.wait();
    return 200;
  });
  Receiver fast([](const Received&, std::size_t) { return 200; });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  std::vector<std::int64_t> a_ids, b_ids;
  for (int i = 1; i <= 3; ++i)
    a_ids.push_back(outbox.add("A", body_for(i), kT0));  // committed first
  for (int i = 1; i <= 5; ++i) b_ids.push_back(outbox.add("B", body_for(10 + i), kT0));
  std::vector<Endpoint> endpoints{make_endpoint("A", slow.port()), make_endpoint("B", fast.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();

  const bool b_done =
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 5; });
  // A's first request reaches its receiver and stays there until the gate opens.
  const bool a_arrived = slow.wait_count(1);
  // Read A's state before opening the gate, so the checks describe "while A was in flight".
  const auto a_seen = slow.received().size();
  std::size_t a_recorded = 0;
  for (auto id : a_ids) a_recorded += outbox.attempts_of(id).size();
  gate.open();

  REQUIRE(b_done);
  CHECK(a_arrived);
  CHECK(a_seen == 1);      // one message in flight per endpoint: A's second waits for the first
  CHECK(a_recorded == 0);  // and A's first had not finished when all of B's were delivered
  for (auto id : b_ids) CHECK(outbox.state(id) == FakeOutbox::State::delivered);

  REQUIRE(
      outbox.wait_for([](const auto& as) { return count_outcome(as, Outcome::delivered) == 8; }));
  const auto got = slow.received();
  REQUIRE(got.size() == 3);
  for (std::size_t i = 0; i < a_ids.size(); ++i) CHECK(got[i].id == outbox.msg_id(a_ids[i]));
}

TEST_CASE("a message for an endpoint no longer configured is retried, not lost") {
  FakeOutbox outbox;
  FakeClock clock(kT0);
  const auto id = outbox.add("retired", body_for(1), kT0);
  std::vector<Endpoint> endpoints;
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(
      io.io, outbox, sender, [&] { return endpoints; }, clock, 1, {}, kLowDraw);
  d.start();
  REQUIRE(outbox.wait_for([](const auto& as) { return as.size() == 1; }));
  const auto a = outbox.attempts_of(id);
  REQUIRE(a.size() == 1);
  CHECK(a[0].outcome == Outcome::retry);
  CHECK(a[0].http_status == 0);
  CHECK(a[0].error.find("not in the configuration") != std::string::npos);
  CHECK(outbox.state(id) == FakeOutbox::State::pending);
}

TEST_CASE("stop waits for the send in flight and records it") {
  Gate gate;
  Receiver rx([&](const Received&, std::size_t) {
    gate.wait();
    return 200;
  });
  FakeOutbox outbox;
  FakeClock clock(kT0);
  const auto first = outbox.add("officers", body_for(1), kT0);
  std::vector<Endpoint> endpoints{make_endpoint("officers", rx.port())};
  HttpWebhookSender sender;
  IoThread io;
  Dispatcher d(io.io, outbox, sender, [&] { return endpoints; }, clock, 2, {}, kLowDraw);
  d.start();
  REQUIRE(rx.wait_count(1));  // the first send is now held by the receiver
  CHECK(d.in_flight() == 1);

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    d.stop(std::chrono::seconds(30));
    stopped = true;
  });
  // Whether stop() begins before or after the gate opens, it must not return before the send
  // in flight has been recorded.
  gate.open();
  stopper.join();
  CHECK(stopped);
  CHECK(outbox.state(first) == FakeOutbox::State::delivered);
  CHECK(d.in_flight() == 0);
}
