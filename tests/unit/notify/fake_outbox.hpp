// An in-memory OutboxRepository with the contract the SQLite store implements, plus
// waiting helpers for tests. Thread-safe.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "pvmon/notify.hpp"

namespace pvmon::notify::testing {

class FakeOutbox final : public OutboxRepository {
 public:
  enum class State { pending, delivered, dead, gone };

  std::int64_t add(std::string endpoint, std::string body, Timestamp created,
                   std::string event_type = "alert.sae") {
    std::lock_guard lk(m_);
    OutboxMessage msg;
    msg.id = next_id_++;
    msg.msg_id = "msg_test_" + std::to_string(msg.id);
    msg.endpoint = std::move(endpoint);
    msg.sequence = ++last_sequence_[msg.endpoint];
    msg.event_type = std::move(event_type);
    msg.body = std::move(body);
    msg.created_at = created;
    msg.next_attempt_at = created;
    rows_[msg.id] = Row{msg, State::pending};
    return msg.id;
  }

  /// The SQLite claim's contract: per enabled endpoint, its pending messages in sequence
  /// order from the head, while each is due, at most `per_endpoint_limit`.
  std::vector<OutboxMessage> due(Timestamp now, std::size_t per_endpoint_limit) override {
    std::lock_guard lk(m_);
    std::map<std::string, std::vector<OutboxMessage>> by_endpoint;
    for (auto& [id, row] : rows_)
      if (row.state == State::pending && !disabled_.contains(row.msg.endpoint))
        by_endpoint[row.msg.endpoint].push_back(row.msg);
    std::vector<OutboxMessage> out;
    for (auto& [name, msgs] : by_endpoint) {
      std::sort(msgs.begin(), msgs.end(),
                [](const OutboxMessage& a, const OutboxMessage& b) { return a.sequence < b.sequence; });
      for (std::size_t i = 0; i < msgs.size() && i < per_endpoint_limit; ++i) {
        if (msgs[i].next_attempt_at > now) break;  // nothing goes out behind a waiting message
        out.push_back(std::move(msgs[i]));
      }
    }
    ++due_calls_;
    return out;
  }

  /// The earliest next_attempt_at among the heads.
  std::optional<Timestamp> next_due() override {
    std::lock_guard lk(m_);
    std::map<std::string, const OutboxMessage*> heads;
    for (auto& [id, row] : rows_) {
      if (row.state != State::pending || disabled_.contains(row.msg.endpoint)) continue;
      auto& h = heads[row.msg.endpoint];
      if (h == nullptr || row.msg.sequence < h->sequence) h = &row.msg;
    }
    std::optional<Timestamp> best;
    for (auto& [name, h] : heads)
      if (!best || h->next_attempt_at < *best) best = h->next_attempt_at;
    return best;
  }

  void record(const Attempt& a) override {
    {
      std::lock_guard lk(m_);
      attempts_.push_back(a);
      Row& row = rows_.at(a.outbox_id);
      // CHECK, not REQUIRE: this runs on dispatcher threads, where a throw would terminate.
      CHECK_MESSAGE(row.state == State::pending, "an attempt on a message no longer pending");
      row.msg.attempts += 1;
      switch (a.outcome) {
        case Outcome::delivered:
          row.state = State::delivered;
          break;
        case Outcome::dead_letter:
          row.state = State::dead;
          break;
        case Outcome::endpoint_gone:
          row.state = State::gone;
          disabled_.insert(row.msg.endpoint);
          break;
        case Outcome::retry:
          CHECK(a.next_attempt_at.has_value());
          row.msg.next_attempt_at = a.next_attempt_at.value_or(row.msg.next_attempt_at);
          break;
      }
    }
    cv_.notify_all();
  }

  /// Wait (generously) until `pred` holds over the attempts recorded so far.
  bool wait_for(const std::function<bool(const std::vector<Attempt>&)>& pred,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, limit, [&] { return pred(attempts_); });
  }

  std::vector<Attempt> attempts() const {
    std::lock_guard lk(m_);
    return attempts_;
  }
  std::vector<Attempt> attempts_of(std::int64_t id) const {
    std::lock_guard lk(m_);
    std::vector<Attempt> out;
    for (const auto& a : attempts_) {
      if (a.outbox_id == id) out.push_back(a);
    }
    return out;
  }
  State state(std::int64_t id) const {
    std::lock_guard lk(m_);
    return rows_.at(id).state;
  }
  std::string msg_id(std::int64_t id) const {
    std::lock_guard lk(m_);
    return rows_.at(id).msg.msg_id;
  }
  bool endpoint_disabled(const std::string& name) const {
    std::lock_guard lk(m_);
    return disabled_.contains(name);
  }

 private:
  struct Row {
    OutboxMessage msg;
    State state;
  };
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::map<std::int64_t, Row> rows_;
  std::vector<Attempt> attempts_;
  std::set<std::string> disabled_;
  std::int64_t next_id_ = 1;
  std::map<std::string, std::int64_t> last_sequence_;
  std::size_t due_calls_ = 0;
};

inline std::size_t count_outcome(const std::vector<Attempt>& as, Outcome o) {
  return static_cast<std::size_t>(
      std::count_if(as.begin(), as.end(), [&](const Attempt& a) { return a.outcome == o; }));
}

}  // namespace pvmon::notify::testing
