// Per-principal request rate: a token bucket per key (refilled at `rate` per second, holding at
// most `burst`). Pure apart from its mutex: time comes in as milliseconds, so tests drive it
// with any clock. Thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace pvmon::http {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(std::max(1.0, burst)) {}

  /// Takes one token for `key` at `now_ms`. When none is left, returns false and the wait, in
  /// whole seconds (at least 1), until one will be.
  bool allow(const std::string& key, std::int64_t now_ms, int& retry_after_s) {
    if (rate_ <= 0) return true;  // no limit configured
    std::lock_guard lock(mu_);
    if (buckets_.size() > 10'000) buckets_.clear();  // bounded memory; principals are few
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + (now_ms - b.last_ms) * rate_ / 1000.0);
      b.last_ms = std::max(b.last_ms, now_ms);
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return true;
    }
    retry_after_s = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
    return false;
  }

 private:
  struct Bucket {
    double tokens;
    std::int64_t last_ms;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace pvmon::http
