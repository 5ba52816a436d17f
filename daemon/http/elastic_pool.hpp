// The HTTP server's worker pool. cpp-httplib gives each connection one worker for its whole
// life (keep-alive included), so a fixed pool is starved by as many idle or slow clients as it
// has threads (a client sending a byte a second never trips the read timeout). This pool
// starts `min` threads and adds one whenever a connection arrives while all are busy, up to
// `max`: the bound on connections served at once. Past it, connections wait in the queue
// (the descriptor cap of 1024 bounds the queue). Threads, once started, stay.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::http {

class ElasticPool final : public httplib::TaskQueue {
 public:
  ElasticPool(std::size_t min, std::size_t max) : max_(std::max(min, max)) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < min; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ElasticPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_) threads_.emplace_back([this] { work(); });
    cv_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();  // no enqueue after shutdown: threads_ is stable here
  }

  std::size_t threads() const {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  void work() {
    set_thread_name("pv-http");
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ++idle_;
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;  // stopping, and nothing left to finish
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }

  const std::size_t max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace pvmon::http
