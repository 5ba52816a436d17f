// pvmon::crypto — thin wrappers over OpenSSL: SHA-256, HMAC-SHA256, base64, random bytes and
// constant-time comparison. Nothing here is hand-rolled. Thread-safe; failures of OpenSSL
// itself (which do not happen for these calls in practice) throw std::runtime_error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pvmon::crypto {

/// Raw 32-byte digest.
std::string sha256(std::string_view data);
/// Lower-case hex of the SHA-256 (64 characters): the form tokens are stored in.
std::string sha256_hex(std::string_view data);
/// SHA-256 (hex) of a file's bytes, read in blocks; nullopt when it cannot be read.
std::optional<std::string> file_sha256_hex(const std::string& path);
/// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string base64_encode(std::string_view raw);
/// nullopt when the input is not valid padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view raw);
/// Cryptographically random bytes (RAND_bytes).
std::string random_bytes(std::size_t n);
/// Equality that takes the same time wherever the inputs differ (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pvmon::crypto
