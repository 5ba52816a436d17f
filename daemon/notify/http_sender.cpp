#include <httplib.h>

#include <chrono>

#include "pvmon/notify.hpp"

#ifndef PVMON_VERSION
#define PVMON_VERSION "0.0.0"
#endif

namespace pvmon::notify {

HttpWebhookSender::HttpWebhookSender(std::string ca_file) : ca_file_(std::move(ca_file)) {}

std::string HttpWebhookSender::user_agent() { return std::string("pvmon/") + PVMON_VERSION; }

SendResult HttpWebhookSender::send(const Endpoint& endpoint, const std::string& msg_id,
                                   Timestamp now, const std::string& body) {
  SendResult out;
  auto url = parse_url(endpoint.url);
  if (!url) {
    out.error = url.error().message;
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  try {
    httplib::Client client(url->scheme_host_port);
    if (!client.is_valid()) {
      out.error = "cannot create an HTTP client for this URL";
      return out;
    }
    // Explicit, because cpp-httplib's default connect timeout is 300 s: one dead endpoint
    // would hold a worker for five minutes per attempt.
    client.set_connection_timeout(endpoint.connect_timeout);
    client.set_read_timeout(endpoint.read_timeout);
    client.set_write_timeout(endpoint.read_timeout);
    // A redirect is a failure (Standard Webhooks, "Delivery success and failure"): the
    // operator should fix the URL rather than have every alert bounce.
    client.set_follow_location(false);
    if (url->scheme == "https") {
      client.enable_server_certificate_verification(true);
      if (!ca_file_.empty()) client.set_ca_cert_path(ca_file_);
    }
    const std::int64_t ts = now.ms / 1000;
    const httplib::Headers headers{
        {"webhook-id", msg_id},
        {"webhook-timestamp", std::to_string(ts)},
        {"webhook-signature", sign(endpoint.secret_raw, msg_id, ts, body)},
        {"User-Agent", user_agent()},
    };
    auto res = client.Post(url->path, headers, body, "application/json");
    if (res) {
      out.http_status = res->status;
      if (res->status < 200 || res->status > 299) out.error = "HTTP " + std::to_string(res->status);
    } else {
      out.error = "no response: " + httplib::to_string(res.error());
    }
  } catch (const std::exception& e) {
    out.error = std::string("client failure: ") + e.what();
  }
  out.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  return out;
}

}  // namespace pvmon::notify
