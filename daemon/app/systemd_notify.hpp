// Readiness, reload, stop and watchdog notifications to systemd (sd_notify(3) protocol, spoken
// directly: one datagram per call to the AF_UNIX socket named by $NOTIFY_SOCKET).
// Not thread-safe: call from one thread at a time (the daemon's io thread).
// Never throws; a failed send is ignored except for a sticky flag (`failed()`) the caller may log.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pvmon::app {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Without NOTIFY_SOCKET (not started by
  // systemd, or Type= is not notify) the notifier is disabled and every call is a no-op.
  static SystemdNotifier from_environment();

  bool enabled() const { return !socket_.empty(); }
  // True once the socket was malformed or a send failed; stays true.
  bool failed() const { return failed_; }

  // READY=1, with STATUS=<status> when status is not empty.
  void ready(std::string_view status = {});
  // RELOADING=1 with MONOTONIC_USEC (systemd 253 Type=notify-reload; older versions ignore it).
  // Send ready() when the reload is done, whether it succeeded or not.
  void reloading();
  void stopping();
  void watchdog();
  void status(std::string_view text);

  // The ping period: half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises. Empty when the
  // watchdog is off, or when WATCHDOG_PID names another process.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  void send(std::string_view message);

  std::string socket_;  // sockaddr_un path; a leading '\0' for an abstract socket
  std::optional<std::chrono::microseconds> watchdog_interval_;
  bool failed_ = false;
};

}  // namespace pvmon::app
