#include <doctest/doctest.h>

#include "rate_limit.hpp"

using pvmon::http::RateLimiter;

TEST_CASE("rate limit: a token bucket per principal") {
  // 2 per second, bursts of 3: three at once pass, the fourth waits; 500 ms later one token is
  // back (2/s * 0.5 s), a second later two.
  RateLimiter rl(2, 3);
  int wait = 0;
  CHECK(rl.allow("a", 0, wait));
  CHECK(rl.allow("a", 0, wait));
  CHECK(rl.allow("a", 0, wait));
  CHECK_FALSE(rl.allow("a", 0, wait));
  CHECK(wait == 1);  // ceil(1 token / 2 per s) = 1 s, never 0
  CHECK(rl.allow("b", 0, wait));  // another principal has its own bucket
  CHECK(rl.allow("a", 500, wait));
  CHECK_FALSE(rl.allow("a", 500, wait));
  CHECK(rl.allow("a", 1500, wait));
  CHECK(rl.allow("a", 1500, wait));
  CHECK_FALSE(rl.allow("a", 1500, wait));
  // Refill never exceeds the burst: after an hour, three again, not 7,200.
  for (int i = 0; i < 3; ++i) CHECK(rl.allow("a", 3'600'000, wait));
  CHECK_FALSE(rl.allow("a", 3'600'000, wait));
  // A slow limit asks for a longer wait: 0.1/s needs 10 s for one token.
  RateLimiter slow(0.1, 1);
  CHECK(slow.allow("a", 0, wait));
  CHECK_FALSE(slow.allow("a", 0, wait));
  CHECK(wait == 10);
  // 0 is off.
  RateLimiter off(0, 1);
  for (int i = 0; i < 100; ++i) CHECK(off.allow("a", 0, wait));
}
