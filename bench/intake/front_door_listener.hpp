// What bench/intake's baselines on pvmond's front door (daemon/http/front_door.hpp, Boost.Beast
// on an Asio io_context) share: the door configured like pvmond's (its worker count, keep-alive
// limit and timeout; the connection limits high enough for wrk -c1000 from one address), an
// Exchange that answers every request with one function on a worker thread, and the serve loop
// (bind 127.0.0.1, print "port N", run the io_context on this thread as pvmond does, stop on
// SIGINT/SIGTERM through FrontDoor::shutdown).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "front_door.hpp"
#include "pvmon/http/server.hpp"  // raise_descriptor_limit

namespace bench {

namespace http = pvmon::http;

/// As pvmond (config defaults, config/pvmond.json) configures its door: `threads` workers started
/// at once and up to 256, the keep-alive limit, a 5 s keep-alive timeout. Body limit 64 KiB, as
/// the cpp-httplib baselines. Connections: 10,000 in all and per address (pvmond: 256 per
/// address unless configured), so that 1,000 from wrk are all served.
inline http::FrontDoorSettings settings_like_pvmond(int threads, int keepalive_max) {
  http::FrontDoorSettings s;
  s.threads = static_cast<std::size_t>(threads);
  s.max_workers = 256;
  s.keep_alive_max = keepalive_max;
  s.keep_alive_timeout = std::chrono::seconds(5);
  s.limits.max_body_bytes = 64 * 1024;
  s.max_connections = 10'000;
  s.max_connections_per_address = 10'000;
  return s;
}

/// Answers every request read in full with `handler` (on a worker thread); refusals with a bare
/// status and its detail as text. No log line, no route, no token.
class FunctionExchange final : public http::Exchange {
 public:
  using Handler = std::function<http::Response(const http::Request&)>;
  explicit FunctionExchange(const Handler* handler) : handler_(handler) {}
  std::optional<http::Response> admit(const http::Request&) override { return std::nullopt; }
  http::Response handle(const http::Request& request) override { return (*handler_)(request); }
  http::Response refuse(const http::Request*, int status, std::string_view detail) override {
    http::Response r;
    r.status = status;
    r.set_content(std::string(detail), "text/plain");
    return r;
  }
  void finished(const http::Request*, const http::Response&) override {}

 private:
  const Handler* handler_;
};

/// Binds 127.0.0.1:`port` (0: a free port), prints "port N" on stdout, serves with `handler`
/// until SIGINT or SIGTERM (then lets requests under way finish, 2 s at most). Returns the exit
/// code.
inline int serve_front_door(http::FrontDoorSettings settings, FunctionExchange::Handler handler, int port,
                            const char* name) {
  http::raise_descriptor_limit();
  boost::asio::io_context io;
  auto door = http::FrontDoor::create(io, std::move(settings),
                                      [&handler] { return std::make_unique<FunctionExchange>(&handler); });
  if (!door) {
    std::fprintf(stderr, "%s: %s\n", name, door.error().message.c_str());
    return 1;
  }
  auto bound = door.value()->bind("127.0.0.1", port);
  if (!bound) {
    std::fprintf(stderr, "%s: %s\n", name, bound.error().message.c_str());
    return 1;
  }
  const std::string& addr = bound.value();
  std::printf("port %s\n", addr.substr(addr.rfind(':') + 1).c_str());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    door.value()->shutdown(std::chrono::seconds(2), [&io] { io.stop(); });
  });
  door.value()->start();
  io.run();
  door.value()->stop();  // joins the workers: none is left inside `handler`
  return 0;
}

}  // namespace bench
