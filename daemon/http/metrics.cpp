#include "metrics.hpp"

#include <sstream>

namespace pvmon::http {

namespace {

/// Label values escaped per the exposition format (backslash, quote, newline).
std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Metrics& metrics() {
  static Metrics m;
  return m;
}

void Metrics::observe(const std::string& method, const std::string& route, int status,
                      double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{method, route, status}];
  Histogram& h = latency_[{method, route}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
  if (method == "POST" && route == "/v1/studies/{study}/ae") {
    if (status == 200 || status == 201) ++ae_accepted_;
    else if (status >= 400 && status < 500) ++ae_rejected_;
  }
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream o;
  o << "# HELP pvmon_http_requests_total HTTP requests by method, route and status.\n"
       "# TYPE pvmon_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    o << "pvmon_http_requests_total{method=\"" << esc(std::get<0>(k)) << "\",route=\""
      << esc(std::get<1>(k)) << "\",status=\"" << std::get<2>(k) << "\"} " << n << "\n";
  o << "# HELP pvmon_http_request_duration_seconds HTTP request latency.\n"
       "# TYPE pvmon_http_request_duration_seconds histogram\n";
  for (const auto& [k, h] : latency_) {
    const std::string labels = "method=\"" + esc(k.first) + "\",route=\"" + esc(k.second) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      o << "pvmon_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBuckets[i]
        << "\"} " << h.buckets[i] << "\n";
    o << "pvmon_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count
      << "\n";
    o << "pvmon_http_request_duration_seconds_sum{" << labels << "} " << h.sum << "\n";
    o << "pvmon_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
  }
  o << "# HELP pvmon_ae_reports_total AE reports posted, by result.\n"
       "# TYPE pvmon_ae_reports_total counter\n"
    << "pvmon_ae_reports_total{result=\"accepted\"} " << ae_accepted_ << "\n"
    << "pvmon_ae_reports_total{result=\"rejected\"} " << ae_rejected_ << "\n";
  return o.str();
}

}  // namespace pvmon::http
