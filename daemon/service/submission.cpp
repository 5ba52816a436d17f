// Use case: a regulatory submission recorded by a safety officer. It stops the open clock of
// its kind (ICH E2A III.A: 7 or 15 days from the sponsor's receipt); the time it names must
// fall within that clock.
#include <cstdint>

#include "pvmon/fields.hpp"
#include "pvmon/service/ae.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

struct Submission {
  safety::SubmissionKind kind;
  Timestamp submitted;
  json record;
};

Result<Submission> parse_submission(const json& body, Timestamp now) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  Submission sub{};
  auto kind = r.one_of("kind", true, std::vector<std::string>{"initial", "complete", "followup"});
  auto at = r.timestamp("submitted", true);
  auto authority = r.string("authority", true, 100);
  auto reference = r.string("reference", true, 100);
  r.finish();
  if (at && *at > now.plus_ms(5 * 60'000)) r.error("submitted", "is in the future");
  if (!errs.empty()) return Error::invalid(std::move(errs));
  sub.kind = *safety::parse_submission_kind(*kind);
  sub.submitted = *at;
  sub.record = {{"kind", *kind},
                {"submitted", format_timestamp(*at)},
                {"authority", *authority},
                {"reference", *reference}};
  return sub;
}


std::vector<safety::Clock> open_of(const std::vector<store::ClockRow>& rows) {
  std::vector<safety::Clock> out;
  for (const auto& r : rows)
    if (!r.stopped_at) out.push_back(r.clock);
  return out;
}

}  // namespace

Result<json> record_submission(const Context& cx, const Caller& who, const config::Study& st,
                               std::int64_t report, const json& body) {
  auto sub = parse_submission(body, cx.clock.now());
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
                          "no open " + sub->record["kind"].get<std::string>() +
                              " clock for this report");
    return store::SubmissionDecision{plan.stop, sub->record};
  };
  return cx.store.add_submission(st.id, report, decide, who.actor());
}

}  // namespace pvmon::service
