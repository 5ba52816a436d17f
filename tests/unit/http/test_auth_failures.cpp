#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "auth_failures.hpp"

using pvmon::FakeClock;
using pvmon::Timestamp;
using pvmon::http::AuthFailures;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;  // an instant in 2027, in ms

std::int64_t total(const std::vector<AuthFailures::Window>& ws) {
  return std::accumulate(ws.begin(), ws.end(), std::int64_t{0}, [](std::int64_t n, const auto& w) { return n + w.count; });
}

}  // namespace

TEST_CASE("auth failures: 401 for the first 21 of a minute, 429 after, from that address only") {
  FakeClock clock(Timestamp{kT0});
  AuthFailures f(clock);
  for (int i = 1; i <= AuthFailures::kLimit; ++i) {
    const auto v = f.fail("10.0.0.1");
    CHECK_FALSE(v.throttled);
    CHECK(v.first == (i == 1));
  }
  clock.advance_ms(15'000);
  auto v = f.fail("10.0.0.1");
  CHECK(v.throttled);
  CHECK(v.throttle_began);
  CHECK(v.retry_after_s == 45);  // the window opened at the first failure, 45 s are left
  v = f.fail("10.0.0.1");
  CHECK(v.throttled);
  CHECK_FALSE(v.throttle_began);
  // Another address has a window of its own.
  CHECK_FALSE(f.fail("10.0.0.2").throttled);
  // The window ends a minute after its first failure: the next failure opens a new one.
  clock.advance_ms(45'000);
  v = f.fail("10.0.0.1");
  CHECK_FALSE(v.throttled);
  CHECK(v.first);
}

TEST_CASE("auth failures: retry-after is never 0, even in the window's last milliseconds") {
  FakeClock clock(Timestamp{kT0});
  AuthFailures f(clock);
  for (int i = 0; i < AuthFailures::kLimit; ++i) (void)f.fail("a");
  clock.advance_ms(59'999);
  const auto v = f.fail("a");
  CHECK(v.throttled);
  CHECK(v.retry_after_s == 1);
}

TEST_CASE("auth failures: one audit row per address and minute, taken once the minute is over") {
  FakeClock clock(Timestamp{kT0});
  AuthFailures f(clock);
  for (int i = 0; i < 50; ++i) (void)f.fail("192.0.2.7");
  for (int i = 0; i < 3; ++i) (void)f.fail("192.0.2.8");
  // Within the minute nothing is taken: the count is not final.
  clock.advance_ms(59'000);
  CHECK(f.take_closed().empty());
  clock.advance_ms(1'000);
  auto rows = f.take_closed();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].addr == "192.0.2.7");
  CHECK(rows[0].count == 50);
  CHECK(rows[0].throttled == 50 - AuthFailures::kLimit);
  CHECK(rows[0].start_ms == kT0);
  CHECK(rows[0].end_ms == kT0 + 60'000);
  CHECK(rows[1].addr == "192.0.2.8");
  CHECK(rows[1].count == 3);
  CHECK(rows[1].throttled == 0);
  // Taken once.
  CHECK(f.take_closed().empty());
}

TEST_CASE("auth failures: a window that ended before the flush is kept beside the next one") {
  FakeClock clock(Timestamp{kT0});
  AuthFailures f(clock);
  for (int i = 0; i < 4; ++i) (void)f.fail("a");
  clock.advance_ms(61'000);
  for (int i = 0; i < 2; ++i) (void)f.fail("a");  // a new window; the old one waits to be taken
  auto rows = f.take_closed();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 4);
  CHECK(rows[0].start_ms == kT0);
  // At shutdown every window is taken, the one under way too.
  rows = f.take_closed(true);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 2);
  CHECK(rows[0].start_ms == kT0 + 61'000);
  CHECK(f.take_closed(true).empty());
}

TEST_CASE("auth failures: a spray of addresses costs bounded memory and loses no count") {
  FakeClock clock(Timestamp{kT0});
  AuthFailures f(clock);
  const int n = static_cast<int>(AuthFailures::kMaxAddresses) + 500;
  for (int i = 0; i < n; ++i) (void)f.fail("addr-" + std::to_string(i));
  auto rows = f.take_closed(true);
  CHECK(rows.size() == AuthFailures::kMaxAddresses + 1);  // the rest under one overflow row
  CHECK(total(rows) == n);
  const auto overflow = std::find_if(rows.begin(), rows.end(), [](const auto& w) { return w.addr == AuthFailures::kOverflow; });
  REQUIRE(overflow != rows.end());
  CHECK(overflow->count == 500);
}
