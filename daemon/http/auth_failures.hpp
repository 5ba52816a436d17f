// Rejected authentications per source address, counted in windows of one minute from the
// address's first failure: the throttle reads them and the audit trail records them, one row per
// address and window once the window is over. Only failing requests are throttled: behind a
// TLS-terminating proxy every client shares one address, and a valid token is never refused
// for another client's failures. Time comes from the injected clock. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pvmon/time.hpp"

namespace pvmon::http {

class AuthFailures {
 public:
  /// Failures a window answers with 401; the ones after them get 429.
  static constexpr int kLimit = 21;
  static constexpr std::int64_t kWindowMs = 60'000;
  /// Addresses tracked at once; failures from further ones are counted together under
  /// kOverflow, so a spray of addresses costs bounded memory and no count is lost.
  static constexpr std::size_t kMaxAddresses = 4096;
  static constexpr const char* kOverflow = "*";

  explicit AuthFailures(const Clock& clock) : clock_(clock) {}

  struct Verdict {
    bool throttled = false;  // answer 429
    int retry_after_s = 0;   // until the window ends, at least 1 (when throttled)
    bool first = false;      // the first failure of its window: the one worth a log line
    bool throttle_began = false;  // the first failure of its window to be throttled
  };
  /// Counts one rejected request (a bad or missing token) from `addr`.
  Verdict fail(const std::string& addr);

  /// One address's failures in one window [start_ms, end_ms).
  struct Window {
    std::string addr;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::int64_t count = 0;
    std::int64_t throttled = 0;  // of them, answered 429
  };
  /// Removes and returns the windows that are over (every window when `all`: at shutdown),
  /// oldest first.
  std::vector<Window> take_closed(bool all = false);

 private:
  /// Keeps a window that ended before it was taken; merges into an overflow row past a bound.
  void retire(Window w);

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Window> open_;  // by address
  std::vector<Window> ended_;           // ended, not yet taken
};

}  // namespace pvmon::http
