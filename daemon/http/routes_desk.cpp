// The safety desk (README "The safety desk"): server-rendered HTML pages under /desk/ for the
// people pvmon serves, with no script. A bearer token, checked exactly as the API checks it
// (authenticate_token) and throttled with the API's failures (AuthFailures), is exchanged for a
// session (service/desk_session.cpp) held in an HttpOnly, SameSite=Strict cookie; every form POST
// carries the session's CSRF token. The cookie is read here only: the API's routes never look at
// it. Roles of each page are in desk_routes, checked against the session's principal as the config
// now has it.
#include <algorithm>

#include "auth_failures.hpp"
#include "pvmon/service/desk_session.hpp"
#include "pvmon/reports.hpp"
#include "routes.hpp"

namespace pvmon::http {

using config::Role;
namespace desk = service::desk;

namespace {

constexpr std::string_view kCookie = "pvmon_session";

std::string esc(std::string_view s) { return reports::html_escape(s); }

/// The signed-in person, as the page header shows them.
struct Session {
  store::DeskSessionRow row;
  std::string csrf;
  Role role = Role::site;
};

constexpr const char* kCss = R"css(
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
.skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
header{display:flex;justify-content:space-between;align-items:center;padding:.5rem 1rem;background:#12355b;color:#fff}
header a{color:#fff}header form{display:inline;margin:0}
main{padding:1rem;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left}
code{overflow-wrap:anywhere}.error{color:#a00000;font-weight:bold}
label{display:block;margin:.5rem 0 .25rem}input{font:inherit;padding:.25rem}button{font:inherit;padding:.25rem .75rem}
a:focus,button:focus,input:focus{outline:3px solid #f5a623}
@media print{header form,.skip{display:none}header{background:none;color:#000}a{color:#000}}
)css";

std::string layout(const std::string& title, const Session* who, const std::string& main_html) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>" +
      esc(title) + " · pvmon safety desk</title><style>" + kCss +
      "</style></head><body><a class=\"skip\" href=\"#main\">Skip to content</a><header><span>pvmon safety desk</span>";
  if (who) {
    h += "<span>Signed in as <strong>" + esc(who->row.principal) + "</strong> (" + esc(who->row.role) +
         (who->row.site.empty() ? "" : ", site " + esc(who->row.site)) +
         ") <form method=\"post\" action=\"/desk/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"" +
         esc(who->csrf) + "\"><button type=\"submit\">Sign out</button></form></span>";
  }
  h += "</header><main id=\"main\"><h1>" + esc(title) + "</h1>" + main_html + "</main></body></html>\n";
  return h;
}

/// Every desk answer: never cached, never framed, no script, forms only to this origin.
Reply page(int status, std::string html) {
  Reply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.raw_body = std::move(html);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

Reply redirect(const std::string& to) {
  Reply r = page(303, layout("Redirect", nullptr, "<p><a href=\"" + esc(to) + "\">Continue</a></p>"));
  r.headers.emplace_back("Location", to);
  return r;
}

Reply error_page(int status, const std::string& title, const std::string& message, const Session* who) {
  return page(status, layout(title, who, "<p class=\"error\" role=\"alert\">" + esc(message) + "</p>"));
}

/// An error of a use case or the store, as a page with the status the API would give it.
Reply error_page(const Error& e, const Session* who) {
  const int status = status_of(e.code);
  // The operator's detail (a database message) stays in the log, not on the page.
  return error_page(status, status >= 500 ? "Unavailable" : "Error",
                    status >= 500 ? "The desk cannot answer now; try again shortly." : e.message, who);
}

/// The value of cookie `name` in the request's Cookie field(s) (RFC 6265 §5.4), or "".
std::string cookie_value(const Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (!iequals(k, "Cookie")) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

std::string cookie_attributes(const Call& c) {
  return std::string("; Path=/desk; HttpOnly; SameSite=Strict") + (c.config->tls ? "; Secure" : "");
}

desk::SessionPolicy policy_of(const Call& c) { return desk::SessionPolicy::of(c.config->desk); }

/// A form body (application/x-www-form-urlencoded), or nullopt for another media type.
std::optional<Fields> form_of(const Request& req) {
  if (media_type(req) != "application/x-www-form-urlencoded") return std::nullopt;
  return parse_query(req.body);
}

const std::string* form_field(const Fields& f, std::string_view name) {
  for (const auto& [k, v] : f)
    if (k == name) return &v;
  return nullptr;
}

/// A cross-site POST is refused before anything else: a browser names the page's origin in `Origin`
/// (RFC 6454 §7); it must be this host. SameSite=Strict and the CSRF token also hold.
bool same_origin(const Call& c) {
  const std::string& origin = c.req.header("Origin");
  if (origin.empty()) return true;
  const auto scheme = origin.find("://");
  return scheme != std::string::npos && origin.substr(scheme + 3) == c.req.header("Host");
}

/// The principal still configured as the session was started (a SIGHUP may have removed it).
bool still_configured(const Call& c, const store::DeskSessionRow& s) {
  return std::any_of(c.config->principals.begin(), c.config->principals.end(), [&](const config::Principal& p) {
    return p.name == s.principal && config::to_string(p.role) == s.role && p.site == s.site;
  });
}

using PageFn = Result<Reply> (*)(Services&, Call&, const Session&);

/// A page behind a session: none (or one over), to the sign-in page; a role not in `roles`, a 403
/// page; a POST, its CSRF token checked first (403, the session untouched).
Handler with_session(Services& s, std::vector<Role> roles, PageFn f) {
  return [&s, roles = std::move(roles), f](Call& c) -> Result<Reply> {
    const std::string cookie = cookie_value(c.req, kCookie);
    auto found = desk::resume(s.store, s.clock, policy_of(c), cookie);
    if (!found) return error_page(found.error(), nullptr);
    if (!found.value()) return redirect("/desk/sign-in");
    Session who{std::move(*found.value()), desk::csrf_for(cookie), Role::site};
    if (!still_configured(c, who.row)) {
      if (auto st = desk::sign_out(s.store, s.clock, who.row); !st) return error_page(st.error(), nullptr);
      return redirect("/desk/sign-in");
    }
    who.role = config::parse_role(who.row.role).value_or(Role::site);
    if (c.req.method == "POST") {
      if (!same_origin(c)) return error_page(403, "Forbidden", "This form was sent from another site.", &who);
      const auto form = form_of(c.req);
      const std::string* csrf = form ? form_field(*form, "csrf") : nullptr;
      if (!csrf || !desk::csrf_matches(who.row, *csrf))
        return error_page(403, "Forbidden", "This form has expired or did not come from the desk: reload the page.",
                          &who);
    }
    if (std::find(roles.begin(), roles.end(), who.role) == roles.end())
      return error_page(403, "Forbidden",
                        std::string("The ") + config::to_string(who.role) + " role may not open this page.", &who);
    return f(s, c, who);
  };
}

std::string sign_in_form(const std::string& error) {
  std::string h =
      "<form method=\"post\" action=\"/desk/sign-in\"><label for=\"token\">Access token</label><input id=\"token\" "
      "name=\"token\" type=\"password\" autocomplete=\"current-password\" required";
  if (!error.empty()) h += " aria-invalid=\"true\" aria-describedby=\"token-error\"";
  h += ">";
  if (!error.empty()) h += " <span id=\"token-error\" class=\"error\" role=\"alert\">" + esc(error) + "</span>";
  h += "<p><button type=\"submit\">Sign in</button></p></form>";
  return h;
}

Result<Reply> get_desk(Services&, Call&) { return redirect("/desk/"); }

Result<Reply> get_sign_in(Services&, Call&) { return page(200, layout("Sign in", nullptr, sign_in_form(""))); }

Result<Reply> post_sign_in(Services& s, Call& c) {
  if (!same_origin(c)) return error_page(403, "Forbidden", "This form was sent from another site.", nullptr);
  const auto form = form_of(c.req);
  if (!form)
    return error_page(415, "Unsupported form", "The sign-in form is sent as application/x-www-form-urlencoded.",
                      nullptr);
  const std::string* token = form_field(*form, "token");
  const auto who = token ? authenticate_token(*token, *c.config) : std::nullopt;
  if (!who) {
    // Counted with the API's rejected tokens: one throttle and one audit row per address and minute
    // (auth.rejected), never the token itself.
    const auto v = s.auth_failures->fail(c.req.remote_addr);
    if (v.throttled) {
      Reply r = page(429, layout("Sign in", nullptr,
                                 sign_in_form("Too many failed sign-ins from this address; try again in a minute.")));
      r.headers.emplace_back("Retry-After", std::to_string(v.retry_after_s));
      return r;
    }
    return page(401, layout("Sign in", nullptr, sign_in_form("This access token is not valid.")));
  }
  config::Principal p{who->name, who->role, who->site, ""};
  auto made = desk::sign_in(s.store, s.clock, policy_of(c), p, c.req.remote_addr);
  if (!made) return error_page(made.error(), nullptr);
  // A session the browser held before is ended: one sign-in, one session (no fixation).
  if (const std::string old = cookie_value(c.req, kCookie); !old.empty()) {
    auto prev = desk::resume(s.store, s.clock, policy_of(c), old);
    if (prev && prev.value()) (void)desk::sign_out(s.store, s.clock, *prev.value());
  }
  Reply r = redirect("/desk/");
  r.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + made->id + cookie_attributes(c));
  return r;
}

Result<Reply> post_sign_out(Services& s, Call& c, const Session& who) {
  if (auto st = desk::sign_out(s.store, s.clock, who.row); !st) return error_page(st.error(), &who);
  Reply r = redirect("/desk/sign-in");
  r.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + cookie_attributes(c) + "; Max-Age=0");
  return r;
}

std::string landing_of(Role r) { return r == Role::dsmb ? "/desk/dsmb" : "/desk/studies"; }

Result<Reply> get_home(Services&, Call&, const Session& who) { return redirect(landing_of(who.role)); }

/// The studies the principal may see: a site those it takes part in, the others every one.
std::vector<const config::Study*> visible_studies(const Call& c, const Session& who) {
  std::vector<const config::Study*> out;
  for (const auto& [id, st] : c.config->studies)
    if (who.role != Role::site || st.has_site(who.row.site)) out.push_back(&st);
  return out;
}

Result<Reply> get_dsmb(Services& s, Call& c, const Session& who) {
  std::string h;
  for (const config::Study* st : visible_studies(c, who)) {
    auto rows = s.store.list_dsmb_reports(st->id);
    if (!rows) return error_page(rows.error(), &who);
    h += "<section><h2>" + esc(st->title) + " <small>(" + esc(st->id) + ")</small></h2>";
    if (rows->empty()) {
      h += "<p>No DSMB report yet.</p></section>";
      continue;
    }
    h += "<table><caption>DSMB reports of " + esc(st->id) +
         ", newest first</caption><thead><tr><th scope=\"col\">Report</th><th scope=\"col\">Data cut-off</th><th "
         "scope=\"col\">As of</th><th scope=\"col\">SHA-256</th></tr></thead><tbody>";
    for (const auto& r : rows.value()) {
      const std::string href = "/desk/dsmb/" + percent_encode(st->id) + "/reports/" + std::to_string(r.id);
      h += "<tr><td><a href=\"" + esc(href) + "\">Report " + std::to_string(r.number) + "</a></td><td>" +
           esc(format_date(r.cutoff.date())) + "</td><td>" + esc(format_timestamp(r.as_of)) + "</td><td><code>" +
           esc(r.sha256) + "</code></td></tr>";
    }
    h += "</tbody></table></section>";
  }
  if (h.empty()) h = "<p>No study.</p>";
  return page(200, layout("DSMB reports", &who, h));
}

Result<Reply> get_dsmb_report(Services& s, Call& c, const Session& who) {
  const config::Study* st = c.config->study(c.params[0]);
  auto id = parse_id(c.params[1], "id");
  if (!st || !id) return error_page(404, "Not found", "No such DSMB report.", &who);
  auto out = dsmb_report_html(s, st->id, id.value());
  if (!out) return error_page(out.error(), &who);
  Reply r = page(200, std::move(*out->raw_body));
  for (auto& h : out->headers) r.headers.push_back(std::move(h));
  return r;
}

/// The JSON API documents a role may read of a study (README "HTTP API (v1)").
std::vector<std::pair<std::string, std::string>> api_links(Role role, const std::string& study) {
  const std::string base = "/v1/studies/" + percent_encode(study);
  if (role == Role::site)
    return {{base + "/ae", "its AE reports"}, {base + "/fhir/AdverseEvent", "its AE reports as a FHIR Bundle"}};
  if (role == Role::officer)
    return {{base + "/ae", "AE reports"},
            {base + "/alerts?status=open", "open alerts"},
            {base + "/clocks?state=open", "open reporting clocks"},
            {base + "/safety", "safety figures"},
            {base + "/dsmb-reports", "DSMB reports"}};
  return {};
}

Result<Reply> get_studies(Services&, Call& c, const Session& who) {
  std::string h =
      "<p>The studies you may see, and the documents of the JSON API (<code>/v1</code>, with your bearer token) you "
      "may read for each.</p>";
  if (who.role == Role::admin) {
    h += "<p>The admin role reads no study data. Its documents: <a "
         "href=\"/v1/webhooks/deliveries\"><code>/v1/webhooks/deliveries</code></a>, <a "
         "href=\"/v1/audit\"><code>/v1/audit</code></a>, <a href=\"/metrics\"><code>/metrics</code></a>.</p>";
    return page(200, layout("Studies", &who, h));
  }
  const auto studies = visible_studies(c, who);
  if (studies.empty()) h += "<p>No study.</p>";
  h += "<ul>";
  for (const config::Study* st : studies) {
    h += "<li><h2>" + esc(st->title) + " <small>(" + esc(st->id) + ")</small></h2><ul>";
    for (const auto& [href, what] : api_links(who.role, st->id))
      h += "<li><a href=\"" + esc(href) + "\"><code>" + esc(href) + "</code></a>: " + esc(what) + "</li>";
    h += "</ul></li>";
  }
  h += "</ul>";
  return page(200, layout("Studies", &who, h));
}

}  // namespace

std::vector<RouteDef> desk_routes(Services& s) {
  auto open = [&s](Result<Reply> (*f)(Services&, Call&)) { return [&s, f](Call& c) { return f(s, c); }; };
  const std::vector<Role> anyone{Role::site, Role::officer, Role::dsmb, Role::admin};
  // The DSMB sees DSMB reports and nothing else (issue 21).
  const std::vector<Role> not_dsmb{Role::site, Role::officer, Role::admin};
  const std::vector<Role> dsmb{Role::dsmb, Role::officer};
  // `roles` of a desk route stay empty: no bearer token is asked for; with_session decides.
  return {
      {"GET", "/desk", {}, open(get_desk), true},
      {"GET", "/desk/", {}, with_session(s, anyone, get_home), true},
      {"GET", "/desk/sign-in", {}, open(get_sign_in), true},
      {"POST", "/desk/sign-in", {}, open(post_sign_in), true},
      {"POST", "/desk/sign-out", {}, with_session(s, anyone, post_sign_out), true},
      {"GET", "/desk/studies", {}, with_session(s, not_dsmb, get_studies), true},
      {"GET", "/desk/dsmb", {}, with_session(s, dsmb, get_dsmb), true},
      {"GET", "/desk/dsmb/{study}/reports/{id}", {}, with_session(s, dsmb, get_dsmb_report), true},
  };
}

}  // namespace pvmon::http
