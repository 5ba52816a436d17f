// pvmon::http — the front door: HTTP/1.1 (and HTTPS) on an Asio io_context with Boost.Beast,
// asynchronous over epoll, so a connection costs a socket and a few kilobytes, never a thread.
// It reads each request with RequestReader (strict framing, limits while reading), asks the
// service to judge it from its headers before reading the body, hands the whole request to a
// worker thread and writes the answers of one connection in the order of its requests.
//
// Deadlines, per connection: the TLS handshake; the header block (from the connection's start,
// or from the first byte of a request on a kept-alive one, not per byte); the body, its base
// plus its size at a floor rate; the write; the idle time between requests. A connection over
// its deadline in the middle of a request gets 408 and is closed; an idle one is closed.
// Limits: connections in all and per remote address (503 and close past either).
//
// What is served is an Exchange, one per request, made by the service's factory; the front
// door knows nothing of routes or tokens, so a bare benchmark server uses the same door.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pvmon/core.hpp"
#include "request.hpp"
#include "request_reader.hpp"

namespace pvmon::http {

struct FrontDoorSettings {
  ReaderLimits limits;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{10'000};  // the base of a body's deadline
  std::size_t body_min_rate = 16 * 1024;           // bytes a second a body's deadline allows
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  int keep_alive_max = 100;  // requests on one connection
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_address = 256;
  std::size_t threads = 8;       // workers started at once
  std::size_t max_workers = 32;  // requests handled at once; more wait in the queue
  struct Tls {
    std::string certificate;  // PEM, with its chain
    std::string private_key;  // PEM
  };
  std::optional<Tls> tls;
};

/// One request's life on the service's side.
class Exchange {
 public:
  virtual ~Exchange() = default;
  /// The header is read, the body not yet (io thread; must be quick). A response here is sent
  /// instead of reading the body; the connection then closes if a body was announced.
  virtual std::optional<Response> admit(const Request& head) = 0;
  /// The whole request (on a worker thread).
  virtual Response handle(const Request& request) = 0;
  /// The front door refuses the request: `status` 400, 408, 413, 417, 431, 503 or 505 with
  /// `detail`; `head` when its header was read.
  virtual Response refuse(const Request* head, int status, std::string_view detail) = 0;
  /// The response went out (or the connection failed while sending it).
  virtual void finished(const Request* head, const Response& response) = 0;
};
using ExchangeFactory = std::function<std::unique_ptr<Exchange>()>;

class FrontDoor {
 public:
  /// Checks the TLS files when configured (an error names them).
  static Result<std::unique_ptr<FrontDoor>> create(boost::asio::io_context& io, FrontDoorSettings settings,
                                                   ExchangeFactory factory);
  ~FrontDoor();
  /// Binds host:port (port 0: a free one); returns HOST:PORT as bound.
  Result<std::string> bind(const std::string& host, int port);
  /// Accepts connections on the io_context (which the caller runs, on one thread).
  void start();
  /// Stops accepting, closes idle connections, lets the others finish the request they are in;
  /// calls `drained` on the io thread once none is left, or after `grace`.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> drained);
  /// Closes what is left and joins the workers (any thread, after the io_context stopped).
  void stop();
  /// Connections open now (for tests and metrics).
  std::size_t connections() const;

 struct Impl;  // shared with the connections, which outlive a call

 private:
  explicit FrontDoor(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

/// The bytes of `r` on the wire as an answer to `head_only` (HEAD) in `version`: status line,
/// the response's fields without framing ones and without any field carrying CR, LF or NUL,
/// Date, Content-Length, and `Connection: close` when `close`.
std::string serialize(const Response& r, int version, bool close, bool head_only);

}  // namespace pvmon::http
