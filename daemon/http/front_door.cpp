#include "front_door.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <map>
#include <mutex>

#include "elastic_pool.hpp"
#include "pvmon/http/server.hpp"

namespace pvmon::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// After a response that leaves part of a request unread (refused before or in its body), the
// connection reads and drops what the client still sends for this long before it closes, so
// that the client reads the response instead of a reset (RFC 9112 §9.6).
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool bad_field_text(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string http_date() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string address_of(const tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

}  // namespace

std::string serialize(const Response& r, int version, bool close, bool head_only) {
  std::string out;
  out.reserve(256 + (head_only ? 0 : r.body.size()));
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = beast::http::obsolete_reason(static_cast<beast::http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [k, v] : r.headers) {
    if (k.empty() || bad_field_text(k) || bad_field_text(v)) continue;
    if (iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding") || iequals(k, "Connection") ||
        iequals(k, "Date"))
      continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "Date: " + http_date() + "\r\n";
  const bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  if (!no_body) out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (close)
    out += "Connection: close\r\n";
  else if (version == 10)
    out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head_only && !no_body) out += r.body;
  return out;
}

std::size_t raise_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? std::size_t(1) << 20 : static_cast<std::size_t>(rl.rlim_cur);
}

// --- what every connection shares --------------------------------------------------------

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  /// Closes the connection now (`now`), or if it is between requests, else after the
  /// response under way. Any thread: it runs on the connection's strand.
  virtual void wind_down(bool now) = 0;
};

struct FrontDoor::Impl : std::enable_shared_from_this<FrontDoor::Impl> {
  Impl(net::io_context& io_, FrontDoorSettings s, ExchangeFactory f)
      : io(io_), settings(std::move(s)), factory(std::move(f)), acceptor(net::make_strand(io_)),
        accept_retry(acceptor.get_executor()), pool(settings.threads, settings.max_workers) {}

  net::io_context& io;
  const FrontDoorSettings settings;
  const ExchangeFactory factory;
  std::optional<net::ssl::context> tls;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  ElasticPool pool;

  mutable std::mutex mu;  // guards what follows
  std::map<std::string, std::size_t> per_address;
  std::size_t open = 0;
  std::map<std::uint64_t, std::weak_ptr<ConnectionBase>> live;
  std::uint64_t next_id = 0;
  bool shutting_down = false;
  std::function<void()> drained;
  std::optional<net::steady_timer> grace_timer;
  std::chrono::steady_clock::time_point last_refusal_log{};

  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  /// Counts the connection in, or says why not.
  std::optional<std::string> admit_connection(const std::string& addr);
  void release(const std::string& addr, std::uint64_t id);
  void refuse_connection(tcp::socket& socket, const std::string& addr, const std::string& why);
  void check_drained();  // with mu held
};

// --- one connection ------------------------------------------------------------------------

template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(std::shared_ptr<FrontDoor::Impl> door, tcp::socket socket, std::string addr, std::uint64_t id)
      : door_(std::move(door)), stream_(make_stream(std::move(socket), door_->tls)), addr_(std::move(addr)),
        id_(id), buffer_(door_->settings.limits.max_header_bytes + kReadChunk + 8) {}

  ~Connection() override { door_->release(addr_, id_); }

  void run() {
    if constexpr (kTls) {
      lowest().expires_after(door_->settings.handshake_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
    } else {
      start_request();
    }
  }

  void wind_down(bool now) override {
    winding_down_ = true;
    net::post(stream_.get_executor(), [self = this->shared_from_this(), now] {
      // While a worker handles the request it owns the socket (it writes the answer itself):
      // the connection closes when that answer is written (finish_write sees winding_down_).
      if (self->phase_ == Phase::handling) return;
      // Between requests or within a header: nothing was taken from this client yet.
      if (now || self->phase_ == Phase::header) self->close_now();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  enum class Phase { handshake, header, body, handling, writing, closing };

  static Stream make_stream(tcp::socket socket, std::optional<net::ssl::context>& tls) {
    if constexpr (kTls)
      return Stream(std::move(socket), *tls);
    else
      return Stream(std::move(socket));
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  const FrontDoorSettings& settings() const { return door_->settings; }

  void on_handshake(error_code ec) {
    if (ec) return close_now();  // a plain HTTP client on the TLS port, a scanner, a timeout
    start_request();
  }

  // --- reading a request ---------------------------------------------------------------
  void start_request() {
    phase_ = Phase::header;
    reader_.emplace(settings().limits);
    exchange_.reset();
    head_read_ = false;
    if (winding_down_) return close_now();  // a request pipelined behind is not taken
    if (buffer_.size() > 0 || first_) {
      // A new connection's first request, or one pipelined behind the last: the header
      // deadline runs from now.
      waiting_idle_ = false;
      lowest().expires_after(settings().header_timeout);
    } else {
      waiting_idle_ = true;
      lowest().expires_after(settings().keep_alive_timeout);
    }
    first_ = false;
    if (buffer_.size() > 0)
      parse_header();
    else
      read_more(&Connection::on_header_bytes);
  }

  using Step = void (Connection::*)(error_code, std::size_t);
  void read_more(Step next) {
    const std::size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return parse_header();  // cannot happen: the reader fails past its limit
    stream_.async_read_some(buffer_.prepare(std::min(room, kReadChunk)),
                            [self = this->shared_from_this(), next](error_code ec, std::size_t n) {
                              ((*self).*next)(ec, n);
                            });
  }

  std::string_view buffered() const {
    const auto d = buffer_.data();
    return {static_cast<const char*>(d.data()), d.size()};
  }

  void on_header_bytes(error_code ec, std::size_t n) {
    if (ec) return read_failed(ec);
    buffer_.commit(n);
    if (waiting_idle_) {
      waiting_idle_ = false;
      lowest().expires_after(settings().header_timeout);
    }
    parse_header();
  }

  void parse_header() {
    std::size_t used = 0;
    const auto st = reader_->read_header(buffered(), used);
    buffer_.consume(used);
    if (st == RequestReader::Status::need_more) return read_more(&Connection::on_header_bytes);
    exchange_ = door_->factory();
    if (st == RequestReader::Status::failed) return refuse(reader_->failure().status, reader_->failure().detail);
    head_read_ = true;
    reader_->request().remote_addr = addr_;
    const bool body = reader_->has_body();
    std::optional<Response> early = exchange_->admit(reader_->request());
    if (early) {
      // Judged from its headers (no route, no valid token, ...): the body is never read.
      ++served_;
      return respond(std::move(*early), body || !reader_->keep_alive(), body);
    }
    if (!body) return dispatch();
    phase_ = Phase::body;
    if (reader_->body_over_limit()) return parse_body();  // 413 before any 100 Continue
    lowest().expires_after(settings().body_timeout + body_allowance());
    if (reader_->expects_continue() && buffer_.size() == 0) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = this->shared_from_this()](error_code e, std::size_t) {
                         if (e) return self->close_now();
                         self->parse_body();
                       });
      return;
    }
    parse_body();
  }

  std::chrono::milliseconds body_allowance() const {
    const std::uint64_t bytes = reader_->chunked() ? settings().limits.max_body_bytes : reader_->content_length();
    const std::size_t rate = std::max<std::size_t>(settings().body_min_rate, 1);
    return std::chrono::milliseconds(bytes * 1000 / rate);
  }

  void on_body_bytes(error_code ec, std::size_t n) {
    if (ec) return read_failed(ec);
    buffer_.commit(n);
    parse_body();
  }

  void parse_body() {
    std::size_t used = 0;
    const auto st = reader_->read_body(buffered(), used);
    buffer_.consume(used);
    if (st == RequestReader::Status::need_more) return read_more(&Connection::on_body_bytes);
    if (st == RequestReader::Status::failed) return refuse(reader_->failure().status, reader_->failure().detail);
    dispatch();
  }

  void read_failed(error_code ec) {
    // Over a deadline in the middle of a request: the stream closed the socket when its timer
    // fired, so nothing can be answered; the request's line is logged as 408. Idle, closed by
    // the client, or wound down: closed without a line.
    if (ec == beast::error::timeout && !waiting_idle_ && reader_ && (reader_->bytes_seen() > 0 || head_read_)) {
      if (!exchange_) exchange_ = door_->factory();
      const Request* head = head_read_ ? &reader_->request() : nullptr;
      exchange_->finished(head, exchange_->refuse(head, 408, phase_ == Phase::body
                                                                 ? "the body did not arrive in time"
                                                                 : "the header did not arrive in time"));
    }
    close_now();
  }

  // --- answering -----------------------------------------------------------------------
  void refuse(int status, const std::string& detail) {
    ++served_;
    const Request* head = head_read_ ? &reader_->request() : nullptr;
    respond(exchange_->refuse(head, status, detail), true, true);
  }

  void dispatch() {
    phase_ = Phase::handling;
    ++served_;
    lowest().expires_never();
    auto self = this->shared_from_this();
    door_->pool.enqueue([self] {
      Response r;
      try {
        r = self->exchange_->handle(self->reader_->request());
      } catch (const std::exception& e) {
        spdlog::error("http: request failed: {}", e.what());
        r = self->exchange_->refuse(&self->reader_->request(), 500, "internal error");
      }
      // The request's line is written here, off the io thread: when the access log's queue is
      // full (a stalled stderr) a worker waits for room, never the connections.
      self->exchange_->finished(&self->reader_->request(), r);
      self->logged_ = true;
      // Until finish_write runs on the strand this worker owns the connection: the strand has
      // no operation on the socket (no read is pending, the deadline is off, wind_down leaves a
      // handled connection alone), so the answer is serialised and, on plain TCP, written here
      // with one non-blocking send: the client has it without a wait for the io thread.
      const bool close = !self->reader_->keep_alive() || self->winding_down_ ||
                         self->served_ >= self->settings().keep_alive_max;
      self->prepare(std::move(r), close, false);
      std::size_t sent = 0;
      error_code ec;
      if constexpr (!kTls) sent = self->send_now(ec);
      net::post(self->stream_.get_executor(), [self, sent, ec] { self->finish_write(sent, ec); });
    });
  }

  // Serialises the answer into out_ and decides what follows it.
  void prepare(Response r, bool close, bool linger) {
    response_ = std::move(r);
    close_after_ = close || winding_down_;
    // Bytes of a request not read (a body refused, a request pipelined behind the last one):
    // drained before closing, or the client may see a reset instead of this answer.
    linger_ = linger || buffer_.size() > 0;
    const bool head_only = head_read_ && reader_->request().method == "HEAD";
    out_ = serialize(response_, head_read_ ? reader_->request().version : 11, close_after_, head_only);
  }

  // Plain TCP only: as much of out_ as the socket takes now, without blocking.
  std::size_t send_now(error_code& ec) {
    const int fd = lowest().socket().native_handle();
    std::size_t sent = 0;
    while (sent < out_.size()) {
      const ssize_t n = ::send(fd, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
          ec = error_code(errno, boost::system::system_category());
        break;  // the socket's buffer is full: the strand writes the rest
      }
    }
    return sent;
  }

  // On the strand: the rest of out_ after `sent` bytes, under the write deadline.
  void finish_write(std::size_t sent, error_code ec) {
    phase_ = Phase::writing;
    if (ec || sent == out_.size()) return on_written(ec);
    lowest().expires_after(settings().write_timeout);
    net::async_write(stream_, net::buffer(out_) + sent, [self = this->shared_from_this()](error_code e, std::size_t) {
      self->on_written(e);
    });
  }

  void respond(Response r, bool close, bool linger) {
    prepare(std::move(r), close, linger);
    finish_write(0, {});
  }

  void on_written(error_code ec) {
    if (exchange_ && !logged_) exchange_->finished(head_read_ ? &reader_->request() : nullptr, response_);
    logged_ = false;
    out_.clear();
    out_.shrink_to_fit();
    if (ec) return close_now();
    if (close_after_ || winding_down_) return linger_ ? linger() : close_gracefully();
    start_request();
  }

  // --- closing -------------------------------------------------------------------------
  void close_gracefully() {
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->close_now(); });
    } else {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      close_now();
    }
  }

  void linger() {
    if constexpr (kTls) {
      close_gracefully();
    } else {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().expires_after(kLinger);
      drain();
    }
  }

  void drain() {
    lowest().async_read_some(net::buffer(scratch_), [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->close_now();
      self->drain();
    });
  }

  void close_now() {
    phase_ = Phase::closing;
    error_code ignored;
    lowest().socket().close(ignored);
  }

  std::shared_ptr<FrontDoor::Impl> door_;
  Stream stream_;
  const std::string addr_;
  const std::uint64_t id_;
  beast::flat_buffer buffer_;
  Phase phase_ = Phase::handshake;
  std::optional<RequestReader> reader_;
  std::unique_ptr<Exchange> exchange_;
  Response response_;
  std::string out_;
  char scratch_[4096];
  int served_ = 0;
  bool first_ = true;
  bool waiting_idle_ = false;
  bool head_read_ = false;
  bool close_after_ = false;
  bool linger_ = false;
  std::atomic<bool> winding_down_ = false;  // set from any thread by wind_down
  bool logged_ = false;  // the worker wrote the request's line
};

// --- the listener ------------------------------------------------------------------------

std::optional<std::string> FrontDoor::Impl::admit_connection(const std::string& addr) {
  std::lock_guard lock(mu);
  if (shutting_down) return "the server is shutting down";
  if (open >= settings.max_connections)
    return "too many connections (" + std::to_string(settings.max_connections) + ")";
  auto& n = per_address[addr];
  if (n >= settings.max_connections_per_address) {
    if (n == 0) per_address.erase(addr);
    return "too many connections from this address (" + std::to_string(settings.max_connections_per_address) + ")";
  }
  ++n;
  ++open;
  return std::nullopt;
}

void FrontDoor::Impl::release(const std::string& addr, std::uint64_t id) {
  std::lock_guard lock(mu);
  live.erase(id);
  if (auto it = per_address.find(addr); it != per_address.end() && --it->second == 0) per_address.erase(it);
  --open;
  check_drained();
}

void FrontDoor::Impl::check_drained() {
  if (!shutting_down || open != 0 || !drained) return;
  auto done = std::move(drained);
  drained = nullptr;
  net::post(io, std::move(done));
}

void FrontDoor::Impl::refuse_connection(tcp::socket& socket, const std::string& addr, const std::string& why) {
  {
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log > std::chrono::seconds(10)) {
      last_refusal_log = now;
      spdlog::warn("http: refused a connection from {}: {} (said at most every 10 s)", addr, why);
    }
  }
  // Plain HTTP: a short 503 written without waiting (it fits in the socket's buffer), then
  // close. Under TLS nothing can be said before a handshake: the connection is closed.
  if (!tls) {
    auto ex = factory();
    Response r = ex->refuse(nullptr, 503, why);
    r.set_header("Retry-After", "1");
    const std::string bytes = serialize(r, 11, true, false);
    error_code ec;
    socket.non_blocking(true, ec);
    if (!ec) ::send(socket.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    ex->finished(nullptr, r);
  }
  error_code ignored;
  socket.close(ignored);
}

void FrontDoor::Impl::accept() {
  acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void FrontDoor::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of descriptors (EMFILE, ENFILE) or memory: wait a little rather than spin.
    spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->accept();
    });
    return;
  }
  error_code ep_ec;
  const auto ep = socket.remote_endpoint(ep_ec);
  if (ep_ec) {
    accept();
    return;
  }
  const std::string addr = address_of(ep);
  if (auto why = admit_connection(addr)) {
    refuse_connection(socket, addr, *why);
    accept();
    return;
  }
  socket.set_option(tcp::no_delay(true), ep_ec);  // else each answer waits for a delayed ACK
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu);
    id = ++next_id;
  }
  auto track = [&](const std::shared_ptr<ConnectionBase>& c) {
    std::lock_guard lock(mu);
    live.emplace(id, c);
  };
  if (tls) {
    auto conn = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(shared_from_this(),
                                                                                 std::move(socket), addr, id);
    track(conn);
    conn->run();
  } else {
    auto conn = std::make_shared<Connection<beast::tcp_stream>>(shared_from_this(), std::move(socket), addr, id);
    track(conn);
    conn->run();
  }
  accept();
}

// --- the door ------------------------------------------------------------------------------

FrontDoor::FrontDoor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

FrontDoor::~FrontDoor() { stop(); }

Result<std::unique_ptr<FrontDoor>> FrontDoor::create(net::io_context& io, FrontDoorSettings settings,
                                                     ExchangeFactory factory) {
  auto impl = std::make_shared<Impl>(io, std::move(settings), std::move(factory));
  if (const auto& t = impl->settings.tls) {
    // TLS 1.2 at least, 1.3 preferred (OpenSSL picks the highest both sides speak); no
    // compression (CRIME), no renegotiation, the server's cipher order.
    net::ssl::context ctx(net::ssl::context::tls_server);
    SSL_CTX* raw = ctx.native_handle();
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    error_code ec;
    ctx.use_certificate_chain_file(t->certificate, ec);
    if (!ec) ctx.use_private_key_file(t->private_key, net::ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(raw) != 1)
      return Error::of(Errc::invalid, "TLS: cannot use certificate " + t->certificate + " with key " + t->private_key +
                                          " (unreadable, not PEM, or not a pair)");
    impl->tls.emplace(std::move(ctx));
  }
  return std::unique_ptr<FrontDoor>(new FrontDoor(std::move(impl)));
}

Result<std::string> FrontDoor::bind(const std::string& host, int port) {
  error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return Error::of(Errc::invalid, "cannot listen on " + host + ": not an IP address");
  const tcp::endpoint ep(address, static_cast<unsigned short>(port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    a.close(ignored);
    return Error::of(Errc::unavailable, "cannot listen on " + host + ":" + std::to_string(port) + " (" +
                                            ec.message() + ")");
  }
  const auto bound = a.local_endpoint(ec);
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(bound.port());
}

void FrontDoor::start() {
  net::post(impl_->acceptor.get_executor(), [impl = impl_] { impl->accept(); });
}

void FrontDoor::shutdown(std::chrono::milliseconds grace, std::function<void()> drained) {
  auto impl = impl_;
  net::post(impl->acceptor.get_executor(), [impl, grace, drained = std::move(drained)]() mutable {
    error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    std::vector<std::shared_ptr<ConnectionBase>> conns;
    {
      std::lock_guard lock(impl->mu);
      impl->shutting_down = true;
      impl->drained = std::move(drained);
      for (const auto& [id, w] : impl->live)
        if (auto c = w.lock()) conns.push_back(std::move(c));
      impl->grace_timer.emplace(impl->io);
      impl->grace_timer->expires_after(grace);
      impl->grace_timer->async_wait([impl](error_code e) {
        if (e) return;
        std::vector<std::shared_ptr<ConnectionBase>> left;
        std::function<void()> done;
        {
          std::lock_guard lock(impl->mu);
          for (const auto& [id, w] : impl->live)
            if (auto c = w.lock()) left.push_back(std::move(c));
          done = std::move(impl->drained);
          impl->drained = nullptr;
        }
        if (!left.empty()) spdlog::warn("http: {} connection(s) still busy after the grace period: closed", left.size());
        for (auto& c : left) c->wind_down(true);
        if (done) done();
      });
      impl->check_drained();
    }
    for (auto& c : conns) c->wind_down(false);
  });
}

void FrontDoor::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->shutting_down = true;
    impl_->drained = nullptr;
  }
  error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->pool.shutdown();  // requests being handled finish; their answers are not sent
  // Whatever is still open closes the next time the io_context runs (or as it is destroyed).
  std::vector<std::shared_ptr<ConnectionBase>> left;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, w] : impl_->live)
      if (auto c = w.lock()) left.push_back(std::move(c));
  }
  for (auto& c : left) c->wind_down(true);
}

std::size_t FrontDoor::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->open;
}

}  // namespace pvmon::http
