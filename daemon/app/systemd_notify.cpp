#include "systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace pvmon::app {

namespace {

std::optional<std::uint64_t> parse_unsigned(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  const char* end = text + std::strlen(text);
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// A status line must stay one field: a newline would start a new assignment.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n') c = ' ';
  return out;
}

}  // namespace

SystemdNotifier SystemdNotifier::from_environment() {
  SystemdNotifier n;
  const char* sock = std::getenv("NOTIFY_SOCKET");
  if (sock == nullptr || *sock == '\0') return n;

  std::string path(sock);
  const bool abstract = path.front() == '@';
  if (abstract) path.front() = '\0';
  // sun_path holds 108 bytes; a path socket also needs its terminating NUL.
  if ((!abstract && path.front() != '/') || path.size() < 2 ||
      path.size() + (abstract ? 0 : 1) > sizeof(sockaddr_un::sun_path)) {
    n.failed_ = true;
    return n;
  }
  n.socket_ = std::move(path);

  const auto usec = parse_unsigned(std::getenv("WATCHDOG_USEC"));
  if (usec && *usec > 0) {
    const char* pid_text = std::getenv("WATCHDOG_PID");
    const auto pid = parse_unsigned(pid_text);
    const bool ours = pid_text == nullptr || *pid_text == '\0' ||
                      (pid && *pid == static_cast<std::uint64_t>(::getpid()));
    if (ours) n.watchdog_interval_ = std::chrono::microseconds(*usec / 2);
  }
  return n;
}

void SystemdNotifier::ready(std::string_view status) {
  if (status.empty()) {
    send("READY=1");
  } else {
    send("READY=1\nSTATUS=" + one_line(status));
  }
}

void SystemdNotifier::reloading() {
  if (!enabled()) return;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::stopping() { send("STOPPING=1"); }

void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

void SystemdNotifier::status(std::string_view text) { send("STATUS=" + one_line(text)); }

void SystemdNotifier::send(std::string_view message) {
  if (!enabled()) return;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failed_ = true;
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  // An abstract name is exactly its bytes; a path gets its NUL from the zeroed addr.
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                          (socket_.front() == '\0' ? 0 : 1));
  ssize_t sent = -1;
  do {
    sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr), len);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(message.size())) failed_ = true;
  ::close(fd);
}

}  // namespace pvmon::app
