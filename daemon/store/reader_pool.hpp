// Read-only connections handed to request threads, and the audit append every write shares
// (private to pvmon::store).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/crypto.hpp"
#include "pvmon/store.hpp"
#include "sqlite.hpp"

namespace pvmon::store {

/// A few read-only connections handed out to request threads.
class ReaderPool {
 public:
  ReaderPool(std::string path, int busy_ms) : path_(std::move(path)), busy_ms_(busy_ms) {}

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_.give_back(std::move(db_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Db& operator*() { return *db_; }
    Db* operator->() { return db_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Db> db_;
  };

  Lease take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(db));
      }
    }
    return Lease(*this, std::make_unique<SqliteDb>(path_, false, true, busy_ms_));
  }

 private:
  void give_back(std::unique_ptr<Db> db) {
    std::lock_guard lock(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(db));
  }
  std::string path_;
  int busy_ms_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_;
};


}  // namespace pvmon::store
