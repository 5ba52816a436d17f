// The single writer: one thread owns the only write connection and commits in groups. It
// drains whatever is queued (up to max_batch) into one transaction, each job inside its own
// SAVEPOINT so a failing job does not undo the others, then COMMITs; only after COMMIT has
// returned are the waiting callers released. Private to pvmon::store.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "pvmon/core.hpp"
#include "pvmon/store.hpp"
#include "sqlite.hpp"

namespace pvmon::store {

/// Maps database failures to the error a client sees (503 for full, busy, I/O).
Error to_error(const DbError& e);

class Writer {
 public:
  /// `reopen`: a new connection after the last one was lost (PostgreSQL); none for SQLite.
  Writer(std::unique_ptr<Db> db, int max_batch, std::function<std::unique_ptr<Db>()> reopen = {});
  ~Writer();

  /// Runs fn inside the next group transaction and waits for its COMMIT. Refused while the
  /// writer is read-only (`always`: delivery bookkeeping and the operator's own alerts).
  template <class T>
  Result<T> write(const std::function<Result<T>(Db&)>& fn, bool always = false) {
    if (!always) {
      if (auto why = read_only()) return Error::of(Errc::unavailable, *why);
    }
    std::optional<Result<T>> out;
    Status st = submit([&](Db& db) -> Status {
      out.emplace(fn(db));
      if (!out->ok()) return out->error();
      return Ok{};
    });
    if (!st) return st.error();
    return std::move(*out);
  }

  /// Stops accepting jobs, commits the queue, joins the thread, then checkpoints the WAL into
  /// the database file (TRUNCATE). Idempotent.
  void stop();
  /// While set, write() refuses with this reason (503 to a client).
  void set_read_only(std::optional<std::string> reason) {
    std::lock_guard lock(mu_);
    read_only_ = std::move(reason);
  }
  std::optional<std::string> read_only() const {
    std::lock_guard lock(mu_);
    return read_only_;
  }
  WriterStats stats() const;

 private:
  struct Job {
    std::function<Status(Db&)> apply;
    std::promise<Status> done;
  };
  Status submit(std::function<Status(Db&)> apply);
  void run();
  void commit_batch(std::deque<Job>& batch);
  void checkpoint_on_stop();  // once, after the thread has ended

  std::unique_ptr<Db> db_;
  std::function<std::unique_ptr<Db>()> reopen_;
  bool lost_ = false;  // writer thread only: the connection failed; reopen before the next batch
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::optional<std::string> read_only_;
  bool checkpointed_ = false;  // by the thread that stopped the writer
  std::atomic<std::uint64_t> commits_{0}, jobs_{0}, max_seen_{0};
  std::array<std::atomic<std::uint64_t>, WriterStats::kCommitBounds.size()> within_{};
  std::atomic<std::uint64_t> commit_us_{0};  // the sum, in microseconds
  std::chrono::steady_clock::time_point last_slow_log_{};  // writer thread only
  std::thread thread_;
};

}  // namespace pvmon::store
