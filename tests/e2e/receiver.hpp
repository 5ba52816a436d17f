// A real webhook receiver for end-to-end tests, and an independent check of the signatures
// (OpenSSL directly, not the daemon's code).
#pragma once

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon.hpp"

namespace pvmon::test {

// whsec_ + base64 of 32 bytes "pvmon-e2e-webhook-secret-32bytes".
inline const std::string kSecretRaw = "pvmon-e2e-webhook-secret-32bytes";
inline const std::string kSecret = "whsec_cHZtb24tZTJlLXdlYmhvb2stc2VjcmV0LTMyYnl0ZXM=";

/// A webhook endpoint "officers" for `url`, taking `events`, signed with kSecret (written to
/// dir/officers.secret), with short timeouts: the config entry, ready for `webhooks`.
inline json officers_endpoint(const fs::path& dir, const std::string& url,
                              const json& events = json::array({"*"})) {
  write_text(dir / "officers.secret", kSecret + "\n");
  return {{"name", "officers"},
          {"url", url},
          {"secret_file", (dir / "officers.secret").string()},
          {"events", events},
          {"connect_timeout_ms", 500},
          {"read_timeout_ms", 2000}};
}

inline std::string b64(const unsigned char* p, int n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, n);
  return out;
}

/// v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>, computed independently.
inline std::string expected_signature(const std::string& id, const std::string& ts, const std::string& body) {
  const std::string msg = id + "." + ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecretRaw.data(), static_cast<int>(kSecretRaw.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return "v1," + b64(mac, static_cast<int>(len));
}

/// A free loopback port: bound, read back and closed. (A cpp-httplib server is no probe: its
/// listening socket outlives it, and with SO_REUSEPORT the kernel would hand it connections.)
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Delivery {
  std::string id, timestamp, signature, body;
  std::string sequence;  // webhook-sequence
  int status = 0;        // what the receiver answered
  std::chrono::steady_clock::time_point at;
};

/// A real HTTP receiver on 127.0.0.1:port; answers with the statuses queued, then 200.
class Receiver {
 public:
  explicit Receiver(int port) : port_(port) {}
  ~Receiver() { stop(); }
  void start() {
    server_ = std::make_unique<httplib::Server>();
    server_->Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      res.status = statuses_.empty() ? 200 : statuses_.front();
      got_.push_back({req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
                      req.get_header_value("webhook-signature"), req.body, req.get_header_value("webhook-sequence"),
                      res.status, std::chrono::steady_clock::now()});
      if (!statuses_.empty()) statuses_.erase(statuses_.begin());
      cv_.notify_all();
    });
    REQUIRE(server_->bind_to_port("127.0.0.1", port_));
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void answer(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_ = std::move(statuses);
  }
  /// Waits up to `seconds` until `pred(deliveries)` holds.
  bool wait_for(const std::function<bool(const std::vector<Delivery>&)>& pred, int seconds = 60) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return pred(got_); });
  }
  std::vector<Delivery> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> got_;
  std::vector<int> statuses_;
};

}  // namespace pvmon::test
