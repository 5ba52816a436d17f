// The safety desk (README "The safety desk"): server-rendered HTML pages under /desk/ for the
// people pvmon serves, with no script. A bearer token, checked exactly as the API checks it
// (authenticate_token) and throttled with the API's failures (AuthFailures), is exchanged for a
// session (service/desk_session.cpp) held in an HttpOnly, SameSite=Strict cookie; every form POST
// carries the session's CSRF token, and the sign-in form one of its own (login CSRF). The cookie
// is read here only: the API's routes never look at it. Roles of each page are in desk_routes,
// checked against the session's principal as the config now has it.
#include <algorithm>

#include "auth_failures.hpp"
#include "desk.hpp"

namespace pvmon::http {

using config::Role;
namespace desk = service::desk;

namespace {

/// The pre-session cookie of the sign-in form: a random nonce whose HMAC the form carries as its CSRF
/// token, so a sign-in posted from another site (login CSRF) is refused like any other forged form.
constexpr std::string_view kSignInCookie = "pvmon_sign_in";
constexpr std::string_view kSignInPath = "/desk/sign-in";

/// The sign-in page with a fresh nonce in its cookie and token in its form; `error` beside the field.
Reply sign_in_page(int status, const Call& c, const std::string& error) {
  const std::string nonce = desk::random_token(32);
  std::string h =
      "<form method=\"post\" action=\"/desk/sign-in\"><input type=\"hidden\" name=\"csrf\" value=\"" +
      esc(desk::sign_in_csrf_for(nonce)) +
      "\"><label for=\"token\">Access token</label><input id=\"token\" "
      "name=\"token\" type=\"password\" autocomplete=\"current-password\" required";
  if (!error.empty()) h += " aria-invalid=\"true\" aria-describedby=\"token-error\"";
  h += ">";
  if (!error.empty()) h += " <span id=\"token-error\" class=\"error\" role=\"alert\">" + esc(error) + "</span>";
  h += "<p><button type=\"submit\">Sign in</button></p></form>";
  Reply r = page(status, layout("Sign in", nullptr, h));
  r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) + "=" + nonce +
                                           cookie_attributes(c, kSignInPath) + "; Max-Age=3600");
  return r;
}

Result<Reply> get_desk(Services&, Call&) { return redirect("/desk/"); }

Result<Reply> get_sign_in(Services&, Call& c) { return sign_in_page(200, c, ""); }

Result<Reply> post_sign_in(Services& s, Call& c) {
  if (!same_origin(c)) return error_page(403, "Forbidden", "This form was sent from another site.", nullptr);
  const auto form = form_of(c.req);
  if (!form)
    return error_page(415, "Unsupported form", "The sign-in form is sent as application/x-www-form-urlencoded.",
                      nullptr);
  const std::string* csrf = form_field(*form, "csrf");
  if (!csrf || !desk::sign_in_csrf_matches(cookie_value(c.req, kSignInCookie), *csrf))
    return sign_in_page(403, c, "This sign-in form has expired or did not come from the desk; sign in again.");
  const std::string* token = form_field(*form, "token");
  const auto who = token ? authenticate_token(*token, *c.config) : std::nullopt;
  if (!who) {
    // Counted with the API's rejected tokens: one throttle and one audit row per address and minute
    // (auth.rejected), never the token itself.
    const auto v = s.auth_failures->fail(c.req.remote_addr);
    if (v.throttled) {
      Reply r = sign_in_page(429, c, "Too many failed sign-ins from this address; try again in a minute.");
      r.headers.emplace_back("Retry-After", std::to_string(v.retry_after_s));
      return r;
    }
    return sign_in_page(401, c, "This access token is not valid.");
  }
  config::Principal p{who->name, who->role, who->site, ""};
  auto made = desk::sign_in(s.store, s.clock, policy_of(c), p, c.req.remote_addr);
  if (!made) return error_page(made.error(), nullptr);
  // A session the browser held before is ended: one sign-in, one session (no fixation).
  if (const std::string old = cookie_value(c.req, kDeskCookie); !old.empty()) {
    auto prev = desk::resume(s.store, s.clock, policy_of(c), old);
    if (prev && prev.value()) (void)desk::sign_out(s.store, s.clock, *prev.value());
  }
  Reply r = redirect("/desk/");
  r.headers.emplace_back("Set-Cookie", std::string(kDeskCookie) + "=" + made->id + cookie_attributes(c));
  r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) + "=" + cookie_attributes(c, kSignInPath) +
                                           "; Max-Age=0");
  return r;
}

Result<Reply> post_sign_out(Services& s, Call& c, const Session& who) {
  if (auto st = desk::sign_out(s.store, s.clock, who.row); !st) return error_page(st.error(), &who);
  Reply r = redirect("/desk/sign-in");
  r.headers.emplace_back("Set-Cookie", std::string(kDeskCookie) + "=" + cookie_attributes(c) + "; Max-Age=0");
  return r;
}

std::string landing_of(Role r) { return r == Role::dsmb ? "/desk/dsmb" : "/desk/studies"; }

Result<Reply> get_home(Services&, Call&, const Session& who) { return redirect(landing_of(who.role)); }

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

/// The desk's pages of a study a role may open (each page checks the role itself).
std::vector<std::pair<std::string, std::string>> desk_links(Role role, const std::string& study) {
  const std::string base = study_path(study);
  if (role == Role::site)
    return {{base + "/subjects", "Your subjects and AE reports"},
            {base + "/subjects/new", "Enrol a subject"},
            {base + "/ae/new", "File an AE report"}};
  if (role == Role::officer)
    return {{base, "Safety figures, stopping rules and clocks due this week"},
            {"/desk/inbox?study=" + percent_encode(study), "Inbox of this study"},
            {base + "/subjects", "Subjects and AE reports"}};
  return {};
}

Result<Reply> get_studies(Services&, Call& c, const Session& who) {
  std::string h;
  if (who.role == Role::admin) {
    h += "<p>The admin role reads no study data. Its documents in the JSON API (with your bearer token): <a "
         "href=\"/v1/webhooks/deliveries\"><code>/v1/webhooks/deliveries</code></a>, <a "
         "href=\"/v1/audit\"><code>/v1/audit</code></a>, <a href=\"/metrics\"><code>/metrics</code></a>.</p>";
    return page(200, layout("Studies", &who, h));
  }
  const auto studies = visible_studies(c, who);
  if (studies.empty()) h += "<p>No study.</p>";
  for (const config::Study* st : studies) {
    h += "<section><h2>" + esc(st->title) + " <small>(" + esc(st->id) + ")</small></h2><ul>";
    for (const auto& [href, what] : desk_links(who.role, st->id))
      h += "<li><a href=\"" + esc(href) + "\">" + esc(what) + "</a></li>";
    h += "</ul><details class=\"no-print\"><summary>The same in the JSON API</summary><p>With your bearer token, "
         "not this session:</p><ul>";
    for (const auto& [href, what] : api_links(who.role, st->id))
      h += "<li><code>" + esc(href) + "</code>: " + esc(what) + "</li>";
    h += "</ul></details></section>";
  }
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
  std::vector<RouteDef> routes{
      {"GET", "/desk", {}, open(get_desk), true},
      {"GET", "/desk/", {}, with_session(s, anyone, get_home), true},
      {"GET", "/desk/sign-in", {}, open(get_sign_in), true},
      {"POST", "/desk/sign-in", {}, open(post_sign_in), true},
      {"POST", "/desk/sign-out", {}, with_session(s, anyone, post_sign_out), true},
      {"GET", "/desk/studies", {}, with_session(s, not_dsmb, get_studies), true},
      {"GET", "/desk/dsmb", {}, with_session(s, dsmb, get_dsmb), true},
      {"GET", "/desk/dsmb/{study}/reports/{id}", {}, with_session(s, dsmb, get_dsmb_report), true},
  };
  // Literal segments ("new") before templates ("{id}"): site forms first.
  for (auto group : {desk_site_routes, desk_study_routes, desk_officer_routes})
    for (auto& r : group(s)) routes.push_back(std::move(r));
  return routes;
}

}  // namespace pvmon::http
