// DSMB report routes: list, build now (officer), and one report as JSON, CSV (a table, or all
// of them in a zip) or a printable HTML page. The stored body is the canonical JSON; CSV and
// HTML are rendered from it on request, so every format shows the same figures.
#include <memory>

#include "pvmon/crypto.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/reports.hpp"
#include "pvmon/service/dsmb.hpp"
#include "routes.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;

namespace {

json row_json(const store::DsmbReportRow& r) {
  const std::string base = "/v1/studies/" + r.study + "/dsmb-reports/" + std::to_string(r.id);
  return {{"id", r.id},
          {"study", r.study},
          {"number", r.number},
          {"data_cutoff", format_date(r.cutoff.date())},
          {"as_of", format_timestamp(r.as_of)},
          {"period_from", r.previous_cutoff ? json(format_date(r.previous_cutoff->date())) : json(nullptr)},
          {"trigger", r.trigger},
          {"sha256", r.sha256},
          {"protocol_sha256", r.protocol_sha256},
          {"generated_at", format_timestamp(r.generated_at)},
          {"generated_by", r.generated_by},
          {"links", {{"json", base + "?format=json"}, {"csv", base + "?format=csv"}, {"html", base + "?format=html"}}}};
}

}  // namespace

namespace {

Result<Reply> list_reports(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto rows = s.store.list_dsmb_reports(c.params[0]);
  if (!rows) return rows.error();
  json items = json::array();
  for (const auto& r : rows.value()) items.push_back(row_json(r));
  json out{{"items", items}};
  if (const auto& sch = study.value()->dsmb_schedule) {
    out["schedule"] = sch->text;
    auto first = s.store.protocol_at(c.params[0], Timestamp{0});
    const Timestamp after = !rows->empty() ? rows->front().cutoff
                            : (first && first.value()) ? first.value()->first_seen.plus_ms(-1)
                                                       : s.clock.now();
    auto next = schedule::next_after(*sch, std::max(after, s.clock.now()));
    // A due time already passed but not yet built is next, not the one after it.
    if (auto due = schedule::latest_in(*sch, after, s.clock.now())) next = due;
    out["next_due"] = next ? json(format_timestamp(*next)) : json(nullptr);
  } else {
    out["schedule"] = nullptr;
    out["next_due"] = nullptr;
  }
  return json_reply(200, std::move(out));
}

/// A report's representation with its strong validator: the SHA-256 of the bytes sent (RFC 9110
/// §8.8.3: each representation its own). For the JSON it is the report's own SHA-256
/// (X-Report-SHA256, every format's); the CSV and HTML, rendered from it, have theirs.
Reply with_etag(Reply r) {
  r.headers.emplace_back("ETag", "\"" + crypto::sha256_hex(*r.raw_body) + "\"");
  return r;
}

Result<Reply> get_report(Services& s, Call& c, std::int64_t id) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  std::vector<FieldError> errs;
  const auto format = enum_param(c.req, "format", {"json", "csv", "html"}, errs).value_or("json");
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  auto row = s.store.get_dsmb_report(c.params[0], id);
  if (!row) return row.error();
  if (!row.value())
    return id == 0 ? Error::field(Errc::not_found, "id", "no DSMB report for this study yet")
                   : Error::field(Errc::not_found, "id", "no DSMB report " + std::to_string(id));
  const auto& r = *row.value();
  Reply out;
  out.headers.emplace_back("X-Report-SHA256", r.sha256);
  const std::string stem = r.study + "-dsmb-" + std::to_string(r.number);
  if (format == "json") {
    // Exactly the stored bytes: their SHA-256 is the one in the listing and the webhook.
    out.raw_body = r.body;
    return with_etag(std::move(out));
  }
  // One rendering for the API and the desk's link (read again by its id: the latest resolved).
  if (format == "html") return dsmb_report_html(s, r.study, r.id);
  json model;
  try {
    model = json::parse(r.body);
  } catch (const json::exception& e) {
    return Error::of(Errc::internal, std::string("stored report unreadable: ") + e.what());
  }
  auto files = reports::to_csv(model);
  if (c.req.has_param("table")) {
    const std::string want = c.req.param("table");
    for (const auto& f : files) {
      if (f.name == want || f.name == want + ".csv") {
        out.content_type = "text/csv; charset=utf-8";
        out.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + "-" + f.name + "\"");
        out.raw_body = f.text;
        return with_etag(std::move(out));
      }
    }
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.name;
    return Error::invalid({{"table", "no table '" + want + "'; the tables are: " + names}},
                          "invalid query parameters");
  }
  std::vector<std::pair<std::string, std::string>> named;
  for (auto& f : files) named.emplace_back(std::move(f.name), std::move(f.text));
  auto zip = service::csv_zip(named, r.cutoff);
  if (!zip) return zip.error();
  out.content_type = "application/zip";
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + "-csv.zip\"");
  out.raw_body = std::move(zip.value());
  return with_etag(std::move(out));
}

/// A report answer made conditional: If-None-Match with its ETag gives 304 with the validators
/// and no content (RFC 9110 §13.1.2, §15.4.5), so a DSMB member's client re-downloads a report only
/// when its bytes changed.
Result<Reply> conditional(const Request& req, Result<Reply> r) {
  if (!r) return r;
  for (const auto& [k, v] : r->headers)
    if (k == "ETag" && none_match(req, v)) {
      r->status = 304;
      r->raw_body = "";
      break;
    }
  return r;
}

Result<Reply> get_latest(Services& s, Call& c) { return conditional(c.req, get_report(s, c, 0)); }

}  // namespace

Result<Reply> dsmb_report_html(Services& s, const std::string& study, std::int64_t id) {
  auto row = s.store.get_dsmb_report(study, id);
  if (!row) return row.error();
  if (!row.value()) return Error::field(Errc::not_found, "id", "no DSMB report " + std::to_string(id));
  const auto& r = *row.value();
  json model;
  try {
    model = json::parse(r.body);
  } catch (const json::exception& e) {
    return Error::of(Errc::internal, std::string("stored report unreadable: ") + e.what());
  }
  Reply out;
  out.headers.emplace_back("X-Report-SHA256", r.sha256);
  out.content_type = "text/html; charset=utf-8";
  out.raw_body = reports::to_html(model, {std::to_string(r.id), format_timestamp(r.generated_at), r.sha256});
  return with_etag(std::move(out));
}

namespace {

Result<Reply> get_one(Services& s, Call& c) {
  auto id = parse_id(c.params[1], "id");
  if (!id) return id.error();
  return conditional(c.req, get_report(s, c, id.value()));
}

Result<Reply> post_report(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  // The clinical cut-off (a date) and the as-of (the database state: default now).
  std::optional<Date> cutoff;
  std::optional<Timestamp> as_of;
  if (!c.req.body.empty()) {
    auto body = json_body(c.req);
    if (!body) return body.error();
    if (!body->is_object()) return Error::invalid({{"body", "must be a JSON object"}}, "invalid request");
    std::vector<FieldError> errs;
    for (const auto& [k, v] : body->items())
      if (k != "cutoff" && k != "as_of") errs.push_back({k, "unknown field"});
    auto text = [&](const char* k) -> std::optional<std::string> {
      if (!body->contains(k) || (*body)[k].is_null()) return std::nullopt;
      return (*body)[k].is_string() ? (*body)[k].get<std::string>() : std::string();
    };
    const auto cutoff_text = text("cutoff"), as_of_text = text("as_of");
    if (auto in = service::parse_cutoff_input(cutoff_text, as_of_text)) {
      cutoff = in->cutoff;
      as_of = in->as_of;
    } else {
      for (const auto& f : in.error().fields) errs.push_back(f);
    }
    if (!errs.empty()) return Error::invalid(std::move(errs), "invalid DSMB report request");
  }
  auto at = service::data_cutoff(cutoff, as_of, s.clock.now());
  if (!at) return Error::invalid(at.error().fields, "invalid DSMB report request");
  auto made = service::make_dsmb_report(*c.runtime, *study.value(), s.store, at.value(), "manual", actor_of(c));
  if (!made) return made.error();
  Reply r = json_reply(made->created ? 201 : 200, row_json(made->row));
  r.headers.emplace_back("Location", "/v1/studies/" + c.params[0] + "/dsmb-reports/" + std::to_string(made->row.id));
  return r;
}

/// The SDTM domains take the same (cut-off, as-of) pair as DSMB reports and /safety.
Result<Reply> sdtm_domain(Services& s, Call& c, service::SdtmDomain domain, service::SdtmFormat format) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto q = cutoff_query(c.req);
  if (!q) return q.error();
  auto at = service::data_cutoff(q->cutoff, q->as_of, s.clock.now());
  if (!at) return at.error();
  auto body = service::sdtm_export(s.store, c.params[0], domain, format, at.value());
  if (!body) return body.error();
  const std::string name = domain == service::SdtmDomain::dm ? "dm" : "ae";
  Reply r;
  if (format == service::SdtmFormat::csv) {
    r.content_type = "text/csv; charset=utf-8";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + c.params[0] + "-" + name + ".csv\"");
  } else {
    // FDA's Study Data Technical Conformance Guide: a transport file is named after its data set.
    r.content_type = "application/x-sas-xport";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + ".xpt\"");
  }
  r.raw_body = std::move(body.value());
  return r;
}

Result<Reply> sdtm_ae(Services& s, Call& c) {
  return sdtm_domain(s, c, service::SdtmDomain::ae, service::SdtmFormat::csv);
}
Result<Reply> sdtm_dm(Services& s, Call& c) {
  return sdtm_domain(s, c, service::SdtmDomain::dm, service::SdtmFormat::csv);
}
Result<Reply> sdtm_ae_xpt(Services& s, Call& c) {
  return sdtm_domain(s, c, service::SdtmDomain::ae, service::SdtmFormat::xpt);
}
Result<Reply> sdtm_dm_xpt(Services& s, Call& c) {
  return sdtm_domain(s, c, service::SdtmDomain::dm, service::SdtmFormat::xpt);
}

}  // namespace

std::vector<RouteDef> dsmb_routes(Services& s) {
  auto bind = [&s](Result<Reply> (*f)(Services&, Call&)) {
    return [&s, f](Call& c) { return f(s, c); };
  };
  const std::vector<Role> readers{Role::officer, Role::dsmb};
  return {
      {"GET", "/v1/studies/{study}/dsmb-reports", readers, bind(list_reports)},
      {"POST", "/v1/studies/{study}/dsmb-reports", {Role::officer}, bind(post_report)},
      // Before {id}: "latest" is not an id.
      {"GET", "/v1/studies/{study}/dsmb-reports/latest", readers, bind(get_latest)},
      {"GET", "/v1/studies/{study}/dsmb-reports/{id}", readers, bind(get_one)},
      {"GET", "/v1/studies/{study}/export/sdtm/ae.csv", readers, bind(sdtm_ae)},
      {"GET", "/v1/studies/{study}/export/sdtm/dm.csv", readers, bind(sdtm_dm)},
      {"GET", "/v1/studies/{study}/export/sdtm/ae.xpt", readers, bind(sdtm_ae_xpt)},
      {"GET", "/v1/studies/{study}/export/sdtm/dm.xpt", readers, bind(sdtm_dm_xpt)},
  };
}

}  // namespace pvmon::http
