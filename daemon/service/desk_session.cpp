#include "pvmon/service/desk_session.hpp"

#include <algorithm>

#include "pvmon/crypto.hpp"

namespace pvmon::service::desk {

namespace {

std::string base64url(std::string_view raw) {
  std::string b = crypto::base64_encode(raw);
  while (!b.empty() && b.back() == '=') b.pop_back();
  for (auto& ch : b) {
    if (ch == '+')
      ch = '-';
    else if (ch == '/')
      ch = '_';
  }
  return b;
}

constexpr std::string_view kCsrfLabel = "pvmon desk csrf v1";
constexpr std::string_view kSignInCsrfLabel = "pvmon desk sign-in csrf v1";

}  // namespace

SessionPolicy SessionPolicy::of(const config::DeskSettings& d) {
  return SessionPolicy{static_cast<std::int64_t>(d.session_idle_minutes) * 60'000,
                       static_cast<std::int64_t>(d.session_hours) * 3'600'000};
}

std::string random_token(std::size_t n) { return base64url(crypto::random_bytes(n)); }

std::string csrf_for(std::string_view cookie) { return base64url(crypto::hmac_sha256(cookie, kCsrfLabel)); }

std::string sign_in_csrf_for(std::string_view nonce) {
  return base64url(crypto::hmac_sha256(nonce, kSignInCsrfLabel));
}

bool sign_in_csrf_matches(std::string_view nonce, std::string_view csrf) {
  if (nonce.empty() || csrf.empty()) return false;
  return crypto::constant_time_equal(crypto::sha256_hex(csrf), crypto::sha256_hex(sign_in_csrf_for(nonce)));
}

Result<NewSession> sign_in(store::DeskSessionStore& store, const Clock& clock, const SessionPolicy& policy,
                           const config::Principal& who, const std::string& remote_addr) {
  NewSession s;
  s.id = random_token(32);
  s.csrf = csrf_for(s.id);
  const Timestamp now = clock.now();
  s.row.id_sha256 = crypto::sha256_hex(s.id);
  s.row.principal = who.name;
  s.row.role = config::to_string(who.role);
  s.row.site = who.site;
  s.row.created_at = now;
  s.row.last_seen_at = now;
  s.row.expires_at = now.plus_ms(policy.lifetime_ms);
  s.row.csrf_sha256 = crypto::sha256_hex(s.csrf);
  auto id = store.insert_desk_session(s.row, remote_addr);
  if (!id) return id.error();
  s.row.id = id.value();
  return s;
}

std::optional<std::string> end_reason(const store::DeskSessionRow& s, const SessionPolicy& policy, Timestamp now) {
  if (s.ended_at) return s.end_reason.empty() ? std::string("ended") : s.end_reason;
  if (now >= s.expires_at) return std::string("lifetime");
  if (now >= s.last_seen_at.plus_ms(policy.idle_ms)) return std::string("idle");
  return std::nullopt;
}

Result<std::optional<store::DeskSessionRow>> resume(store::DeskSessionStore& store, const Clock& clock,
                                                    const SessionPolicy& policy, std::string_view cookie) {
  using Found = std::optional<store::DeskSessionRow>;
  if (cookie.empty()) return Found{};
  auto found = store.find_desk_session(crypto::sha256_hex(cookie));
  if (!found) return found.error();
  if (!found.value()) return Found{};
  store::DeskSessionRow s = std::move(*found.value());
  const Timestamp now = clock.now();
  if (auto why = end_reason(s, policy, now)) {
    if (!s.ended_at) {
      // Recorded when first noticed: the end is the moment the session ran out, not now.
      const Timestamp at = *why == "lifetime" ? s.expires_at : s.last_seen_at.plus_ms(policy.idle_ms);
      if (auto st = store.end_desk_session(s.id, std::min(at, now), *why, store::Actor{s.principal, s.site}); !st)
        return st.error();
    }
    return Found{};
  }
  if (auto st = store.touch_desk_session(s.id, now); !st) return st.error();
  s.last_seen_at = now;
  return Found{std::move(s)};
}

bool csrf_matches(const store::DeskSessionRow& s, std::string_view csrf) {
  if (csrf.empty()) return false;
  return crypto::constant_time_equal(crypto::sha256_hex(csrf), s.csrf_sha256);
}

Status sign_out(store::DeskSessionStore& store, const Clock& clock, const store::DeskSessionRow& s) {
  return store.end_desk_session(s.id, clock.now(), "sign_out", store::Actor{s.principal, s.site});
}

}  // namespace pvmon::service::desk
