#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "systemd_notify.hpp"

using pvmon::app::SystemdNotifier;
namespace fs = std::filesystem;

namespace {

// A receiving datagram socket standing in for systemd's notify socket. `name` is a path, or
// starts with '@' for an abstract socket, exactly as NOTIFY_SOCKET spells it.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(name_.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    const bool abstract = name_.front() == '@';
    if (abstract) addr.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                            (abstract ? 0 : 1));
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0);
    // A bound on a missing datagram, so a failing test ends instead of hanging.
    timeval tv{5, 0};
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  }
  ~FakeNotifySocket() { ::close(fd_); }
  FakeNotifySocket(const FakeNotifySocket&) = delete;
  FakeNotifySocket& operator=(const FakeNotifySocket&) = delete;

  std::optional<std::string> receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // Nothing queued right now (non-blocking peek).
  bool empty() {
    char c;
    return ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0;
  }

 private:
  std::string name_;
  int fd_ = -1;
};

// Sets (or unsets, for nullopt) the notify variables for one test and restores a clean slate.
struct NotifyEnv {
  NotifyEnv(std::optional<std::string> socket, std::optional<std::string> usec = std::nullopt,
            std::optional<std::string> pid = std::nullopt) {
    set("NOTIFY_SOCKET", socket);
    set("WATCHDOG_USEC", usec);
    set("WATCHDOG_PID", pid);
  }
  ~NotifyEnv() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  static void set(const char* name, const std::optional<std::string>& value) {
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "pvmon-notify-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

void check_protocol(const std::string& socket_name, FakeNotifySocket& sock) {
  NotifyEnv env(socket_name, "30000000");
  auto n = SystemdNotifier::from_environment();
  REQUIRE(n.enabled());

  n.ready();
  CHECK(sock.receive() == "READY=1");
  n.ready("listening on 127.0.0.1:8080");
  CHECK(sock.receive() == "READY=1\nSTATUS=listening on 127.0.0.1:8080");
  n.status("two\nlines");
  CHECK(sock.receive() == "STATUS=two lines");
  n.watchdog();
  CHECK(sock.receive() == "WATCHDOG=1");
  n.stopping();
  CHECK(sock.receive() == "STOPPING=1");

  const auto before = monotonic_usec();
  n.reloading();
  const auto after = monotonic_usec();
  const auto got = sock.receive();
  REQUIRE(got);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  REQUIRE(got->rfind(prefix, 0) == 0);
  const std::string digits = got->substr(prefix.size());
  REQUIRE_FALSE(digits.empty());
  CHECK(digits.find_first_not_of("0123456789") == std::string::npos);
  const auto usec = std::stoull(digits);
  CHECK(usec >= before);
  CHECK(usec <= after);

  CHECK_FALSE(n.failed());
  CHECK(sock.empty());
}

}  // namespace

TEST_CASE("notifications reach a path socket as exact datagrams") {
  TempDir dir;
  const std::string path = (dir.path / "notify").string();
  FakeNotifySocket sock(path);
  check_protocol(path, sock);
}

TEST_CASE("notifications reach an abstract socket") {
  const std::string name = "@pvmon-test-notify-" + std::to_string(::getpid());
  FakeNotifySocket sock(name);
  check_protocol(name, sock);
}

TEST_CASE("the watchdog period is half of WATCHDOG_USEC") {
  SUBCASE("no WATCHDOG_PID") {
    NotifyEnv env("/run/nothing/notify", "30000000");
    CHECK(SystemdNotifier::from_environment().watchdog_interval() ==
          std::chrono::microseconds(15'000'000));
  }
  SUBCASE("WATCHDOG_PID is this process") {
    NotifyEnv env("/run/nothing/notify", "20000000", std::to_string(::getpid()));
    CHECK(SystemdNotifier::from_environment().watchdog_interval() ==
          std::chrono::microseconds(10'000'000));
  }
  SUBCASE("WATCHDOG_PID is another process") {
    NotifyEnv env("/run/nothing/notify", "30000000", std::to_string(::getpid() + 1));
    auto n = SystemdNotifier::from_environment();
    CHECK(n.enabled());
    CHECK_FALSE(n.watchdog_interval());
  }
  SUBCASE("no WATCHDOG_USEC, zero, or garbage") {
    for (const char* v : {"", "0", "30s", "-5", "12x"}) {
      NotifyEnv env("/run/nothing/notify", v[0] ? std::optional<std::string>(v) : std::nullopt);
      CHECK_FALSE(SystemdNotifier::from_environment().watchdog_interval());
    }
  }
}

TEST_CASE("without NOTIFY_SOCKET the notifier is disabled and calls are no-ops") {
  NotifyEnv env(std::nullopt, "30000000");
  auto n = SystemdNotifier::from_environment();
  CHECK_FALSE(n.enabled());
  CHECK_FALSE(n.watchdog_interval());
  n.ready("x");
  n.reloading();
  n.watchdog();
  n.status("x");
  n.stopping();
  CHECK_FALSE(n.failed());
}

TEST_CASE("a malformed socket name disables the notifier and sets the flag") {
  for (const char* v : {"relative/notify", "@"}) {
    NotifyEnv env{std::string(v)};
    auto n = SystemdNotifier::from_environment();
    CHECK_FALSE(n.enabled());
    CHECK(n.failed());
  }
}

TEST_CASE("a send to a missing socket sets the flag and does not throw") {
  TempDir dir;
  NotifyEnv env((dir.path / "nobody-listens").string());
  auto n = SystemdNotifier::from_environment();
  REQUIRE(n.enabled());
  CHECK_FALSE(n.failed());
  CHECK_NOTHROW(n.ready());
  CHECK(n.failed());
  CHECK_NOTHROW(n.watchdog());
  CHECK(n.failed());
}
