// The desk's shared frame and session guard (desk.hpp).
#include <algorithm>

#include "desk.hpp"
#include "rate_limit.hpp"

namespace pvmon::http {

using config::Role;
namespace desk = service::desk;

namespace {

constexpr const char* kCss = R"css(
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
.skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
header{display:flex;justify-content:space-between;align-items:center;padding:.5rem 1rem;background:#12355b;color:#fff}
header a{color:#fff}header form{display:inline;margin:0}
main{padding:1rem;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left}
code{overflow-wrap:anywhere}.error{color:#a00000;font-weight:bold}
label{display:block;margin:.5rem 0 .25rem}input,select,textarea{font:inherit;padding:.25rem}button{font:inherit;padding:.25rem .75rem}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:.5rem 1rem;background:#e8eef5}
nav a[aria-current]{font-weight:bold}
.wide{overflow-x:auto;max-width:100%}#inbox{font-size:.875rem}#inbox th,#inbox td{padding:.2rem .35rem}.ack input{width:9rem}
.filters{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-end}.filters p{margin:.25rem 0}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f5a623}
@media print{header form,nav,.skip,.no-print{display:none}.wide{overflow:visible}header{background:none;color:#000}a{color:#000}}
)css";

}  // namespace

/// The pages each role's navigation names (each also checks the role itself).
static std::vector<std::pair<std::string, std::string>> nav_of(Role r) {
  switch (r) {
    case Role::officer:
      return {{"/desk/inbox", "Inbox"}, {"/desk/studies", "Studies"}, {"/desk/dsmb", "DSMB reports"}};
    case Role::dsmb: return {{"/desk/dsmb", "DSMB reports"}};
    case Role::site:
    case Role::admin: return {{"/desk/studies", "Studies"}};
  }
  return {};
}

std::string layout(const std::string& title, const Session* who, const std::string& main_html,
                   std::string_view script) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>" +
      esc(title) + " · pvmon safety desk</title><style>" + kCss + "</style>";
  if (!script.empty()) h += "<script src=\"" + esc(script) + "\" defer></script>";
  h += "</head><body><a class=\"skip\" href=\"#main\">Skip to content</a><header><span>pvmon safety desk</span>";
  if (who) {
    h += "<span>Signed in as <strong>" + esc(who->row.principal) + "</strong> (" + esc(who->row.role) +
         (who->row.site.empty() ? "" : ", site " + esc(who->row.site)) +
         ") <form method=\"post\" action=\"/desk/sign-out\">" + csrf_input(*who) +
         "<button type=\"submit\">Sign out</button></form></span>";
  }
  h += "</header>";
  if (who) {
    h += "<nav aria-label=\"Desk\"><ul>";
    for (const auto& [href, text] : nav_of(who->role))
      h += "<li><a href=\"" + esc(href) + "\"" + (text == title ? " aria-current=\"page\"" : "") + ">" + esc(text) +
           "</a></li>";
    h += "</ul></nav>";
  }
  h += "<main id=\"main\"><h1>" + esc(title) + "</h1>" + main_html + "</main></body></html>\n";
  return h;
}

/// Every desk answer: never cached, never framed, scripts and fetches only from this origin (the
/// one script, /desk/static/term-search.js, is the AE form's term search), forms only to it.
Reply page(int status, std::string html) {
  Reply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.raw_body = std::move(html);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; "
      "frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Not "no-referrer": under it a browser sends `Origin: null` with the desk's own form posts
  // (Fetch §3.1, "serializing a request origin"), which same_origin() must refuse; "same-origin"
  // still sends nothing to another site.
  r.headers.emplace_back("Referrer-Policy", "same-origin");
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

std::string cookie_attributes(const Call& c, std::string_view path) {
  return "; Path=" + std::string(path) + "; HttpOnly; SameSite=Strict" + (c.config->tls ? "; Secure" : "");
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
static bool still_configured(const Call& c, const store::DeskSessionRow& s) {
  return std::any_of(c.config->principals.begin(), c.config->principals.end(), [&](const config::Principal& p) {
    return p.name == s.principal && config::to_string(p.role) == s.role && p.site == s.site;
  });
}

/// A page behind a session: none (or one over), to the sign-in page; a role not in `roles`, a 403
/// page; a POST, its CSRF token checked first (403, the session untouched).
Handler with_session(Services& s, std::vector<Role> roles, PageFn f) {
  return [&s, roles = std::move(roles), f](Call& c) -> Result<Reply> {
    const std::string cookie = cookie_value(c.req, kDeskCookie);
    auto found = desk::resume(s.store, s.clock, policy_of(c), cookie);
    if (!found) return error_page(found.error(), nullptr);
    if (!found.value()) return redirect("/desk/sign-in");
    Session who{std::move(*found.value()), desk::csrf_for(cookie), Role::site};
    if (!still_configured(c, who.row)) {
      if (auto st = desk::sign_out(s.store, s.clock, who.row); !st) return error_page(st.error(), nullptr);
      return redirect("/desk/sign-in");
    }
    who.role = config::parse_role(who.row.role).value_or(Role::site);
    // The request is the session's principal's from here: the access log names it, as an API
    // request's names its token's.
    c.principal = Principal{who.row.principal, who.role, who.row.site};
    // One request budget per principal, whether it calls the API with its token or the desk with
    // its session (http.rate_limit_per_second, http.rate_limit_burst).
    if (int wait_s = 0; s.limiter && !s.limiter->allow(who.row.principal, s.clock.now().ms, wait_s)) {
      Reply r = error_page(429, "Too many requests", "Too many requests from " + who.row.principal +
                                                         "; try again in " + std::to_string(wait_s) + " s.", &who);
      r.headers.emplace_back("Retry-After", std::to_string(wait_s));
      return r;
    }
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

/// The studies the principal may see: a site those it takes part in, the others every one.
std::vector<const config::Study*> visible_studies(const Call& c, const Session& who) {
  std::vector<const config::Study*> out;
  for (const auto& [id, st] : c.config->studies)
    if (who.role != Role::site || st.has_site(who.row.site)) out.push_back(&st);
  return out;
}


std::string study_path(const std::string& study) { return "/desk/studies/" + percent_encode(study); }
std::string subject_path(const std::string& study, const std::string& subject) {
  return study_path(study) + "/subjects/" + percent_encode(subject);
}
std::string case_path(const std::string& study, std::int64_t report) {
  return study_path(study) + "/ae/" + std::to_string(report);
}
service::Caller caller_of(const Session& who) { return service::Caller{who.row.principal, who.role, who.row.site}; }

std::string csrf_input(const Session& who) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(who.csrf) + "\">";
}

}  // namespace pvmon::http
