// bench_durable_floor_beast PORT DB [THREADS] [KEEPALIVE_MAX]: bench_durable_floor on pvmond's
// front door (daemon/http/front_door.hpp) instead of cpp-httplib: the same group-committed
// SQLite insert of the raw body (floor_writer.hpp: WAL, synchronous=FULL, one writer thread),
// the handler waiting on the door's worker thread for the COMMIT, then 201 {}. Any POST is
// stored; another method gets 405. The floor pvmond on the same door is measured against.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include "args.hpp"
#include "floor_writer.hpp"
#include "front_door_listener.hpp"

int main(int argc, char** argv) {
  int port = 0;
  int threads = 8;
  int keepalive_max = 1000;
  if (argc < 3 || !bench::parse_int(argv[1], port) || (argc > 3 && !bench::parse_int(argv[3], threads)) ||
      (argc > 4 && !bench::parse_int(argv[4], keepalive_max)) || threads < 1) {
    std::fprintf(stderr, "usage: bench_durable_floor_beast PORT DB [THREADS=8] [KEEPALIVE_MAX=1000]\n");
    return 2;
  }
  sqlite3* db = bench::open_floor_db(argv[2]);
  if (db == nullptr) return 1;
  int rc = 1;
  {
    bench::GroupWriter writer(db);  // outlives the door: serve_front_door joins the workers
    rc = bench::serve_front_door(
        bench::settings_like_pvmond(threads, keepalive_max),
        [&writer](const pvmon::http::Request& req) {
          pvmon::http::Response r;
          if (req.method != "POST") {
            r.status = 405;
          } else {
            r.status = writer.store(req.body) ? 201 : 503;
          }
          r.set_content("{}", "application/json");
          return r;
        },
        port, "bench_durable_floor_beast");
  }
  sqlite3_close(db);
  return rc;
}
