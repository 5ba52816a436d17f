// The route table and the helpers handlers share (private to pvmon::http).
#pragma once

#include <vector>

#include "pvmon/http.hpp"

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

/// Parses a JSON request body; 415 for another media type, 400 with the byte offset when
/// malformed.
Result<nlohmann::json> json_body(const httplib::Request& req);
/// The study named in the path, or 404.
Result<const config::Study*> find_study(const Call& c, const std::string& id);
/// SHA-256 of the canonical form of a JSON body: same content, same hash, whatever the
/// key order or spacing.
std::string canonical_hash(const nlohmann::json& j);

}  // namespace pvmon::http
