// bench_bare_beast PORT [THREADS] [KEEPALIVE_MAX]: bench_bare_server on pvmond's front door
// (daemon/http/front_door.hpp: Boost.Beast on an Asio io_context run by one thread, handlers on
// the door's worker pool) instead of cpp-httplib. Answers 201 {"id":1} (application/json) to any
// request read in full, without parsing or storing, with the door configured as pvmond
// configures it (worker count, keep-alive limit), connection limits high enough for
// 1,000 connections from one address. So bare beast / bare httplib is what the door alone
// changes, and pvmond / bare beast what pvmond adds to it.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include "args.hpp"
#include "front_door_listener.hpp"

int main(int argc, char** argv) {
  int port = 0;
  int threads = 8;
  int keepalive_max = 1000;
  if (argc < 2 || !bench::parse_int(argv[1], port) || (argc > 2 && !bench::parse_int(argv[2], threads)) ||
      (argc > 3 && !bench::parse_int(argv[3], keepalive_max)) || threads < 1) {
    std::fprintf(stderr, "usage: bench_bare_beast PORT [THREADS=8] [KEEPALIVE_MAX=1000]\n");
    return 2;
  }
  return bench::serve_front_door(
      bench::settings_like_pvmond(threads, keepalive_max),
      [](const pvmon::http::Request&) {
        pvmon::http::Response r;
        r.status = 201;
        r.set_content(R"({"id":1})", "application/json");
        return r;
      },
      port, "bench_bare_beast");
}
