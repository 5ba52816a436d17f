#include <charconv>

#include "pvmon/crypto.hpp"
#include "pvmon/notify.hpp"

namespace pvmon::notify {

namespace {
constexpr std::string_view kSecretPrefix = "whsec_";
// Standard Webhooks spec, "Signature scheme" table: "At least 24 bytes (192 bits, 512 maximum)".
constexpr std::size_t kMinSecretBytes = 24;
constexpr std::size_t kMaxSecretBytes = 64;
constexpr std::string_view kV1 = "v1,";

std::string signed_content(std::string_view msg_id, std::int64_t timestamp_s,
                           std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return content;
}
}  // namespace

Result<std::string> parse_secret(std::string_view whsec) {
  if (!whsec.starts_with(kSecretPrefix)) {
    return Error::field(Errc::invalid, "secret", "webhook secret must start with \"whsec_\"");
  }
  auto raw = crypto::base64_decode(whsec.substr(kSecretPrefix.size()));
  if (!raw) {
    return Error::field(Errc::invalid, "secret",
                        "webhook secret after \"whsec_\" is not valid standard base64");
  }
  if (raw->size() < kMinSecretBytes || raw->size() > kMaxSecretBytes) {
    return Error::field(
        Errc::invalid, "secret",
        "webhook secret must decode to 24..64 bytes, got " + std::to_string(raw->size()));
  }
  return std::move(*raw);
}

std::string generate_secret() {
  return std::string(kSecretPrefix) + crypto::base64_encode(crypto::random_bytes(32));
}

std::string sign(std::string_view secret_raw, std::string_view msg_id, std::int64_t timestamp_s,
                 std::string_view body) {
  return std::string(kV1) + crypto::base64_encode(crypto::hmac_sha256(
                                secret_raw, signed_content(msg_id, timestamp_s, body)));
}

bool verify(std::string_view secret_raw, std::string_view msg_id, std::int64_t timestamp_s,
            std::string_view body, std::string_view signature_header, std::int64_t now_s,
            std::int64_t tolerance_s) {
  if (now_s - timestamp_s > tolerance_s || timestamp_s - now_s > tolerance_s) return false;
  const std::string expected = sign(secret_raw, msg_id, timestamp_s, body);
  bool any = false;
  // The header is a space-separated list so that a sender can rotate keys without downtime.
  std::size_t pos = 0;
  while (pos <= signature_header.size()) {
    std::size_t end = signature_header.find(' ', pos);
    if (end == std::string_view::npos) end = signature_header.size();
    const std::string_view entry = signature_header.substr(pos, end - pos);
    // Compare every entry (no early exit) so timing says nothing about which one matched.
    if (entry.starts_with(kV1) && crypto::constant_time_equal(entry, expected)) any = true;
    pos = end + 1;
  }
  return any;
}

}  // namespace pvmon::notify
