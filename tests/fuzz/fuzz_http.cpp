// Fuzz target: bytes off a connection, read as the front door reads them (RequestReader, small
// limits) and answered by the real API over the shipped demo config and a store in a temporary
// folder: each request judged from its header (admit), handled when admitted, its response
// serialized. The first byte picks where the rest is split in two reads, so the reader's
// need_more paths (a header, a body, a chunk header cut anywhere) are exercised; pipelined
// requests are read one after the other until one fails or asks to close. Any input must give
// a response or a refusal, never a crash, an exception out of here or a sanitizer report.
// PVMON_FUZZ_VERBOSE=1 prints each response's status line (to see what a corpus file reaches).
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "api.hpp"
#include "front_door.hpp"
#include "request_reader.hpp"

using namespace pvmon;
namespace fs = std::filesystem;

namespace {

// A clock that moves a minute per input: each input starts with a fresh rate-limit bucket and
// a fresh window of failed authentications, so its answers do not depend on the inputs before.
const Timestamp kStart = parse_timestamp("2026-11-24T12:00:00Z").value();

struct Fixture {
  fs::path dir;
  FakeClock clock{kStart};
  std::unique_ptr<service::ConfigHolder> holder;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<http::Api> api;
  bool verbose = std::getenv("PVMON_FUZZ_VERBOSE") != nullptr;
};

Fixture* fixture_ = nullptr;

void fail_setup(const std::string& what) {
  std::fprintf(stderr, "fuzz_http: %s\n", what.c_str());
  std::abort();
}

void clean_up() {
  if (!fixture_) return;
  fixture_->store->close();
  std::error_code ignored;
  fs::remove_all(fixture_->dir, ignored);
}

/// One request through the API as the front door runs it: admit, then handle.
http::Response exchange(http::Exchange& ex, const http::Request& req) {
  if (auto early = ex.admit(req)) return std::move(*early);
  return ex.handle(req);
}

Fixture& fixture() {
  if (fixture_) return *fixture_;
  auto* f = new Fixture;  // kept to the end: the store's writer thread outlives any one input
  // Off the disk where there is a tmpfs: a POST commits (fsync) once per request.
  const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  f->dir = base / ("pvmon-fuzz-http-" + std::to_string(std::random_device{}()));
  fs::create_directories(f->dir);
  // Quiet: an access line and an auth warning per request would be most of a run's time.
  spdlog::set_level(spdlog::level::off);
  auto cfg = config::load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  if (!cfg) fail_setup("config: " + cfg.error().message);
  cfg.value().data_dir = f->dir.string();  // the store the readiness probe checks
  auto rt = service::make_runtime(cfg.value());
  if (!rt) fail_setup("runtime: " + rt.error().message);
  f->holder = std::make_unique<service::ConfigHolder>(rt.value());
  auto st = store::Store::open(store::Options{cfg.value().database_path()}, f->clock);
  if (!st) fail_setup("store: " + st.error().message);
  f->store = std::move(st.value());
  auto quiet = std::make_shared<spdlog::logger>("fuzz-access", std::make_shared<spdlog::sinks::null_sink_mt>());
  f->api = std::make_unique<http::Api>(http::Services{*f->holder, *f->store, f->clock}, quiet);
  fixture_ = f;
  std::atexit(clean_up);
  // The demo's subject, so that the corpus's AE report reaches the use case, not a 422.
  http::Request enrol;
  enrol.method = "POST";
  enrol.target = enrol.path = "/v1/studies/hcc-pvtt-imrt/subjects";
  enrol.headers = {{"Host", "localhost"},
                   {"Authorization", "Bearer demo-site-s01"},
                   {"Content-Type", "application/json"}};
  enrol.body = R"({"subject": "S01-0007", "enrolled": "2026-09-01", "sex": "M", "age": 58})";
  enrol.remote_addr = "127.0.0.1";
  auto ex = f->api->exchange();
  const http::Response res = exchange(*ex, enrol);
  if (res.status != 201 && res.status != 200) fail_setup("enrolling S01-0007: " + res.body);
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fx = fixture();
  fx.clock.advance_ms(60'000);
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = input.size() * data[0] / 255;
  const std::string_view reads[] = {input.substr(0, split), input.substr(split)};

  // Small limits, so that the fuzzer reaches each of them.
  constexpr http::ReaderLimits kLimits{2048, 32, 4096};
  constexpr int kMaxRequests = 16;  // pipelined in one input
  std::string buffer;               // what has arrived and is not yet taken, as the door's
  std::optional<http::RequestReader> reader;
  std::unique_ptr<http::Exchange> ex;
  bool in_body = false;
  int served = 0;

  auto answer = [&](const http::Request* head, const http::Response& res, bool close) {
    const bool head_only = head && head->method == "HEAD";
    const std::string out = http::serialize(res, head ? head->version : 11, close, head_only);
    if (fx.verbose) std::fprintf(stderr, "fuzz_http: %.*s\n", static_cast<int>(out.find('\r')), out.data());
    ex->finished(head, res);
  };

  for (const std::string_view piece : reads) {
    buffer.append(piece);
    while (served < kMaxRequests) {
      std::size_t used = 0;
      if (!in_body) {
        if (!reader) reader.emplace(kLimits);
        const auto st = reader->read_header(buffer, used);
        buffer.erase(0, used);
        if (st == http::RequestReader::Status::need_more) break;
        ex = fx.api->exchange();
        ++served;
        if (st == http::RequestReader::Status::failed) {
          answer(nullptr, ex->refuse(nullptr, reader->failure().status, reader->failure().detail), true);
          return 0;  // every failure closes the connection
        }
        http::Request& req = reader->request();
        req.remote_addr = "192.0.2.7";
        if (auto early = ex->admit(req)) {
          // The body is never read: the connection closes if one was announced.
          const bool close = reader->has_body() || !reader->keep_alive();
          answer(&req, *early, close);
          if (close) return 0;
          reader.reset();
          continue;
        }
        if (reader->has_body()) {
          in_body = true;
          continue;
        }
      } else {
        const auto st = reader->read_body(buffer, used);
        buffer.erase(0, used);
        if (st == http::RequestReader::Status::need_more) break;
        if (st == http::RequestReader::Status::failed) {
          answer(&reader->request(), ex->refuse(&reader->request(), reader->failure().status, reader->failure().detail),
                 true);
          return 0;
        }
        in_body = false;
      }
      // The whole request: handled as a worker thread would (one top-level catch there too).
      http::Request& req = reader->request();
      http::Response res;
      try {
        res = ex->handle(req);
      } catch (const std::exception&) {
        res = ex->refuse(&req, 500, "internal error");
      }
      const bool close = !reader->keep_alive();
      answer(&req, res, close);
      if (close) return 0;
      reader.reset();
    }
  }
  // The input ended in the middle of a request: the door's header or body deadline answers it.
  if (reader && (in_body || reader->bytes_seen() > 0)) {
    if (!ex || !in_body) ex = fx.api->exchange();
    const http::Request* head = in_body ? &reader->request() : nullptr;
    ex->finished(head, ex->refuse(head, 408, "the input ended"));
  }
  return 0;
}
