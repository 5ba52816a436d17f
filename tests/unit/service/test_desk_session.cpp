// The safety desk's sessions against a real database and an injected clock: the idle timeout and
// the absolute lifetime are decided on the clock, never by sleeping.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "when.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/service/desk_session.hpp"

using namespace pvmon;
namespace fs = std::filesystem;
namespace desk = pvmon::service::desk;

using namespace pvmon::test;

namespace {

struct DeskFixture {
  fs::path dir;
  FakeClock clock{ts("2026-03-01T08:00:00Z")};
  std::unique_ptr<store::Store> store;
  desk::SessionPolicy policy = desk::SessionPolicy::of(config::DeskSettings{30, 12});
  config::Principal officer{"officer-1", config::Role::officer, "", ""};

  DeskFixture() {
    dir = fs::temp_directory_path() / ("pvmon-desk-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    auto s = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
    REQUIRE(s);
    store = std::move(s.value());
  }
  ~DeskFixture() {
    store->close();
    fs::remove_all(dir);
  }

  std::vector<std::string> actions() {
    auto page = store->list_audit("desk/session/", std::nullopt, 100);
    REQUIRE(page);
    std::vector<std::string> out;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) out.push_back(it->action);
    return out;
  }
};

}  // namespace

TEST_CASE_FIXTURE(DeskFixture, "desk session: the store keeps only digests; the id and CSRF token are random") {
  auto a = desk::sign_in(*store, clock, policy, officer, "127.0.0.1");
  REQUIRE(a);
  auto b = desk::sign_in(*store, clock, policy, officer, "127.0.0.1");
  REQUIRE(b);
  CHECK(a->id.size() == 43);  // 32 bytes, base64url without padding
  CHECK(a->id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
  CHECK(a->id != b->id);
  CHECK(a->csrf != b->csrf);
  CHECK(a->row.id_sha256 == crypto::sha256_hex(a->id));
  CHECK(a->row.csrf_sha256 == crypto::sha256_hex(a->csrf));
  CHECK(desk::csrf_for(a->id) == a->csrf);
  auto found = store->find_desk_session(a->row.id_sha256);
  REQUIRE(found);
  REQUIRE(found.value());
  CHECK(found.value()->principal == "officer-1");
  CHECK(found.value()->role == "officer");
  CHECK(found.value()->expires_at == ts("2026-03-01T20:00:00Z"));
  CHECK(desk::csrf_matches(*found.value(), a->csrf));
  CHECK_FALSE(desk::csrf_matches(*found.value(), b->csrf));
  CHECK_FALSE(desk::csrf_matches(*found.value(), ""));
  CHECK_FALSE(desk::csrf_matches(*found.value(), a->id));
}

TEST_CASE_FIXTURE(DeskFixture, "desk session: the idle timeout runs from the last use") {
  auto s = desk::sign_in(*store, clock, policy, officer, "127.0.0.1");
  REQUIRE(s);
  clock.advance_ms(29 * 60'000);
  auto r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK(r.value().has_value());  // 29 minutes unused: alive, and now used again
  clock.advance_ms(29 * 60'000);
  r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK(r.value().has_value());
  clock.advance_ms(30 * 60'000);  // 30 minutes unused: over
  r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK_FALSE(r.value().has_value());
  auto row = store->find_desk_session(crypto::sha256_hex(s->id));
  REQUIRE(row);
  REQUIRE(row.value());
  CHECK(row.value()->end_reason == "idle");
  CHECK(row.value()->ended_at == ts("2026-03-01T09:28:00Z"));  // when it ran out, not when noticed
  // Ended stays ended, even if the clock were to go back.
  clock.set(ts("2026-03-01T09:00:00Z"));
  r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK_FALSE(r.value().has_value());
  CHECK(actions() == std::vector<std::string>{"desk.sign_in", "desk.session_expired"});
}

TEST_CASE_FIXTURE(DeskFixture, "desk session: the absolute lifetime ends a session in use") {
  auto s = desk::sign_in(*store, clock, policy, officer, "127.0.0.1");
  REQUIRE(s);
  // Used every 20 minutes: never idle, still over after 12 hours.
  for (int i = 0; i < 35; ++i) {
    clock.advance_ms(20 * 60'000);
    auto r = desk::resume(*store, clock, policy, s->id);
    REQUIRE(r);
    REQUIRE_MESSAGE(r.value().has_value(), "use " << i);
  }
  clock.advance_ms(20 * 60'000);  // 12:00 after sign-in
  auto r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK_FALSE(r.value().has_value());
  auto row = store->find_desk_session(crypto::sha256_hex(s->id));
  REQUIRE(row);
  CHECK(row.value()->end_reason == "lifetime");
  CHECK(row.value()->ended_at == ts("2026-03-01T20:00:00Z"));
}

TEST_CASE_FIXTURE(DeskFixture, "desk session: sign-out ends it once; unknown ids find nothing") {
  auto s = desk::sign_in(*store, clock, policy, officer, "127.0.0.1");
  REQUIRE(s);
  auto r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  REQUIRE(r.value());
  REQUIRE(desk::sign_out(*store, clock, *r.value()));
  REQUIRE(desk::sign_out(*store, clock,
                         *r.value()));  // a second sign-out changes nothing
  r = desk::resume(*store, clock, policy, s->id);
  REQUIRE(r);
  CHECK_FALSE(r.value().has_value());
  for (const char* bad : {"", "x", "not-a-session"}) {
    auto u = desk::resume(*store, clock, policy, bad);
    REQUIRE(u);
    CHECK_FALSE(u.value().has_value());
  }
  CHECK(actions() == std::vector<std::string>{"desk.sign_in", "desk.sign_out"});
}

TEST_CASE("desk session: end_reason at the edges") {
  const auto p = desk::SessionPolicy::of(config::DeskSettings{1, 1});
  store::DeskSessionRow s;
  s.created_at = s.last_seen_at = ts("2026-03-01T08:00:00Z");
  s.expires_at = ts("2026-03-01T09:00:00Z");
  CHECK_FALSE(desk::end_reason(s, p, ts("2026-03-01T08:01:00Z").plus_ms(-1)));
  CHECK(desk::end_reason(s, p, ts("2026-03-01T08:01:00Z")) == "idle");
  s.last_seen_at = ts("2026-03-01T08:59:30Z");
  CHECK(desk::end_reason(s, p, ts("2026-03-01T09:00:00Z")) == "lifetime");
}

TEST_CASE("desk sign-in form: its token belongs to its own nonce and is never a session's token") {
  const std::string n1 = desk::random_token(32), n2 = desk::random_token(32);
  CHECK(n1.size() == 43);
  CHECK(n1 != n2);
  const std::string t1 = desk::sign_in_csrf_for(n1);
  CHECK(desk::sign_in_csrf_matches(n1, t1));
  CHECK_FALSE(desk::sign_in_csrf_matches(n2, t1));
  CHECK_FALSE(desk::sign_in_csrf_matches("", t1));
  CHECK_FALSE(desk::sign_in_csrf_matches(n1, ""));
  CHECK_FALSE(desk::sign_in_csrf_matches(n1, n1));
  // Another label from the sessions' CSRF token: the same random value gives two different tokens.
  CHECK(t1 != desk::csrf_for(n1));
  // HMAC-SHA256, base64url without padding: 43 characters.
  CHECK(t1.size() == 43);
  CHECK(t1.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
}
