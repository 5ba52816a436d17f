#include "pvmon/http/server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "elastic_pool.hpp"
#include "api.hpp"

namespace pvmon::http {

namespace {

void configure(httplib::Server& server, const config::HttpSettings& h) {
  // Without TCP_NODELAY every keep-alive response waits for the peer's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  const auto threads = static_cast<std::size_t>(h.threads);
  const auto max_connections = static_cast<std::size_t>(h.max_connections);
  server.new_task_queue = [threads, max_connections] { return new ElasticPool(threads, max_connections); };
  server.set_read_timeout(h.read_timeout_s, 0);
  server.set_write_timeout(h.write_timeout_s, 0);
  server.set_keep_alive_max_count(static_cast<std::size_t>(h.keep_alive_max));
  server.set_keep_alive_timeout(h.keep_alive_timeout_s);
  server.set_payload_max_length(h.max_body_bytes);
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<httplib::Server> server;
  std::unique_ptr<Api> api;
  std::thread thread;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::create(const config::Config& c, service::ConfigHolder& config,
                                               store::Store& store, const Clock& clock,
                                               std::shared_ptr<spdlog::logger> access_log) {
  auto impl = std::make_unique<Impl>();
  // HTTPS when configured: cpp-httplib's SSLServer over OpenSSL, TLS 1.2 at least (its own
  // default floor is TLS 1.1), no compression (CRIME), no renegotiation.
  if (c.tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(c.tls->certificate.c_str(), c.tls->private_key.c_str());
    if (!ssl->is_valid())
      return Error::of(Errc::invalid, "TLS: cannot use certificate " + c.tls->certificate + " with key " +
                                          c.tls->private_key + " (unreadable, not PEM, or not a pair)");
    SSL_CTX* ctx = ssl->ssl_context();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    impl->server = std::move(ssl);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  configure(*impl->server, c.http);
  impl->api = std::make_unique<Api>(Services{config, store, clock});
  impl->api->install(*impl->server, std::move(access_log));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<std::string> Server::bind(const std::string& host, int port) {
  auto& server = *impl_->server;
  if (port == 0) {
    port = server.bind_to_any_port(host);
    if (port <= 0) return Error::of(Errc::unavailable, "cannot listen on " + host + ":0");
  } else if (!server.bind_to_port(host, port)) {
    return Error::of(Errc::unavailable, "cannot listen on " + host + ":" + std::to_string(port) +
                                            " (in use, or not an address of this machine)");
  }
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

void Server::start() {
  impl_->thread = std::thread([this] {
    set_thread_name("pv-accept");
    impl_->server->listen_after_bind();
  });
}

void Server::stop() {
  if (!impl_ || !impl_->server) return;
  impl_->server->stop();  // stops accepting; workers finish the requests they hold
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Server::audit_auth_failures(bool all) { impl_->api->audit_auth_failures(all); }

}  // namespace pvmon::http
