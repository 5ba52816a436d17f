// The request reader (request_reader.hpp) on bytes, as the front door feeds it: the request
// line and target (RFC 9112 §3, §3.2: origin- and absolute-form; leading empty lines, §2.2),
// field lines (§5: no space before the colon, §5.1; no obs-fold, §5.2; no control characters),
// framing (§6.1 Transfer-Encoding, §6.2-6.3 Content-Length, never both, never repeated), the
// chunked coding with extensions and trailers (§7.1), pipelined requests (§9.3.2), persistence
// (§9.3), Expect (RFC 9110 §10.1.1) and the limits (413, 431, 505). Then the response bytes
// (serialize, front_door.hpp) and the percent-decoding of paths and queries.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "front_door.hpp"
#include "request_reader.hpp"

using namespace pvmon::http;
using ReadStatus = RequestReader::Status;

namespace doctest {
template <>
struct StringMaker<ReadStatus> {
  static String convert(ReadStatus s) {
    switch (s) {
      case ReadStatus::need_more: return "need_more";
      case ReadStatus::header_done: return "header_done";
      case ReadStatus::complete: return "complete";
      case ReadStatus::failed: return "failed";
    }
    return "?";
  }
};
}  // namespace doctest

namespace {

// Small limits, so that each is easy to reach: 1 KiB of header, 10 fields, 16 bytes of body.
constexpr ReaderLimits kLimits{1024, 10, 16};

/// The failure's status when `in` (a whole header block) is refused; fails the test otherwise.
int refused(std::string_view in, ReaderLimits limits = kLimits) {
  RequestReader r(limits);
  std::size_t used = 0;
  const ReadStatus st = r.read_header(in, used);
  CAPTURE(in);
  REQUIRE(st == ReadStatus::failed);
  CHECK_FALSE(r.failure().detail.empty());
  return r.failure().status;
}

/// A GET with `fields` (each ending in CRLF) after the request line.
std::string get(std::string_view fields, std::string_view version = "HTTP/1.1") {
  return "GET / " + std::string(version) + "\r\n" + std::string(fields) + "\r\n";
}

/// What the front door does with body bytes: keeps what the reader did not take, appends what
/// arrives, and offers it all again.
struct BodyFeed {
  explicit BodyFeed(RequestReader& r) : reader(r) {}
  RequestReader& reader;
  std::string held;
  std::size_t used = 0;

  ReadStatus feed(std::string_view piece) {
    held += piece;
    const ReadStatus st = reader.read_body(held, used);
    held.erase(0, used);
    return st;
  }
};

}  // namespace

TEST_CASE("a simple GET: method, target, decoded path and query, fields by any case") {
  const std::string in =
      "GET /v1/a%20b/c%2Fd?x=1+2&y=%41%42&flag&z=a%26b HTTP/1.1\r\n"
      "Host: example.org\r\nX-Custom:  spaced value \t\r\naccept: */*\r\n\r\n";
  RequestReader r(kLimits);
  std::size_t used = 0;
  REQUIRE(r.read_header(in, used) == ReadStatus::header_done);
  CHECK(used == in.size());
  CHECK(r.bytes_seen() == in.size());
  const Request& q = r.request();
  CHECK(q.method == "GET");
  CHECK(q.version == 11);
  CHECK(q.target == "/v1/a%20b/c%2Fd?x=1+2&y=%41%42&flag&z=a%26b");
  CHECK(q.path == "/v1/a b/c/d");  // '+' is a space only in the query
  CHECK(q.params == Fields{{"x", "1 2"}, {"y", "AB"}, {"flag", ""}, {"z", "a&b"}});
  CHECK(q.header("host") == "example.org");
  CHECK(q.header("HOST") == "example.org");
  CHECK(q.header("x-custom") == "spaced value");  // OWS around the value is not part of it (§5.1)
  CHECK(q.has_header("Accept"));
  CHECK(q.header("Content-Length").empty());
  CHECK(q.body.empty());
  CHECK_FALSE(r.has_body());
  CHECK_FALSE(r.chunked());
  CHECK_FALSE(r.expects_continue());
  CHECK(r.keep_alive());
  // With no body there is nothing to read: complete at once, taking no byte.
  REQUIRE(r.read_body("", used) == ReadStatus::complete);
  CHECK(used == 0);
}

TEST_CASE("the header block in pieces: need_more, taking nothing, until its empty line") {
  const std::string in = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestReader r(kLimits);
  std::size_t used = 99;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{16}, in.size() - 1}) {
    CAPTURE(n);
    CHECK(r.read_header(std::string_view(in).substr(0, n), used) == ReadStatus::need_more);
    CHECK(used == 0);
  }
  CHECK(r.read_header(in, used) == ReadStatus::header_done);
  CHECK(used == in.size());
}

TEST_CASE("Content-Length: the body read in two pieces, the next request's bytes left alone") {
  const std::string head = "POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
  const std::string next = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestReader r(kLimits);
  std::size_t used = 0;
  // The first piece of the body came with the header: the header takes only its own bytes.
  REQUIRE(r.read_header(head + "hello", used) == ReadStatus::header_done);
  CHECK(used == head.size());
  CHECK(r.has_body());
  CHECK_FALSE(r.chunked());
  CHECK(r.content_length() == 11);
  CHECK(r.read_body("hello", used) == ReadStatus::need_more);
  CHECK(used == 5);
  CHECK(r.read_body(" world" + next, used) == ReadStatus::complete);
  CHECK(used == 6);
  CHECK(r.request().body == "hello world");
  CHECK(r.bytes_seen() == head.size() + 11);
}

TEST_CASE("pipelined requests: two POSTs read one after the other from one buffer") {
  const std::string first = "POST /one HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  const std::string second = "POST /two?k=v HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nwxyz";
  std::string_view buf;
  const std::string all = first + second;
  buf = all;
  std::vector<std::pair<std::string, std::string>> seen;
  while (!buf.empty()) {
    RequestReader r(kLimits);
    std::size_t used = 0;
    REQUIRE(r.read_header(buf, used) == ReadStatus::header_done);
    buf.remove_prefix(used);
    REQUIRE(r.read_body(buf, used) == ReadStatus::complete);
    buf.remove_prefix(used);
    seen.emplace_back(r.request().path, r.request().body);
    REQUIRE(seen.size() <= 2);
  }
  CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"/one", "abc"}, {"/two", "wxyz"}});
}

TEST_CASE("chunked: a body with a chunk extension and a trailer, decoded (§7.1)") {
  const std::string head = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  const std::string next = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestReader r(kLimits);
  std::size_t used = 0;
  REQUIRE(r.read_header(head + body + next, used) == ReadStatus::header_done);
  CHECK(used == head.size());
  CHECK(r.chunked());
  CHECK(r.has_body());
  CHECK(r.content_length() == 0);
  REQUIRE(r.read_body(body + next, used) == ReadStatus::complete);
  CHECK(used == body.size());
  CHECK(r.request().body == "hello world");
  // Chunked in Transfer-Encoding's own case is still chunked.
  RequestReader upper(kLimits);
  CHECK(upper.read_header("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n", used) ==
        ReadStatus::header_done);
  CHECK(upper.chunked());
}

TEST_CASE("chunked: 413 at the chunk header that passes the limit, never holding more than it") {
  const std::string head = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    RequestReader r(kLimits);  // 16 bytes of body at most
    std::size_t used = 0;
    REQUIRE(r.read_header(head, used) == ReadStatus::header_done);
    BodyFeed f(r);
    // 8 + 8 = 16 bytes: up to the limit, each piece taken as it comes; only the CRLF that ends
    // a chunk's data may wait for the next chunk's header.
    CHECK(f.feed("8\r\n1234") == ReadStatus::need_more);
    CHECK(f.held.empty());
    CHECK(f.feed("5678\r\n") == ReadStatus::need_more);
    CHECK(f.held.size() <= 2);
    CHECK(f.feed("8\r\n12345678\r\n") == ReadStatus::need_more);
    CHECK(f.held.size() <= 2);
    // One more byte announced: refused at its chunk header, before any of its data is sent.
    REQUIRE(f.feed("1\r\n") == ReadStatus::failed);
    CHECK(r.failure().status == 413);
    CHECK(r.bytes_seen() <= head.size() + 16 + 2 * 5);
  }
  {
    // A first chunk of 1 MiB: refused at once, from its 8-byte header.
    RequestReader r(kLimits);
    std::size_t used = 0;
    REQUIRE(r.read_header(head, used) == ReadStatus::header_done);
    BodyFeed f(r);
    REQUIRE(f.feed("100000\r\n") == ReadStatus::failed);
    CHECK(r.failure().status == 413);
  }
  {
    // A chunk header that never ends (a chunk extension of any length) is not held without
    // bound either: past max_header_bytes it is refused.
    RequestReader r(kLimits);
    std::size_t used = 0;
    REQUIRE(r.read_header(head, used) == ReadStatus::header_done);
    BodyFeed f(r);
    CHECK(f.feed("1;ext=") == ReadStatus::need_more);
    ReadStatus st = ReadStatus::need_more;
    for (int i = 0; i < 100 && st == ReadStatus::need_more; ++i) st = f.feed(std::string(64, 'x'));
    REQUIRE(st == ReadStatus::failed);
    CHECK(r.failure().status == 400);
    CHECK(f.held.size() <= kLimits.max_header_bytes + 64);
  }
  {
    // So is a trailer section that never ends.
    RequestReader r(kLimits);
    std::size_t used = 0;
    REQUIRE(r.read_header(head, used) == ReadStatus::header_done);
    BodyFeed f(r);
    CHECK(f.feed("1\r\na\r\n0\r\n") == ReadStatus::need_more);
    ReadStatus st = ReadStatus::need_more;
    for (int i = 0; i < 100 && st == ReadStatus::need_more; ++i) st = f.feed("X-T: " + std::string(58, 'y') + "\r\n");
    REQUIRE(st == ReadStatus::failed);
    CHECK(r.failure().status == 400);
  }
}

/// The status when the header of `in` is read and its body refused before any body byte: the
/// header is judged first (authentication goes before the limit), then read_body fails at once.
int refused_body(std::string_view in) {
  RequestReader r(kLimits);
  std::size_t used = 0;
  CAPTURE(in);
  REQUIRE(r.read_header(in, used) == ReadStatus::header_done);
  CHECK(r.body_over_limit());
  REQUIRE(r.read_body("", used) == ReadStatus::failed);
  CHECK(used == 0);
  return r.failure().status;
}

TEST_CASE("Content-Length over the limit: 413 once the header is judged, before any body byte") {
  RequestReader at(kLimits);
  std::size_t used = 0;
  CHECK(at.read_header("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n", used) == ReadStatus::header_done);
  CHECK_FALSE(at.body_over_limit());
  CHECK(refused_body("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n") == 413);
  CHECK(refused_body("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999\r\n\r\n") == 413);
  // Not a number, or too long to be one: 400.
  CHECK(refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
  CHECK(refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n") == 400);
  CHECK(refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n") == 400);
}

TEST_CASE("framing one way only: TE with CL, CL or TE repeated, a coding but chunked (§6.1, §6.3)") {
  // Transfer-Encoding and Content-Length together, in either order.
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n")) == 400);
  // Content-Length twice: different values, equal values, a list in one field.
  CHECK(refused(get("Host: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nContent-Length: 5, 5\r\n")) == 400);
  // Only chunked alone is a transfer coding read here; chunked is never given twice.
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: gzip, chunked\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: gzip\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: chunked, chunked\r\n")) == 400);
  // Transfer-Encoding in HTTP/1.0 (§6.1: the message is faulty).
  CHECK(refused(get("Host: h\r\nTransfer-Encoding: chunked\r\n", "HTTP/1.0")) == 400);
}

TEST_CASE("field lines: no obs-fold, no control characters, nothing between name and colon (§5)") {
  CHECK(refused(get("Host: h\r\nX-A: a\r\n b\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A: a\r\n\tb\r\n")) == 400);
  CHECK(refused(get(" Host: h\r\n")) == 400);  // the first field line folded onto the request line
  CHECK(refused(get("Host: h\r\nX-A: a" + std::string(1, '\0') + "b\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A: a\rb\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A: a\nb\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A: a\x7f" "b\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A : a\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nX-A\t: a\r\n")) == 400);
  CHECK(refused(get("Host: h\r\n: a\r\n")) == 400);
  CHECK(refused(get("Host: h\r\nno colon\r\n")) == 400);
  CHECK(refused("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400);  // a bare LF ends no line
  // obs-text (0x80-0xFF) is a field value's character (RFC 9110 §5.5).
  RequestReader r(kLimits);
  std::size_t used = 0;
  CHECK(r.read_header(get("Host: h\r\nX-A: caf\xc3\xa9\r\n"), used) == ReadStatus::header_done);
  CHECK(r.request().header("X-A") == "caf\xc3\xa9");
}

TEST_CASE("limits on the header: 431 past max_header_count fields or max_header_bytes") {
  std::string ten = "Host: h\r\n";
  for (int i = 1; i < 10; ++i) ten += "X-" + std::to_string(i) + ": v\r\n";
  RequestReader r(kLimits);
  std::size_t used = 0;
  CHECK(r.read_header(get(ten), used) == ReadStatus::header_done);
  CHECK(refused(get(ten + "X-11: v\r\n")) == 431);
  // Over 1 KiB, its end seen or not.
  const std::string big = get("Host: h\r\nX-Big: " + std::string(1024, 'a') + "\r\n");
  CHECK(refused(big) == 431);
  CHECK(refused(std::string_view(big).substr(0, 1100)) == 431);
  RequestReader partial(kLimits);
  CHECK(partial.read_header(std::string_view(big).substr(0, 1000), used) == ReadStatus::need_more);
  // Exactly 1 KiB is within the limit.
  std::string exact = get("Host: h\r\nX-Big: \r\n");
  exact = get("Host: h\r\nX-Big: " + std::string(1024 - exact.size(), 'a') + "\r\n");
  REQUIRE(exact.size() == 1024);
  RequestReader fits(kLimits);
  CHECK(fits.read_header(exact, used) == ReadStatus::header_done);
}

TEST_CASE("Host: exactly one in HTTP/1.1, at most one in HTTP/1.0") {
  CHECK(refused(get("")) == 400);
  CHECK(refused(get("X-A: b\r\n")) == 400);
  CHECK(refused(get("Host: a\r\nHost: b\r\n")) == 400);
  CHECK(refused(get("Host: a\r\nHost: a\r\n", "HTTP/1.0")) == 400);
  RequestReader r(kLimits);
  std::size_t used = 0;
  CHECK(r.read_header(get("", "HTTP/1.0"), used) == ReadStatus::header_done);
  CHECK(r.request().version == 10);
}

TEST_CASE("versions: 1.0 and 1.1 served, any other HTTP version 505, no version 400") {
  CHECK(refused(get("Host: h\r\n", "HTTP/2.0")) == 505);
  CHECK(refused(get("Host: h\r\n", "HTTP/3.0")) == 505);
  CHECK(refused(get("Host: h\r\n", "HTTP/0.9")) == 505);
  // The HTTP/2 connection preface on an HTTP/1.1 port.
  CHECK(refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 505);
  CHECK(refused(get("Host: h\r\n", "HTTP/1")) == 400);
  CHECK(refused(get("Host: h\r\n", "HTTP/11")) == 400);
  CHECK(refused(get("Host: h\r\n", "FTP/1.1")) == 400);
  CHECK(refused("GET /\r\nHost: h\r\n\r\n") == 400);
}

TEST_CASE("Expect: 100-continue is served, any other expectation is 417") {
  RequestReader r(kLimits);
  std::size_t used = 0;
  REQUIRE(r.read_header("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", used) ==
          ReadStatus::header_done);
  CHECK(r.expects_continue());
  CHECK(r.read_body("abc", used) == ReadStatus::complete);
  CHECK(refused(get("Host: h\r\nExpect: foo\r\n")) == 417);
  CHECK(refused(get("Host: h\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n")) == 417);
  // An HTTP/1.0 client does not wait for a 100 (RFC 9110 §10.1.1).
  RequestReader old(kLimits);
  REQUIRE(old.read_header(get("Expect: 100-continue\r\n", "HTTP/1.0"), used) == ReadStatus::header_done);
  CHECK_FALSE(old.expects_continue());
}

TEST_CASE("empty lines before the request line are ignored, even when split in the middle (§2.2)") {
  const std::string in = "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestReader r(kLimits);
  std::size_t used = 0;
  REQUIRE(r.read_header(in, used) == ReadStatus::header_done);
  CHECK(used == in.size());
  CHECK(r.request().path == "/x");
  // The CRLF after a body, read one byte at a time.
  RequestReader split(kLimits);
  CHECK(split.read_header("\r", used) == ReadStatus::need_more);
  CHECK(split.read_header("\r\n", used) == ReadStatus::need_more);
  CHECK(split.read_header("\r\n\r", used) == ReadStatus::need_more);
  CHECK(split.read_header("\r\nG", used) == ReadStatus::need_more);
  CHECK(split.read_header("\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", used) == ReadStatus::header_done);
  CHECK(used == 2 + 28);
  // Only empty lines, more than a header block's worth: not a request.
  std::string blank;
  for (int i = 0; i < 600; ++i) blank += "\r\n";
  CHECK(refused(blank) == 400);
}

TEST_CASE("not HTTP at all (a TLS ClientHello on the plain port): 400 at once") {
  const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  for (std::size_t n = 1; n <= hello.size(); ++n) {
    CAPTURE(n);
    CHECK(refused(std::string_view(hello).substr(0, n)) == 400);
  }
  CHECK(refused(std::string_view("\0\0\0\0", 4)) == 400);
}

TEST_CASE("the request target: origin-form, absolute-form, * for OPTIONS only (§3.2)") {
  std::size_t used = 0;
  RequestReader abs(kLimits);
  REQUIRE(abs.read_header("GET http://example.org/v1/x%20y?a=b+c HTTP/1.1\r\nHost: example.org\r\n\r\n", used) ==
          ReadStatus::header_done);
  CHECK(abs.request().target == "http://example.org/v1/x%20y?a=b+c");
  CHECK(abs.request().path == "/v1/x y");
  CHECK(abs.request().params == Fields{{"a", "b c"}});
  RequestReader bare(kLimits);
  REQUIRE(bare.read_header("GET HTTPS://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n", used) ==
          ReadStatus::header_done);
  CHECK(bare.request().path == "/");
  RequestReader star(kLimits);
  REQUIRE(star.read_header("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", used) == ReadStatus::header_done);
  CHECK(star.request().path == "*");
  CHECK(refused("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused("GET v1/x HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused("GET example.org:443 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
}

TEST_CASE("keep_alive: HTTP/1.1 unless Connection: close, HTTP/1.0 only with keep-alive (§9.3)") {
  auto keep = [](const std::string& in) {
    RequestReader r(kLimits);
    std::size_t used = 0;
    REQUIRE(r.read_header(in, used) == ReadStatus::header_done);
    return r.keep_alive();
  };
  CHECK(keep(get("Host: h\r\n")));
  CHECK_FALSE(keep(get("Host: h\r\nConnection: close\r\n")));
  CHECK_FALSE(keep(get("Host: h\r\nConnection: Close\r\n")));
  CHECK_FALSE(keep(get("", "HTTP/1.0")));
  CHECK(keep(get("Connection: keep-alive\r\n", "HTTP/1.0")));
}

TEST_CASE("serialize: status line, fields, Date and Content-Length; no body for HEAD") {
  Response r;
  r.status = 201;
  r.set_content("{\"id\":1}", "application/json");
  r.set_header("X-Request-Id", "abc");
  const std::string out = serialize(r, 11, false, false);
  CHECK(out.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
  CHECK(out.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
  CHECK(out.find("\r\nX-Request-Id: abc\r\n") != std::string::npos);
  CHECK(out.find("\r\nDate: ") != std::string::npos);
  CHECK(out.find("\r\nContent-Length: 8\r\n") != std::string::npos);
  CHECK(out.find("Connection:") == std::string::npos);
  CHECK(out.size() >= 12);
  CHECK(out.substr(out.size() - 12) == "\r\n\r\n{\"id\":1}");

  // HEAD: the same fields, Content-Length the GET's, and no body.
  const std::string head = serialize(r, 11, false, true);
  CHECK(head.find("\r\nContent-Length: 8\r\n") != std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
  CHECK(head.find("{\"id\":1}") == std::string::npos);

  // 204: neither Content-Length nor body.
  Response none;
  none.status = 204;
  none.body = "ignored";
  const std::string empty = serialize(none, 11, false, false);
  CHECK(empty.rfind("HTTP/1.1 204 No Content\r\n", 0) == 0);
  CHECK(empty.find("Content-Length") == std::string::npos);
  CHECK(empty.substr(empty.size() - 4) == "\r\n\r\n");
}

TEST_CASE("serialize: a field carrying CR, LF or NUL is dropped; framing fields are the door's") {
  Response r;
  r.set_content("ok", "text/plain");
  r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen=1");
  r.headers.emplace_back("X-Lf", "a\nb");
  r.headers.emplace_back("X-Nul", std::string("a\0b", 3));
  r.headers.emplace_back("X-Bad\r\nName", "v");
  r.headers.emplace_back("Content-Length", "99");
  r.headers.emplace_back("Transfer-Encoding", "chunked");
  r.headers.emplace_back("Connection", "keep-alive");
  r.headers.emplace_back("X-Fine", "yes");
  const std::string out = serialize(r, 11, true, false);
  CHECK(out.find("X-Evil") == std::string::npos);
  CHECK(out.find("Set-Cookie") == std::string::npos);
  CHECK(out.find("X-Lf") == std::string::npos);
  CHECK(out.find("X-Nul") == std::string::npos);
  CHECK(out.find("X-Bad") == std::string::npos);
  CHECK(out.find("Content-Length: 99") == std::string::npos);
  CHECK(out.find("Transfer-Encoding") == std::string::npos);
  CHECK(out.find("keep-alive") == std::string::npos);
  CHECK(out.find("\r\nX-Fine: yes\r\n") != std::string::npos);
  CHECK(out.find("\r\nContent-Length: 2\r\n") != std::string::npos);
  // Asked to close: said once.
  const auto close = out.find("\r\nConnection: close\r\n");
  CHECK(close != std::string::npos);
  CHECK(out.find("Connection:", close + 2 + 11) == std::string::npos);
  // HTTP/1.0 kept alive says so; closed it says close.
  const std::string old = serialize(r, 10, false, false);
  CHECK(old.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(old.find("\r\nConnection: keep-alive\r\n") != std::string::npos);
  CHECK(serialize(r, 10, true, false).find("\r\nConnection: close\r\n") != std::string::npos);
}

TEST_CASE("percent_decode and parse_query") {
  CHECK(percent_decode("a%20b", false) == "a b");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("%2f%2F%41", false) == "//A");
  CHECK(percent_decode("%41", false) == "A");  // an escape at the very end
  CHECK(percent_decode("100%", false) == "100%");
  CHECK(percent_decode("%4", false) == "%4");
  CHECK(percent_decode("%zz%4g", false) == "%zz%4g");
  CHECK(percent_decode("%00", false) == std::string(1, '\0'));
  CHECK(percent_decode("%2B", true) == "+");  // an escaped '+' is a plus

  CHECK(parse_query("").empty());
  CHECK(parse_query("&&").empty());
  CHECK(parse_query("a=1&b=x%20y&c&=v&&d=e=f&g+h=i+j&a=2") ==
        Fields{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"", "v"}, {"d", "e=f"}, {"g h", "i j"}, {"a", "2"}});
  CHECK(parse_query("k=a%26b%3Dc") == Fields{{"k", "a&b=c"}});
  CHECK(percent_encode("a b/é~") == "a%20b%2F%C3%A9~");
  CHECK(percent_decode(percent_encode("x y&z=1+2"), true) == "x y&z=1+2");
}
