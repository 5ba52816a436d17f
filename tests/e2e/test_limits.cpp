// End-to-end: limits against misuse. A principal over its request rate gets 429 with
// Retry-After while others are served; idle and slow (a byte at a time) clients do not starve
// the workers; far more connections than the daemon serves at once (and than its descriptor
// cap) neither crash it nor stop it serving once they go.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

/// A non-blocking connect to 127.0.0.1:port: the SYN is sent and the socket kept whether or not
/// the handshake completes, so a full listen backlog costs no SYN retries (a blocking connect
/// waited over two minutes for them).
int connect_nowait(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE("rate limit per principal: 429 with Retry-After past the burst, others unaffected") {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { c["http"]["rate_limit"] = {{"requests_per_second", 1}, {"burst", 3}}; }),
           tmp.path / "data");
  d.start();
  auto c = d.client();
  const std::string url = std::string(kStudy) + "/alerts";
  for (int i = 0; i < 3; ++i) {
    auto r = c.Get(url.c_str(), bearer("demo-officer"));
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto over = c.Get(url.c_str(), bearer("demo-officer"));
  REQUIRE(over);
  CHECK(over->status == 429);
  CHECK(std::stoi(over->get_header_value("Retry-After")) >= 1);
  CHECK(over->body.find("urn:pvmon:problem:rate-limited") != std::string::npos);
  auto other = c.Get((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"));
  REQUIRE(other);
  CHECK(other->status == 200);
  CHECK(d.log().find("rate limit: safety-officer") != std::string::npos);
}

TEST_CASE("idle and slow clients do not starve the workers") {
  TempDir tmp;
  // Two workers to start with; each idle or slow connection holds one.
  Daemon d(write_config(tmp.path, [](json& c) {
             c["http"]["threads"] = 2;
             c["http"]["max_connections"] = 64;
           }),
           tmp.path / "data");
  d.start();
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(connect_loopback(d.port()));
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 8; ++i) {
    slow.emplace_back([&] {
      const int fd = connect_loopback(d.port());
      const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      for (std::size_t k = 0; k < req.size() && !stop.load(); ++k) {
        if (::send(fd, &req[k], 1, MSG_NOSIGNAL) != 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // With a fixed pool of 2 this would wait for the idle ones' keep-alive timeout (5 s) and for
  // the slow ones to finish (about 20 s).
  auto c = d.client();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.Get("/healthz");
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(took < std::chrono::seconds(3));
  stop = true;
  for (auto& t : slow) t.join();
  for (int fd : idle) ::close(fd);
}

TEST_CASE("far more connections than the daemon serves, or has descriptors for, do not break it") {
  // This test opens 1,100 sockets itself.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
    rl.rlim_cur = 2048;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < 2048) {
    MESSAGE("skipped: cannot open enough descriptors here (limit " << rl.rlim_cur << ")");
    return;
  }
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) {
             c["http"]["threads"] = 2;
             c["http"]["max_connections"] = 32;
             c["http"]["keep_alive_timeout_s"] = 2;
           }),
           tmp.path / "data");
  d.start();
  std::vector<int> fds;
  for (int i = 0; i < 1100; ++i) {
    const int fd = connect_nowait(d.port());
    if (fd >= 0) fds.push_back(fd);
  }
  CHECK(fds.size() > 1000);  // all sent; the daemon takes what it can, the rest wait or drop
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(d.running());
  for (int fd : fds) ::close(fd);
  // Once they are gone (and the ones it held have timed out), a new client is served.
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!served && std::chrono::steady_clock::now() < deadline) {
    auto c = d.client();
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(2, 0);
    auto r = c.Get("/healthz");
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(served);
  CHECK(d.running());
  CHECK(d.stop() == 0);
}
