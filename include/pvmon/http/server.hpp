// pvmon::http — the listening server: cpp-httplib (HTTPS over OpenSSL when configured) with
// the elastic worker pool, the API's routes installed, bound and served on a thread of its
// own. The app creates it, starts it, and stops it at shutdown; only this module sees httplib.
#pragma once

#include <memory>
#include <string>

#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/service/runtime.hpp"
#include "pvmon/store.hpp"

namespace spdlog {
class logger;
}

namespace pvmon::http {

class Server {
 public:
  /// Builds the server for `c` (TLS, limits, timeouts) with the API installed; the access log
  /// takes one line per request. An error says why (a TLS key that does not fit, ...).
  static Result<std::unique_ptr<Server>> create(const config::Config& c, service::ConfigHolder& config,
                                                store::Store& store, const Clock& clock,
                                                std::shared_ptr<spdlog::logger> access_log);
  ~Server();
  /// Binds host:port (port 0: any free one); returns the bound address as HOST:PORT.
  Result<std::string> bind(const std::string& host, int port);
  /// Serves on a thread of its own (pv-accept) until stop().
  void start();
  /// Stops accepting; workers finish the requests they hold; joins the thread.
  void stop();
  /// Audits rejected tokens, one row per address and minute, for the minutes that are over
  /// (every minute counted when `all`, after stop()). Any thread; one caller at a time.
  void audit_auth_failures(bool all);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pvmon::http
