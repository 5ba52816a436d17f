// The route table and the helpers handlers share (private to pvmon::http).
#pragma once

#include <vector>

#include "api.hpp"
#include "pvmon/interop.hpp"

namespace pvmon::http {

struct RouteDef {
  std::string method;
  std::string path;
  std::vector<config::Role> roles;
  Handler handler;
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

/// The request's media type, lower case, without parameters.
std::string media_type(const httplib::Request& req);
/// Whether the client asks for FHIR (Accept: application/fhir+json).
bool wants_fhir(const httplib::Request& req);
/// What the FHIR mapping needs of a study.
interop::fhir::StudyContext fhir_context(const config::Study& st);
/// Parses a JSON request body; 415 for another media type than `media`, 400 with the byte
/// offset when malformed.
Result<nlohmann::json> json_body(const httplib::Request& req,
                                 const std::string& media = "application/json");
/// The study named in the path, or 404.
Result<const config::Study*> find_study(const Call& c, const std::string& id);
/// The study in the path, which the calling site must take part in (403 otherwise).
Result<const config::Study*> find_site_study(const Call& c);
/// A JSON reply with a status.
Reply json_reply(int status, nlohmann::json body);
/// The caller as the store records it.
store::Actor actor_of(const Call& c);
/// Whether the principal may see data of `site` (sites see only their own).
bool sees_site(const Principal& p, const std::string& site);
/// A positive integer id from the path, or 404 naming `field`.
Result<std::int64_t> parse_id(const std::string& s, const std::string& field);
/// Optional integer query parameter within [lo, hi]; an error is added to `errs`.
std::optional<std::int64_t> int_param(const httplib::Request& req, const char* name, std::int64_t lo,
                                      std::int64_t hi, std::vector<FieldError>& errs);
/// What a bad `cutoff` (a clinical date) or `as_of` (an instant) is told (/safety, DSMB reports).
inline constexpr const char* kCutoffFormat =
    "must be a date YYYY-MM-DD (or a date-time with offset, whose UTC date is used)";
inline constexpr const char* kAsOfFormat = "must be a date-time with offset, e.g. 2026-04-07T09:00:00Z";
/// The `cutoff` and `as_of` query parameters as given (either may be absent), or a 422 naming
/// each that does not parse: /safety and the SDTM exports.
struct CutoffQuery {
  std::optional<Date> cutoff;
  std::optional<Timestamp> as_of;
};
Result<CutoffQuery> cutoff_query(const httplib::Request& req);
/// Optional query parameter from a fixed set; an error is added to `errs`.
std::optional<std::string> enum_param(const httplib::Request& req, const char* name,
                                      const std::vector<std::string>& allowed,
                                      std::vector<FieldError>& errs);

}  // namespace pvmon::http
