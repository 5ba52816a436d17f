// End-to-end: HTTPS from config (the front door's Beast ssl_stream over OpenSSL). A client that
// verifies the certificate is served; a TLS 1.2 handshake succeeds and a TLS 1.1-only one is refused
// (checked with OpenSSL directly, the client's own floor lowered so that the refusal is the
// server's); plain HTTP beyond loopback is refused unless the config says so.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.hpp"
#include "desk_client.hpp"

using namespace pvmon::test;

namespace {

int sh(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/// A self-signed P-256 certificate for 127.0.0.1 and localhost.
void make_cert(const fs::path& dir) {
  REQUIRE(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
             "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
             (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null") == 0);
}

/// Handshakes with the protocol pinned to `version`; returns the negotiated version, or 0 when
/// the handshake failed.
int handshake(int port, int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);  // let the client offer TLS 1.1: the server must refuse it
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  const int fd = connect_loopback(port);
  REQUIRE(fd >= 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  const int ok = SSL_connect(ssl);
  const int got = ok == 1 ? SSL_version(ssl) : 0;
  if (ok == 1) SSL_shutdown(ssl);
  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return got;
}

}  // namespace

TEST_CASE("TLS: HTTPS with a verified certificate, TLS 1.2 accepted, TLS 1.1 refused, plain HTTP not spoken") {
  TempDir tmp;
  make_cert(tmp.path);
  Daemon d(write_config(tmp.path, [&](json& c) {
             c["tls"] = {{"certificate", "cert.pem"}, {"private_key", "key.pem"}};  // relative to the config
             c["http"]["tls_handshake_timeout_s"] = 2;
           }),
           tmp.path / "data");
  d.use_tls(tmp.path / "cert.pem");
  d.start();
  CHECK(d.log().find("listening on https://") != std::string::npos);

  httplib::SSLClient c(d.host(), d.port());
  c.set_ca_cert_path((tmp.path / "cert.pem").c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Post((std::string(kStudy) + "/subjects").c_str(), bearer("demo-site-s01"),
                  subject_body("S01-0007").dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  auto back = c.Get((std::string(kStudy) + "/subjects/S01-0007").c_str(), bearer("demo-officer"));
  REQUIRE(back);
  CHECK(back->status == 200);
  // Under TLS the safety desk's session cookie is Secure too.
  auto desk = desk_sign_in(c, "demo-officer");
  REQUIRE(desk);
  CHECK(desk->status == 303);
  const std::string cookie = set_cookie_field(*desk, "pvmon_session");
  CHECK(cookie.size() > 60);
  CHECK(cookie.substr(cookie.find(';')) == "; Path=/desk; HttpOnly; SameSite=Strict; Secure");
  CHECK(set_cookie_field(*desk, "pvmon_sign_in") == "pvmon_sign_in=; Path=/desk/sign-in; HttpOnly; SameSite=Strict; Secure; Max-Age=0");

  CHECK(handshake(d.port(), TLS1_2_VERSION) == TLS1_2_VERSION);
  CHECK(handshake(d.port(), TLS1_3_VERSION) == TLS1_3_VERSION);
  CHECK(handshake(d.port(), TLS1_1_VERSION) == 0);
  CHECK(handshake(d.port(), TLS1_VERSION) == 0);

  // A client that connects and never says hello is closed at the handshake deadline.
  {
    const int fd = connect_loopback(d.port());
    REQUIRE(fd >= 0);
    timeval tv{15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[64];
    const auto t0 = std::chrono::steady_clock::now();
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    CHECK(n <= 0);  // closed (EOF or reset), not timed out on our side
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(12));
    ::close(fd);
  }

  // Plain HTTP on the TLS port gets no HTTP answer.
  httplib::Client plain(d.host(), d.port());
  plain.set_read_timeout(3, 0);
  auto p = plain.Get("/healthz");
  CHECK((!p || p->status != 200));
  CHECK(d.stop() == 0);
}

TEST_CASE("TLS: bad files are named; plain HTTP beyond loopback needs plain_http") {
  TempDir tmp;
  const auto missing = write_config(tmp.path, [&](json& c) {
    c["tls"] = {{"certificate", "nope.pem"}, {"private_key", "nope.key"}};
  });
  Daemon bad(missing, tmp.path / "data");
  CHECK_THROWS(bad.start());
  const std::string log = bad.log();
  CHECK(log.find("/tls/certificate: cannot read") != std::string::npos);
  CHECK(log.find("/tls/private_key: cannot read") != std::string::npos);

  // Not a certificate at all: the daemon refuses to start and says why.
  write_text(tmp.path / "junk.pem", "not a certificate\n");
  TempDir tmp2;
  Daemon junk(write_config(tmp2.path, [&](json& c) {
                c["tls"] = {{"certificate", (tmp.path / "junk.pem").string()}, {"private_key", (tmp.path / "junk.pem").string()}};
              }),
              tmp2.path / "data");
  CHECK_THROWS(junk.start());
  CHECK(junk.log().find("TLS: cannot use certificate") != std::string::npos);

  // Beyond loopback without TLS: refused (with a principal that is not a demo one).
  TempDir tmp3;
  auto exposed = write_config(tmp3.path, [&](json& c) {
    c["principals"] = json::array({{{"name", "admin"}, {"role", "admin"},
                                    {"token_sha256", "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"}}});
  });
  const std::string check = std::string(PVMOND_PATH) + " --check-config " + exposed.string() +
                            " --listen 0.0.0.0:0 2>&1";
  FILE* f = ::popen(check.c_str(), "r");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  const int st = ::pclose(f);
  CHECK(WEXITSTATUS(st) != 0);
  CHECK(out.find("refusing plain HTTP on 0.0.0.0") != std::string::npos);
}
