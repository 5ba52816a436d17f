// What bench/intake's two cpp-httplib baselines share: the listener configured like pvmond's, and the
// serve loop (bind 127.0.0.1, print "port N", stop on SIGINT/SIGTERM).
#pragma once

#include <httplib.h>

#include <csignal>
#include <cstddef>
#include <cstdio>
#include <string_view>

#include "args.hpp"

namespace bench {

/// As pvmond configures its listener: TCP_NODELAY, `threads` workers, the keep-alive limit.
inline void configure_like_pvmond(httplib::Server& server, int threads, int keepalive_max) {
  // Without TCP_NODELAY every keep-alive response waits for the peer's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server.set_keep_alive_max_count(static_cast<std::size_t>(keepalive_max));
  server.set_keep_alive_timeout(5);
  server.set_payload_max_length(64 * 1024);
}

namespace detail {
inline httplib::Server* g_server = nullptr;
extern "C" inline void on_signal(int) {
  if (g_server != nullptr) g_server->stop();
}
}  // namespace detail

/// Binds 127.0.0.1:`port` (0: a free port), prints "port N" on stdout, serves until SIGINT or
/// SIGTERM. Returns the exit code.
inline int serve(httplib::Server& server, int port, const char* name) {
  detail::g_server = &server;
  std::signal(SIGINT, detail::on_signal);
  std::signal(SIGTERM, detail::on_signal);
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  int rc = 1;
  if (port <= 0) {
    std::fprintf(stderr, "%s: cannot bind 127.0.0.1\n", name);
  } else {
    std::printf("port %d\n", port);
    std::fflush(stdout);
    rc = server.listen_after_bind() ? 0 : 1;
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  detail::g_server = nullptr;
  return rc;
}

}  // namespace bench
