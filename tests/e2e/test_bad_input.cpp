// End-to-end: a catalogue of bad inputs, each with its expected status and the field its error
// names. Nothing answers 500, nothing bad is stored, and what looks like SQL is stored verbatim.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

struct Case {
  const char* what;
  std::string body;
  int status;
  const char* field;  // expected in errors[].field; nullptr: no field check
};

std::set<std::string> fields_of(const std::string& body) {
  std::set<std::string> out;
  const json p = json::parse(body, nullptr, false);
  if (p.is_object() && p.contains("errors"))
    for (const auto& e : p["errors"]) out.insert(e.value("field", ""));
  return out;
}

/// A whole HTTP exchange over a raw socket, for requests a client library would not send.
std::string raw(int port, const std::string& request) {
  const int fd = connect_loopback(port);
  REQUIRE(fd >= 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    out.append(buf, static_cast<std::size_t>(n));
    if (out.find("\r\n\r\n") != std::string::npos) break;
  }
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("bad inputs: each gets its status and names its field; nothing is stored, nothing 500s") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  const std::string ae_url = std::string(kStudy) + "/ae";
  auto r0 = c.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
                   subject_body("S01-0007").dump(), "application/json");
  REQUIRE(r0);
  REQUIRE(r0->status == 201);

  auto with = [](const char* key, json v) {
    json b = ae_body("BAD-1");
    b[key] = std::move(v);
    return b.dump();
  };
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  json nested_ok = ae_body("BAD-1");
  std::string invalid_utf8 = ae_body("BAD-1").dump();
  invalid_utf8.replace(invalid_utf8.find("ALT raised"), 10, "ALT \xC3\x28 raised");
  std::string raw_control = ae_body("BAD-1").dump();
  raw_control.replace(raw_control.find("ALT raised"), 10, std::string("ALT\x01raised"));

  const std::vector<Case> cases = {
      {"malformed JSON", R"({"report_id": "X", )", 400, "body"},
      {"truncated JSON", ae_body("BAD-1").dump().substr(0, 80), 400, "body"},
      {"not an object", "[1, 2, 3]", 422, nullptr},
      {"wrong type: grade as text", with("grade", "three"), 422, "grade"},
      {"wrong type: serious as a list", with("serious", json::array({1})), 422, "serious"},
      {"huge number: 1e400", R"({"report_id": "BAD-1", "grade": 1e400})", 400, "body"},
      {"huge number: 2^64", with("grade", 18446744073709551615ull), 422, "grade"},
      {"negative grade", with("grade", -3), 422, "grade"},
      {"deeply nested JSON", deep, 422, nullptr},
      {"invalid UTF-8", invalid_utf8, 400, "body"},
      {"raw control character", raw_control, 400, "body"},
      {"impossible date", with("onset", "2026-02-30"), 422, "onset"},
      {"month 13", with("onset", "2025-13-01"), 422, "onset"},
      {"future date", with("onset", "2999-01-01"), 422, "onset"},
      {"unknown field", with("colour", "blue"), 422, "colour"},
      {"unknown causality value", with("causality", {{"apatinib", "maybe"}}), 422, nullptr},
      {"unknown intervention", with("causality", {{"aspirin", "possible"}}), 422, nullptr},
  };
  for (const auto& k : cases) {
    const std::string what = k.what;
    CAPTURE(what);
    auto r = c.Post(ae_url.c_str(), bearer("demo-site-s01"), k.body, "application/json");
    REQUIRE(r);
    CHECK(r->status == k.status);
    CHECK(r->get_header_value("Content-Type") == "application/problem+json");
    if (k.field) CHECK(fields_of(r->body).count(k.field) == 1);
  }
  // Wrong media type, and a body over the limit (1 MiB here; 10 MB sent).
  auto text = c.Post(ae_url.c_str(), bearer("demo-site-s01"), ae_body("BAD-1").dump(), "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);
  auto big = c.Post(ae_url.c_str(), bearer("demo-site-s01"), std::string(10 * 1024 * 1024, ' '), "application/json");
  if (big) CHECK(big->status == 413);  // or the connection is closed mid-upload: never a 2xx

  // Events and follow-ups get the same treatment.
  auto ev = c.Post((std::string(kStudy) + "/subjects/S01-0007/events").c_str(), bearer("demo-site-s01"),
                   R"({"kind": "surgery", "date": "2026-02-30", "procedure": 7, "margin": "R9", "x": 1})",
                   "application/json");
  REQUIRE(ev);
  CHECK(ev->status == 422);
  CHECK(fields_of(ev->body) == std::set<std::string>{"date", "procedure", "margin", "x"});
  auto sub = c.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
                    R"({"subject": "S01-0008", "enrolled": "2026-13-01", "sex": "Q", "age": 1e3})", "application/json");
  REQUIRE(sub);
  CHECK(sub->status == 422);
  CHECK(fields_of(sub->body).count("enrolled") == 1);

  // Nothing of the above was stored.
  auto list = c.Get(ae_url.c_str(), bearer("demo-officer"));
  REQUIRE(list);
  CHECK(json::parse(list->body)["items"].empty());

  // What looks like SQL is data: stored and read back byte for byte.
  json sql = ae_body("SQL-1");
  sql["narrative"] = "'); DROP TABLE ae_reports; -- \" OR 1=1; /* */";
  sql["verbatim"] = "ALT raised'; DELETE FROM audit; --";
  auto stored = c.Post(ae_url.c_str(), bearer("demo-site-s01"), sql.dump(), "application/json");
  REQUIRE(stored);
  REQUIRE(stored->status == 201);
  auto back = c.Get((ae_url + "/" + std::to_string(json::parse(stored->body)["id"].get<int>())).c_str(),
                    bearer("demo-officer"));
  REQUIRE(back);
  CHECK(json::parse(back->body)["narrative"] == sql["narrative"]);
  CHECK(json::parse(back->body)["verbatim"] == sql["verbatim"]);

  // Header injection: a request id with CR LF in it is not echoed; the daemon makes its own.
  const std::string resp = raw(d.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rSet-Cookie: evil=1\r\n"
                                         "Connection: close\r\n\r\n");
  CHECK(resp.find("Set-Cookie") == std::string::npos);
  CHECK(resp.find("evil") == std::string::npos);
  // A header block over the limit (http.max_header_bytes, 16 KiB): 431, with a problem document.
  const std::string huge = raw(d.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') +
                                             "\r\nConnection: close\r\n\r\n");
  CHECK(huge.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(huge.find("application/problem+json") != std::string::npos);
  CHECK(d.log_settled().find(" 500 ") == std::string::npos);
  CHECK(d.running());
}
