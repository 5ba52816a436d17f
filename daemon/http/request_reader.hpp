// pvmon::http — reading one HTTP/1.1 request from bytes, with no socket: the front door feeds
// it what it reads, the fuzz target feeds it anything. It reads in two steps so that the caller
// can judge a request from its headers before any of its body is read (authentication, 401
// before a byte of body). Strict where RFC 9112 lets a server be (§2.2, §5, §6.1, §6.3): a
// request it cannot frame one way only is refused, never guessed at, because a proxy in front
// that guessed the other way would let a second request through inside the first (smuggling).
//
//   - the header block: at most `max_header_bytes`, `max_header_count` fields (else 431);
//     field names are tokens with the colon right after them; values are visible characters,
//     spaces and tabs (no NUL, no bare CR or LF); obsolete line folding is refused (400);
//   - framing: Content-Length once, digits only; Transfer-Encoding once, and only `chunked`;
//     never both (400); HTTP/1.1 needs exactly one Host (400); HTTP/1.0 and 1.1 only (505);
//   - the body: at most `max_body_bytes` for every framing, chunked included; the reader stops
//     at the chunk header that would pass the limit (413) and never holds more than the limit;
//     a chunk header or trailer section still arriving is held up to `max_header_bytes` (400).
//
// Every failure ends the connection: after a framing error the next byte's meaning is unknown.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"

namespace pvmon::http {

struct ReaderLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;
  std::size_t max_body_bytes = 1 << 20;
};

class RequestReader {
 public:
  enum class Status { need_more, header_done, complete, failed };
  struct Failure {
    int status = 400;
    std::string detail;
  };

  explicit RequestReader(ReaderLimits limits);

  /// Reads the request line and header fields from the front of `in`; `used` is how many bytes
  /// it took (0 until the whole block is there). header_done: request() has everything but the
  /// body. failed: failure() says why.
  Status read_header(std::string_view in, std::size_t& used);
  /// After header_done: reads body bytes from the front of `in`. complete: request().body holds
  /// it (and what follows in the buffer is the next request's).
  Status read_body(std::string_view in, std::size_t& used);

  Request& request() { return request_; }
  const Request& request() const { return request_; }
  const Failure& failure() const { return failure_; }
  /// A body follows the header (a Content-Length above 0, or chunked).
  bool has_body() const { return chunked_ || content_length_ > 0; }
  bool chunked() const { return chunked_; }
  /// The Content-Length is past max_body_bytes: read_body fails with 413 at once. Judged after
  /// the header, so that a client without a token hears 401, not the limit.
  bool body_over_limit() const { return !chunked_ && content_length_ > limits_.max_body_bytes; }
  std::uint64_t content_length() const { return content_length_; }
  /// `Expect: 100-continue`: the client waits for a 100 before it sends the body.
  bool expects_continue() const { return expect_continue_; }
  /// The client wants the connection kept after the response (HTTP/1.1 unless `close`).
  bool keep_alive() const { return keep_alive_; }
  /// Bytes of this request seen so far (header block included).
  std::size_t bytes_seen() const { return seen_; }

 private:
  Status fail(int status, std::string detail);
  Status check_head();

  ReaderLimits limits_;
  boost::beast::http::request_parser<boost::beast::http::string_body> parser_;
  Request request_;
  Failure failure_;
  bool chunked_ = false;
  std::uint64_t content_length_ = 0;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  bool body_started_ = false;
  std::size_t seen_ = 0;
  std::size_t start_ = 0;    // empty lines skipped before the request line
  std::size_t scanned_ = 0;  // bytes of the header looked at by earlier calls
  bool method_seen_ = false;
};

}  // namespace pvmon::http
