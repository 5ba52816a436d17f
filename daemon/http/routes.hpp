// The route table and the helpers handlers share (private to pvmon::http).
#pragma once

#include <vector>

#include "api.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/service/cutoff.hpp"

namespace pvmon::http {

struct RouteDef {
  std::string method;
  std::string path;
  std::vector<config::Role> roles;
  Handler handler;
  bool session = false;  // a desk page (Route::session)
};

/// Every route of the API, in one table: the single place where roles are decided.
std::vector<RouteDef> build_routes(Services& s);
/// GET /v1/ctcae/terms, GET /v1/ctcae/terms/{meddra_code}, POST /v1/ctcae/grade.
std::vector<RouteDef> ctcae_routes(Services& s);
/// Subject events and timeline, follow-ups, submissions, clocks, safety figures.
std::vector<RouteDef> safety_routes(Services& s);
/// Alerts (list, acknowledge) and webhook deliveries (list, redeliver).
std::vector<RouteDef> alert_routes(Services& s);
/// DSMB reports: list, build now, latest, one in JSON, CSV or HTML.
std::vector<RouteDef> dsmb_routes(Services& s);
/// The FHIR R4 interface under /v1/studies/{study}/fhir: metadata, AdverseEvent create, read,
/// search (routes_fhir.cpp).
std::vector<RouteDef> fhir_routes(Services& s);
/// A FHIR R4 AdverseEvent posted (Content-Type application/fhir+json) mapped to a report and
/// accepted; every error names its FHIRPath. Location is `location_prefix` + the report id.
Result<Reply> post_ae_fhir(Call& c, const config::Study& st, const std::string& location_prefix);
/// The safety desk's pages under /desk/ (sessions, sign-in, the landing pages).
std::vector<RouteDef> desk_routes(Services& s);
/// One stored DSMB report as its printable HTML page (the API's ?format=html, the desk's link).
Result<Reply> dsmb_report_html(Services& s, const std::string& study, std::int64_t id);
/// A report's ICH E2B(R3) ICSR as GET .../ae/{id}/icsr serves it (the API's and the desk's): the
/// validated XML, its message id headers and an attachment name.
Result<Reply> icsr_reply(const Call& c, const config::Study& st, std::int64_t report, std::optional<int> version,
                         int attempt);
/// A report's CIOMS I form as GET .../ae/{id}/cioms?format=html serves it (the API's and the desk's).
Result<Reply> cioms_reply(const Call& c, const config::Study& st, std::int64_t report, std::optional<int> version);

/// The request's media type, lower case, without parameters.
std::string media_type(const Request& req);
/// Whether the client asks for FHIR (Accept: application/fhir+json).
bool wants_fhir(const Request& req);
/// What the FHIR mapping needs of a study.
interop::fhir::StudyContext fhir_context(const config::Study& st);
/// Parses a JSON request body: the one reading of every route's body. 415 for another media
/// type than `media`, or a charset other than UTF-8; then parse_json_text.
Result<nlohmann::json> json_body(const Request& req,
                                 const std::string& media = "application/json");
/// JSON text as a request body is read: 400 with the byte offset when malformed, or naming
/// each key given twice in one object by its path ("serious.death"), nested ones too.
Result<nlohmann::json> parse_json_text(std::string_view text);
/// The charset parameter of a Content-Type value, lower case and unquoted ("" for `charset=`);
/// nullopt when there is none.
std::optional<std::string> charset_of(std::string_view content_type);
/// The study named in the path, or 404.
Result<const config::Study*> find_study(const Call& c, const std::string& id);
/// The study in the path, which the calling site must take part in (403 otherwise).
Result<const config::Study*> find_site_study(const Call& c);
/// A JSON reply with a status.
Reply json_reply(int status, nlohmann::json body);
/// The caller as the store records it.
store::Actor actor_of(const Call& c);
/// The reports of the study in the path that the caller may see (a site: its own).
store::AeQuery scoped_query(const Call& c);
/// The calling site's report `id` of the study in the path, its current version; another
/// site's, or none: 404 on `id` (POST .../followups, the desk's follow-up form).
Result<nlohmann::json> site_report(const Call& c, std::int64_t id);
/// GET /v1/ctcae/terms: the ranked CTCAE v5.0 search for the request's `q` and `limit`.
Result<nlohmann::json> ctcae_term_search(const Request& req);
/// GET /v1/ctcae/terms/{meddra_code}: one term with its grade texts.
Result<nlohmann::json> ctcae_term_entry(const std::string& meddra_code);
/// Whether the principal may see data of `site` (sites see only their own).
bool sees_site(const Principal& p, const std::string& site);
/// A positive integer id from the path, or 404 naming `field`.
Result<std::int64_t> parse_id(const std::string& s, const std::string& field);
/// Optional integer query parameter within [lo, hi]; an error is added to `errs`.
std::optional<std::int64_t> int_param(const Request& req, const char* name, std::int64_t lo,
                                      std::int64_t hi, std::vector<FieldError>& errs);
/// The `cutoff` and `as_of` query parameters as given (either may be absent), or a 422 naming
/// each that does not parse or lies before 1900-01-01 (service::parse_cutoff_input): /safety
/// and the SDTM exports.
Result<service::CutoffInput> cutoff_query(const Request& req);
/// Whether If-None-Match matches `etag` by weak comparison (RFC 9110 §13.1.2): "*", or one of
/// its comma-separated entity tags with the same opaque tag, W/ or not.
bool none_match(const Request& req, const std::string& etag);
/// Optional query parameter from a fixed set; an error is added to `errs`.
std::optional<std::string> enum_param(const Request& req, const char* name,
                                      const std::vector<std::string>& allowed,
                                      std::vector<FieldError>& errs);

}  // namespace pvmon::http
