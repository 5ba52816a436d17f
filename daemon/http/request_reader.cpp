#include "request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace pvmon::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// tchar (RFC 9110 §5.6.2): the characters of a token, such as a method or a field name.
bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// field-vchar, SP and HTAB (RFC 9110 §5.5): obs-text (0x80-0xFF) is allowed, controls are not.
bool is_field_value_char(unsigned char c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7F); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Without the optional whitespace around a field value (OWS: spaces and tabs, RFC 9110 §5.6.3).
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A name for a message: a field name is a token by now, but a long one is cut.
std::string quoted_name(std::string_view name) {
  return std::string(name.substr(0, 64)) + (name.size() > 64 ? "..." : "");
}

}  // namespace

RequestReader::RequestReader(ReaderLimits limits) : limits_(limits) {
  // The header block's size is checked here before the parser sees it; its own limit is a
  // backstop. The body's limit is set once the header has been judged.
  parser_.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits_.max_header_bytes + 8, std::numeric_limits<std::uint32_t>::max())));
  // Not boost::none: Beast 1.74 compares a Content-Length with the optional itself, and any
  // number is greater than none.
  parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser_.eager(false);
}

RequestReader::Status RequestReader::fail(int status, std::string detail) {
  failure_ = Failure{status, std::move(detail)};
  return Status::failed;
}

RequestReader::Status RequestReader::read_header(std::string_view in, std::size_t& used) {
  used = 0;
  // Empty lines before the request line are ignored (RFC 9112 §2.2): some clients send one
  // after a body.
  std::size_t start = 0;
  while (start + 1 < in.size() && in[start] == '\r' && in[start + 1] == '\n') start += 2;
  if (start > limits_.max_header_bytes) return fail(400, "empty lines instead of a request");
  const std::string_view rest = in.substr(start);
  // Each call looks only at what it has not seen (a header sent a byte at a time costs its
  // length, not its length squared); the caller's buffer only grows between calls.
  if (start != start_) scanned_ = 0;
  start_ = start;
  const std::size_t end = rest.find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
  if (end == std::string_view::npos) {
    seen_ = in.size();
    if (rest.size() > limits_.max_header_bytes)
      return fail(431, "the request line and header fields are larger than " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
    // Not HTTP at all (a TLS handshake on the plain port, a binary protocol): said now rather
    // than after the header deadline. A lone CR is an empty line whose LF is still on its way.
    if (!method_seen_ && rest != "\r") {
      for (std::size_t i = scanned_; i < rest.size(); ++i) {
        if (rest[i] == ' ') {
          method_seen_ = true;
          break;
        }
        if (!is_tchar(static_cast<unsigned char>(rest[i]))) return fail(400, "not an HTTP request");
      }
    }
    scanned_ = rest.size();
    return Status::need_more;
  }
  const std::size_t block = end + 4;
  if (block > limits_.max_header_bytes)
    return fail(431, "the request line and header fields are larger than " +
                         std::to_string(limits_.max_header_bytes) + " bytes");
  seen_ = start + block;

  // Field lines, checked on the raw bytes: the parser would fold obs-fold into a space.
  const std::string_view head = rest.substr(0, end);
  const std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  for (const char c : request_line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return fail(400, "invalid character in the request line");
  // HTTP/2's preface or any version but 1.x: 505 (RFC 9110 §15.6.6), said before the parser
  // refuses the line as unreadable.
  if (const auto sp = request_line.rfind(' '); sp != std::string_view::npos) {
    const std::string_view v = request_line.substr(sp + 1);
    if (v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[5])) &&
        std::isdigit(static_cast<unsigned char>(v[7])) && v[5] != '1')
      return fail(505, std::string(v) + " is not served here: HTTP/1.1 is");
  }
  std::size_t count = 0;
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    if (++count > limits_.max_header_count)
      return fail(431, "more than " + std::to_string(limits_.max_header_count) + " header fields");
    if (line.front() == ' ' || line.front() == '\t')
      return fail(400, "obsolete line folding in the header fields (RFC 9112 §5.2)");
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
      return fail(400, "a header field without a name and a colon");
    const std::string_view name = line.substr(0, colon);
    for (const char c : name)
      if (!is_tchar(static_cast<unsigned char>(c)))
        return fail(400, "invalid character in a header field name (no space before the colon)");
    for (const char c : line.substr(colon + 1))
      if (!is_field_value_char(static_cast<unsigned char>(c)))
        return fail(400, "invalid character in the value of header " + quoted_name(name));
  }

  beast::error_code ec;
  const std::size_t n = parser_.put(boost::asio::buffer(rest.data(), block), ec);
  if (ec == bhttp::error::header_limit)
    return fail(431, "the request line and header fields are larger than " +
                         std::to_string(limits_.max_header_bytes) + " bytes");
  if (ec == bhttp::error::bad_content_length) return fail(400, "Content-Length is invalid, repeated with another value, or sent with Transfer-Encoding");
  if (ec == bhttp::error::bad_transfer_encoding) return fail(400, "Transfer-Encoding is repeated, or sent with Content-Length");
  if (ec == bhttp::error::bad_version) {
    // Beast reads HTTP/1.0 and 1.1 only: any other well-formed version is one not served here
    // (RFC 9110 §15.6.6), not an unreadable one.
    const std::string_view v = request_line.substr(request_line.rfind(' ') + 1);
    if (v.size() == 8 && v.substr(0, 5) == "HTTP/" && is_digit(v[5]) && v[6] == '.' && is_digit(v[7]))
      return fail(505, std::string(v) + " is not served here: HTTP/1.1 is");
    return fail(400, "the request line's HTTP version is not readable");
  }
  if (ec == bhttp::error::bad_method) return fail(400, "the request line's method is not a token");
  if (ec == bhttp::error::bad_target) return fail(400, "the request target is not readable");
  if (ec) return fail(400, "the request could not be read: " + ec.message());
  if (n != block || !parser_.is_header_done()) return fail(400, "the request could not be read");
  used = start + block;
  return check_head();
}

RequestReader::Status RequestReader::check_head() {
  const auto& m = parser_.get();
  request_.version = static_cast<int>(m.version());
  request_.method = std::string(m.method_string());
  request_.target = std::string(m.target());
  for (const auto& f : m) request_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  if (request_.version != 10 && request_.version != 11)
    return fail(505, "HTTP/" + std::to_string(request_.version / 10) + "." + std::to_string(request_.version % 10) +
                         " is not served here: HTTP/1.1 is");

  std::size_t lengths = 0, encodings = 0, hosts = 0, expects = 0;
  for (const auto& [k, v] : request_.headers) {
    if (iequals(k, "Content-Length")) ++lengths;
    if (iequals(k, "Transfer-Encoding")) ++encodings;
    if (iequals(k, "Host")) ++hosts;
    if (iequals(k, "Expect")) ++expects;
  }
  // RFC 9112 §6.1 and §6.3: a message with both, or with either repeated, is framed one way
  // by one reader and another way by the next.
  if (lengths > 0 && encodings > 0) return fail(400, "Transfer-Encoding and Content-Length together (RFC 9112 §6.1)");
  if (lengths > 1) return fail(400, "Content-Length is repeated (RFC 9112 §6.3)");
  if (encodings > 1) return fail(400, "Transfer-Encoding is repeated");
  if (lengths == 1) {
    const std::string_view v = trim_ows(request_.header("Content-Length"));
    if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail(400, "Content-Length must be one decimal number");
    content_length_ = parser_.content_length().value_or(0);
  }
  if (encodings == 1) {
    if (request_.version == 10) return fail(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)");
    if (!iequals(trim_ows(request_.header("Transfer-Encoding")), "chunked"))
      return fail(400, "Transfer-Encoding must be chunked alone: no other transfer coding is accepted");
    chunked_ = true;
  }
  if (request_.version == 11 && hosts != 1)
    return fail(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "Host is repeated");
  if (hosts > 1) return fail(400, "Host is repeated");
  if (expects > 0) {
    if (expects > 1 || !iequals(trim_ows(request_.header("Expect")), "100-continue"))
      return fail(417, "the only expectation served is 100-continue");
    expect_continue_ = request_.version == 11;
  }
  keep_alive_ = m.keep_alive();

  // origin-form, or absolute-form (RFC 9112 §3.2.2), or "*" for OPTIONS.
  std::string_view target = request_.target;
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      const std::size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  if (target == "*" && request_.method == "OPTIONS") {
    request_.path = "*";
  } else if (target.empty() || target.front() != '/') {
    return fail(400, "the request target must be a path starting with /");
  } else {
    const std::size_t q = target.find('?');
    request_.path = percent_decode(target.substr(0, q), false);
    if (q != std::string_view::npos) request_.params = parse_query(target.substr(q + 1));
  }
  return Status::header_done;
}

RequestReader::Status RequestReader::read_body(std::string_view in, std::size_t& used) {
  used = 0;
  if (!body_started_) {
    body_started_ = true;
    if (body_over_limit())
      return fail(413, "the body (" + std::to_string(content_length_) + " bytes) is larger than the limit of " +
                           std::to_string(limits_.max_body_bytes) + " bytes");
    parser_.body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
    parser_.eager(true);
  }
  // The parser takes body bytes as they come; what it leaves is a chunk header or the trailer
  // section not yet whole, which the caller holds until more arrives: bounded like a header
  // block, or a chunk extension or a trailer without end would be held without limit.
  const auto more = [&] {
    if (in.size() - used > limits_.max_header_bytes)
      return fail(400, "a chunk header or the trailer fields are larger than " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
    return Status::need_more;
  };
  while (!parser_.is_done()) {
    if (used == in.size()) return Status::need_more;
    beast::error_code ec;
    const std::size_t n = parser_.put(boost::asio::buffer(in.data() + used, in.size() - used), ec);
    used += n;
    seen_ += n;
    if (ec == bhttp::error::need_more) return more();
    if (ec == bhttp::error::body_limit)
      return fail(413, "the body is larger than the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
    if (ec) return fail(400, "the body could not be read (" + ec.message() + ")");
    if (n == 0 && !parser_.is_done()) return more();
  }
  request_.body = std::move(parser_.get().body());
  return Status::complete;
}

}  // namespace pvmon::http
