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
    return Lease(*this, std::make_unique<Db>(path_, false, true, busy_ms_));
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


/// Appends one hash-chained audit row (21 CFR 11.10(e)). Runs inside the writer transaction.
inline void append_audit(Db& db, Timestamp at, const Actor& actor, const std::string& action,
                  const std::string& entity, const std::optional<std::string>& new_value,
                  const std::optional<std::string>& prev_value) {
  std::string prev_hash(64, '0');
  std::int64_t seq = 1;
  {
    auto st = db.cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (st.step()) {
      seq = st.i64(0) + 1;
      prev_hash = st.text(1);
    }
  }
  const std::string ts = format_timestamp(at);
  // Field-separated so that no two different rows hash the same text.
  std::string material = prev_hash + "\x1f" + std::to_string(seq) + "\x1f" + ts + "\x1f" +
                         actor.principal + "\x1f" + action + "\x1f" + entity + "\x1f" +
                         new_value.value_or("\x00") + "\x1f" + prev_value.value_or("\x00");
  const std::string hash = crypto::sha256_hex(material);
  db.cached(
        "INSERT INTO audit (seq, at, principal, action, entity, new_value, prev_value, "
        "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)")
      .bind(1, seq)
      .bind(2, ts)
      .bind(3, actor.principal)
      .bind(4, action)
      .bind(5, entity)
      .bind(6, new_value)
      .bind(7, prev_value)
      .bind(8, prev_hash)
      .bind(9, hash)
      .run();
}

}  // namespace pvmon::store
