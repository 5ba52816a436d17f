#include <algorithm>
#include <cassert>
#include <cmath>

#include "pvmon/notify.hpp"

namespace pvmon::notify {

std::int64_t backoff_ms(const RetryPolicy& policy, int failed_attempts, double uniform01) {
  assert(failed_attempts >= 1 && "backoff is asked for after a failure");
  // Grow by doubling without overflow: stop doubling once the cap is reached.
  std::int64_t t = policy.base_ms;
  for (int i = 1; i < failed_attempts && t < policy.cap_ms; ++i) t *= 2;
  t = std::min(t, policy.cap_ms);
  const double u = std::clamp(uniform01, 0.0, std::nextafter(1.0, 0.0));
  // Equal jitter (Brooker 2015): half fixed, so delays still grow; half random, so a crowd of
  // retries after an outage spreads out instead of arriving together.
  const std::int64_t half = t / 2;
  const auto jitter = static_cast<std::int64_t>(std::floor(u * static_cast<double>(half + 1)));
  return (t - half) + std::min(jitter, half);
}

Outcome classify(int http_status) {
  if (http_status >= 200 && http_status <= 299) return Outcome::delivered;
  // Standard Webhooks, "Delivery success and failure": 410 Gone means the receiver wants no
  // more webhooks: disable the endpoint. Every other status or no response is a failure.
  if (http_status == 410) return Outcome::endpoint_gone;
  return Outcome::retry;
}

Decision decide(const RetryPolicy& policy, const OutboxMessage& message, int http_status,
                Timestamp now, double uniform01) {
  const Outcome o = classify(http_status);
  if (o != Outcome::retry) return Decision{o, std::nullopt};
  const Timestamp next = now.plus_ms(backoff_ms(policy, message.attempts + 1, uniform01));
  if (next > message.created_at.plus_ms(policy.give_up_after_ms)) {
    return Decision{Outcome::dead_letter, std::nullopt};
  }
  return Decision{Outcome::retry, next};
}

}  // namespace pvmon::notify
