// Routes for subjects' course and the safety case: events, follow-ups, regulatory submissions,
// reporting clocks and the live safety figures. The clinical rules are pvmon::safety's; this
// file turns requests into its inputs and its results into stored records.
#include <charconv>
#include <cstdint>

#include "pvmon/intake.hpp"
#include "pvmon/safety.hpp"

#include "routes.hpp"
#include "safety_glue.hpp"

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
         {"report", c.report},
         {"report_id", c.report_ref},
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

std::vector<safety::Clock> open_of(const std::vector<store::ClockRow>& rows) {
  std::vector<safety::Clock> out;
  for (const auto& r : rows)
    if (!r.stopped_at) out.push_back(r.clock);
  return out;
}

// --- subject events -------------------------------------------------------------------

Result<Reply> post_event(Services& s, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  const config::Study& st = *study.value();
  const Date today = s.clock.now().date();
  std::vector<std::string> drugs;
  for (const auto& iv : st.interventions)
    if (iv.kind == "drug") drugs.push_back(iv.id);
  const store::EventDecider decide =
      [&](const store::SubjectRow& subject,
          const std::vector<safety::SubjectEvent>& existing) -> Result<store::EventDecision> {
    auto ev = safety::validate_event(body.value(), {subject.enrolled, today, drugs, existing});
    if (!ev) return ev.error();
    store::EventDecision d{ev.value(), {}};
    d.alerts_for = [&c, &st, subject, existing, event = ev.value()](std::int64_t id) mutable {
      event.id = id;  // the alerts name the event they come from
      return event_alerts(*c.runtime, st, subject, existing, event);
    };
    return d;
  };
  auto stored = s.store.add_event(st.id, c.params[1], decide, actor_of(c));
  if (!stored) return stored.error();
  return json_reply(201, stored->record);
}

Result<Reply> get_subject(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto row = s.store.find_subject(c.params[0], c.params[1]);
  if (!row) return row.error();
  if (!row.value() || !sees_site(c.principal, row.value()->site))
    return Error::field(Errc::not_found, "subject", "no subject '" + c.params[1] + "'");
  auto events = s.store.subject_events(c.params[0], c.params[1]);
  if (!events) return events.error();
  store::AeQuery q;
  q.study = c.params[0];
  q.subject = c.params[1];
  q.limit = 500;
  auto aes = s.store.list_ae(q);
  if (!aes) return aes.error();
  json out = row.value()->record;
  auto evs = events.value();
  std::stable_sort(evs.begin(), evs.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  json timeline = json::array();
  for (const auto& e : evs) {
    json j = e.fields;
    j["id"] = e.id;
    timeline.push_back(j);
  }
  out["events"] = timeline;
  out["adverse_events"] = aes->items;
  const auto facts = safety::facts_from_events(c.params[1], row.value()->enrolled, evs);
  if (facts.surgery) out["surgical"] = surgical_json(safety::assess_subject(facts, s.clock.now().date()));
  else out["surgical"] = nullptr;
  return json_reply(200, std::move(out));
}

// --- follow-ups, submissions, clocks ---------------------------------------------------

Result<Reply> post_followup(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  // Another site's report does not exist for the caller, whatever the body says.
  auto existing = s.store.get_ae(c.params[0], id.value());
  if (!existing) return existing.error();
  if (!existing.value() || (*existing.value())["site"] != c.principal.site)
    return Error::field(Errc::not_found, "id", "no AE report " + c.params[1]);
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto parsed = parse_followup(body.value());
  if (!parsed) return parsed.error();
  const config::Study& st = *study.value();
  const Timestamp now = s.clock.now();
  const store::FollowupDecider decide =
      [&](const json& current, int version, const std::vector<store::ClockRow>& open,
          const store::RuleLookup& lookup) -> Result<store::FollowupDecision> {
    return decide_followup(s, c, st, parsed.value(), id.value(), current, version, open, lookup, now);
  };
  auto stored = s.store.add_followup(st.id, id.value(), c.principal.site, parsed->followup_id,
                                     canonical_hash(body.value()), decide, actor_of(c));
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

Result<Reply> post_submission(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = path_id(c.params[1]);
  if (!id) return id.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto sub = parse_submission(body.value(), s.clock.now());
  if (!sub) return sub.error();
  const store::SubmissionDecider decide =
      [&](const json&, const std::vector<store::ClockRow>& open) -> Result<store::SubmissionDecision> {
    auto plan = safety::plan_submission(open_of(open), sub->kind, sub->submitted);
    if (plan.stop.empty() && !safety::plan_submission(open_of(open), sub->kind, Timestamp{INT64_MAX}).stop.empty())
      return Error::field(Errc::invalid, "submitted",
                          "is before the open clock started (the sponsor's receipt of the report): "
                          "this submission cannot be the report it asks for");
    if (plan.stop.empty())
      return Error::field(Errc::conflict, "kind",
                          "no open " + std::string(body.value()["kind"].get<std::string>()) +
                              " clock for this report");
    return store::SubmissionDecision{plan.stop, sub->record};
  };
  auto rec = s.store.add_submission(c.params[0], id.value(), decide, actor_of(c));
  if (!rec) return rec.error();
  return json_reply(201, rec.value());
}

Result<Reply> get_clocks(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  const bool all = c.req.has_param("state") && c.req.get_param_value("state") == "all";
  if (c.req.has_param("state") && !all && c.req.get_param_value("state") != "open")
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

Result<Reply> get_safety(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  Date cutoff = s.clock.now().date();
  Timestamp as_of = s.clock.now();
  if (c.req.has_param("cutoff")) {
    auto d = parse_date(c.req.get_param_value("cutoff"));
    if (!d) return Error::invalid({{"cutoff", "must be a date YYYY-MM-DD"}}, "invalid query parameters");
    if (*d > cutoff) return Error::invalid({{"cutoff", "is in the future"}}, "invalid query parameters");
    cutoff = *d;
    as_of = start_of(cutoff.plus_days(1)).plus_ms(-1);  // the end of the cut-off day
  }
  auto snap = s.store.snapshot(c.params[0], as_of);
  if (!snap) return snap.error();
  return json_reply(200, safety_figures(*c.runtime, *study.value(),
                                        snap.value(), cutoff));
}

}  // namespace

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
      {"POST", "/v1/studies/{study}/ae/{id}/followups", site, bind(post_followup)},
      {"GET", "/v1/studies/{study}/ae/{id}/versions", site_officer, bind(get_versions)},
      {"POST", "/v1/studies/{study}/ae/{id}/submissions", officer, bind(post_submission)},
      {"GET", "/v1/studies/{study}/clocks", officer, bind(get_clocks)},
      {"GET", "/v1/studies/{study}/safety", officer_dsmb, bind(get_safety)},
  };
}

}  // namespace pvmon::http
