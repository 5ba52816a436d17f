// What the two durable floors share (durable_floor.cpp on cpp-httplib, durable_floor_beast.cpp
// on pvmond's front door): one SQLite table in WAL mode with synchronous=FULL, as pvmond's
// store, written by a single thread that commits in groups, as pvmond's writer does. A caller
// blocks in store() until the COMMIT holding its body has returned.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace bench {

inline bool exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return true;
  std::fprintf(stderr, "durable floor: %s: %s\n", sql, err != nullptr ? err : "?");
  sqlite3_free(err);
  return false;
}

/// Opens `path` with the durability pvmond uses (daemon/store/sqlite.cpp) and the reports
/// table; nullptr (and a message on stderr) if it cannot.
inline sqlite3* open_floor_db(const char* path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    std::fprintf(stderr, "durable floor: cannot open %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return nullptr;
  }
  if (!exec(db, "PRAGMA journal_mode=WAL") || !exec(db, "PRAGMA synchronous=FULL") ||
      !exec(db, "CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
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
        sqlite3_bind_text(insert, 1, job.body.data(), static_cast<int>(job.body.size()), SQLITE_STATIC);
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

}  // namespace bench
