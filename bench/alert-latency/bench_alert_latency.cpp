// bench/alert-latency: posts N serious AE reports to a real pvmond and measures the time until
// each one's `alert.sae` webhook reaches a local receiver. Baseline, side by side: a plain POST
// from this process to the same receiver (the loopback HTTP floor). Prints a table and writes
// JSON. Usage: bench_alert_latency [N=1000] [OUT.json]
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>

#include "daemon.hpp"

using namespace pvmon::test;
using Clock = std::chrono::steady_clock;

namespace {

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const auto lo = static_cast<std::size_t>(h);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::stoi(argv[1]) : 1000;
  const std::string out = argc > 2 ? argv[2] : "bench-alert-latency.json";

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Clock::time_point> received;  // report_id -> webhook arrival
  int baseline_hits = 0;
  httplib::Server rx;
  rx.new_task_queue = [] { return new httplib::ThreadPool(8); };
  rx.Post("/hook", [&](const httplib::Request& req, httplib::Response&) {
    const auto now = Clock::now();
    const json e = json::parse(req.body);
    std::lock_guard lock(mu);
    if (e.value("type", "") == "alert.sae")
      received.emplace(e["data"]["details"].value("site_report_id", ""), now);
    cv.notify_all();
  });
  rx.Post("/baseline", [&](const httplib::Request&, httplib::Response&) {
    std::lock_guard lock(mu);
    ++baseline_hits;
  });
  const int port = rx.bind_to_any_port("127.0.0.1");
  std::thread rx_thread([&] { rx.listen_after_bind(); });

  TempDir tmp;
  write_text(tmp.path / "s.secret", "whsec_cHZtb24tZTJlLXdlYmhvb2stc2VjcmV0LTMyYnl0ZXM=\n");
  const auto cfg = write_config(tmp.path, [&](json& c) {
    c["log"] = {{"level", "warn"}};
    c["webhooks"] = json::array({{{"name", "bench"},
                                  {"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"},
                                  {"secret_file", (tmp.path / "s.secret").string()},
                                  {"events", json::array({"alert.sae"})}}});
  });
  Daemon d(cfg, tmp.path / "data");
  d.start();
  auto c = d.client();
  c.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
         subject_body("S01-0007").dump(), "application/json");

  // Baseline: the same receiver, a plain POST round trip.
  std::vector<double> base;
  httplib::Client bc("127.0.0.1", port);
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    bc.Post("/baseline", "{}", "application/json");
    base.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }

  std::map<std::string, Clock::time_point> sent;
  for (int i = 0; i < n; ++i) {
    json ae = ae_body("B-" + std::to_string(i));
    ae.erase("lab");
    ae["term"] = "Fatigue";
    ae["grade"] = 3;
    ae["site_aware_at"] = "2026-10-03T08:10:00Z";
    const auto t0 = Clock::now();
    auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), ae.dump(), "application/json");
    if (!r || r->status != 201) {
      std::fprintf(stderr, "post %d failed\n", i);
      return 1;
    }
    sent.emplace(ae["report_id"].get<std::string>(), t0);
  }
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(120), [&] { return static_cast<int>(received.size()) >= n; });
  }
  std::vector<double> lat;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, t] : received)
      if (sent.count(id)) lat.push_back(std::chrono::duration<double, std::milli>(t - sent[id]).count());
  }
  d.stop();
  rx.stop();
  rx_thread.join();
  if (lat.empty()) {
    std::fprintf(stderr, "no alert arrived\n");
    return 1;
  }
  std::printf("bench/alert-latency: %d SAEs, sequential posts\n", n);
  std::printf("%-28s %10s %10s %10s\n", "path", "p50 ms", "p99 ms", "count");
  std::printf("%-28s %10.3f %10.3f %10zu\n", "baseline POST round trip", pct(base, .5), pct(base, .99), base.size());
  std::printf("%-28s %10.3f %10.3f %10zu\n", "SAE post -> webhook", pct(lat, .5), pct(lat, .99), lat.size());
  std::printf("p99 ratio alert/baseline: %.1f (target: alert p99 < 50 ms)\n", pct(lat, .99) / pct(base, .99));
  json j{{"n", n},
         {"baseline", {{"p50_ms", pct(base, .5)}, {"p99_ms", pct(base, .99)}}},
         {"alert", {{"p50_ms", pct(lat, .5)}, {"p99_ms", pct(lat, .99)}, {"delivered", lat.size()}}}};
  write_text(out, j.dump(2) + "\n");
  return static_cast<int>(lat.size()) == n ? 0 : 1;
}
