// Routes for subjects' course and the safety case: events, follow-ups, regulatory submissions,
// reporting clocks and the live safety figures. The clinical rules are pvmon::safety's; this
// file turns requests into its inputs and its results into stored records.
#include <charconv>
#include <cstdint>

#include "pvmon/intake.hpp"
#include "pvmon/safety.hpp"

#include "routes.hpp"
#include "pvmon/service/ae.hpp"
#include "pvmon/service/cutoff.hpp"
#include "pvmon/service/figures.hpp"
#include "pvmon/service/icsr.hpp"
#include "pvmon/service/labs.hpp"
#include "pvmon/service/subjects.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;

namespace {

Result<std::int64_t> path_id(const std::string& s) {
  auto id = parse_id(s, "id");
  if (!id) return Error::field(Errc::not_found, "id", "no AE report " + s);
  return id;
}

json clock_json(const store::ClockRow& c, Timestamp now) {
  json j{{"id", c.id},
         // A subject's clock (a death awaiting its SAE report) has no report yet.
         {"report", c.report ? json(c.report) : json(nullptr)},
         {"report_id", c.report ? json(c.report_ref) : json(nullptr)},
         {"subject", c.subject},
         {"site", c.site},
         {"version", c.version},
         {"kind", std::string(safety::to_string(c.clock.kind))},
         {"started_at", format_timestamp(c.clock.started_at)},
         {"due_at", format_timestamp(c.clock.due_at)},
         {"reason", c.clock.reason}};
  if (c.stopped_at) {
    j["stopped_at"] = format_timestamp(*c.stopped_at);
    j["stop_reason"] = c.stop_reason;
    j["late"] = c.late;
  } else {
    j["overdue"] = safety::overdue(c.clock, now);
    j["hours_left"] = static_cast<double>(c.clock.due_at.ms - now.ms) / 3'600'000.0;
  }
  return j;
}

// --- subject events -------------------------------------------------------------------

Result<Reply> post_event(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::add_subject_event(c.context(), c.caller(), *study.value(), c.params[1], body.value());
  if (!stored) return stored.error();
  return json_reply(201, stored->record);
}

Result<Reply> get_subject(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto view = service::subject_view(c.context(), c.caller(), *study.value(), c.params[1]);
  if (!view) return view.error();
  return json_reply(200, std::move(view.value()));
}

// --- lab results (issue 25) -------------------------------------------------------------

Result<Reply> post_labs(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::add_lab_panel(c.context(), c.caller(), *study.value(), c.params[1], body.value());
  if (!stored) return stored.error();
  return json_reply(stored->created ? 201 : 200, stored->record);
}

Result<Reply> get_labs(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto labs = service::subject_labs(c.context(), c.caller(), *study.value(), c.params[1]);
  if (!labs) return labs.error();
  if (!wants_fhir(c.req)) return json_reply(200, std::move(labs.value()));
  // Accept: application/fhir+json: a searchset Bundle of laboratory Observations.
  const auto ctx = fhir_context(*study.value());
  std::vector<json> resources;
  const json& rows = labs.value()["results"];
  for (std::size_t i = 0; i < rows.size(); ++i) resources.push_back(interop::fhir::observation(rows[i], c.params[1], ctx, i));
  const std::string root = !c.config->public_url.empty()
                               ? c.config->public_url
                               : std::string(c.config->tls ? "https://" : "http://") + c.req.header("Host");
  const std::string base = root + "/v1/studies/" + c.params[0] + "/subjects/" + c.params[1] + "/labs";
  return Reply{200, interop::fhir::searchset(resources, base + "#", base, ""), {}, interop::fhir::kMediaType, {}};
}

// --- follow-ups, submissions, clocks ---------------------------------------------------

Result<Reply> post_followup(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  if (auto own = site_report(c, id.value()); !own) return own.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::add_followup(c.context(), c.caller(), *study.value(), id.value(), body.value());
  if (!stored) return stored.error();
  return json_reply(stored->created ? 201 : 200, stored->record);
}

Result<Reply> get_versions(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  auto rows = s.store.ae_versions(c.params[0], id.value());
  if (!rows) return rows.error();
  if (rows->empty()) return Error::field(Errc::not_found, "id", "no AE report " + c.params[1]);
  json out = json::array();
  for (const auto& v : rows.value()) {
    if (c.principal.role == Role::site && v.record.value("site", c.principal.site) != c.principal.site)
      return Error::field(Errc::not_found, "id", "no AE report " + c.params[1]);
    out.push_back({{"version", v.version},
                   {"kind", v.kind},
                   {"recorded_at", v.recorded_at},
                   {"recorded_by", v.recorded_by},
                   {"record", v.record}});
  }
  return json_reply(200, {{"versions", out}});
}

Result<Reply> post_submission(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto rec = service::record_submission(c.context(), c.caller(), *study.value(), id.value(), body.value());
  if (!rec) return rec.error();
  return json_reply(201, rec.value());
}

// --- ICH E2B(R3) ICSRs, CIOMS I, acknowledgements (issue 20) ------------------------------

Result<Reply> get_icsr(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  std::vector<FieldError> errs;
  auto version = int_param(c.req, "version", 1, 1'000'000, errs);
  auto attempt = int_param(c.req, "attempt", 1, 99, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  return icsr_reply(c, *study.value(), id.value(),
                    version ? std::optional<int>(static_cast<int>(*version)) : std::nullopt,
                    attempt ? static_cast<int>(*attempt) : 1);
}

Result<Reply> get_cioms(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  std::vector<FieldError> errs;
  auto version = int_param(c.req, "version", 1, 1'000'000, errs);
  enum_param(c.req, "format", {"html"}, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  return cioms_reply(c, *study.value(), id.value(),
                     version ? std::optional<int>(static_cast<int>(*version)) : std::nullopt);
}

Result<Reply> get_submissions(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  auto subs = service::report_submissions(c.context(), *study.value(), id.value());
  if (!subs) return subs.error();
  return json_reply(200, std::move(subs.value()));
}

Result<Reply> post_icsr_ack(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  const std::string media = media_type(c.req);
  if (media != "application/xml" && media != "text/xml")
    return Error::field(Errc::unsupported_media, "Content-Type",
                        "must be application/xml: the gateway's acknowledgement (MCCI_IN200101UV01) as it came");
  if (auto cs = charset_of(c.req.header("Content-Type")); cs && *cs != "utf-8")
    return Error::field(Errc::unsupported_media, "Content-Type", "the charset must be UTF-8");
  auto stored = service::record_icsr_ack(c.context(), c.caller(), *study.value(), c.req.body);
  if (!stored) return stored.error();
  return json_reply(stored->created ? 201 : 200, stored->record);
}

Result<Reply> get_clocks(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  const bool all = c.req.has_param("state") && c.req.param("state") == "all";
  if (c.req.has_param("state") && !all && c.req.param("state") != "open")
    return Error::invalid({{"state", "must be open or all"}}, "invalid query parameters");
  auto rows = s.store.clocks(c.params[0], !all, std::nullopt);
  if (!rows) return rows.error();
  const Timestamp now = s.clock.now();
  json items = json::array();
  int overdue = 0;
  for (const auto& r : rows.value()) {
    items.push_back(clock_json(r, now));
    if (!r.stopped_at && safety::overdue(r.clock, now)) ++overdue;
  }
  return json_reply(200, {{"as_of", format_timestamp(now)}, {"overdue", overdue}, {"items", items}});
}

Result<Reply> get_safety(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto q = cutoff_query(c.req);
  if (!q) return q.error();
  auto figures = service::study_safety(c.context(), *study.value(), q->cutoff, q->as_of);
  if (!figures) return figures.error();
  return json_reply(200, std::move(figures.value()));
}

}  // namespace

Result<json> site_report(const Call& c, std::int64_t id) {
  // Another site's report does not exist for the caller, whatever the body says.
  auto existing = c.store->get_ae(c.params[0], id);
  if (!existing) return existing.error();
  if (!existing.value() || (*existing.value())["site"] != c.principal.site)
    return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(id));
  return std::move(*existing.value());
}

Result<Reply> icsr_reply(const Call& c, const config::Study& st, std::int64_t report, std::optional<int> version,
                         int attempt) {
  auto doc = service::icsr_document(c.context(), st, report, version, attempt);
  if (!doc) return doc.error();
  Reply out;
  out.content_type = "application/xml; charset=utf-8";
  out.raw_body = std::move(doc->xml);
  // The message id a submission names (POST .../submissions "message_id") once it is sent.
  out.headers = {{"X-ICSR-Message-Id", doc->c.message_id},
                 {"X-ICSR-Safety-Report-Id", doc->c.safety_report_id},
                 {"Content-Disposition", "attachment; filename=\"" + doc->c.message_id + ".xml\""}};
  return out;
}

Result<Reply> cioms_reply(const Call& c, const config::Study& st, std::int64_t report, std::optional<int> version) {
  auto html = service::cioms_document(c.context(), st, report, version);
  if (!html) return html.error();
  Reply out;
  out.content_type = "text/html; charset=utf-8";
  out.raw_body = std::move(html.value());
  return out;
}

std::vector<RouteDef> safety_routes(Services& s) {
  auto bind = [&s](Result<Reply> (*f)(Services&, Call&)) {
    return [&s, f](Call& c) { return f(s, c); };
  };
  const std::vector<Role> site{Role::site};
  const std::vector<Role> site_officer{Role::site, Role::officer};
  const std::vector<Role> officer{Role::officer};
  const std::vector<Role> officer_dsmb{Role::officer, Role::dsmb};
  return {
      {"POST", "/v1/studies/{study}/subjects/{subject}/events", site, bind(post_event)},
      {"GET", "/v1/studies/{study}/subjects/{subject}", site_officer, bind(get_subject)},
      {"POST", "/v1/studies/{study}/subjects/{subject}/labs", site, bind(post_labs)},
      {"GET", "/v1/studies/{study}/subjects/{subject}/labs", site_officer, bind(get_labs)},
      {"POST", "/v1/studies/{study}/ae/{id}/followups", site, bind(post_followup)},
      {"GET", "/v1/studies/{study}/ae/{id}/versions", site_officer, bind(get_versions)},
      {"POST", "/v1/studies/{study}/ae/{id}/submissions", officer, bind(post_submission)},
      {"GET", "/v1/studies/{study}/ae/{id}/submissions", officer, bind(get_submissions)},
      {"GET", "/v1/studies/{study}/ae/{id}/icsr", officer, bind(get_icsr)},
      {"GET", "/v1/studies/{study}/ae/{id}/cioms", officer, bind(get_cioms)},
      {"POST", "/v1/studies/{study}/icsr-acks", officer, bind(post_icsr_ack)},
      {"GET", "/v1/studies/{study}/clocks", officer, bind(get_clocks)},
      {"GET", "/v1/studies/{study}/safety", officer_dsmb, bind(get_safety)},
  };
}

}  // namespace pvmon::http
