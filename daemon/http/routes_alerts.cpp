// Routes for alerts (safety officers), webhook deliveries and endpoints (operators).
#include <algorithm>
#include <charconv>
#include <map>

#include "pvmon/fields.hpp"
#include <sstream>

#include "metrics.hpp"
#include "pvmon/notify.hpp"
#include "pvmon/service/alerts.hpp"
#include "routes.hpp"
#include "pvmon/service/labs.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;

namespace {

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json alert_json(const store::AlertView& a) {
  return {{"id", a.id},
          {"rule", a.rule},
          {"severity", a.severity},
          {"title", a.title},
          {"subject", opt(a.subject)},
          {"report", a.report ? json(*a.report) : json(nullptr)},
          {"details", a.details},
          {"created_at", format_timestamp(a.created_at)},
          {"status", a.status},
          {"acked_at", a.acked_at ? json(format_timestamp(*a.acked_at)) : json(nullptr)},
          {"acked_by", opt(a.acked_by)},
          {"ack_comment", opt(a.ack_comment)},
          {"escalations", a.escalations},
          {"webhooks", {{"queued", a.webhooks_queued}, {"delivered", a.webhooks_delivered}}}};
}

json cursor_json(const std::optional<std::int64_t>& next) {
  return next ? json(std::to_string(*next)) : json(nullptr);
}

json delivery_json(const store::DeliveryView& d) {
  json history = json::array();
  for (const auto& a : d.history)
    history.push_back({{"at", a.at},
                       {"http_status", a.http_status},
                       {"latency_ms", a.latency_ms},
                       {"error", a.error},
                       {"outcome", a.outcome}});
  return {{"id", d.id},
          {"webhook_id", d.webhook_id},
          {"endpoint", d.endpoint},
          {"sequence", d.sequence},
          {"event_type", d.event_type},
          {"body_bytes", d.body_bytes},
          {"alert", d.alert ? json(*d.alert) : json(nullptr)},
          {"state", d.state},
          {"attempts", d.attempts},
          {"created_at", d.created_at},
          {"next_attempt_at", opt(d.next_attempt_at)},
          {"delivered_at", opt(d.delivered_at)},
          {"endpoint_disabled_at", opt(d.endpoint_disabled_at)},
          {"history", history}};
}

/// An audit value as stored: JSON text shows as JSON, anything else as a string.
json audit_value(const std::optional<std::string>& v) {
  if (!v) return nullptr;
  auto parsed = json::parse(*v, nullptr, false);
  return parsed.is_discarded() ? json(*v) : parsed;
}

Result<Reply> list_alerts(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  std::vector<FieldError> errs;
  auto status = enum_param(c.req, "status", {"open", "acked"}, errs);
  auto severity = enum_param(c.req, "severity", {"info", "high", "critical"}, errs);
  auto limit = int_param(c.req, "limit", 1, 500, errs);
  auto cursor = int_param(c.req, "cursor", 1, INT64_MAX, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  auto page = s.store.list_alerts(c.params[0], status, severity, cursor, static_cast<int>(limit.value_or(100)));
  if (!page) return page.error();
  json items = json::array();
  for (const auto& a : page->items) items.push_back(alert_json(a));
  return json_reply(200, {{"items", items},
                          {"next_cursor", page->next_after_id ? json(std::to_string(*page->next_after_id))
                                                              : json(nullptr)}});
}

Result<Reply> ack_alert(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = parse_id(c.params[1], "id");
  if (!id) return Error::field(Errc::not_found, "id", "no alert " + c.params[1]);
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto ack = service::acknowledge_alert(c.context(), c.caller(), *study.value(), id.value(), body.value());
  if (!ack) return ack.error();
  return json_reply(200, {{"id", ack->id},
                          {"status", "acked"},
                          {"acked_at", format_timestamp(ack->acked_at)},
                          {"acked_by", ack->acked_by},
                          {"ack_comment", ack->comment}});
}

Result<Reply> list_deliveries(Services& s, Call& c) {
  std::vector<FieldError> errs;
  std::optional<std::string> endpoint;
  if (c.req.has_param("endpoint")) endpoint = c.req.param("endpoint");
  auto state = enum_param(c.req, "state", {"pending", "delivered", "dead", "gone"}, errs);
  auto limit = int_param(c.req, "limit", 1, 1000, errs);
  auto cursor = int_param(c.req, "cursor", 1, INT64_MAX, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  auto page = s.store.list_deliveries(endpoint, state, cursor, static_cast<int>(limit.value_or(100)));
  if (!page) return page.error();
  json items = json::array();
  for (const auto& d : page->items) items.push_back(delivery_json(d));
  return json_reply(200, {{"items", items}, {"next_cursor", cursor_json(page->next_after_id)}});
}

Result<Reply> redeliver(Services& s, Call& c) {
  auto id_or = parse_id(c.params[0], "id");
  if (!id_or) return Error::field(Errc::not_found, "id", "no delivery " + c.params[0]);
  const std::int64_t id = id_or.value();
  auto r = s.store.redeliver(id, {c.principal.name, c.principal.site});
  if (!r) return r.error();
  json out{{"id", r->id},
           {"webhook_id", r->webhook_id},
           {"endpoint", r->endpoint},
           {"previous_state", r->previous_state},
           {"state", "pending"},
           {"next_attempt_at", r->next_attempt_at},
           {"endpoint_disabled", r->endpoint_disabled_at.has_value()}};
  if (r->endpoint_disabled_at)
    out["note"] = "endpoint " + r->endpoint + " was disabled at " + *r->endpoint_disabled_at +
                  " after answering 410 Gone: this message waits until an operator "
                  "re-enables the endpoint";
  return json_reply(202, std::move(out));
}

/// One endpoint as the operators' list shows it: the config's side (never the secret, nor the
/// URL's path, which for some receivers is itself the credential) and the outbox's.
json endpoint_json(const notify::Endpoint* cfg, const store::EndpointFacts& f) {
  const bool gone = f.disabled_at.has_value();
  const bool by_config = cfg != nullptr && cfg->disabled;
  json out{{"name", f.endpoint}, {"configured", cfg != nullptr}};
  if (cfg != nullptr) {
    auto url = notify::parse_url(cfg->url);
    out["url_origin"] = url ? json(url->scheme_host_port) : json(nullptr);
    out["events"] = cfg->events;
    out["min_severity"] = cfg->min_severity;
    out["format"] = cfg->format == notify::Endpoint::Format::slack ? "slack" : "standard";
  }
  out["state"] = gone || by_config || cfg == nullptr ? "disabled" : "enabled";
  // Why it is disabled: a 410 (an operator re-enables it here), the config, or not configured.
  json disabled_by = nullptr;
  json why = nullptr;
  json since = f.changed_at ? json(*f.changed_at) : json(nullptr);
  if (gone) {
    disabled_by = "410";
    why = *f.disabled_reason;
    since = *f.disabled_at;
  } else if (by_config) {
    disabled_by = "config";
    why = "\"disabled\": true in the configuration";
  } else if (cfg == nullptr) {
    disabled_by = "config";
    why = "not in the configuration";
  } else if (f.change_reason) {
    why = *f.change_reason;
  }
  out["disabled_by"] = disabled_by;
  out["since"] = since;
  out["why"] = why;
  out["changed_by"] = opt(f.changed_by);
  out["pending"] = f.pending;
  out["gone"] = f.gone;
  out["oldest_pending_at"] = opt(f.oldest_pending_at);
  out["last_sequence"] = f.last_sequence;
  out["last_delivered_at"] = opt(f.last_delivered_at);
  if (f.last_attempt) {
    const auto& a = *f.last_attempt;
    out["last_attempt"] = {{"at", a.at},          {"webhook_id", opt(f.last_attempt_webhook_id)},
                           {"http_status", a.http_status}, {"latency_ms", a.latency_ms},
                           {"error", a.error},    {"outcome", a.outcome}};
  } else {
    out["last_attempt"] = nullptr;
  }
  return out;
}

const notify::Endpoint* configured_endpoint(const config::Config& cfg, const std::string& name) {
  for (const auto& e : cfg.webhooks)
    if (e.name == name) return &e;
  return nullptr;
}

Result<Reply> list_endpoints(Services& s, Call& c) {
  auto facts = s.store.endpoint_facts();
  if (!facts) return facts.error();
  std::map<std::string, store::EndpointFacts> by_name;
  for (auto& f : facts.value()) by_name[f.endpoint] = std::move(f);
  json items = json::array();
  // The configured endpoints in config order, then any the outbox still knows of.
  for (const auto& e : c.config->webhooks) {
    auto it = by_name.find(e.name);
    store::EndpointFacts f;
    f.endpoint = e.name;
    if (it != by_name.end()) {
      f = std::move(it->second);
      by_name.erase(it);
    }
    items.push_back(endpoint_json(&e, f));
  }
  for (const auto& [name, f] : by_name) items.push_back(endpoint_json(nullptr, f));
  return json_reply(200, {{"items", items}});
}

Result<Reply> enable_endpoint(Services& s, Call& c) {
  const std::string& name = c.params[0];
  std::string comment;
  if (!c.req.body.empty()) {
    auto body = json_body(c.req);
    if (!body) return body.error();
    if (!body->is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
    std::vector<FieldError> errs;
    FieldReader r(body.value(), "", errs);
    comment = r.string("comment", false, 2000).value_or("");
    r.finish();
    if (!errs.empty()) return Error::invalid(std::move(errs));
  }
  const notify::Endpoint* cfg = configured_endpoint(*c.config, name);
  if (cfg == nullptr) {
    // Only a name the outbox knows can be re-enabled (its messages may still go out after a
    // reload that brings the endpoint back); anything else is not found, and not echoed at length.
    auto facts = s.store.endpoint_facts();
    if (!facts) return facts.error();
    const bool known = std::any_of(facts->begin(), facts->end(),
                                   [&](const store::EndpointFacts& f) { return f.endpoint == name; });
    if (!known)
      return Error::field(Errc::not_found, "name",
                          "no webhook endpoint " + (name.size() <= 64 ? name : name.substr(0, 64) + "..."));
  }
  auto r = s.store.enable_endpoint(name, comment, {c.principal.name, c.principal.site});
  if (!r) return r.error();
  json out{{"name", r->endpoint},
           {"state", cfg != nullptr && !cfg->disabled ? "enabled" : "disabled"},
           {"enabled_at", r->enabled_at},
           {"was_disabled_at", r->disabled_at},
           {"was_disabled_why", r->disabled_reason},
           {"released", r->released},
           {"pending", r->pending}};
  if (cfg == nullptr || cfg->disabled)
    out["note"] = "the 410 no longer holds endpoint " + r->endpoint + ", but the configuration " +
                  (cfg == nullptr ? "does not name it" : "disables it") +
                  ": its messages wait until the configuration takes it again (reload)";
  return json_reply(200, std::move(out));
}

Result<Reply> list_audit(Services& s, Call& c) {
  std::vector<FieldError> errs;
  const std::string entity = c.req.has_param("entity") ? c.req.param("entity") : "";
  auto limit = int_param(c.req, "limit", 1, 500, errs);
  auto cursor = int_param(c.req, "cursor", 1, INT64_MAX, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  auto page = s.store.list_audit(entity, cursor, static_cast<int>(limit.value_or(100)));
  if (!page) return page.error();
  json items = json::array();
  for (const auto& a : page->items)
    items.push_back({{"seq", a.seq}, {"at", a.at}, {"principal", a.principal}, {"action", a.action},
                     {"entity", a.entity}, {"new_value", audit_value(a.new_value)},
                     {"prev_value", audit_value(a.prev_value)}, {"prev_hash", a.prev_hash}, {"hash", a.hash},
                     {"content_sha256", a.content_sha256 ? json(*a.content_sha256) : json(nullptr)}});
  return json_reply(200, {{"items", items}, {"next_cursor", cursor_json(page->next_before_seq)}});
}

/// Prometheus text format: request metrics, then figures read from the database and the writer.
Result<Reply> get_metrics(Services& s, Call& c) {
  std::ostringstream o;
  o << metrics().render();
  auto g = s.store.gauges();
  if (!g) return g.error();
  o << "# HELP pvmon_alerts Alerts by rule, severity and status.\n# TYPE pvmon_alerts gauge\n";
  for (const auto& [k, n] : g->alerts)
    o << "pvmon_alerts{rule=\"" << std::get<0>(k) << "\",severity=\"" << std::get<1>(k)
      << "\",status=\"" << std::get<2>(k) << "\"} " << n << "\n";
  o << "# HELP pvmon_outbox_messages Webhook outbox rows by state.\n# TYPE pvmon_outbox_messages gauge\n";
  for (const char* state : {"pending", "delivered", "dead", "gone"}) {
    auto it = g->outbox.find(state);
    o << "pvmon_outbox_messages{state=\"" << state << "\"} " << (it == g->outbox.end() ? 0 : it->second) << "\n";
  }
  const double age = g->oldest_undelivered
                         ? static_cast<double>(s.clock.now().ms - g->oldest_undelivered->ms) / 1000.0
                         : 0.0;
  o << "# HELP pvmon_outbox_oldest_undelivered_seconds Age of the oldest undelivered webhook (0 when none).\n"
       "# TYPE pvmon_outbox_oldest_undelivered_seconds gauge\n"
    << "pvmon_outbox_oldest_undelivered_seconds " << age << "\n";
  o << "# HELP pvmon_webhook_attempts_total Delivery attempts by outcome.\n# TYPE pvmon_webhook_attempts_total counter\n";
  for (const auto& [k, n] : g->attempts) o << "pvmon_webhook_attempts_total{outcome=\"" << k << "\"} " << n << "\n";
  const auto w = s.store.writer_stats();
  o << "# HELP pvmon_writer_commits_total Group commits.\n# TYPE pvmon_writer_commits_total counter\n"
    << "pvmon_writer_commits_total " << w.commits << "\n"
    << "# HELP pvmon_writer_jobs_total Writes committed.\n# TYPE pvmon_writer_jobs_total counter\n"
    << "pvmon_writer_jobs_total " << w.jobs << "\n"
    << "# HELP pvmon_writer_batch_max Largest group commit so far.\n# TYPE pvmon_writer_batch_max gauge\n"
    << "pvmon_writer_batch_max " << w.max_batch << "\n"
    << "# HELP pvmon_writer_commit_duration_seconds Group commits, BEGIN to COMMIT (fsync included).\n"
       "# TYPE pvmon_writer_commit_duration_seconds histogram\n";
  for (std::size_t i = 0; i < w.commits_within.size(); ++i)
    o << "pvmon_writer_commit_duration_seconds_bucket{le=\"" << store::WriterStats::kCommitBounds[i]
      << "\"} " << w.commits_within[i] << "\n";
  o << "pvmon_writer_commit_duration_seconds_bucket{le=\"+Inf\"} " << w.commits << "\n"
    << "pvmon_writer_commit_duration_seconds_sum " << w.commit_seconds_sum << "\n"
    << "pvmon_writer_commit_duration_seconds_count " << w.commits << "\n"
    << "# HELP pvmon_database_bytes Database file plus WAL.\n# TYPE pvmon_database_bytes gauge\n"
    << "pvmon_database_bytes " << g->db_bytes << "\n";
  o << "# HELP pvmon_dsmb_last_report_timestamp_seconds When the newest DSMB report of a study was built (absent before the first).\n"
       "# TYPE pvmon_dsmb_last_report_timestamp_seconds gauge\n";
  for (const auto& [id, st] : c.config->studies) {
    auto rows = s.store.list_dsmb_reports(id);
    if (rows && !rows->empty())
      o << "pvmon_dsmb_last_report_timestamp_seconds{study=\"" << id << "\"} "
        << rows->front().generated_at.ms / 1000 << "\n";
  }
  return Reply{200, {}, {}, "text/plain; version=0.0.4", o.str()};
}

Result<Reply> assess_alert(Services&, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = parse_id(c.params[1], "id");
  if (!id) return Error::field(Errc::not_found, "id", "no alert " + c.params[1]);
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto done = service::assess_alert(c.context(), c.caller(), *study.value(), id.value(), body.value());
  if (!done) return done.error();
  return json_reply(201, done.value());
}

}  // namespace

std::vector<RouteDef> alert_routes(Services& s) {
  auto bind = [&s](Result<Reply> (*f)(Services&, Call&)) {
    return [&s, f](Call& c) { return f(s, c); };
  };
  const std::vector<Role> officer{Role::officer};
  const std::vector<Role> admin{Role::admin};
  return {
      {"GET", "/v1/studies/{study}/alerts", officer, bind(list_alerts)},
      {"POST", "/v1/studies/{study}/alerts/{id}/ack", officer, bind(ack_alert)},
      {"POST", "/v1/studies/{study}/alerts/{id}/assessment", officer, bind(assess_alert)},
      {"GET", "/v1/webhooks/deliveries", admin, bind(list_deliveries)},
      {"POST", "/v1/webhooks/deliveries/{id}/redeliver", admin, bind(redeliver)},
      {"GET", "/v1/webhooks/endpoints", admin, bind(list_endpoints)},
      {"POST", "/v1/webhooks/endpoints/{name}/enable", admin, bind(enable_endpoint)},
      {"GET", "/metrics", admin, bind(get_metrics)},
      {"GET", "/v1/audit", std::vector<Role>{Role::admin, Role::officer}, bind(list_audit)},
  };
}

}  // namespace pvmon::http
