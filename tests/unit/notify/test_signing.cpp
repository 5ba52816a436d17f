#include <doctest/doctest.h>

#include "pvmon/crypto.hpp"
#include "pvmon/notify.hpp"

using namespace pvmon;
using namespace pvmon::notify;

namespace {
// The published test vector of the Standard Webhooks reference libraries:
// github.com/standard-webhooks/standard-webhooks, libraries/go/webhook_test.go,
// TestWebhookSign (commit 449485ca); the same values appear in the PHP library's
// testSignFunctionWorks. Cross-checked by hand with
//   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//   openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the base64-decoded key> -binary | base64
constexpr const char* kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSpecMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kSpecTimestamp = 1614265330;
constexpr const char* kSpecBody = R"({"test": 2432232314})";
constexpr const char* kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
}  // namespace

TEST_CASE("sign reproduces the Standard Webhooks published test vector") {
  auto key = parse_secret(kSpecSecret);
  REQUIRE(key.ok());
  CHECK(key->size() == 24);  // 32 base64 characters without padding = 24 bytes
  CHECK(sign(*key, kSpecMsgId, kSpecTimestamp, kSpecBody) == kSpecSignature);
}

TEST_CASE("verify accepts the vector and rejects tampering, stale times and other keys") {
  const std::string key = parse_secret(kSpecSecret).value();
  CHECK(verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody, kSpecSignature, kSpecTimestamp));
  // The header may list several signatures (key rotation); any one matching is enough.
  CHECK(verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody,
               std::string("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ") + kSpecSignature,
               kSpecTimestamp));
  CHECK_FALSE(verify(key, kSpecMsgId, kSpecTimestamp, R"({"test": 2432232315})", kSpecSignature,
                     kSpecTimestamp));
  CHECK_FALSE(verify(key, "msg_other", kSpecTimestamp, kSpecBody, kSpecSignature, kSpecTimestamp));
  CHECK_FALSE(
      verify(key, kSpecMsgId, kSpecTimestamp + 1, kSpecBody, kSpecSignature, kSpecTimestamp));
  CHECK_FALSE(verify(std::string(24, 'k'), kSpecMsgId, kSpecTimestamp, kSpecBody, kSpecSignature,
                     kSpecTimestamp));
  // Replay protection: 5 minutes either way by default.
  CHECK(verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody, kSpecSignature, kSpecTimestamp + 300));
  CHECK_FALSE(
      verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody, kSpecSignature, kSpecTimestamp + 301));
  CHECK_FALSE(
      verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody, kSpecSignature, kSpecTimestamp - 301));
  CHECK_FALSE(verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody, "", kSpecTimestamp));
  // A v1a (asymmetric) entry with the same bytes is not a v1 signature.
  CHECK_FALSE(verify(key, kSpecMsgId, kSpecTimestamp, kSpecBody,
                     "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", kSpecTimestamp));
}

TEST_CASE("parse_secret names the problem and never echoes the secret") {
  const std::string b64_16 = crypto::base64_encode(std::string(16, 'x'));  // too short
  const std::string b64_65 = crypto::base64_encode(std::string(65, 'x'));  // too long
  const std::string b64_64 = crypto::base64_encode(std::string(64, 'x'));
  struct Case {
    std::string input;
    bool ok;
    const char* words;
  };
  const Case cases[] = {
      {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false, "whsec_"},
      {"whsec_", false, "24..64"},
      {"whsec_MfKQ9r8GKYqrTwjU*D8ILPZIo2LaLaSw", false, "base64"},
      {"whsec_" + b64_16, false, "got 16"},
      {"whsec_" + b64_65, false, "got 65"},
      {"whsec_" + b64_64, true, ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    auto r = parse_secret(c.input);
    CHECK(r.ok() == c.ok);
    if (!r.ok()) {
      CHECK(r.error().code == Errc::invalid);
      CHECK(r.error().message.find(c.words) != std::string::npos);
      const std::string tail = c.input.size() > 6 ? c.input.substr(6) : "";
      if (!tail.empty()) CHECK(r.error().message.find(tail) == std::string::npos);
    }
  }
}

TEST_CASE("generate_secret produces a parseable 32-byte secret, different each time") {
  const std::string a = generate_secret();
  const std::string b = generate_secret();
  CHECK(a != b);
  auto ka = parse_secret(a);
  REQUIRE(ka.ok());
  CHECK(ka->size() == 32);
}
