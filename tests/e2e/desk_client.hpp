// A browser's side of the safety desk for the end-to-end tests: a real daemon, sign-in through the
// form, the session cookie sent back, form posts with the page's CSRF token.
#pragma once

#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "daemon.hpp"

namespace pvmon::test {

/// A form field as a browser encodes it (application/x-www-form-urlencoded, WHATWG URL §5.2).
inline std::string form_encode(const std::string& s) {
  std::string out;
  for (const unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

/// A form body of the fields in order.
inline std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + form_encode(k) + "=" + form_encode(v);
  return body;
}

inline const char* kForm = "application/x-www-form-urlencoded";
/// The Set-Cookie field of answer `r` that sets cookie `name` (value and attributes), or "".
inline std::string set_cookie_field(const httplib::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0) return v;
  return {};
}
/// The value of cookie `name` that answer `r` sets, or "".
inline std::string set_cookie_value(const httplib::Response& r, const std::string& name) {
  const std::string v = set_cookie_field(r, name);
  return v.empty() ? v : v.substr(name.size() + 1, v.find(';') - name.size() - 1);
}

/// The CSRF token of a desk form in `html` (the first: the sign-in form's, or a page's sign-out
/// form's).
inline std::string csrf_in(const std::string& html) {
  const std::string k = "name=\"csrf\" value=\"";
  const auto at = html.find(k);
  REQUIRE(at != std::string::npos);
  return html.substr(at + k.size(), html.find('"', at + k.size()) - at - k.size());
}

/// Signs in as a browser does: GET the sign-in form (its pre-session cookie and CSRF token), then
/// POST it with `token`. The answer to the POST. `Client` is httplib's Client or SSLClient.
template <class Client>
httplib::Result desk_sign_in(Client& c, const std::string& token) {
  auto page = c.Get("/desk/sign-in");
  REQUIRE(page);
  REQUIRE(page->status == 200);
  const std::string nonce = set_cookie_value(*page, "pvmon_sign_in");
  REQUIRE(nonce.size() == 43);
  return c.Post("/desk/sign-in", httplib::Headers{{"Cookie", "pvmon_sign_in=" + nonce}},
                form({{"csrf", csrf_in(page->body)}, {"token", token}}), kForm);
}

/// Signs in with `token` (desk_sign_in), which must succeed; the session cookie's value.
template <class Client>
std::string desk_session(Client& c, const std::string& token) {
  auto r = desk_sign_in(c, token);
  REQUIRE(r);
  REQUIRE(r->status == 303);
  const std::string value = set_cookie_value(*r, "pvmon_session");
  REQUIRE(!value.empty());
  return value;
}

/// The shipped study's pages on the desk.
inline const std::string kDesk = "/desk/studies/hcc-pvtt-imrt";

struct Desk {
  TempDir tmp;
  Daemon d{write_config(tmp.path), tmp.path / "data"};
  Desk() { d.start(); }

  /// POST /desk/sign-in with `token`: the answer.
  httplib::Result sign_in(const std::string& token) const {
    auto c = d.client();
    return desk_sign_in(c, token);
  }
  /// Signs in with `token`; the session cookie's value.
  std::string session(const std::string& token) const {
    auto c = d.client();
    return desk_session(c, token);
  }
  httplib::Result get(const std::string& path, const std::string& cookie) const {
    return d.client().Get(path, httplib::Headers{{"Cookie", "pvmon_session=" + cookie}});
  }
  httplib::Result post(const std::string& path, const std::string& cookie, const std::string& body) const {
    return d.client().Post(path, httplib::Headers{{"Cookie", "pvmon_session=" + cookie}}, body, kForm);
  }
  /// The CSRF token a page's sign-out form carries.
  static std::string csrf_of(const std::string& html) { return csrf_in(html); }
  /// A SQL query's output, as the sqlite3 shell prints it (Daemon::sql: SQLite or PostgreSQL).
  std::string sql(const std::string& query) const {
    auto [rc, out] = d.sql(query);
    REQUIRE(rc == 0);
    return out;
  }
};

}  // namespace pvmon::test
