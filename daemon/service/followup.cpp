// Use case: a follow-up or nullification of an AE report. The new version is the current one
// patched with the changes and validated, coded and classified again whole; ICH E2A's clocks
// follow the new classification (safety::plan_followup).
#include <algorithm>

#include "pvmon/fields.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/service/ae.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

struct Followup {
  std::string followup_id;
  bool nullify = false;
  std::string reason;
  json changes = json::object();
};

Result<Followup> parse_followup(const json& body) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  Followup f;
  if (auto v = r.id("followup_id", true, intake::kMaxIdLength)) f.followup_id = *v;
  if (auto v = r.boolean("nullify", false)) f.nullify = *v;
  if (auto v = r.string("reason", f.nullify, 2000)) f.reason = *v;
  if (const json* ch = r.get("changes", !f.nullify)) {
    if (!ch->is_object() || ch->empty()) {
      r.error("changes", "must be a non-empty object of the report fields that change");
    } else {
      for (const char* fixed : {"report_id", "subject"})
        if (ch->contains(fixed))
          errs.push_back({std::string("changes.") + fixed, "cannot change: it identifies the report"});
      for (auto it = ch->begin(); it != ch->end(); ++it)
        if (std::find(kSubmitted.begin(), kSubmitted.end(), it.key()) == kSubmitted.end())
          errs.push_back({"changes." + it.key(), "unknown field"});
      f.changes = *ch;
    }
  }
  if (f.nullify && body.contains("changes"))
    r.error("changes", "a nullification changes nothing else");
  r.finish();
  if (!errs.empty()) return Error::invalid(std::move(errs));
  return f;
}

Result<store::FollowupDecision> decide_followup(const Context& cx, const config::Study& st,
                                                const Followup& f, std::int64_t report,
                                                const json& current, int version,
                                                const std::vector<store::ClockRow>& open,
                                                const store::RuleLookup& lookup, Timestamp now) {
  const auto prev = classify_record(st, current);
  std::vector<safety::Clock> open_clocks;
  for (const auto& r : open) open_clocks.push_back(r.clock);
  store::FollowupDecision d;
  json server{{"site", current.value("site", "")}};
  if (f.nullify) {
    auto plan = safety::plan_followup(prev, open_clocks, {true, {}, now, true});
    d.nullification = true;
    d.record = submitted_fields(current);
    d.record["grade"] = current.value("grade", 0);
    d.record["ctcae"] = current.value("ctcae", json::object());
    d.record["safety"] = current.value("safety", json::object());
    d.record["nullified"] = {{"reason", f.reason}, {"notices", plan.notices}};
    for (const auto& stop : plan.stop) d.stop.emplace_back(stop.clock.id, stop.reason);
    d.alerts = version_alerts(st, d.record, report, version + 1, prev, prior_of(st, current, version),
                              lookup);
    return d;
  }

  json body = submitted_fields(current);
  body.merge_patch(f.changes);
  auto subject = cx.store.find_subject(st.id, current.at("subject").get<std::string>());
  if (!subject) return subject.error();
  intake::SubjectFacts facts;
  json baseline = json::object();
  if (subject.value()) {
    facts = {true, subject.value()->enrolled};
    baseline = subject.value()->record.value("baseline", json::object());
  }
  auto draft = intake::parse_ae(body, {st.intervention_ids()}, now, facts);
  if (!draft) return draft.error();
  auto coded = intake::code_ae(draft.value(), *cx.rt.resolvers.at(st.id), baseline);
  if (!coded) return coded.error();
  json record = intake::to_json(draft.value());
  record["grade"] = coded->grade;
  record["ctcae"] = intake::to_json(coded.value());
  record["site"] = server["site"];
  const auto cls = classify_record(st, record);
  json block = classification_json(cls);
  block["criteria"] = criteria_of(record);
  bool late = false;
  if (cls.serious && !prev.serious) {
    // An upgrade to serious: the site's SAE clock runs from its awareness of seriousness.
    const auto aware = draft->site_aware_at;
    late = safety::site_report_late(aware, now, st.site_report_hours);
    block["site_report"] = {
        {"due_at", format_timestamp(safety::site_report_clock(aware, st.site_report_hours).due_at)},
        {"late", late}};
  } else if (current.contains("safety") && current["safety"].contains("site_report")) {
    block["site_report"] = current["safety"]["site_report"];
  }
  const json prev_block = current.value("safety", json::object());
  block["ever_serious"] = cls.serious || prev_block.value("ever_serious", prev.serious);
  block["ever_susar"] = cls.susar || prev_block.value("ever_susar", prev.susar);
  record["safety"] = block;
  json changed = json::array();
  for (auto it = f.changes.begin(); it != f.changes.end(); ++it) changed.push_back(it.key());
  record["changes"] = {{"fields", changed},
                       {"grade", {current.value("grade", 0), coded->grade}},
                       {"serious", {prev.serious, cls.serious}},
                       {"susar", {prev.susar, cls.susar}}};
  auto plan = safety::plan_followup(prev, open_clocks, {false, cls, now, true});
  d.start = plan.start;
  for (const auto& stop : plan.stop) d.stop.emplace_back(stop.clock.id, stop.reason);
  if (!plan.notices.empty()) record["changes"]["notices"] = plan.notices;
  d.alerts = version_alerts(st, record, report, version + 1, cls, prior_of(st, current, version), lookup);
  d.record = std::move(record);
  return d;
}


}  // namespace

Result<store::Stored> add_followup(const Context& cx, const Caller& who, const config::Study& st,
                                   std::int64_t report, const json& body) {
  // Another site's report does not exist for the caller, whatever the body says.
  auto existing = cx.store.get_ae(st.id, report);
  if (!existing) return existing.error();
  if (!existing.value() || (*existing.value())["site"] != who.site)
    return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(report));
  auto parsed = parse_followup(body);
  if (!parsed) return parsed.error();
  const Timestamp now = cx.clock.now();
  const store::FollowupDecider decide =
      [&](const json& current, int version, const std::vector<store::ClockRow>& open,
          const store::RuleLookup& lookup) -> Result<store::FollowupDecision> {
    return decide_followup(cx, st, parsed.value(), report, current, version, open, lookup, now);
  };
  return cx.store.add_followup(st.id, report, who.site, parsed->followup_id, canonical_hash(body),
                               decide, who.actor());
}

}  // namespace pvmon::service
