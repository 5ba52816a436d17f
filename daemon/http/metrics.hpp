// Request metrics for /metrics (Prometheus text format 0.0.4), private to pvmon::http. Updated
// by the request logger on HTTP worker threads; one mutex, a handful of counters per route.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace pvmon::http {

class Metrics {
 public:
  /// Upper bounds of the latency histogram, in seconds.
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.5,   2.5};
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  /// The request families, in Prometheus text format.
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  std::uint64_t ae_accepted_ = 0, ae_rejected_ = 0;
};

Metrics& metrics();

}  // namespace pvmon::http
