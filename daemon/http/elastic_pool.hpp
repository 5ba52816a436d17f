// The front door's worker pool: handlers run here, off the io thread, so a handler waiting for
// a commit never stalls accepts, reads or deadlines. It starts `min` threads and adds one
// whenever a request arrives while all are busy, up to `max`: the bound on requests handled at
// once (an AE post waits for its group commit on a worker, so more of them make bigger groups).
// Past it, requests wait in the queue. Threads, once started, stay.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "pvmon/core.hpp"

namespace pvmon::http {

class ElasticPool final {
 public:
  ElasticPool(std::size_t min, std::size_t max) : max_(std::max(min, max)) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < min; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ElasticPool() { shutdown(); }

  void enqueue(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    if (stopping_) return;  // after shutdown nothing runs
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_) threads_.emplace_back([this] { work(); });
    cv_.notify_one();
  }

  void shutdown() {
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
