// bench_durable_floor PORT DB [THREADS] [KEEPALIVE_MAX]: the second baseline of bench/intake.
// The least that any server acknowledging a report only after it is durable can do here: the
// bare server's listener, plus one SQLite table (WAL, synchronous=FULL, as pvmond) written by a
// single thread that commits in groups, as pvmond's writer does. It stores the raw body, and
// answers 201 {} after the COMMIT that holds it has returned. No parsing, validation, grading,
// rules, alerts, clocks or audit: it measures what the durability alone costs on this machine,
// and so how much of the gap between pvmond and the bare server any design could close.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include "floor_writer.hpp"
#include "listener.hpp"

int main(int argc, char** argv) {
  int port = 0;
  int threads = 8;
  int keepalive_max = 1000;
  if (argc < 3 || !bench::parse_int(argv[1], port) || (argc > 3 && !bench::parse_int(argv[3], threads)) ||
      (argc > 4 && !bench::parse_int(argv[4], keepalive_max)) || threads < 1) {
    std::fprintf(stderr,
                 "usage: bench_durable_floor PORT DB [THREADS=8] [KEEPALIVE_MAX=1000]\n");
    return 2;
  }
  sqlite3* db = bench::open_floor_db(argv[2]);
  if (db == nullptr) return 1;
  int rc = 1;
  {
    bench::GroupWriter writer(db);
    httplib::Server server;
    bench::configure_like_pvmond(server, threads, keepalive_max);
    server.Post(R"(/v1/studies/([^/]+)/ae)",
                [&writer](const httplib::Request& req, httplib::Response& res) {
                  res.status = writer.store(req.body) ? 201 : 503;
                  res.set_content("{}", "application/json");
                });
    rc = bench::serve(server, port, "bench_durable_floor");
  }
  sqlite3_close(db);
  return rc;
}
