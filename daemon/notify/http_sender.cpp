#include <httplib.h>
#include <netdb.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "pvmon/notify.hpp"

#ifndef PVMON_VERSION
#define PVMON_VERSION "0.0.0"
#endif

namespace pvmon::notify {

namespace {

std::string host_port(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

/// cpp-httplib reports a failed DNS lookup, a refused connection and an
/// unreachable network all as Error::Connection, with nothing of errno left.
/// Only after such a failure: look the host up and connect once more
/// (non-blocking, poll(), bounded by the connect timeout) to say which.
std::string diagnose_connection(const Url& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(url.port);
  if (const int rc = ::getaddrinfo(url.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return "DNS lookup of " + url.host + " failed: " + ::gai_strerror(rc);
  }
  int err = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (n == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    ::close(fd);
    if (err == 0) break;
  }
  ::freeaddrinfo(found);
  if (err == 0) return "could not connect to " + host_port(url) + " (it accepts connections now)";
  if (err == ECONNREFUSED) return "connection refused by " + host_port(url);
  if (err == ETIMEDOUT)
    return "connect to " + host_port(url) + " timed out after " + std::to_string(timeout.count()) +
           " ms";
  return "cannot connect to " + host_port(url) + ": " + std::strerror(err);
}

/// What failed, in words an operator can act on (httplib::to_string gives
/// "Connection").
std::string describe_failure(const httplib::Result& res, const httplib::Client& client,
                             const Url& url, const Endpoint& endpoint,
                             std::chrono::milliseconds elapsed) {
  using httplib::Error;
  const std::string where = host_port(url);
  switch (res.error()) {
    case Error::Connection:
      return diagnose_connection(url, endpoint.connect_timeout);
    case Error::ConnectionTimeout:
      return "connect to " + where + " timed out after " +
             std::to_string(endpoint.connect_timeout.count()) + " ms";
    case Error::Read:
      // The read timeout is the only way a read fails this late; earlier, the
      // peer closed.
      if (elapsed >= endpoint.read_timeout)
        return "no response from " + where + " within " +
               std::to_string(endpoint.read_timeout.count()) + " ms (read timed out)";
      return "connection closed by " + where + " before a complete response";
    case Error::Write:
      return "sending the request to " + where + " failed (connection closed or write timed out)";
    case Error::SSLConnection:
      return "TLS handshake with " + where + " failed (not TLS, or no common protocol or cipher)";
    case Error::SSLServerVerification: {
      // X509_verify_cert_error_string: OpenSSL's text for the verify result
      // (X509_V_ERR_*).
      const long v = client.get_openssl_verify_result();
      return "TLS certificate of " + where + " not verified: " +
             (v != X509_V_OK ? X509_verify_cert_error_string(v)
                             : "host name does not match the certificate");
    }
    case Error::SSLLoadingCerts:
      return "cannot load the CA certificates to verify " + where;
    default:
      return "request to " + where + " failed: " + httplib::to_string(res.error());
  }
}

}  // namespace

HttpWebhookSender::HttpWebhookSender(std::string ca_file) : ca_file_(std::move(ca_file)) {}

std::string HttpWebhookSender::user_agent() { return std::string("pvmon/") + PVMON_VERSION; }

SendResult HttpWebhookSender::send(const Endpoint& endpoint, const OutboxMessage& message,
                                   Timestamp now) {
  SendResult out;
  auto url = parse_url(endpoint.url);
  if (!url) {
    out.error = url.error().message;
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  };
  try {
    httplib::Client client(url->scheme_host_port);
    if (!client.is_valid()) {
      out.error = "cannot create an HTTP client for this URL";
      return out;
    }
    // Explicit, because cpp-httplib's default connect timeout is 300 s: one
    // dead endpoint would hold a worker for five minutes per attempt.
    client.set_connection_timeout(endpoint.connect_timeout);
    client.set_read_timeout(endpoint.read_timeout);
    client.set_write_timeout(endpoint.read_timeout);
    // A redirect is a failure (Standard Webhooks, "Delivery success and
    // failure"): the operator should fix the URL rather than have every alert
    // bounce.
    client.set_follow_location(false);
    if (url->scheme == "https") {
      client.enable_server_certificate_verification(true);
      if (!ca_file_.empty()) client.set_ca_cert_path(ca_file_);
    }
    const std::int64_t ts = now.ms / 1000;
    const httplib::Headers headers{
        {"webhook-id", message.msg_id},
        {"webhook-timestamp", std::to_string(ts)},
        {"webhook-signature", sign(endpoint.secret_raw, message.msg_id, ts, message.body)},
        // Not part of Standard Webhooks: lets a receiver see a gap (standard
        // bodies also carry it as "sequence", covered by the signature).
        {"webhook-sequence", std::to_string(message.sequence)},
        {"User-Agent", user_agent()},
    };
    auto res = client.Post(url->path, headers, message.body, "application/json");
    out.latency_ms = elapsed().count();  // the attempt's, not the diagnosis's
    if (res) {
      out.http_status = res->status;
      if (res->status < 200 || res->status > 299) out.error = "HTTP " + std::to_string(res->status);
    } else {
      out.error =
          describe_failure(res, client, *url, endpoint, std::chrono::milliseconds(out.latency_ms));
    }
  } catch (const std::exception& e) {
    out.error = std::string("client failure: ") + e.what();
    out.latency_ms = elapsed().count();
  }
  return out;
}

}  // namespace pvmon::notify
