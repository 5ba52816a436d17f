// Read-only connections handed to request threads, and the audit append every write shares
// (private to pvmon::store).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/crypto.hpp"
#include "pvmon/store.hpp"
#include "db.hpp"

namespace pvmon::store {

/// A few read-only connections handed out to request threads.
class ReaderPool {
 public:
  using Open = std::function<std::unique_ptr<Db>()>;
  explicit ReaderPool(Open open) : open_(std::move(open)) {}

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Db> db, std::uint64_t generation)
        : pool_(pool), db_(std::move(db)), generation_(generation) {}
    ~Lease() {
      if (db_) pool_.give_back(std::move(db_), generation_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Db& operator*() { return *db_; }
    Db* operator->() { return db_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Db> db_;
    std::uint64_t generation_;
  };

  Lease take() {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mu_);
      generation = generation_;
      if (!idle_.empty()) {
        auto db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(db), generation);
      }
    }
    return Lease(*this, open_(), generation);
  }

  /// Drops every idle connection, and those in use when they come back: after a lost
  /// connection (a PostgreSQL server restarted or failed over) the next reads open new ones.
  void clear() {
    std::lock_guard lock(mu_);
    idle_.clear();
    ++generation_;
  }

 private:
  void give_back(std::unique_ptr<Db> db, std::uint64_t generation) {
    std::lock_guard lock(mu_);
    if (generation == generation_ && idle_.size() < 16) idle_.push_back(std::move(db));
  }
  Open open_;
  std::uint64_t generation_ = 0;
  std::mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_;
};


}  // namespace pvmon::store
