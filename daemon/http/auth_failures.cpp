#include "auth_failures.hpp"

#include <algorithm>

namespace pvmon::http {

namespace {

/// Ended windows kept until taken: more than a few minutes of the tracked addresses means the
/// audit is not being written; further ones are folded into one overflow row.
constexpr std::size_t kMaxEnded = 4 * AuthFailures::kMaxAddresses;

}  // namespace

AuthFailures::Verdict AuthFailures::fail(const std::string& addr) {
  const std::int64_t now = clock_.now().ms;
  std::lock_guard lock(mu_);
  auto it = open_.find(addr);
  if (it == open_.end()) {
    const std::string& key = open_.size() < kMaxAddresses ? addr : std::string(kOverflow);
    it = open_.try_emplace(key, Window{key, now, now + kWindowMs, 0, 0}).first;
  }
  Window& w = it->second;
  if (now >= w.end_ms) {
    retire(w);
    w = Window{w.addr, now, now + kWindowMs, 0, 0};
  }
  Verdict v;
  v.first = w.count == 0;
  v.throttled = w.count >= kLimit;
  ++w.count;
  if (v.throttled) {
    v.throttle_began = w.throttled == 0;
    ++w.throttled;
    v.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (w.end_ms - now + 999) / 1000));
  }
  return v;
}

std::vector<AuthFailures::Window> AuthFailures::take_closed(bool all) {
  const std::int64_t now = clock_.now().ms;
  std::lock_guard lock(mu_);
  std::vector<Window> out = std::move(ended_);
  ended_.clear();
  for (auto it = open_.begin(); it != open_.end();) {
    if (all || now >= it->second.end_ms) {
      out.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Window& a, const Window& b) { return a.start_ms < b.start_ms; });
  return out;
}

void AuthFailures::retire(Window w) {
  if (ended_.size() < kMaxEnded) {
    ended_.push_back(std::move(w));
    return;
  }
  Window& last = ended_.back();
  if (last.addr != kOverflow) {
    ended_.push_back(Window{kOverflow, w.start_ms, w.end_ms, 0, 0});
  }
  Window& o = ended_.back();
  o.start_ms = std::min(o.start_ms, w.start_ms);
  o.end_ms = std::max(o.end_ms, w.end_ms);
  o.count += w.count;
  o.throttled += w.throttled;
}

}  // namespace pvmon::http
