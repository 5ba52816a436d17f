#include "pvmon/http/server.hpp"

#include "api.hpp"
#include "front_door.hpp"

namespace pvmon::http {

namespace {

FrontDoorSettings settings_of(const config::Config& c) {
  const config::HttpSettings& h = c.http;
  FrontDoorSettings s;
  s.limits.max_header_bytes = h.max_header_bytes;
  s.limits.max_header_count = h.max_header_count;
  s.limits.max_body_bytes = h.max_body_bytes;
  s.header_timeout = std::chrono::seconds(h.header_timeout_s);
  s.body_timeout = std::chrono::seconds(h.read_timeout_s);
  s.body_min_rate = h.body_min_bytes_per_s;
  s.write_timeout = std::chrono::seconds(h.write_timeout_s);
  s.keep_alive_timeout = std::chrono::seconds(h.keep_alive_timeout_s);
  s.handshake_timeout = std::chrono::seconds(h.tls_handshake_timeout_s);
  s.keep_alive_max = h.keep_alive_max;
  s.max_connections = static_cast<std::size_t>(h.max_connections);
  s.max_connections_per_address = static_cast<std::size_t>(h.max_connections_per_address);
  s.threads = static_cast<std::size_t>(h.threads);
  s.max_workers = static_cast<std::size_t>(h.max_workers);
  if (c.tls) s.tls = FrontDoorSettings::Tls{c.tls->certificate, c.tls->private_key};
  return s;
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<Api> api;
  std::unique_ptr<FrontDoor> door;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::create(boost::asio::io_context& io, const config::Config& c,
                                               service::ConfigHolder& config, store::Store& store, const Clock& clock,
                                               std::shared_ptr<spdlog::logger> access_log) {
  auto impl = std::make_unique<Impl>();
  impl->api = std::make_unique<Api>(Services{config, store, clock}, std::move(access_log));
  Api* api = impl->api.get();
  auto door = FrontDoor::create(io, settings_of(c), [api] { return api->exchange(); });
  if (!door) return door.error();
  impl->door = std::move(door.value());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<std::string> Server::bind(const std::string& host, int port) { return impl_->door->bind(host, port); }

void Server::start() { impl_->door->start(); }

void Server::shutdown(std::chrono::milliseconds grace, std::function<void()> drained) {
  impl_->door->shutdown(grace, std::move(drained));
}

void Server::stop() {
  if (impl_ && impl_->door) impl_->door->stop();
}

void Server::audit_auth_failures(bool all) { impl_->api->audit_auth_failures(all); }

}  // namespace pvmon::http
