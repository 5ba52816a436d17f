// The FHIR R4 REST interface of a study (http://hl7.org/fhir/R4/http.html): [base] is
// /v1/studies/{study}/fhir. AdverseEvent create, read and search-type, and the
// CapabilityStatement; every error is an OperationOutcome (api.cpp, by the /fhir/ path).
#include <charconv>
#include <ctime>
#include <regex>

#include "pvmon/interop.hpp"
#include "pvmon/service/ae.hpp"
#include "routes.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;

namespace {

/// The study's FHIR base as an absolute URL (FHIR R4 §3.1.1.4 fullUrl, Bundle links): the
/// configured public URL, else the scheme and Host of this request.
std::string fhir_base(const Call& c) {
  const std::string root = !c.config->public_url.empty()
                               ? c.config->public_url
                               : std::string(c.config->tls ? "https://" : "http://") + c.req.header("Host");
  return root + "/v1/studies/" + c.params[0] + "/fhir";
}

/// A weak ETag of a resource's version (FHIR R4 http.html#versioning: W/"<versionId>").
std::string etag_of(const json& resource) {
  return "W/\"" + resource["meta"].value("versionId", "") + "\"";
}

/// A stored time ("2026-10-05T10:00:00.000Z") as an HTTP-date (RFC 9110 §5.6.7), "" if none.
std::string http_date_of(const std::string& stamp) {
  const auto t = parse_timestamp(stamp);
  if (!t) return "";
  const std::time_t secs = static_cast<std::time_t>(t->ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

/// A FHIR resource reply with its version validators (FHIR R4 http.html#read).
Reply resource_reply(int status, json resource) {
  Reply r{status, {}, {}, interop::fhir::kMediaType, {}};
  r.headers.emplace_back("ETag", etag_of(resource));
  if (auto lm = http_date_of(resource["meta"].value("lastUpdated", "")); !lm.empty())
    r.headers.emplace_back("Last-Modified", lm);
  r.body = std::move(resource);
  return r;
}

/// POST [base]/AdverseEvent (FHIR R4 http.html#create).
Result<Reply> create_ae(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  return post_ae_fhir(c, *study.value(), fhir_base(c) + "/AdverseEvent/");
}

/// GET [base]/AdverseEvent/{id} (FHIR R4 http.html#read): a site its own reports, an officer
/// every one; If-None-Match with the current version's ETag gives 304.
Result<Reply> read_ae(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = parse_id(c.params[1], "id");
  if (!id) return Error::field(Errc::not_found, "id", "no AdverseEvent/" + c.params[1]);
  auto rec = s.store.get_ae(c.params[0], id.value());
  if (!rec) return rec.error();
  if (!rec.value() || !sees_site(c.principal, (*rec.value())["site"].get<std::string>()))
    return Error::field(Errc::not_found, "id", "no AdverseEvent/" + c.params[1]);
  Reply r = resource_reply(200, interop::fhir::to_fhir(*rec.value(), fhir_context(*study.value())));
  if (none_match(c.req, etag_of(r.body))) {
    r.status = 304;  // RFC 9110 §15.4.5: the validators, no content
    r.raw_body = "";
  }
  return r;
}

/// GET [base]/AdverseEvent?subject=&_count=&cursor=: a searchset Bundle in report id order,
/// with the total over all pages.
Result<Reply> search_ae(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  store::AeQuery q;
  q.study = c.params[0];
  if (c.principal.role == Role::site) q.site = c.principal.site;
  q.count_total = true;
  std::vector<FieldError> errs;
  std::string subject;
  if (c.req.has_param("subject")) {
    // FHIR reference search: "Patient/S01-0007" or the bare id.
    subject = c.req.param("subject");
    if (subject.rfind("Patient/", 0) == 0) subject = subject.substr(8);
    if (subject.empty() || subject.find('/') != std::string::npos)
      errs.push_back({"subject", "must be Patient/<subject id> or a subject id"});
    q.subject = subject;
  }
  if (auto n = int_param(c.req, "_count", 1, 500, errs)) q.limit = static_cast<int>(*n);
  if (c.req.has_param("cursor")) {
    const auto v = c.req.param("cursor");
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < 0)
      errs.push_back({"cursor", "is not a cursor this API returned"});
    else
      q.after_id = n;
  }
  std::string names;
  for (const char* p : interop::fhir::kSearchParams) names += (names.empty() ? "" : ", ") + std::string(p);
  for (const auto& [k, v] : c.req.params) {
    bool known = k == "cursor";
    for (const char* p : interop::fhir::kSearchParams) known = known || k == p;
    if (!known) errs.push_back({k, "is not a supported search parameter (" + names + ")"});
  }
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid search parameters");
  auto page = s.store.list_ae(q);
  if (!page) return page.error();
  const auto ctx = fhir_context(*study.value());
  std::vector<json> resources;
  for (const auto& rec : page->items) resources.push_back(interop::fhir::to_fhir(rec, ctx));
  const std::string base = fhir_base(c);
  std::string query = "?_count=" + std::to_string(q.limit);
  if (!subject.empty()) query += "&subject=Patient/" + percent_encode(subject);
  const std::string self =
      base + "/AdverseEvent" + query + (q.after_id ? "&cursor=" + std::to_string(*q.after_id) : "");
  const std::string next = page->next_after_id
                               ? base + "/AdverseEvent" + query + "&cursor=" + std::to_string(*page->next_after_id)
                               : "";
  // fullUrl is the resource's own URL: the read above answers it.
  return Reply{200, interop::fhir::searchset(resources, base + "/AdverseEvent/", self, next, page->total), {},
               interop::fhir::kMediaType, {}};
}

/// GET [base]/metadata (FHIR R4 http.html#capabilities). Public: a FHIR client reads it before
/// it has a token, to learn what the server does and how it authenticates; it holds nothing of
/// the study's data (it is the same for every study but its URL).
Result<Reply> metadata(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  return Reply{200, interop::fhir::capability_statement(fhir_base(c)), {}, interop::fhir::kMediaType, {}};
}

}  // namespace

Result<Reply> post_ae_fhir(Call& c, const config::Study& st, const std::string& location_prefix) {
  auto resource = json_body(c.req, interop::fhir::kMediaType);
  if (!resource) {
    Error e = resource.error();
    for (auto& f : e.fields) {
      if (f.field == "body" || f.field == "Content-Type") {
        f.field = "AdverseEvent";  // the resource as a whole, for FHIRPath
      } else {
        // A key given twice, by its path: "suspectEntity.0.causality" is
        // AdverseEvent.suspectEntity[0].causality in FHIRPath.
        f.field = "AdverseEvent." + std::regex_replace(f.field, std::regex(R"(\.(\d+)(?=\.|$))"), "[$1]");
      }
    }
    return e;
  }
  const auto ctx = fhir_context(st);
  auto mapped = interop::fhir::from_fhir(resource.value(), ctx);
  if (!mapped) return mapped.error();
  auto stored = service::accept_ae(c.context(), c.caller(), st, mapped->body, mapped->source);
  if (!stored) {
    Error e = stored.error();
    for (auto& f : e.fields) f.field = interop::fhir::path_of(mapped.value(), f.field);
    return e;
  }
  Reply r = resource_reply(stored->created ? 201 : 200, interop::fhir::to_fhir(stored->record, ctx));
  r.headers.emplace_back("Location", location_prefix + std::to_string(stored->record["id"].get<std::int64_t>()));
  return r;
}

std::vector<RouteDef> fhir_routes(Services& s) {
  auto bind = [&s](Result<Reply> (*f)(Services&, Call&)) {
    return [&s, f](Call& c) { return f(s, c); };
  };
  const std::vector<Role> site{Role::site};
  const std::vector<Role> site_officer{Role::site, Role::officer};
  return {
      {"GET", "/v1/studies/{study}/fhir/metadata", {}, bind(metadata)},
      {"POST", "/v1/studies/{study}/fhir/AdverseEvent", site, bind(create_ae)},
      {"GET", "/v1/studies/{study}/fhir/AdverseEvent", site_officer, bind(search_ae)},
      {"GET", "/v1/studies/{study}/fhir/AdverseEvent/{id}", site_officer, bind(read_ae)},
  };
}

}  // namespace pvmon::http
