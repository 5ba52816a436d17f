#include <doctest/doctest.h>

#include "pvmon/notify.hpp"

using namespace pvmon;
using namespace pvmon::notify;

// The schedule: "equal jitter" from M. Brooker, "Exponential Backoff And Jitter", AWS
// Architecture Blog, 2015: t = min(cap, base * 2^(n-1)), delay = t/2 + uniform(0, t/2).
// Base 5 s, cap 1 h, give up 3 days after the message was created (DESIGN.md "Webhooks").

TEST_CASE("backoff doubles from 5 s, jitter stays within [t/2, t]") {
  const RetryPolicy p;
  // Worked by hand from the formula above.
  CHECK(backoff_ms(p, 1, 0.0) == 2'500);
  CHECK(backoff_ms(p, 1, 0.999999) == 5'000);
  CHECK(backoff_ms(p, 2, 0.0) == 5'000);
  CHECK(backoff_ms(p, 3, 0.5) == 15'000);      // t = 20 s: 10 s + floor(0.5 * 10001 ms)
  CHECK(backoff_ms(p, 10, 0.0) == 1'280'000);  // t = 5 s * 2^9 = 2560 s
  for (int n = 1; n <= 12; ++n) {
    CAPTURE(n);
    const std::int64_t t = std::min<std::int64_t>(3'600'000, 5'000LL << (n - 1));
    for (double u : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999999}) {
      const std::int64_t d = backoff_ms(p, n, u);
      CHECK(d >= t / 2);
      CHECK(d <= t);
    }
    // Out-of-range draws are clamped, never outside the window.
    CHECK(backoff_ms(p, n, -3.0) == t - t / 2);
    CHECK(backoff_ms(p, n, 7.0) <= t);
  }
}

TEST_CASE("backoff is capped at 1 h and does not overflow after many attempts") {
  const RetryPolicy p;
  // 5 s * 2^10 = 5120 s > 3600 s: the 11th failure is the first at the cap.
  CHECK(backoff_ms(p, 11, 0.0) == 1'800'000);
  CHECK(backoff_ms(p, 11, 0.999999999) == 3'600'000);
  CHECK(backoff_ms(p, 10'000, 0.0) == 1'800'000);
  CHECK(backoff_ms(p, 10'000, 0.999999999) == 3'600'000);
}

TEST_CASE("classify: 2xx delivered, 410 endpoint gone, everything else retries") {
  CHECK(classify(200) == Outcome::delivered);
  CHECK(classify(202) == Outcome::delivered);
  CHECK(classify(299) == Outcome::delivered);
  CHECK(classify(410) == Outcome::endpoint_gone);
  for (int s : {0, 100, 301, 302, 400, 401, 404, 429, 500, 502, 503, 504}) {
    CAPTURE(s);
    CHECK(classify(s) == Outcome::retry);
  }
}

TEST_CASE("decide: retries until 3 days after creation, then dead-letters") {
  const RetryPolicy p;
  const Timestamp t0{1'790'000'000'000};
  OutboxMessage m;
  m.created_at = t0;
  m.attempts = 0;
  auto d = decide(p, m, 503, t0, 0.0);
  CHECK(d.outcome == Outcome::retry);
  REQUIRE(d.next_attempt_at);
  CHECK(d.next_attempt_at->ms == t0.ms + 2'500);

  CHECK(decide(p, m, 204, t0, 0.0).outcome == Outcome::delivered);
  CHECK_FALSE(decide(p, m, 204, t0, 0.0).next_attempt_at);
  CHECK(decide(p, m, 410, t0, 0.0).outcome == Outcome::endpoint_gone);

  // Late in the window: a 30..60 min wait would end past created_at + 72 h.
  m.attempts = 80;
  CHECK(decide(p, m, 0, t0.plus_hours(72).plus_ms(-60'000), 0.0).outcome == Outcome::dead_letter);
  // Landing exactly on the deadline is still allowed.
  CHECK(decide(p, m, 0, t0.plus_hours(72).plus_ms(-1'800'000), 0.0).outcome == Outcome::retry);
}

TEST_CASE("the whole 3-day schedule with a fixed draw of 0.5 has 105 attempts") {
  // Derivation by hand. With u = 0.5 every delay is exactly 3/4 t (t/2 is a multiple of 2 ms):
  //   failures 1..10: t = 5 s * 2^(n-1), sum of delays = 0.75 * 5000 ms * (2^10 - 1) = 3,836,250 ms
  //   failures 11..:  t = 3600 s, delay = 2,700,000 ms
  // Deadline 72 h = 259,200,000 ms. (259,200,000 - 3,836,250) / 2,700,000 = 94.58, so 94 capped
  // delays fit: 10 + 94 = 104 retries after the first attempt = 105 attempts; the 105th is at
  // 3,836,250 + 94 * 2,700,000 = 257,636,250 ms and its failure dead-letters (next would be
  // 260,336,250 ms > deadline).
  const RetryPolicy p;
  const Timestamp t0{1'790'000'000'000};
  OutboxMessage m;
  m.created_at = t0;
  Timestamp now = t0;
  int attempts = 0;
  Outcome last = Outcome::retry;
  while (attempts < 1000) {
    const Decision d = decide(p, m, 500, now, 0.5);
    ++attempts;
    last = d.outcome;
    if (d.outcome != Outcome::retry) break;
    REQUIRE(d.next_attempt_at);
    CHECK(*d.next_attempt_at > now);
    now = *d.next_attempt_at;
    m.attempts += 1;
  }
  CHECK(last == Outcome::dead_letter);
  CHECK(attempts == 105);
  CHECK(now.ms - t0.ms == 257'636'250);
}
