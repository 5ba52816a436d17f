// pvmon::http — a request and a response as pvmon's handlers see them: plain values with no
// transport in them. The front door (front_door.hpp) reads a Request off the wire and writes a
// Response back; the API (api.hpp) turns one into the other. Header names compare without
// regard to case (RFC 9110 §5.1); the first of a repeated field is the one returned.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pvmon/text.hpp"

namespace pvmon::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

using pvmon::iequals;

/// The first value of `name` in `fields`, or the empty string.
const std::string& field_value(const Fields& fields, std::string_view name);

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded, without the query
  Fields params;       // the query, decoded, in order
  Fields headers;      // as received
  std::string body;
  std::string remote_addr;
  int version = 11;  // 10 or 11

  const std::string& header(std::string_view name) const { return field_value(headers, name); }
  bool has_header(std::string_view name) const;
  bool has_param(std::string_view name) const;
  const std::string& param(std::string_view name) const { return field_value(params, name); }
};

struct Response {
  int status = 200;
  Fields headers;  // Content-Type among them; the front door adds framing and Date
  std::string body;

  /// Replaces every `name` field with one of `value`.
  void set_header(std::string_view name, std::string value);
  const std::string& header(std::string_view name) const { return field_value(headers, name); }
  void set_content(std::string body_text, std::string content_type);
};

/// Percent-decodes `s`; with `plus_as_space`, '+' is a space (a query). An escape that is not
/// two hex digits is kept as it is.
std::string percent_decode(std::string_view s, bool plus_as_space);

/// `a=1&b=x%20y` as decoded pairs, in order; a key without '=' has an empty value.
Fields parse_query(std::string_view query);

/// `s` with every character that is not unreserved (RFC 3986 §2.3) percent-encoded.
std::string percent_encode(std::string_view s);

}  // namespace pvmon::http
