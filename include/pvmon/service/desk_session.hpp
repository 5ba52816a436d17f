// pvmon::service — the safety desk's sessions (README "The safety desk"): a bearer token, checked
// by the HTTP layer as the API checks it, is exchanged for an opaque random session id (32 bytes
// from OpenSSL, base64url) and a CSRF token derived from it; the store keeps only their SHA-256. A
// session ends at sign-out, after `desk.session_idle_minutes` unused, or `desk.session_hours` after
// sign-in, whichever comes first, on the injected clock. Any thread; errors are the store's
// (returned, never thrown).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace pvmon::service::desk {

struct SessionPolicy {
  std::int64_t idle_ms = 30 * 60'000;
  std::int64_t lifetime_ms = 12 * 3'600'000;
  static SessionPolicy of(const config::DeskSettings& d);
};

/// A session as just made: the secrets go to the browser once and are never stored.
struct NewSession {
  std::string id;    // the cookie's value
  std::string csrf;  // the forms' hidden field
  store::DeskSessionRow row;
};

/// base64url (RFC 4648 §5) without padding of `n` random bytes from OpenSSL.
std::string random_token(std::size_t n = 32);

/// Starts a session for `who` (already authenticated), audited with `remote_addr`.
Result<NewSession> sign_in(store::DeskSessionStore& store, const Clock& clock, const SessionPolicy& policy,
                           const config::Principal& who, const std::string& remote_addr);

/// Why a session is over at `now`, or nullopt while it lives.
std::optional<std::string> end_reason(const store::DeskSessionRow& s, const SessionPolicy& policy, Timestamp now);

/// The live session whose id is `cookie`, its last use moved to now; nullopt when there is none
/// (unknown, ended, or over its idle timeout or lifetime: such a session is ended here, audited as
/// `desk.session_expired`).
Result<std::optional<store::DeskSessionRow>> resume(store::DeskSessionStore& store, const Clock& clock,
                                                    const SessionPolicy& policy, std::string_view cookie);

/// The CSRF token of the session whose id is `cookie`: base64url of HMAC-SHA256 keyed with the
/// session id (OWASP's HMAC-based synchronizer token), so every page can carry it while the store
/// holds only its SHA-256, and no other session's token can be made from it.
std::string csrf_for(std::string_view cookie);

/// The sign-in form's CSRF token for the pre-session cookie `nonce` (OWASP CSRF cheat sheet, "Login
/// CSRF": a forged sign-in would put the victim in the attacker's session). An HMAC under its own
/// label, so it is never a session's token.
std::string sign_in_csrf_for(std::string_view nonce);

/// Whether `csrf` is the sign-in token of `nonce` (compared in constant time); false when either is
/// empty.
bool sign_in_csrf_matches(std::string_view nonce, std::string_view csrf);

/// Whether `csrf` is the session's CSRF token (its SHA-256 compared in constant time).
bool csrf_matches(const store::DeskSessionRow& s, std::string_view csrf);

/// Ends a live session, audited as `desk.sign_out`.
Status sign_out(store::DeskSessionStore& store, const Clock& clock, const store::DeskSessionRow& s);

}  // namespace pvmon::service::desk
