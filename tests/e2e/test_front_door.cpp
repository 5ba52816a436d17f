// End-to-end: the front door against clients that are slow, huge or malformed, on raw sockets
// (an HTTP client library would refuse to send most of these). Each case is one an attacker
// tried on the cpp-httplib server (issue 19): 300 slow connections stopped all intake; a chunked
// body skipped the size limit, before authentication; conflicting framing was stored;
// pipelined requests were lost; 5,000 header fields and a NUL in a value were accepted.
// Slow clients come from other loopback addresses (127.0.0.2...): the per-address limit is
// part of what holds them off, and the site's own posts come from 127.0.0.1.
// PVMON_E2E_PVMOND=PATH runs them against another pvmond; an older one does not know the front
// door's settings, so they are left out of its config (it runs with its own limits).
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "daemon.hpp"

using namespace pvmon::test;
using namespace std::chrono_literals;

namespace {

/// A TCP connection from `from` (a loopback address) to 127.0.0.1:port, or -1.
int connect_from(int port, const std::string& from) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Resp {
  int status = 0;
  std::string head;  // status line and fields
  std::string body;
  bool has(const std::string& field_line) const { return head.find(field_line) != std::string::npos; }
};

/// One raw connection: what it sends is sent as is; responses are read by Content-Length.
struct Raw {
  int fd = -1;
  std::string in;

  explicit Raw(int port, const std::string& from = "127.0.0.1") : fd(connect_from(port, from)) {}
  ~Raw() {
    if (fd >= 0) ::close(fd);
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  bool send_all(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// Waits up to `timeout` for bytes; false on EOF, reset or timeout.
  bool fill(std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  /// The next response, if one arrives within `timeout`.
  std::optional<Resp> response(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto end = in.find("\r\n\r\n"); end != std::string::npos) {
        Resp r;
        r.head = in.substr(0, end + 2);
        r.status = std::atoi(r.head.c_str() + 9);
        std::size_t length = 0;
        std::string lower = r.head;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (const auto cl = lower.find("\r\ncontent-length: "); cl != std::string::npos)
          length = std::stoul(lower.substr(cl + 18));
        if (in.size() >= end + 4 + length) {
          r.body = in.substr(end + 4, length);
          in.erase(0, end + 4 + length);
          return r;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !fill(left)) return std::nullopt;
    }
  }
  /// The server closed the connection (EOF or reset) within `timeout`; what came before is kept.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
};

/// Sets http.`key` unless the daemon under test is another build (PVMON_E2E_PVMOND).
void set_http(json& c, const char* key, int value) {
  const char* other = std::getenv("PVMON_E2E_PVMOND");
  if (!other || !*other) c["http"][key] = value;
}

std::string ae_request(const std::string& report_id, const std::string& token = "demo-site-s01") {
  const std::string body = ae_body(report_id).dump();
  return "POST " + std::string(kStudy) + "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::size_t stored_reports(const Daemon& d) { return all_items(d, std::string(kStudy) + "/ae").size(); }

/// The daemon's peak resident set (VmHWM), in KiB.
long peak_rss_kib(pid_t pid) {
  const std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

/// Raises this process's descriptor limit to `want` if the hard limit allows; false if not.
bool descriptors_for(rlim_t want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= want) return true;
  if (rl.rlim_max < want) return false;
  rl.rlim_cur = want;
  return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/// Posts `n` AE reports one after another from 127.0.0.1 on one kept-alive connection; each
/// one's time to its 201.
std::vector<std::chrono::microseconds> post_reports(const Daemon& d, const std::string& prefix, int n) {
  auto c = d.client();
  std::vector<std::chrono::microseconds> took;
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"),
                    ae_body(prefix + std::to_string(i)).dump(), "application/json");
    took.push_back(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  return took;
}

}  // namespace

TEST_CASE("2,000 slow connections (a header byte a second) do not delay AE intake; the header deadline ends them") {
  // The test holds 2,000 sockets and the daemon as many.
  if (!descriptors_for(4096)) {
    MESSAGE("skipped: cannot open 4,096 descriptors here");
    return;
  }
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { set_http(c, "header_timeout_s", 8); }), tmp.path / "data");
  d.start();
  enrol_new(d);
  // The same posts without the attack, for comparison on this machine.
  const auto calm = post_reports(d, "CALM-", 100);

  std::vector<int> slow;
  for (int i = 0; i < 2000; ++i) {
    const std::string from = "127.0.0." + std::to_string(2 + i / 250);  // 250 an address
    const int fd = connect_from(d.port(), from);
    REQUIRE(fd >= 0);
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string start = "POST " + std::string(kStudy) + "/ae HTTP/1.1\r\nHost: pvmon\r\nX-Slow: ";
    // Each connection gets its next byte once a second, the 2,000 spread over the second (20
    // every 10 ms), as independent clients would send them.
    for (std::size_t k = 0; !stop.load(); ++k) {
      for (std::size_t i = 0; i < slow.size() && !stop.load(); ++i) {
        const char c = k < start.size() ? start[k] : 'a';
        (void)::send(slow[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (i % 20 == 19) std::this_thread::sleep_for(10ms);
      }
    }
  });
  std::this_thread::sleep_for(300ms);

  const auto attacked = post_reports(d, "UNDER-ATTACK-", 100);
  const auto calm_max = *std::max_element(calm.begin(), calm.end());
  const auto attacked_max = *std::max_element(attacked.begin(), attacked.end());
  MESSAGE("slowest of 100 AE posts: " << calm_max.count() / 1000.0 << " ms without, " << attacked_max.count() / 1000.0
                                      << " ms with 2,000 slow connections");
  // Not held up by the slow connections: a server that waited on them (a thread or a read per
  // connection) would answer only once their 8 s header deadline freed it. The bound is half
  // that deadline, far above any CPU noise (a sanitizer build on a loaded CI machine took
  // 0.43 s), so the test does not depend on this machine's speed; the latency itself is the
  // MESSAGE above, a figure to read, not a pass mark.
  for (const auto& t : attacked) CHECK(t < 4s);

  // They were all still open while the posts went through (the server did not shed them to
  // serve the posts): none has been closed before its header deadline.
  int open_now = 0;
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) ++open_now;
  }
  CHECK(open_now == 2000);
  // The header deadline (8 s from each connection's start) closes every one of them.
  std::size_t closed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<bool> done(slow.size(), false);
  while (closed < slow.size() && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (done[i]) continue;
      char buf[256];
      const ssize_t n = ::recv(slow[i], buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        done[i] = true;
        ++closed;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  trickle.join();
  CHECK(closed == slow.size());
  for (int fd : slow) ::close(fd);
  CHECK(stored_reports(d) == 200);
  CHECK(d.log_with("id=").find(" 408 ") != std::string::npos);  // each logged as a 408
  CHECK(d.running());
}

TEST_CASE("connections per address: past the limit a connection gets 503 and is closed; others are served") {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) { set_http(c, "max_connections_per_address", 20); }),
           tmp.path / "data");
  d.start();
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 20; ++i) {
    held.push_back(std::make_unique<Raw>(d.port(), "127.0.0.3"));
    REQUIRE(held.back()->fd >= 0);
  }
  // The first 20 are taken; wait until the daemon has them all (one answered request each).
  for (auto& h : held) {
    REQUIRE(h->send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = h->response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  Raw over(d.port(), "127.0.0.3");
  auto r = over.response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->has("Retry-After: 1"));
  CHECK(r->body.find("too many connections from this address") != std::string::npos);
  CHECK(over.closed_by_server(5s));
  // Another address is served, and the limited one again once it lets one go.
  auto ok = d.client().Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  held.pop_back();
  bool again = false;
  for (int attempt = 0; attempt < 50 && !again; ++attempt) {
    Raw next(d.port(), "127.0.0.3");
    next.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto back = next.response(2s);
    again = back && back->status == 200;
    if (!again) std::this_thread::sleep_for(50ms);
  }
  CHECK(again);
}

TEST_CASE("a chunked 100 MB body gets 413 once it passes the limit, never buffered; without a token, 401 before any body") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d);
  post_reports(d, "WARM-", 20);  // the daemon's usual working set, before its peak is read
  const long before = peak_rss_kib(d.pid());
  REQUIRE(before > 0);

  Raw big(d.port());
  REQUIRE(big.send_all("POST " + std::string(kStudy) +
                       "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer demo-site-s01\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "100000\r\n" + std::string(1 << 20, ' ') + "\r\n";  // 1 MiB a chunk
  std::size_t sent = 0;
  std::optional<Resp> answer;
  for (int i = 0; i < 100 && !answer; ++i) {
    if (!big.send_all(chunk)) break;
    sent += chunk.size();
    pollfd p{big.fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) answer = big.response(5s);
  }
  if (!answer) answer = big.response(10s);
  REQUIRE(answer);
  CHECK(answer->status == 413);
  CHECK(answer->has("Connection: close"));
  CHECK(answer->body.find("urn:pvmon:problem:payload-too-large") != std::string::npos);
  MESSAGE("sent " << sent / (1 << 20) << " MiB before the 413");
  CHECK(sent < 100u * chunk.size());  // answered before the client was done
  const long after = peak_rss_kib(d.pid());
  MESSAGE("peak RSS " << before / 1024.0 << " MiB before, " << after / 1024.0 << " MiB after");
  CHECK(after - before < 10 * 1024);

  // No token: 401 as soon as the headers are in, the body never read, the connection closed.
  Raw anon(d.port());
  REQUIRE(anon.send_all("POST " + std::string(kStudy) +
                        "/ae HTTP/1.1\r\nHost: pvmon\r\nContent-Type: application/json\r\n"
                        "Content-Length: 104857600\r\n\r\n"));
  auto denied = anon.response(5s);
  REQUIRE(denied);
  CHECK(denied->status == 401);
  CHECK(denied->has("WWW-Authenticate: Bearer"));
  CHECK(denied->has("Connection: close"));
  CHECK(anon.closed_by_server(5s));

  // A Content-Length past the limit is refused from the header, token or not.
  Raw huge(d.port());
  REQUIRE(huge.send_all("POST " + std::string(kStudy) +
                        "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer demo-site-s01\r\n"
                        "Content-Type: application/json\r\nContent-Length: 314572800\r\n\r\n"));
  auto too_big = huge.response(5s);
  REQUIRE(too_big);
  CHECK(too_big->status == 413);
  CHECK(stored_reports(d) == 20);
}

TEST_CASE("Expect: 100-continue: a bad token gets 401 with no 100; a good one gets 100, then its 201") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d);
  const std::string body = ae_body("CONTINUE-1").dump();
  auto head = [&](const std::string& token) {
    return "POST " + std::string(kStudy) + "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n";
  };
  Raw bad(d.port());
  REQUIRE(bad.send_all(head("not-a-token")));
  auto r = bad.response(5s);
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(bad.closed_by_server(5s));

  Raw good(d.port());
  REQUIRE(good.send_all(head("demo-site-s01")));
  auto cont = good.response(5s);
  REQUIRE(cont);
  CHECK(cont->status == 100);
  REQUIRE(good.send_all(body));
  auto created = good.response(10s);
  REQUIRE(created);
  CHECK(created->status == 201);
  CHECK(json::parse(created->body)["report_id"] == "CONTINUE-1");

  // An expectation the server does not know: 417.
  Raw odd(d.port());
  REQUIRE(odd.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n"));
  auto e = odd.response(5s);
  REQUIRE(e);
  CHECK(e->status == 417);
}

TEST_CASE("framing that two readers could read two ways is refused (400 or 431) and closed; nothing is stored") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d);
  const std::string body = ae_body("SMUGGLED-1").dump();
  const std::string n = std::to_string(body.size());
  const std::string start = "POST " + std::string(kStudy) +
                            "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer demo-site-s01\r\n"
                            "Content-Type: application/json\r\n";
  // A second request hidden where one reader would see a body and another a new request.
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: pvmon\r\n\r\n";
  std::string many_fields;
  for (int i = 0; i < 5000; ++i) many_fields += "X-F" + std::to_string(i) + ": v\r\n";
  std::string fields_101;  // 101 short fields: over the count, well under the size
  for (int i = 0; i < 101; ++i) fields_101 += "X-" + std::to_string(i) + ": v\r\n";
  struct Case {
    const char* what;
    std::string bytes;
    int status;
  };
  const std::vector<Case> cases{
      {"two different Content-Length", start + "Content-Length: " + n + "\r\nContent-Length: 5\r\n\r\n" + body, 400},
      {"Content-Length twice, the same", start + "Content-Length: " + n + "\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"Content-Length as a list", start + "Content-Length: " + n + ", " + n + "\r\n\r\n" + body, 400},
      {"Transfer-Encoding gzip, chunked with Content-Length",
       start + "Transfer-Encoding: gzip, chunked\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"Content-Length then Transfer-Encoding chunked",
       start + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
      {"Transfer-Encoding gzip, chunked", start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding chunked twice",
       start + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding identity", start + "Transfer-Encoding: identity\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"obsolete line folding", start + "Content-Length: " + n + "\r\nX-Folded: a\r\n b\r\n\r\n" + body, 400},
      {"a space before the colon", start + "Content-Length : " + n + "\r\n\r\n" + body, 400},
      {"NUL in a header value", start + "X-Note: a" + std::string(1, '\0') + "b\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"a bare CR in a header value", start + "X-Note: a\rb\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"no Host in HTTP/1.1", "GET /healthz HTTP/1.1\r\nX: y\r\n\r\n", 400},
      {"5,000 header fields", start + many_fields + "Content-Length: " + n + "\r\n\r\n" + body, 431},
      {"101 header fields", start + fields_101 + "Content-Length: " + n + "\r\n\r\n" + body, 431},
      {"HTTP/2 preface on HTTP/1.1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
  };
  for (const auto& k : cases) {
    CAPTURE(k.what);
    Raw c(d.port());
    REQUIRE(c.fd >= 0);
    c.send_all(k.bytes);
    auto r = c.response(5s);
    REQUIRE(r);
    CHECK(r->status == k.status);
    CHECK(r->has("Connection: close"));
    CHECK(r->has("Content-Type: application/problem+json"));
    CHECK(c.closed_by_server(5s));
    CHECK(c.in.empty());  // no second answer: the smuggled request was never read as one
  }
  CHECK(stored_reports(d) == 0);
  CHECK(d.running());
}

TEST_CASE("pipelining: requests sent in one write are all stored and answered in order on the connection") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d);
  std::string batch;
  for (int i = 0; i < 8; ++i) batch += ae_request("PIPE-" + std::to_string(i));
  batch += "GET " + std::string(kStudy) + "/ae HTTP/1.1\r\nHost: pvmon\r\nAuthorization: Bearer demo-officer\r\n\r\n";
  batch += ae_request("PIPE-0");  // the first one again: the same report, already stored
  Raw c(d.port());
  REQUIRE(c.send_all(batch));
  for (int i = 0; i < 8; ++i) {
    CAPTURE(i);
    auto r = c.response(10s);
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(json::parse(r->body)["report_id"] == "PIPE-" + std::to_string(i));
  }
  auto list = c.response(10s);
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(json::parse(list->body)["items"].size() == 8);  // the posts before it were all stored
  auto again = c.response(10s);
  REQUIRE(again);
  CHECK(again->status == 200);  // the same report posted again: nothing new
  CHECK(stored_reports(d) == 8);
  // The connection stays open for more.
  REQUIRE(c.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto h = c.response(5s);
  REQUIRE(h);
  CHECK(h->status == 200);
}

TEST_CASE("deadlines: an unfinished header is cut at header_timeout_s, an idle connection at keep_alive_timeout_s") {
  TempDir tmp;
  Daemon d(write_config(tmp.path, [](json& c) {
             set_http(c, "header_timeout_s", 2);
             c["http"]["keep_alive_timeout_s"] = 1;
           }),
           tmp.path / "data");
  d.start();
  // The header deadline is for the whole block, not per byte: a byte every 300 ms keeps no
  // connection beyond it.
  Raw slow(d.port());
  const auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (char ch : std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")) {
    if (!slow.send_all(std::string(1, ch)) || slow.closed_by_server(300ms)) {
      cut = true;
      break;
    }
  }
  CHECK(cut);
  CHECK(std::chrono::steady_clock::now() - t0 >= 1500ms);  // not before its deadline
  // An idle kept-alive connection is closed once it has been idle for keep_alive_timeout_s.
  Raw idle(d.port());
  REQUIRE(idle.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = idle.response(5s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(idle.closed_by_server(10s));
  CHECK(d.log_with(" 408 ").find(" 408 ") != std::string::npos);
}
