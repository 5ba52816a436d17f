// pvmon::http — the listening server: the front door (Boost.Beast on the daemon's io_context,
// HTTPS over OpenSSL when configured) with the API's routes behind it. The app creates it,
// binds it, starts it, winds it down at shutdown and stops it; only this module sees Beast.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
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

/// Raises the soft limit on open descriptors to the hard limit; returns the limit in force.
std::size_t raise_descriptor_limit();

class Server {
 public:
  /// Builds the server for `c` (TLS, limits, deadlines) with the API installed, on `io` (which
  /// the caller runs, on one thread); the access log takes one line per request. An error says
  /// why (a TLS key that does not fit, ...).
  static Result<std::unique_ptr<Server>> create(boost::asio::io_context& io, const config::Config& c,
                                                service::ConfigHolder& config, store::Store& store,
                                                const Clock& clock, std::shared_ptr<spdlog::logger> access_log);
  ~Server();
  /// Binds host:port (port 0: any free one); returns the bound address as HOST:PORT.
  Result<std::string> bind(const std::string& host, int port);
  /// Accepts connections on the io_context.
  void start();
  /// Stops accepting and closes idle connections; requests under way are answered. `drained`
  /// runs on the io thread when none is left, or after `grace`.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> drained);
  /// Joins the workers; what is left is closed. After the io_context has stopped.
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
