// What the safety desk's pages share (private to pvmon::http): the signed-in session, the page
// frame, forms and their CSRF token, the session guard. Each group of pages lives in its own file
// (routes_desk.cpp: sign-in, landing, DSMB; desk_officer.cpp: inbox and case; desk_study.cpp:
// study and subject; desk_site.cpp: a site's lists and forms) and adds its routes through one
// function declared here; desk_routes() in routes_desk.cpp joins them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/reports.hpp"
#include "pvmon/service/desk_session.hpp"
#include "routes.hpp"

namespace pvmon::http {

inline constexpr std::string_view kDeskCookie = "pvmon_session";

/// The signed-in person, as the page header shows them.
struct Session {
  store::DeskSessionRow row;
  std::string csrf;
  config::Role role = config::Role::site;
};

/// HTML text escape (reports::html_escape: one escape for every page pvmon writes).
inline std::string esc(std::string_view s) { return reports::html_escape(s); }

/// The page frame: head, the header with who is signed in and the role's navigation, <main>
/// with `title` as its h1. `who` is null on pages before sign-in. `script`: the path of a script
/// under /desk/static/ the page loads (deferred), or empty.
std::string layout(const std::string& title, const Session* who, const std::string& main_html,
                   std::string_view script = {});
/// Every desk answer: never cached, never framed, scripts only from /desk/static, forms only to
/// this origin.
Reply page(int status, std::string html);
/// 303 See Other to `to` (a path on this host).
Reply redirect(const std::string& to);
Reply error_page(int status, const std::string& title, const std::string& message, const Session* who);
/// An error of a use case or the store, as a page with the status the API would give it (the
/// operator's detail of a 5xx stays in the log).
Reply error_page(const Error& e, const Session* who);

/// The value of cookie `name` in the request's Cookie field(s) (RFC 6265 §5.4), or "".
std::string cookie_value(const Request& req, std::string_view name);
/// "; Path=<path>; HttpOnly; SameSite=Strict" (and "; Secure" under TLS): the session's cookie
/// (Path=/desk) and the sign-in form's (Path=/desk/sign-in).
std::string cookie_attributes(const Call& c, std::string_view path = "/desk");
service::desk::SessionPolicy policy_of(const Call& c);

/// A form body (application/x-www-form-urlencoded), or nullopt for another media type.
std::optional<Fields> form_of(const Request& req);
/// The first value of `name` in a form, or null.
const std::string* form_field(const Fields& f, std::string_view name);
/// The hidden CSRF field every desk form carries.
std::string csrf_input(const Session& who);
/// Whether the request's Origin (when sent) is this host (RFC 6454 §7).
bool same_origin(const Call& c);

using PageFn = Result<Reply> (*)(Services&, Call&, const Session&);
/// A page behind a session: none (or one over), to the sign-in page; a role not in `roles`, a 403
/// page; a POST, its Origin and CSRF token checked first (403, the session untouched).
Handler with_session(Services& s, std::vector<config::Role> roles, PageFn f);

/// The desk's paths of a study, a subject and an AE report (the case page).
std::string study_path(const std::string& study);
std::string subject_path(const std::string& study, const std::string& subject);
std::string case_path(const std::string& study, std::int64_t report);
/// The signed-in principal as the use cases take a caller.
service::Caller caller_of(const Session& who);

/// The studies the principal may see: a site those it takes part in, the others every one.
std::vector<const config::Study*> visible_studies(const Call& c, const Session& who);

/// The desk's page groups (each file's routes; every one has `session = true`).
std::vector<RouteDef> desk_officer_routes(Services& s);
std::vector<RouteDef> desk_study_routes(Services& s);
std::vector<RouteDef> desk_site_routes(Services& s);

}  // namespace pvmon::http
