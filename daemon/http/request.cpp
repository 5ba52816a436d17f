#include "request.hpp"

#include <algorithm>

namespace pvmon::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string& field_value(const Fields& fields, std::string_view name) {
  static const std::string empty;
  for (const auto& [k, v] : fields)
    if (iequals(k, name)) return v;
  return empty;
}

bool Request::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& f) { return iequals(f.first, name); });
}

bool Request::has_param(std::string_view name) const {
  return std::any_of(params.begin(), params.end(), [&](const auto& f) { return f.first == name; });
}

void Response::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& f) { return iequals(f.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

void Response::set_content(std::string body_text, std::string content_type) {
  body = std::move(body_text);
  set_header("Content-Type", std::move(content_type));
}

std::string percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

Fields parse_query(std::string_view query) {
  Fields out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(percent_decode(pair, true), std::string());
    else
      out.emplace_back(percent_decode(pair.substr(0, eq), true), percent_decode(pair.substr(eq + 1), true));
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace pvmon::http
