// bench_bare_server PORT [THREADS] [KEEPALIVE_MAX]: the baseline of bench/intake. A bare
// cpp-httplib server that answers 201 {} to POST /v1/studies/<any>/ae without parsing or
// storing, configured like pvmond's listener (TCP_NODELAY, worker count, keep-alive limit) so
// that the ratio measures what pvmond adds: validation, the group commit, the fsync.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include "listener.hpp"

int main(int argc, char** argv) {
  int port = 0;
  int threads = 8;
  int keepalive_max = 1000;
  if (argc < 2 || !bench::parse_int(argv[1], port) || (argc > 2 && !bench::parse_int(argv[2], threads)) ||
      (argc > 3 && !bench::parse_int(argv[3], keepalive_max)) || threads < 1) {
    std::fprintf(stderr, "usage: bench_bare_server PORT [THREADS=8] [KEEPALIVE_MAX=1000]\n");
    return 2;
  }
  httplib::Server server;
  bench::configure_like_pvmond(server, threads, keepalive_max);
  server.Post(R"(/v1/studies/([^/]+)/ae)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content("{}", "application/json");
  });
  return bench::serve(server, port, "bench_bare_server");
}
