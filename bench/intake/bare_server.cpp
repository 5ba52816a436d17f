// bench_bare_server PORT [THREADS] [KEEPALIVE_MAX]: the baseline of bench/intake. A bare
// cpp-httplib server that answers 201 {} to POST /v1/studies/<any>/ae without parsing or
// storing, configured like pvmond's listener (TCP_NODELAY, worker count, keep-alive limit) so
// that the ratio measures what pvmond adds: validation, the group commit, the fsync.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include <httplib.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <string_view>

namespace {
httplib::Server* g_server = nullptr;

extern "C" void on_signal(int) {
  if (g_server != nullptr) g_server->stop();
}

bool parse_int(const char* s, int& out) {
  const std::string_view v(s);
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}
}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int threads = 8;
  int keepalive_max = 1000;
  if (argc < 2 || !parse_int(argv[1], port) || (argc > 2 && !parse_int(argv[2], threads)) ||
      (argc > 3 && !parse_int(argv[3], keepalive_max)) || threads < 1) {
    std::fprintf(stderr, "usage: bench_bare_server PORT [THREADS=8] [KEEPALIVE_MAX=1000]\n");
    return 2;
  }
  httplib::Server server;
  // Without TCP_NODELAY every keep-alive response waits for the peer's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server.set_keep_alive_max_count(static_cast<size_t>(keepalive_max));
  server.set_keep_alive_timeout(5);
  server.set_payload_max_length(64 * 1024);
  server.Post(R"(/v1/studies/([^/]+)/ae)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content("{}", "application/json");
  });
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "bench_bare_server: cannot bind 127.0.0.1\n");
    return 1;
  }
  std::printf("port %d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
