// bench_durable_floor PORT DB [THREADS] [KEEPALIVE_MAX]: the second baseline of bench/intake.
// The least that any server acknowledging a report only after it is durable can do here: the
// bare server's listener, plus one SQLite table (WAL, synchronous=FULL, as pvmond) written by a
// single thread that commits in groups, as pvmond's writer does. It stores the raw body, and
// answers 201 {} after the COMMIT that holds it has returned. No parsing, validation, grading,
// rules, alerts, clocks or audit: it measures what the durability alone costs on this machine,
// and so how much of the gap between pvmond and the bare server any design could close.
// PORT 0 picks a free port; the bound port is printed on stdout as "port N".
#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "listener.hpp"

namespace {

bool exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return true;
  std::fprintf(stderr, "bench_durable_floor: %s: %s\n", sql, err != nullptr ? err : "?");
  sqlite3_free(err);
  return false;
}

// One writer thread, one connection; each wake drains the whole queue into one transaction.
class GroupWriter {
 public:
  explicit GroupWriter(sqlite3* db) : db_(db), thread_([this] { run(); }) {}
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;
  ~GroupWriter() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  // Blocks until the body is committed; false if the commit failed.
  bool store(std::string body) {
    std::promise<bool> done;
    auto result = done.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(body), std::move(done)});
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  struct Job {
    std::string body;
    std::promise<bool> done;
  };

  void run() {
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO reports (body) VALUES (?)", -1, &insert, nullptr);
    for (;;) {
      std::deque<Job> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) break;
        batch.swap(queue_);
      }
      bool ok = exec(db_, "BEGIN IMMEDIATE");
      for (auto& job : batch) {
        sqlite3_bind_text(insert, 1, job.body.data(), static_cast<int>(job.body.size()),
                          SQLITE_STATIC);
        ok = ok && sqlite3_step(insert) == SQLITE_DONE;
        sqlite3_reset(insert);
      }
      ok = ok && exec(db_, "COMMIT");
      if (!ok) exec(db_, "ROLLBACK");
      for (auto& job : batch) job.done.set_value(ok);
    }
    sqlite3_finalize(insert);
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};
}  // namespace

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
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) {
    std::fprintf(stderr, "bench_durable_floor: cannot open %s: %s\n", argv[2], sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  // The durability pvmond uses (daemon/store/sqlite.cpp).
  if (!exec(db, "PRAGMA journal_mode=WAL") || !exec(db, "PRAGMA synchronous=FULL") ||
      !exec(db, "CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")) {
    sqlite3_close(db);
    return 1;
  }
  int rc = 1;
  {
    GroupWriter writer(db);
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
