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

/// The new version a follow-up makes of `current` (version `version` of report `report`), with
/// the clocks it starts and stops among `open`: a pure decision, made outside the writer.
Result<store::FollowupWrite> decide_followup(const AeDeps& cx, const config::Study& st,
                                             const Followup& f, std::int64_t report,
                                             const json& current, int version,
                                             const std::vector<store::ClockRow>& open, Timestamp now) {
  const auto prev = classify_record(st, current);
  std::vector<safety::Clock> open_clocks;
  store::FollowupWrite d;
  for (const auto& r : open) {
    open_clocks.push_back(r.clock);
    d.expected_open_clocks.push_back(r.id);
  }
  std::sort(d.expected_open_clocks.begin(), d.expected_open_clocks.end());
  d.study = st.id;
  d.report = report;
  d.expected_version = version;
  d.followup_id = f.followup_id;
  d.rules.rules = &st.rules;
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
    d.rules.facts = version_facts(st, d.record, report, version + 1, prev);
    d.rules.facts.previous = prior_of(st, current, version);
    return d;
  }

  json body = submitted_fields(current);
  body.merge_patch(f.changes);
  auto subject = cx.subjects.find_subject(st.id, current.at("subject").get<std::string>());
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
  if (facts.known && (record["onset"] != current.value("onset", json()) ||
                      record["resolved"] != current.value("resolved", json()) ||
                      record["grade"] != current.value("grade", json()))) {
    // A new onset, resolution or grade is checked against the subject's course as a new report
    // is (nothing begins after death; a fatal AE dates the one death: issue 17), without the
    // report's own current version.
    if (auto ok = check_against_course(cx.subjects, st.id, draft.value(), coded->grade); !ok) return ok.error();
  }
  record["ctcae"] = intake::to_json(coded.value());
  record["site"] = server["site"];
  const auto cls = classify_record(st, record);
  json block = classification_json(cls);
  block["criteria"] = criteria_of(record);
  if (cls.serious && !prev.serious) {
    // An upgrade to serious: the site's SAE clock (ICH E6 4.11.1) runs from the site's own
    // awareness of seriousness, which the follow-up states; it ends at this receipt, and is
    // late only if this follow-up is.
    if (!f.changes.contains("site_aware_at"))
      return Error::field(Errc::invalid, "changes.site_aware_at",
                          "is required when the follow-up makes the report serious: when the site "
                          "learned that it is serious (its SAE reporting clock runs from then)");
    const auto aware = draft->site_aware_at;
    store::ClockRow site;
    site.clock = safety::site_report_clock(aware, st.site_report_hours);
    site.clock.reason = "upgraded to serious";
    site.stopped_at = now;
    site.stop_reason = "received";
    site.late = safety::site_report_late(aware, now, st.site_report_hours);
    block["site_report"] = {{"due_at", format_timestamp(site.clock.due_at)}, {"late", site.late}};
    d.closed.push_back(std::move(site));
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
  d.rules.facts = version_facts(st, record, report, version + 1, cls);
  d.rules.facts.previous = prior_of(st, current, version);
  d.record = std::move(record);
  return d;
}

/// How many times a follow-up is decided again when the report changed under it.
constexpr int kAttempts = 5;

}  // namespace

Result<store::Stored> add_followup(const AeDeps& cx, const Caller& who, const config::Study& st,
                                   std::int64_t report, const json& body) {
  auto parsed = parse_followup(body);
  if (!parsed) return parsed.error();
  const std::string sha = canonical_hash(body);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // Another site's report does not exist for the caller, whatever the body says.
    auto current = cx.aes.get_ae(st.id, report);
    if (!current) return current.error();
    if (!current.value() || (*current.value())["site"] != who.site)
      return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(report));
    const json& cur = *current.value();
    if (cur.value("status", "") == "nullified")
      return Error::field(Errc::conflict, "id", "the report was nullified; it takes no follow-up");
    // A replay is answered from what was stored, before anything is decided again.
    auto recorded = cx.aes.followup_recorded(report, parsed->followup_id);
    if (!recorded) return recorded.error();
    if (recorded.value()) {
      if (*recorded.value() != sha)
        return Error::field(Errc::conflict, "followup_id",
                            "follow-up " + parsed->followup_id + " was already recorded with other content");
      return store::Stored{cur, false};
    }
    auto open = cx.aes.clocks(st.id, true, report);
    if (!open) return open.error();
    auto decision = decide_followup(cx, st, parsed.value(), report, cur, cur.value("version", 1),
                                    open.value(), cx.clock.now());
    if (!decision) return decision.error();
    decision->site = who.site;
    decision->body_sha256 = sha;
    auto stored = cx.aes.add_followup(std::move(decision.value()), who.actor());
    if (!stored || !stored->stale) return stored;
  }
  return Error::of(Errc::unavailable, "the report kept changing while this follow-up was decided; retry");
}

}  // namespace pvmon::service
