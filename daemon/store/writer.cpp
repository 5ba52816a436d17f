#include "writer.hpp"

#include <spdlog/spdlog.h>

namespace pvmon::store {

Error to_error(const DbError& e) {
  switch (e.fault()) {
    case DbFault::full:
      return Error::of(Errc::unavailable, "storage is full: the report was not stored");
    case DbFault::busy:
      return Error::of(Errc::unavailable, "the database is locked by another process");
    case DbFault::io:
    case DbFault::not_a_db:
      return Error::of(Errc::unavailable, "storage I/O error: the report was not stored");
    case DbFault::constraint:
      return Error::of(Errc::conflict, "constraint violated");
    case DbFault::other:
      break;
  }
  return Error::of(Errc::internal, "database error");
}

Writer::Writer(std::unique_ptr<Db> db, int max_batch, std::function<std::unique_ptr<Db>()> reopen)
    : db_(std::move(db)), reopen_(std::move(reopen)), max_batch_(max_batch), thread_([this] { run(); }) {}

Writer::~Writer() { stop(); }

Status Writer::submit(std::function<Status(Db&)> apply) {
  std::future<Status> fut;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error::of(Errc::unavailable, "shutting down");
    queue_.push_back(Job{std::move(apply), {}});
    fut = queue_.back().done.get_future();
  }
  cv_.notify_one();
  return fut.get();
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  checkpoint_on_stop();
}

void Writer::checkpoint_on_stop() {
  // The last write of a clean stop: every page in the WAL copied into the database file and
  // the WAL emptied, so the file alone is the whole database (an operator's cp, a restore
  // elsewhere). Idle readers do not hold it up; one in a read waits out the busy timeout.
  if (!db_ || checkpointed_ || db_->engine() != Engine::sqlite) return;
  checkpointed_ = true;
  try {
    auto st = db_->cached("PRAGMA wal_checkpoint(TRUNCATE)");
    if (st.step() && st.i64(0) != 0)
      spdlog::warn("storage: the WAL was not checkpointed at stop (a reader held it); the database "
                   "file alone is not the whole database: copy it with its -wal, or use pvmon backup");
  } catch (const DbError& e) {
    spdlog::warn("storage: WAL checkpoint at stop failed: {}", e.what());
  }
}

WriterStats Writer::stats() const {
  WriterStats s{commits_.load(), jobs_.load(), max_seen_.load()};
  for (std::size_t i = 0; i < within_.size(); ++i) s.commits_within[i] = within_[i].load();
  s.commit_seconds_sum = static_cast<double>(commit_us_.load()) / 1e6;
  return s;
}

void Writer::run() {
  set_thread_name("pv-writer");
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
  }
}

void Writer::commit_batch(std::deque<Job>& batch) {
  std::vector<Status> results;
  results.reserve(batch.size());
  const auto started = std::chrono::steady_clock::now();
  bool began = false;
  if (lost_ && reopen_) {
    // The server went away (a restart, a fail-over): a new connection for this batch, or the
    // batch fails as unavailable and the next one tries again.
    try {
      db_ = reopen_();
      lost_ = false;
      spdlog::warn("storage: reconnected to the database");
    } catch (const DbError& e) {
      const Error err = Error::of(Errc::unavailable, std::string("the database is unreachable: ") + e.what());
      for (auto& job : batch) job.done.set_value(err);
      return;
    }
  }
  try {
    db_->begin_write();
    began = true;
    for (auto& job : batch) {
      db_->cached("SAVEPOINT job").run();
      Status st = Ok{};
      try {
        st = job.apply(*db_);
      } catch (const DbError& e) {
        st = to_error(e);
        // A full disk or an I/O error poisons the whole transaction: let COMMIT decide below.
      } catch (const std::exception& e) {
        st = Error::of(Errc::internal, std::string("write failed: ") + e.what());
      }
      if (st.ok()) {
        db_->cached("RELEASE job").run();
      } else {
        db_->cached("ROLLBACK TO job").run();
        db_->cached("RELEASE job").run();
      }
      results.push_back(std::move(st));
    }
    db_->cached("COMMIT").run();
  } catch (const DbError& e) {
    // BEGIN, a savepoint or COMMIT failed: nothing in this batch is durable.
    if (e.fault() == DbFault::io && reopen_) lost_ = true;
    if (began) {
      try {
        db_->exec("ROLLBACK");
      } catch (const DbError&) {
        // SQLite may already have rolled back (SQLITE_FULL does); nothing more to undo.
      }
    }
    const Error err = to_error(e);
    for (auto& job : batch) job.done.set_value(err);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - started).count();
  commits_.fetch_add(1);  // first: a reader never sees a bucket above the count
  for (std::size_t i = 0; i < within_.size(); ++i)
    if (seconds <= WriterStats::kCommitBounds[i]) within_[i].fetch_add(1);
  commit_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6));
  if (seconds >= 1.0 && now - last_slow_log_ >= std::chrono::minutes(1)) {
    // Every request of the group waited this long for its answer; at most once a minute.
    last_slow_log_ = now;
    spdlog::warn("storage: a group commit of {} write(s) took {:.0f} ms (a slow or saturated disk?)",
                 batch.size(), seconds * 1000);
  }
  jobs_.fetch_add(batch.size());
  if (batch.size() > max_seen_.load()) max_seen_.store(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done.set_value(std::move(results[i]));
}

}  // namespace pvmon::store
